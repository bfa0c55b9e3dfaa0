"""Unit tests for the kubeadm.cluster.kube_network_cleanup module: real iptables-save output, run_command mocked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import kube_network_cleanup
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAVE = (FIXTURES / "iptables-nft-save.stdout").read_text()
PREFIXES = ["KUBE-", "CNI-", "cali-", "FLANNEL-"]
OURS = ("KUBE-", "CNI-")


def without_ours(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not any(p in line for p in OURS))


LINKS = [
    {"ifname": "lo", "flags": ["LOOPBACK", "UP"], "addr_info": [{"local": "127.0.0.1"}]},
    {"ifname": "eth0", "flags": ["BROADCAST", "UP"], "addr_info": [{"local": "172.19.0.5"}]},
    {"ifname": "cni0", "flags": ["BROADCAST", "UP"], "addr_info": [{"local": "10.244.3.1"}]},
    {"ifname": "tunl0", "flags": ["NOARP"], "addr_info": []},
    {"ifname": "cali1234", "flags": ["UP"], "addr_info": []},
]
ROUTES = [{"dst": "10.244.0.0/24", "gateway": "172.19.0.2", "protocol": "247"}]


class FakeNode:
    """Answers the commands the module runs, as a node with kube-proxy's rules, cni0 and one of our routes."""

    def __init__(self, save: str = SAVE, links=None, routes=None):
        self.save = save
        self.links = LINKS if links is None else links
        self.routes = ROUTES if routes is None else routes
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, module, argv, data=None, **kwargs):
        self.calls.append((argv, data))
        name = Path(argv[0]).name
        if name == "iptables-nft-save":
            return 0, self.save, ""
        if name == "ip6tables-nft-save":
            return 0, "", ""
        if name == "iptables-nft-restore":
            self.save = without_ours(self.save)
            return 0, "", ""
        if argv[1:3] == ["-j", "addr"]:
            return 0, json.dumps(self.links), ""
        if argv[1:4] == ["-j", "-4", "route"]:
            return 0, json.dumps(self.routes), ""
        if argv[1:4] == ["-j", "-6", "route"]:
            return 0, "[]", ""
        return 0, "", ""

    def changes(self) -> list[list[str]]:
        return [call[0] for call in self.calls if not Path(call[0][0]).name.endswith("-save") and "-j" not in call[0][1:2]]


@pytest.fixture
def node(monkeypatch):
    fake = FakeNode()
    tools = {"ip", "iptables-nft-save", "iptables-nft-restore", "ip6tables-nft-save", "ip6tables-nft-restore"}

    def run_command(module, argv, **kwargs):
        return fake(module, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: f"/usr/sbin/{name}" if name in tools else None)
    return fake


ARGS = {"prefixes": PREFIXES, "interfaces": ["cni0", "tunl0", "cali*"], "route_protocols": ["247"]}


def test_plan_removes_our_chains_and_the_jumps_to_them_only():
    plans = kube_network_cleanup.plan_tables(SAVE, PREFIXES)
    assert sorted(plans) == ["filter", "mangle", "nat"]
    nat = plans["nat"]
    assert "DOCKER_OUTPUT" not in nat["chains"] and "KUBE-SERVICES" in nat["chains"] and "CNI-94a340ff7e00f0eac66682d3" in nat["chains"]
    assert all(rule.startswith(("-A PREROUTING", "-A OUTPUT", "-A POSTROUTING")) for rule in nat["rules"])
    assert not any("DOCKER" in rule for rule in nat["rules"])
    lines = nat["restore"].splitlines()
    assert lines[0] == "*nat" and lines[-1] == "COMMIT"
    # Declared (flushed) first, then the jumps, then the chains themselves.
    ranks = [0 if line.startswith(":") else {"-D": 1, "-X": 2}[line[:2]] for line in lines[1:-1]]
    assert ranks == sorted(ranks)
    assert '-D POSTROUTING -s 10.244.3.2/32 -m comment --comment "name: \\"kubeadm-bridge\\"' in nat["restore"]


