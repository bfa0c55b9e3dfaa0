# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Address and CIDR filters from Python's ipaddress, so the collection needs no netaddr."""

from __future__ import annotations

from ansible_collections.kubeadm.cluster.plugins.plugin_utils._network import parse_address, parse_network


def cidr_network(value):
    """``network/prefix`` of a CIDR with its host bits cleared, or '' when ``value`` is no CIDR."""
    network = parse_network(value)
    return str(network) if network else ""


def cidr_prefix(value):
    """The prefix length of a CIDR, or 0 when ``value`` is no CIDR."""
    network = parse_network(value)
    return network.prefixlen if network else 0


def ip_version(value):
    """4 or 6 for an IP address or a CIDR, 0 for anything else."""
    parsed = parse_address(value) or parse_network(value)
    return parsed.version if parsed else 0


class FilterModule:
    """Address and CIDR filters."""

    def filters(self):
        return {"cidr_network": cidr_network, "cidr_prefix": cidr_prefix, "ip_version": ip_version}
