"""The bridge pod network's sync command (roles/cni/files/kubeadm_pod_network.py), with the API and
`ip` replaced by fakes that hold state, so that each case checks what a node ends up with."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "roles" / "cni" / "files" / "kubeadm_pod_network.py"


def load_script():
    loader = importlib.machinery.SourceFileLoader("kubeadm_pod_network", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def node(name: str, cidr: str | None, address: str | None) -> dict:
    spec = {"podCIDR": cidr, "podCIDRs": [cidr]} if cidr else {}
    addresses = [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}] if address else []
    return {"metadata": {"name": name}, "spec": spec, "status": {"addresses": addresses}}


class FakeNode:
    """The node's routing table (our protocol only) and the bridge's addresses, as `ip` shows them."""

    def __init__(self, routes: dict[str, str] | None = None, bridge: list[str] | None = None):
        self.routes = dict(routes or {})
        self.bridge = list(bridge or [])
        self.calls: list[tuple[str, ...]] = []

    def ip(self, *args: str) -> str:
        self.calls.append(args)
        if args[:4] == ("-j", "-4", "route", "show"):
            return json.dumps([{"dst": dst, "gateway": via, "protocol": "247"} for dst, via in self.routes.items()])
        if args[:4] == ("-j", "-4", "addr", "show"):
            return json.dumps([{"addr_info": [{"local": a.split("/")[0], "prefixlen": int(a.split("/")[1])} for a in self.bridge]}])
        if args[:2] == ("route", "replace"):
            self.routes[args[2]] = args[4]
        elif args[:2] == ("addr", "del"):
            self.bridge.remove(args[2])
        return ""

    def run(self, argv, **_kwargs):
        if argv[:3] == ["ip", "route", "del"]:
            self.routes.pop(argv[3], None)


@pytest.fixture
def script():
    return load_script()


@pytest.fixture
def settings(tmp_path: Path) -> dict:
    kubeconfig = tmp_path / "kubelet.conf"
    kubeconfig.write_text("server: https://cp1:6443\n")
    return {
        "node_name": "w1",
        "kubeconfig": str(kubeconfig),
        "conflist": str(tmp_path / "net.d" / "10-kubeadm-bridge.conflist"),
        "network_name": "kubeadm-bridge",
        "bridge": "cni0",
        "cni_version": "0.4.0",
        "route_protocol": 247,
    }


def run(script, monkeypatch, settings: dict, nodes: list[dict], fake: FakeNode, dry_run: bool = False) -> dict:
    monkeypatch.setattr(script, "read_nodes", lambda _path: nodes)
    monkeypatch.setattr(script, "ip", fake.ip)
    monkeypatch.setattr(script.subprocess, "run", fake.run)
    return script.sync(settings, dry_run)


CLUSTER = [node("cp1", "10.244.0.0/24", "172.18.0.2"), node("w1", "10.244.1.0/24", "172.18.0.3"), node("w2", "10.244.2.0/24", "172.18.0.4")]


def test_first_sync_writes_the_config_and_routes_every_other_node(script, monkeypatch, settings):
    fake = FakeNode()
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["changed"] and result["conflist"] == "written" and result["pod_cidr"] == "10.244.1.0/24"
    assert fake.routes == {"10.244.0.0/24": "172.18.0.2", "10.244.2.0/24": "172.18.0.4"}
    network = json.loads(Path(settings["conflist"]).read_text())
    bridge, portmap = network["plugins"]
    assert (bridge["type"], bridge["bridge"], bridge["isGateway"]) == ("bridge", "cni0", True)
    assert bridge["ipam"] == {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}


def test_second_sync_changes_nothing(script, monkeypatch, settings):
    fake = FakeNode()
    run(script, monkeypatch, settings, CLUSTER, fake)
    fake.calls.clear()
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["changed"] is False and result["conflist"] == "unchanged"
    assert not [c for c in fake.calls if c[0] in ("route", "addr")]


def test_a_node_that_left_loses_its_route_and_other_routes_stay(script, monkeypatch, settings):
    fake = FakeNode(routes={"10.244.0.0/24": "172.18.0.2", "10.244.2.0/24": "172.18.0.4", "10.244.9.0/24": "172.18.0.9"})
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["routes_removed"] == ["10.244.9.0/24"]
    assert fake.routes == {"10.244.0.0/24": "172.18.0.2", "10.244.2.0/24": "172.18.0.4"}


def test_a_node_whose_address_changed_is_routed_to_the_new_one(script, monkeypatch, settings):
    fake = FakeNode(routes={"10.244.0.0/24": "172.18.0.2", "10.244.2.0/24": "172.18.0.99"})
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["routes_set"] == ["10.244.2.0/24 via 172.18.0.4"]


def test_nodes_without_a_pod_cidr_or_address_are_not_routed(script, monkeypatch, settings):
    nodes = [*CLUSTER[:2], node("w3", None, "172.18.0.5"), node("w4", "10.244.4.0/24", None)]
    fake = FakeNode()
    run(script, monkeypatch, settings, nodes, fake)
    assert fake.routes == {"10.244.0.0/24": "172.18.0.2"}


def test_waits_while_this_node_has_no_pod_cidr(script, monkeypatch, settings):
    fake = FakeNode()
    result = run(script, monkeypatch, settings, [CLUSTER[0], node("w1", None, "172.18.0.3")], fake)
    assert "spec.podCIDR" in result["waiting"] and result["changed"] is False
    assert not Path(settings["conflist"]).exists() and fake.routes == {}


def test_after_a_rejoin_under_a_new_pod_cidr_the_old_gateway_address_goes(script, monkeypatch, settings):
    fake = FakeNode(bridge=["10.244.7.1/24", "10.244.1.1/24"])
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["bridge_addresses_removed"] == ["10.244.7.1/24"]
    assert fake.bridge == ["10.244.1.1/24"]


def test_a_node_that_left_the_cluster_drops_its_config_and_routes(script, monkeypatch, settings):
    fake = FakeNode()
    run(script, monkeypatch, settings, CLUSTER, fake)
    Path(settings["kubeconfig"]).unlink()  # kubeadm reset
    result = run(script, monkeypatch, settings, CLUSTER, fake)
    assert result["conflist"] == "removed" and "not in a cluster" in result["waiting"]
    assert not Path(settings["conflist"]).exists() and fake.routes == {}


def test_dry_run_reports_without_changing(script, monkeypatch, settings):
    fake = FakeNode(routes={"10.244.9.0/24": "172.18.0.9"})
    result = run(script, monkeypatch, settings, CLUSTER, fake, dry_run=True)
    assert result["changed"] and result["conflist"] == "written" and result["routes_removed"] == ["10.244.9.0/24"]
    assert not Path(settings["conflist"]).exists()
    assert fake.routes == {"10.244.9.0/24": "172.18.0.9"}


def test_reads_a_kubeadm_kubeconfig(script, tmp_path):
    path = tmp_path / "kubelet.conf"
    path.write_text(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://cp1:6443\n"
        "  name: kubernetes\nusers:\n- name: default-auth\n  user:\n"
        "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
        "    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
    )
    fields = script.kubeconfig_fields(str(path))
    assert fields["server"] == "https://cp1:6443"
    assert fields["certificate-authority-data"] == "Q0E="
    assert fields["client-key"] == "/var/lib/kubelet/pki/kubelet-client-current.pem"