def test_plan_of_a_clean_node_is_empty():
    assert kube_network_cleanup.plan_tables(without_ours(SAVE), PREFIXES) == {}


def test_a_goto_counts_as_a_jump():
    text = "*filter\n:INPUT ACCEPT [0:0]\n:KUBE-X - [0:0]\n:MINE - [0:0]\n-A INPUT -g KUBE-X\n-A MINE -j KUBE-X\n-A INPUT -j MINE\nCOMMIT\n"
    plan = kube_network_cleanup.plan_tables(text, ["KUBE-"])["filter"]
    assert plan["rules"] == ["-A INPUT -g KUBE-X", "-A MINE -j KUBE-X"]


def test_ipvs_plan_takes_service_addresses_and_node_ports():
    save = "-A -t 10.96.0.1:443 -s rr\n-a -t 10.96.0.1:443 -r 172.19.0.2:6443 -m -w 1\n-A -t 172.19.0.5:30080 -s rr\n-A -t 192.0.2.1:80 -s rr\n"
    assert kube_network_cleanup.plan_ipvs(save, {"10.96.0.1"}, "30000-32767") == ["-A -t 10.96.0.1:443 -s rr", "-A -t 172.19.0.5:30080 -s rr"]


def test_cleanup_restores_once_per_table_and_removes_our_devices_and_routes(node, capsys):
    result = run_module(kube_network_cleanup.main, capsys, ARGS)
    assert result["changed"] is True
    restores = [(argv, data) for argv, data in node.calls if argv[0].endswith("iptables-nft-restore")]
    assert [call[0][1:] for call in restores] == [["--noflush"]] * 3
    assert sorted(result["removed"]["chains"]) == ["iptables-nft-save/filter", "iptables-nft-save/mangle", "iptables-nft-save/nat"]
    assert result["removed"]["interfaces"] == ["cni0", "cali1234"]
    assert ["/usr/sbin/ip", "link", "delete", "cni0"] in node.changes()
    assert not any("eth0" in argv or "tunl0" in argv for argv in node.changes())
    assert result["removed"]["routes"] == ["10.244.0.0/24 proto 247"]
    assert ["/usr/sbin/ip", "-4", "route", "del", "10.244.0.0/24", "proto", "247", "table", "main"] in node.changes()


def test_check_mode_reports_and_changes_nothing(node, capsys):
    result = run_module(kube_network_cleanup.main, capsys, ARGS, check_mode=True)
    assert result["changed"] is True and result["removed"]["interfaces"] == ["cni0", "cali1234"]
    assert node.changes() == []


def test_a_clean_node_is_no_change(node, capsys):
    node.save, node.links, node.routes = without_ours(SAVE), LINKS[:2], []
    result = run_module(kube_network_cleanup.main, capsys, ARGS)
    assert result["changed"] is False
    assert node.changes() == []


def test_a_tunnel_device_that_is_up_is_emptied_and_set_down(node, capsys):
    node.links = [{"ifname": "tunl0", "flags": ["NOARP", "UP"], "addr_info": [{"local": "10.244.5.0"}]}]
    result = run_module(kube_network_cleanup.main, capsys, ARGS)
    assert result["removed"]["interfaces"] == ["tunl0"]
    assert ["/usr/sbin/ip", "link", "set", "tunl0", "down"] in node.changes()
    assert ["/usr/sbin/ip", "link", "delete", "tunl0"] not in node.changes()


def test_chains_left_after_the_restore_fail_the_task(node, capsys, monkeypatch):
    monkeypatch.setattr(FakeNode, "__call__", lambda self, module, argv, data=None, **kw: (0, SAVE if argv[0].endswith("iptables-nft-save") else "[]", ""))
    result = run_module(kube_network_cleanup.main, capsys, ARGS)
    assert result["failed"] and "chains left after" in result["msg"]
