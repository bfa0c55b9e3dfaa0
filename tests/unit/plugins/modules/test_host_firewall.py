"""Unit tests for the kubeadm.cluster.host_firewall module: captured ufw and firewalld output, run_command mocked."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import host_firewall
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

WORKER_BRIDGE = [
    {"port": "10250", "proto": "tcp", "what": "kubelet API"},
    {"port": "10256", "proto": "tcp", "what": "kube-proxy health check"},
    {"port": "30000-32767", "proto": "tcp", "what": "NodePort services"},
    {"port": "30000-32767", "proto": "udp", "what": "NodePort services"},
    {"routed": "10.244.0.0/16", "what": "pod network"},
]
CONTROL_PLANE_CALICO = [
    {"port": "6443", "proto": "tcp", "what": "Kubernetes API server"},
    {"port": "2379-2380", "proto": "tcp", "what": "etcd client and peer"},
    {"port": "10259", "proto": "tcp", "what": "kube-scheduler"},
    {"port": "10257", "proto": "tcp", "what": "kube-controller-manager"},
    *WORKER_BRIDGE,
    {"port": "179", "proto": "tcp", "what": "Calico BGP"},
    {"port": "4789", "proto": "udp", "what": "Calico VXLAN"},
    {"proto": "4", "what": "Calico IP-in-IP"},
]
UFW_ADDS = [
    ["ufw", "allow", "10250/tcp", "comment", "kubeadm.cluster: kubelet API"],
    ["ufw", "allow", "10256/tcp", "comment", "kubeadm.cluster: kube-proxy health check"],
    ["ufw", "allow", "30000:32767/tcp", "comment", "kubeadm.cluster: NodePort services"],
    ["ufw", "allow", "30000:32767/udp", "comment", "kubeadm.cluster: NodePort services"],
    ["ufw", "route", "allow", "from", "10.244.0.0/16", "comment", "kubeadm.cluster: pod network"],
    ["ufw", "route", "allow", "to", "10.244.0.0/16", "comment", "kubeadm.cluster: pod network"],
]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


class FakeNode:
    """Answers ufw's and firewall-cmd's read commands from captured output and records the others."""

    def __init__(self, tools=(), ufw_status="ufw-status-verbose-active.stdout", firewalld=None):
        self.tools = set(tools)
        self.ufw_status = ufw_status
        self.firewalld = firewalld or {}
        self.calls: list[list[str]] = []

    def __call__(self, argv):
        self.calls.append(argv)
        name, args = Path(argv[0]).name, argv[1:]
        if name == "ufw" and args == ["status", "verbose"]:
            if self.ufw_status is None:
                return 1, "", "ERROR: You need to be root to run this script\n"
            return 0, fixture(self.ufw_status), ""
        if name == "firewall-cmd":
            key = " ".join(a for a in args if a != "--permanent")
            if key in self.firewalld:
                rc, out, *err = self.firewalld[key]
                return rc, out, "".join(err)
            if key.startswith("--info-"):
                raise AssertionError(f"unexpected read: {argv}")
        return 0, "", ""

    def changes(self) -> list[list[str]]:
        reads = (["status", "verbose"], ["--state"], ["--get-default-zone"])
        return [
            [Path(argv[0]).name] + argv[1:]
            for argv in self.calls
            if argv[1:] not in reads and not any(a.startswith(("--info-", "--list-all")) for a in argv[1:])
        ]


@pytest.fixture
def node(monkeypatch):
    fake = FakeNode()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kwargs: fake(argv))
    monkeypatch.setattr(
        basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: f"/usr/sbin/{name}" if name in fake.tools else None
    )
    return fake


def ufw_files(monkeypatch, tmp_path, name: str | None) -> None:
    files = {}
    for family, suffix in ((4, "user.rules"), (6, "user6.rules")):
        path = tmp_path / suffix
        if name:
            path.write_text(fixture(f"ufw-{name}-{suffix}"))
        files[family] = str(path)
    monkeypatch.setattr(host_firewall, "UFW_RULE_FILES", files)


def test_a_host_without_ufw_or_firewalld_is_left_alone(node, capsys):
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE})
    assert (result["changed"], result["firewalls"], result["missing"], result["commands"]) == (False, [], [], [])
    assert node.calls == []


def test_an_inactive_ufw_is_left_alone(node, capsys, monkeypatch, tmp_path):
    node.tools, node.ufw_status = {"ufw"}, "ufw-status-verbose-inactive.stdout"
    ufw_files(monkeypatch, tmp_path, "ssh")
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE})
    assert (result["changed"], result["firewalls"], node.changes()) == (False, [], [])


def test_ufw_that_cannot_be_read_fails_instead_of_passing_for_inactive(node, capsys):
    node.tools, node.ufw_status = {"ufw"}, None
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE})
    assert result["failed"]
    assert "You need to be root" in result["msg"]


def test_ufw_gets_one_commented_rule_per_missing_port_and_two_route_rules(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "ssh")
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE})
    assert result["changed"] and result["firewalls"] == ["ufw"]
    assert result["commands"] == UFW_ADDS
    assert node.changes() == UFW_ADDS
    assert [m["rule"] for m in result["missing"]] == [
        "10250/tcp",
        "10256/tcp",
        "30000-32767/tcp",
        "30000-32767/udp",
        "forwarded from 10.244.0.0/16",
        "forwarded to 10.244.0.0/16",
    ]


def test_ufw_in_check_mode_reports_the_rules_and_adds_none(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "ssh")
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE}, check_mode=True)
    assert result["changed"] and result["commands"] == UFW_ADDS
    assert node.changes() == []


def test_ufw_with_the_rules_the_module_added_is_unchanged(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "worker")
    result = run_module(host_firewall.main, capsys, {"rules": WORKER_BRIDGE})
    assert (result["changed"], result["missing"], node.changes()) == (False, [], [])


def test_ufw_rules_count_by_what_they_let_through(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "mixed")
    result = run_module(host_firewall.main, capsys, {"rules": CONTROL_PLANE_CALICO}, check_mode=True)
    # Present: 10259 (limit), 10257 and 10256 (an allowed range), the NodePort range over udp, and forwarded
    # traffic from the pod network (allowed from 10.0.0.0/8). Missing: 6443 (allowed from one network only),
    # 2379-2380 (only 2379 allowed), 10250 (denied before the range allows it), 179 (on eth0 only), forwarded
    # traffic to the pod network (tcp only).
    assert [m["rule"] for m in result["missing"]] == [
        "6443/tcp",
        "2379-2380/tcp",
        "10250/tcp",
        "30000-32767/tcp",
        "forwarded to 10.244.0.0/16",
        "179/tcp",
        "4789/udp",
    ]
    assert result["unsupported"] == ["ufw: IP protocol 4 (Calico IP-in-IP)"]


def test_ufw_routed_policy_allow_lets_the_pod_network_through(node, capsys, monkeypatch, tmp_path):
    node.tools, node.ufw_status = {"ufw"}, "ufw-status-verbose-routed-allow.stdout"
    ufw_files(monkeypatch, tmp_path, "ssh")
    result = run_module(host_firewall.main, capsys, {"rules": [{"routed": "10.244.0.0/16", "what": "pod network"}]})
    assert (result["changed"], result["missing"]) == (False, [])


def test_ufw_absent_removes_only_the_commented_rules(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "worker")
    result = run_module(host_firewall.main, capsys, {"state": "absent"})
    expected = [
        ["ufw", "delete", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "10250"],
        ["ufw", "delete", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "10256"],
        ["ufw", "delete", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "30000:32767"],
        ["ufw", "delete", "allow", "proto", "udp", "from", "any", "to", "any", "port", "30000:32767"],
        ["ufw", "route", "delete", "allow", "from", "10.244.0.0/16", "to", "any"],
        ["ufw", "route", "delete", "allow", "from", "any", "to", "10.244.0.0/16"],
    ]
    assert result["changed"] and node.changes() == expected


def test_ufw_absent_without_our_rules_is_unchanged(node, capsys, monkeypatch, tmp_path):
    node.tools = {"ufw"}
    ufw_files(monkeypatch, tmp_path, "mixed")
    result = run_module(host_firewall.main, capsys, {"state": "absent"})
    assert (result["changed"], node.changes()) == (False, [])


def test_bad_rules_are_refused_by_name(node, capsys):
    rules = [{"port": "70000", "proto": "tcp", "what": "too high"}, {"routed": "10.244.0.0/33", "what": "bad network"}, {"what": "nothing"}]
    result = run_module(host_firewall.main, capsys, {"rules": rules})
    assert result["failed"]
    assert "too high: port '70000'" in result["msg"]
    assert "bad network: routed is '10.244.0.0/33'" in result["msg"]
    assert "nothing: a rule needs" in result["msg"]


FIREWALLD_FRESH = {
    "--state": (0, "running\n"),
    "--get-default-zone": (0, "public\n"),
    "--info-zone=public": (0, fixture("firewalld-info-zone-public.stdout")),
    "--info-zone=trusted": (0, fixture("firewalld-info-zone-trusted.stdout")),
    "--info-service=ssh": (0, fixture("firewalld-info-service-ssh.stdout")),
    "--info-service=dhcpv6-client": (0, fixture("firewalld-info-service-dhcpv6-client.stdout")),
    # firewalld's answers for a service and a policy that do not exist.
    "--info-service=kubeadm-cluster": (101, "", fixture("firewalld-info-service-missing.stderr")),
    "--info-policy=kubeadm-cluster": (140, "", fixture("firewalld-info-policy-missing.stderr")),
}
FIREWALLD_OURS = {
    **FIREWALLD_FRESH,
    "--info-zone=public": (0, fixture("firewalld-info-zone-public-ours.stdout")),
    "--info-service=kubeadm-cluster": (0, fixture("firewalld-info-service-kubeadm-cluster.stdout")),
    "--info-policy=kubeadm-cluster": (0, fixture("firewalld-info-policy-kubeadm-cluster.stdout")),
    "--list-all-zones": (0, fixture("firewalld-list-all-zones-ours.stdout")),
}
# What the fixtures of FIREWALLD_OURS hold (captured after the module added them with firewall-offline-cmd).
FIREWALLD_RULES = [
    {"port": "6443", "proto": "tcp", "what": "Kubernetes API server"},
    {"port": "2379-2380", "proto": "tcp", "what": "etcd"},
    {"port": "10250", "proto": "tcp", "what": "kubelet API"},
    {"port": "22", "proto": "tcp", "what": "ssh, through the ssh service"},
    {"proto": "4", "what": "Calico IP-in-IP"},
    {"routed": "10.244.0.0/16", "what": "pod network"},
]
PERMANENT = ["firewall-cmd", "--permanent"]


def test_firewalld_gets_a_service_and_a_policy_of_its_own(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_FRESH
    result = run_module(host_firewall.main, capsys, {"rules": FIREWALLD_RULES})
    assert result["changed"] and result["firewalls"] == ["firewalld"]
    assert node.changes() == [
        PERMANENT + ["--new-service=kubeadm-cluster"],
        PERMANENT + ["--new-policy=kubeadm-cluster"],
        PERMANENT + ["--policy=kubeadm-cluster", "--add-ingress-zone=ANY"],
        PERMANENT + ["--policy=kubeadm-cluster", "--add-egress-zone=ANY"],
        PERMANENT + ["--service=kubeadm-cluster", "--add-port=6443/tcp"],
        PERMANENT + ["--service=kubeadm-cluster", "--add-port=2379-2380/tcp"],
        PERMANENT + ["--service=kubeadm-cluster", "--add-port=10250/tcp"],
        PERMANENT + ["--service=kubeadm-cluster", "--add-protocol=4"],
        PERMANENT + ["--policy=kubeadm-cluster", '--add-rich-rule=rule family="ipv4" source address="10.244.0.0/16" accept'],
        PERMANENT + ["--policy=kubeadm-cluster", '--add-rich-rule=rule family="ipv4" destination address="10.244.0.0/16" accept'],
        PERMANENT + ["--zone=public", "--add-service=kubeadm-cluster"],
        ["firewall-cmd", "--reload"],
    ]
    assert "22/tcp" not in [m["rule"] for m in result["missing"]]


def test_firewalld_with_its_service_and_policy_in_place_is_unchanged(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_OURS
    result = run_module(host_firewall.main, capsys, {"rules": FIREWALLD_RULES})
    assert (result["changed"], result["missing"], node.changes()) == (False, [], [])


def test_firewalld_adds_a_new_port_to_its_service_in_check_mode_only_on_paper(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_OURS
    result = run_module(host_firewall.main, capsys, {"rules": [*FIREWALLD_RULES, {"port": "8472", "proto": "udp", "what": "Flannel VXLAN"}]}, check_mode=True)
    assert result["commands"] == [PERMANENT + ["--service=kubeadm-cluster", "--add-port=8472/udp"], ["firewall-cmd", "--reload"]]
    assert node.changes() == []


def test_a_firewalld_zone_that_accepts_everything_needs_only_the_forwarding(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_FRESH
    result = run_module(host_firewall.main, capsys, {"rules": FIREWALLD_RULES, "firewalld_zone": "trusted"}, check_mode=True)
    assert [m["rule"] for m in result["missing"]] == ["forwarded from 10.244.0.0/16", "forwarded to 10.244.0.0/16"]


def test_firewalld_that_is_not_running_is_left_alone(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, {"--state": (252, "not running\n")}
    result = run_module(host_firewall.main, capsys, {"rules": FIREWALLD_RULES})
    assert (result["changed"], result["firewalls"], node.changes()) == (False, [], [])


def test_firewalld_absent_removes_its_service_from_every_zone_and_both_objects(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_OURS
    result = run_module(host_firewall.main, capsys, {"state": "absent"})
    assert result["changed"]
    assert node.changes() == [
        PERMANENT + ["--zone=public", "--remove-service=kubeadm-cluster"],
        PERMANENT + ["--delete-service=kubeadm-cluster"],
        PERMANENT + ["--delete-policy=kubeadm-cluster"],
        ["firewall-cmd", "--reload"],
    ]


def test_firewalld_absent_without_its_objects_is_unchanged(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, FIREWALLD_FRESH
    result = run_module(host_firewall.main, capsys, {"state": "absent"})
    assert (result["changed"], node.changes()) == (False, [])


def test_an_unknown_firewalld_zone_is_refused(node, capsys):
    node.tools, node.firewalld = {"firewall-cmd"}, {**FIREWALLD_FRESH, "--info-zone=office": (112, "", "INVALID_ZONE: get_zone(): office\n")}
    result = run_module(host_firewall.main, capsys, {"rules": FIREWALLD_RULES, "firewalld_zone": "office"})
    assert result["failed"] and "no zone 'office'" in result["msg"]


def test_parse_ufw_tuples_decodes_the_comment_and_the_route_action():
    rules = host_firewall.parse_ufw_tuples(fixture("ufw-worker-user.rules"), 4)
    assert rules[1]["comment"] == "kubeadm.cluster: kubelet API"
    assert (rules[-2]["forward"], rules[-2]["action"], rules[-2]["src"], rules[-1]["dst"]) == (True, "allow", "10.244.0.0/16", "10.244.0.0/16")


def test_parse_firewalld_info_keeps_rich_rules_one_per_line():
    info = host_firewall.parse_firewalld_info(fixture("firewalld-info-policy-kubeadm-cluster.stdout"))
    assert info["ingress-zones"] == ["ANY"]
    assert info["rich rules"] == [
        'rule family="ipv4" source address="10.244.0.0/16" accept',
        'rule family="ipv4" destination address="10.244.0.0/16" accept',
    ]
