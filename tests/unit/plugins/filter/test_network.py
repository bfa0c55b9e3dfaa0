"""The address and CIDR filters and tests that replace ansible.utils' ipaddr family."""

from __future__ import annotations

import pytest
from ansible_collections.kubeadm.cluster.plugins.filter.network import cidr_network, cidr_prefix, ip_version
from ansible_collections.kubeadm.cluster.plugins.test.network import cidr_overlaps, in_network, ip_address


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.244.0.0/16", "10.244.0.0/16"),
        ("10.244.1.0/16", "10.244.0.0/16"),
        (" 10.96.0.0/12 ", "10.96.0.0/12"),
        ("fd00:10:244::/56", "fd00:10:244::/56"),
        ("fd00:10:244::1/56", "fd00:10:244::/56"),
        ("10.244.0.0", ""),
        ("10.244.0.0/33", ""),
        ("10.244.0.0/16,fd00::/56", ""),
        ("not-a-cidr/8", ""),
        ("", ""),
        (None, ""),
        (16, ""),
    ],
)
def test_cidr_network_clears_host_bits_and_refuses_what_is_no_cidr(value, expected):
    assert cidr_network(value) == expected


def test_cidr_prefix_and_ip_version():
    assert cidr_prefix("10.96.0.0/12") == 12
    assert cidr_prefix("fd00::/108") == 108
    assert cidr_prefix("10.96.0.1") == 0
    assert ip_version("10.96.0.0/12") == 4
    assert ip_version("fd00::10") == 6
    assert ip_version("k8s-api.example.com") == 0
    assert ip_version("") == 0


def test_ip_address_takes_one_address_only():
    assert ip_address("192.0.2.10")
    assert ip_address("fd00::10")
    assert not ip_address("192.0.2.0/24")
    assert not ip_address("k8s-api.example.com")
    assert not ip_address("[fd00::10]")
    assert not ip_address(None)


def test_in_network():
    assert in_network("10.244.3.4", "10.244.0.0/16")
    assert not in_network("10.245.0.1", "10.244.0.0/16")
    assert in_network("fd00::5", "fd00::/64")
    assert not in_network("fd00::5", "10.0.0.0/8")
    assert not in_network("not-an-address", "10.0.0.0/8")
    assert not in_network("10.0.0.1", "bad")


def test_cidr_overlaps_in_either_direction():
    assert cidr_overlaps("10.0.0.0/8", "10.96.0.0/12")
    assert cidr_overlaps("10.96.0.0/12", "10.0.0.0/8")
    assert cidr_overlaps("10.244.0.0/16", "10.244.0.0/16")
    assert not cidr_overlaps("10.244.0.0/16", "10.96.0.0/12")
    assert not cidr_overlaps("10.0.0.0/8", "fd00::/8")
    assert not cidr_overlaps("bad", "10.0.0.0/8")


def test_api_backends_takes_the_advertise_address_then_the_default_route_address():
    from ansible_collections.kubeadm.cluster.plugins.filter.network import api_backends

    hostvars = {
        "cp1": {"ansible_facts": {"default_ipv4": {"address": "172.19.0.2"}}},
        "cp2": {"control_plane_advertise_address": "10.0.0.12", "ansible_facts": {"default_ipv4": {"address": "172.19.0.3"}}},
        "cp3": {"ansible_facts": {"default_ipv4": {}, "default_ipv6": {"address": "fd00::4"}}},
        "cp4": {},
    }
    assert api_backends(["cp1", "cp2", "cp3", "cp4"], hostvars) == [
        {"name": "cp1", "address": "172.19.0.2"},
        {"name": "cp2", "address": "10.0.0.12"},
        {"name": "cp3", "address": "fd00::4"},
        {"name": "cp4", "address": ""},
    ]
