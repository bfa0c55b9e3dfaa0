"""The input checks the roles share: CIDRs, releases, token lifetimes, OS, endpoints and node identity."""

from __future__ import annotations

import pytest
from ansible_collections.kubeadm.cluster.plugins.filter.checks import joined_as, k8s_version_error, os_error, rename_error, token_ttl_error
from ansible_collections.kubeadm.cluster.plugins.filter.network import cidr_error, interface_addresses, split_endpoint


@pytest.mark.parametrize(
    ("value", "purpose"),
    [("10.244.0.0/16", "pod"), ("fd00:10:244::/56", "pod"), ("10.96.0.0/12", "service"), ("fd00::/108", "service"), ("10.0.0.0/30", "")],
)
def test_cidr_error_accepts_a_usable_network(value, purpose):
    assert cidr_error(value, "net", purpose) == ""


@pytest.mark.parametrize(
    ("value", "purpose", "message"),
    [
        ("10.244.0.0/33", "pod", "net must be one IPv4 or IPv6 network in CIDR notation with no host bits set, such as 10.244.0.0/16; got '10.244.0.0/33'."),
        ("10.96.0.1/12", "service", "such as 10.96.0.0/12; got '10.96.0.1/12' (did you mean 10.96.0.0/12?)."),
        (" 10.96.0.0/12", "service", "got ' 10.96.0.0/12' (did you mean 10.96.0.0/12?)."),
        ("10.244.0.0", "pod", "got '10.244.0.0'."),
        (16, "", "got 16."),
        ("10.244.0.0/25", "pod", "net 10.244.0.0/25 is too small: each node gets a /24 from it, so the prefix must be /24 or shorter for IPv4."),
        ("fd00::/72", "pod", "must be /64 or shorter for IPv6."),
        ("10.0.0.0/8", "service", "net 10.0.0.0/8 is too large: the API server accepts at most 2^20 service addresses, so the prefix must be /12"),
        ("fd00::/64", "service", "must be /108 or longer for IPv6."),
    ],
)
def test_cidr_error_names_only_what_is_wrong(value, purpose, message):
    error = cidr_error(value, "net", purpose)
    assert message in error
    assert ("too" in error) != ("CIDR notation" in error)


FACTS = {
    "interfaces": ["lo", "eth0", "eth0.10", "cni0", "kube-ipvs0"],
    "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}, "ipv6": [{"address": "::1", "prefix": "128"}]},
    "eth0": {
        "ipv4": {"address": "172.19.0.5", "netmask": "255.255.0.0", "prefix": "16"},
        "ipv4_secondaries": [{"address": "192.0.2.7", "netmask": "255.255.255.0"}],
        "ipv6": [{"address": "fd00::5", "prefix": "64"}, {"address": "fe80::1", "prefix": "64"}],
    },
    "eth0_10": {"ipv4": {"address": "198.51.100.1", "netmask": "255.255.255.252"}},
    "cni0": {"ipv4": {"address": "10.244.0.1", "netmask": "255.255.255.0"}},
    "kube_ipvs0": {"ipv4": {"address": "10.96.0.1", "netmask": "255.255.255.255"}},
}


def test_interface_addresses_gives_each_address_with_its_prefix_but_the_cluster_own():
    assert interface_addresses(FACTS, ["cni[0-9]*", "kube-ipvs[0-9]+"]) == [
        "127.0.0.1/8",
        "::1/128",
        "172.19.0.5/16",
        "192.0.2.7/24",
        "fd00::5/64",
        "fe80::1/64",
        "198.51.100.1/30",
    ]
    assert "10.96.0.1/32" in interface_addresses(FACTS)
    assert interface_addresses({}) == []
    # The address of an interface must be whole-name matched: "eth0" does not exclude "eth0.10".
    assert "198.51.100.1/30" in interface_addresses(FACTS, ["eth0"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("k8s-api.example.com", {"host": "k8s-api.example.com", "port": 6443}),
        ("k8s-api.example.com:8443", {"host": "k8s-api.example.com", "port": 8443}),
        ("192.0.2.10:443", {"host": "192.0.2.10", "port": 443}),
        ("[fd00::10]:6443", {"host": "fd00::10", "port": 6443}),
        ("[fd00::10]", {"host": "fd00::10", "port": 6443}),
        ("fd00::10", {"host": "fd00::10", "port": 6443}),
        ("https://k8s-api.example.com", {}),
        ("k8s-api.example.com/path", {}),
        ("k8s_api:6443", {}),
        ("host:0", {}),
        ("host:70000", {}),
        ("[192.0.2.10]:6443", {}),
        (" host", {}),
        ("", {}),
        (None, {}),
    ],
)
def test_split_endpoint(value, expected):
    assert split_endpoint(value) == expected


def test_split_endpoint_default_port():
    assert split_endpoint("api", 7443) == {"host": "api", "port": 7443}


