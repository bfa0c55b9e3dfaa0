# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Address and CIDR tests from Python's ipaddress, so the collection needs no netaddr."""

from __future__ import annotations

from ansible_collections.kubeadm.cluster.plugins.plugin_utils._network import parse_address, parse_network


def ip_address(value):
    """Whether ``value`` is one IPv4 or IPv6 address (no prefix)."""
    return parse_address(value) is not None


def in_network(value, cidr):
    """Whether the address ``value`` lies inside the network ``cidr``."""
    address, network = parse_address(value), parse_network(cidr)
    return bool(address and network and address.version == network.version and address in network)


def cidr_overlaps(value, cidr):
    """Whether the networks ``value`` and ``cidr`` share any address."""
    first, second = parse_network(value), parse_network(cidr)
    return bool(first and second and first.version == second.version and first.overlaps(second))


class TestModule:
    """Address and CIDR tests."""

    def tests(self):
        return {"ip_address": ip_address, "in_network": in_network, "cidr_overlaps": cidr_overlaps}
