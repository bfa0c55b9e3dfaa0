# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Parse addresses and CIDRs with Python's ipaddress, for the network filters and tests."""

from __future__ import annotations

import ipaddress


def parse_network(value):
    """The network a CIDR names (host bits cleared), or None when ``value`` is no CIDR."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def parse_address(value):
    """The address ``value`` names, or None when it is no single IP address."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None