@pytest.mark.parametrize("value", ["1.30.5", "1.31.0", "2.0.10"])
def test_k8s_version_error_accepts_x_y_z(value):
    assert k8s_version_error(value) == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("v1.30", "cluster_kubernetes_version must be a release written X.Y.Z (no 'v', no package revision), such as \"1.30.x\"; got 'v1.30'."),
        ("1.30.5-1.1", "such as \"1.30.5\"; got '1.30.5-1.1'."),
        ("latest", "(no 'v', no package revision); got 'latest'."),
        (
            1.3,
            "cluster_kubernetes_version must be a string X.Y.Z; got the number 1.3. YAML reads an unquoted 1.30 as a number:"
            ' write the full release in quotes, such as cluster_kubernetes_version: "1.30.x" with x the patch release.',
        ),
        (1.28, 'unquoted 1.28 as a number: write the full release in quotes, such as cluster_kubernetes_version: "1.28.x"'),
        (None, "got None."),
        (True, "got True."),
    ],
)
def test_k8s_version_error_says_what_to_write(value, message):
    assert message in k8s_version_error(value)


def test_k8s_version_error_checks_the_supported_minors_only_when_given():
    supported = ["1.28", "1.29", "1.30", "1.31"]
    assert k8s_version_error("1.30.5", supported) == ""
    assert (
        k8s_version_error("1.27.16", supported, "version") == "version is 1.27.16, but the collection supports the minor releases 1.28, 1.29, 1.30, 1.31 only."
    )
    assert "X.Y.Z" in k8s_version_error("1.27", supported)
    assert "minor" not in k8s_version_error("1.27", supported)


@pytest.mark.parametrize(("value", "message"), [("15m", ""), ("1m", ""), ("24h", ""), ("1h30m", "")])
def test_token_ttl_error_accepts_a_minute_to_a_day(value, message):
    assert token_ttl_error(value, "ttl") == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "ttl is '0': a bootstrap token must live at least 1m, so that the join finishes before it expires."),
        ("59s", "ttl is '59s': a bootstrap token must live at least 1m"),
        ("48h", "ttl is '48h': a bootstrap token must live at most 24h, since it grants joining the cluster."),
        ("15 minutes", "ttl is '15 minutes', which is not a duration such as 15m, 1h30m or 90s"),
        (15, "ttl must be a duration string such as '15m'; got 15."),
    ],
)
def test_token_ttl_error_names_the_bound_missed(value, message):
    error = token_ttl_error(value, "ttl")
    assert error.startswith(message)
    assert ("at least" in error) + ("at most" in error) <= 1


DEBIAN_12 = {"distribution": "Debian", "distribution_major_version": "12", "distribution_version": "12.8", "os_family": "Debian"}
UBUNTU_24 = {"distribution": "Ubuntu", "distribution_major_version": "24", "distribution_version": "24.04", "os_family": "Debian"}
ROCKY_9 = {"distribution": "Rocky", "distribution_major_version": "9", "distribution_version": "9.4", "os_family": "RedHat"}
SOLARIS = {"distribution": "Solaris", "distribution_major_version": "11", "distribution_version": "11.4", "os_family": "Solaris"}


@pytest.mark.parametrize(
    ("facts", "supported"),
    [
        (DEBIAN_12, ["Debian 12"]),
        (DEBIAN_12, ["Debian"]),
        (UBUNTU_24, ["Ubuntu 24.04"]),
        (ROCKY_9, ["RedHat-family 9"]),
        (ROCKY_9, ["RedHat-family"]),
        (UBUNTU_24, ["Debian-family"]),
    ],
)
def test_os_error_accepts_a_listed_system(facts, supported):
    assert os_error(facts, supported) == ""
    assert os_error(facts) == ""


def test_os_error_names_the_host_and_the_system():
    assert os_error(SOLARIS, host="cp1") == "cp1 runs Solaris 11.4 (os_family Solaris), which is not supported; supported are Debian-family, RedHat-family."
    assert os_error(DEBIAN_12, ["Ubuntu 24.04", "RedHat-family 9"], "supported_os") == (
        "This host runs Debian 12.8 (os_family Debian), which is not in supported_os: Ubuntu 24.04, RedHat-family 9."
    )
    assert os_error(UBUNTU_24, ["Ubuntu 22.04"]).startswith("This host runs Ubuntu 24.04")
    assert os_error({}, host="h").startswith("h runs unknown  (os_family unknown)")


NODES = {
    "items": [
        {"metadata": {"name": "cp1"}, "status": {"nodeInfo": {"machineID": "aaa"}}},
        {"metadata": {"name": "worker1"}, "status": {"nodeInfo": {"machineID": "bbb"}}},
        {"metadata": {"name": "new"}, "status": {}},
    ]
}


def test_joined_as_names_the_nodes_of_a_machine():
    assert joined_as(NODES, "bbb") == ["worker1"]
    assert joined_as(NODES["items"], "aaa") == ["cp1"]
    assert joined_as(NODES, "ccc") == []
    assert joined_as(NODES, "") == []
    assert joined_as({}, "aaa") == []
    assert joined_as([], "aaa") == []


def test_rename_error_names_the_old_node_and_both_ways_out():
    message = rename_error(NODES, "bbb", "worker1-renamed", "worker1")
    assert message.startswith("worker1 is joined to the cluster as node 'worker1' (the Node whose machine ID")
    assert "but its node name is now 'worker1-renamed' (cluster_node_name)." in message
    assert "set cluster_node_name: worker1 for worker1." in message
    assert "playbooks/reset.yml --limit worker1 -e cluster_node_name=worker1, then run site.yml again." in message


def test_rename_error_is_empty_for_a_kept_name_or_a_machine_not_joined():
    assert rename_error(NODES, "bbb", "worker1", "worker1") == ""
    assert rename_error(NODES, "zzz", "anything", "worker1") == ""
    assert rename_error(NODES, "", "anything", "worker1") == ""
