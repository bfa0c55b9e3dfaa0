"""kube-sim's pod network: podCIDR allocation per Node, and the cni0 bridge once pods run (tests run in file order)."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
import yaml
from conftest import make_root, run, stop_kubelet, wait_for

FAKE_IP = r"""#!/bin/bash
# A stand-in for iproute2's ip: one link (cni0), its type and addresses kept in $FAKE_IP_DIR.
dir=$FAKE_IP_DIR
echo "$*" >>"$dir/log"
case "$*" in
  "link show dev cni0")
    [[ -e $dir/link ]] || { echo 'Device "cni0" does not exist.' >&2; exit 1; } ;;
  "link add cni0 type "*)
    type=${!#}
    if [[ -e $dir/deny-$type ]]; then echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; fi
    echo "$type" >"$dir/link" ;;
  "-d -o link show dev cni0")
    echo "7: cni0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN \    link/ether 0a:58:0a:f4:01:01 \    $(cat "$dir/link") forward_delay 1500" ;;
  "-o addr show dev cni0")
    touch "$dir/addrs"
    while read -r address; do
      family=inet; [[ $address == *:* ]] && family=inet6
      echo "7: cni0    $family $address scope global cni0\       valid_lft forever preferred_lft forever"
    done <"$dir/addrs" ;;
  "addr add "*" dev cni0")
    if [[ -e $dir/deny-addr ]]; then echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; fi
    echo "$3" >>"$dir/addrs" ;;
  "link set cni0 up") ;;
  *) echo "fake ip: unexpected: $*" >&2; exit 1 ;;
esac
"""


# --- podCIDR allocation ------------------------------------------------------------------------


def new_state(pod_subnet: str) -> dict:
    return {"pod_subnet": pod_subnet, "nodes": {}, "cidr_next": 0}


def register(kube_sim, state: dict, name: str) -> list[str]:
    state["nodes"][name] = {"podCIDRs": kube_sim.allocate_pod_cidrs(state)}
    return state["nodes"][name]["podCIDRs"]


def test_nodes_get_the_next_24_of_the_pod_subnet_in_join_order(kube_sim):
    state = new_state("10.244.0.0/16")
    assert [register(kube_sim, state, n) for n in ("cp", "w1", "w2")] == [["10.244.0.0/24"], ["10.244.1.0/24"], ["10.244.2.0/24"]]


def test_a_freed_cidr_is_handed_out_again_only_after_the_others(kube_sim):
    state = new_state("10.244.0.0/23")  # room for two nodes
    assert register(kube_sim, state, "a") == ["10.244.0.0/24"]
    assert register(kube_sim, state, "b") == ["10.244.1.0/24"]
    assert register(kube_sim, state, "c") == []  # the pod subnet is full
    del state["nodes"]["a"]
    assert register(kube_sim, state, "c") == ["10.244.0.0/24"]
    state = new_state("10.244.0.0/16")
    register(kube_sim, state, "a")
    del state["nodes"]["a"]
    assert register(kube_sim, state, "a") == ["10.244.1.0/24"]  # not the freed one: the allocator moves on


def test_dual_stack_nodes_get_a_24_and_a_64(kube_sim):
    state = new_state("10.244.0.0/16,fd00:10:244::/56")
    register(kube_sim, state, "cp")
    assert register(kube_sim, state, "w1") == ["10.244.1.0/24", "fd00:10:244:1::/64"]


@pytest.mark.parametrize("pod_subnet", ["", "10.244.0.0/25"])
def test_no_allocation_without_a_pod_subnet_or_below_the_node_mask(kube_sim, pod_subnet):
    assert register(kube_sim, new_state(pod_subnet), "cp") == []


def test_the_node_object_carries_its_pod_cidrs(kube_sim):
    node = kube_sim.node_object("w1", {"podCIDRs": ["10.244.1.0/24"], "heartbeat": time.time()}, [])
    assert (node["spec"]["podCIDR"], node["spec"]["podCIDRs"]) == ("10.244.1.0/24", ["10.244.1.0/24"])
    assert "podCIDR" not in kube_sim.node_object("w1", {"podCIDRs": []}, [])["spec"]


# --- the cni0 bridge ---------------------------------------------------------------------------


@pytest.fixture
def fake_ip(kube_sim, tmp_path, monkeypatch):
    """An `ip` command on PATH that keeps its link in a directory; the simulator as if not under a root."""
    bindir, state = tmp_path / "bin", tmp_path / "ip"
    bindir.mkdir()
    state.mkdir()
    (bindir / "ip").write_text(FAKE_IP)
    (bindir / "ip").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_IP_DIR", str(state))
    monkeypatch.setattr(kube_sim, "ROOT", "")
    return state


def test_the_gateway_is_the_first_address_of_the_pod_cidr(kube_sim):
    assert kube_sim.pod_gateway("10.244.3.0/24") == "10.244.3.1/24"
    assert kube_sim.pod_gateway("fd00:10:244:1::/64") == "fd00:10:244:1::1/64"


def test_the_bridge_is_the_one_the_cni_config_names(kube_sim, tmp_path, monkeypatch):
    monkeypatch.setattr(kube_sim, "CNI_DIR", str(tmp_path))
    assert kube_sim.cni_bridge_name() == "cni0"  # no config yet
    (tmp_path / "10-simnet.conflist").write_text(json.dumps({"plugins": [{"type": "simnet"}, {"type": "portmap"}]}))
    assert kube_sim.cni_bridge_name() == "cni0"
    bridge = {"cniVersion": "1.0.0", "name": "pods", "plugins": [{"type": "bridge", "bridge": "kbr0", "isGateway": True}, {"type": "portmap"}]}
    (tmp_path / "05-bridge.conflist").write_text(json.dumps(bridge))  # the first file is the one in use
    assert kube_sim.cni_bridge_name() == "kbr0"


def test_under_a_test_root_the_bridge_is_only_recorded(kube_sim, monkeypatch):
    monkeypatch.setattr(kube_sim, "ROOT", "/somewhere")
    record = kube_sim.ensure_pod_bridge(["10.244.1.0/24"])
    assert (record["name"], record["addresses"], record["real"]) == ("cni0", ["10.244.1.1/24"], False)
    assert "KUBE_SIM_ROOT" in record["note"]


def test_a_bridge_is_made_with_the_first_address(kube_sim, fake_ip):
    record = kube_sim.ensure_pod_bridge(["10.244.1.0/24"])
    assert record == {"name": "cni0", "addresses": ["10.244.1.1/24"], "podCIDRs": ["10.244.1.0/24"], "real": True, "type": "bridge"}
    log = (fake_ip / "log").read_text().splitlines()
    assert "link add cni0 type bridge" in log
    assert "addr add 10.244.1.1/24 dev cni0" in log
    assert log[-1] == "link set cni0 up"
    assert kube_sim.ensure_pod_bridge(["10.244.1.0/24"])["real"] is True  # again: nothing added twice
    assert (fake_ip / "addrs").read_text() == "10.244.1.1/24\n"


def test_a_dummy_link_where_no_bridge_can_be_made(kube_sim, fake_ip):
    (fake_ip / "deny-bridge").touch()
    record = kube_sim.ensure_pod_bridge(["10.244.1.0/24"])
    assert (record["type"], record["real"]) == ("dummy", True)


def test_without_the_permission_it_is_only_recorded(kube_sim, fake_ip):
    (fake_ip / "deny-bridge").touch()
    (fake_ip / "deny-dummy").touch()
    record = kube_sim.ensure_pod_bridge(["10.244.1.0/24"])
    assert record["real"] is False
    assert "Operation not permitted" in record["note"]


def test_an_address_from_an_earlier_pod_cidr_is_kept_and_reported(kube_sim, fake_ip):
    kube_sim.ensure_pod_bridge(["10.244.1.0/24"])
    record = kube_sim.ensure_pod_bridge(["10.244.2.0/24"])  # the node was deleted and joined again
    assert record["error"] == 'failed to set bridge addr: "cni0" already has an IP address different from 10.244.2.1/24'
    assert (fake_ip / "addrs").read_text() == "10.244.1.1/24\n"


# --- in a cluster ------------------------------------------------------------------------------


def cni_daemonset(name: str, host_network: bool = True) -> dict:
    spec = {"hostNetwork": host_network, "containers": [{"name": "install", "image": "example.org/cni:v1"}]}
    spec["volumes"] = [{"name": "cni-net-dir", "hostPath": {"path": "/etc/cni/net.d"}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }


def state_nodes(cluster) -> dict:
    return json.loads((cluster.cp / "var/lib/etcd/kube-sim-state.json").read_text())["nodes"]


def test_each_node_gets_a_24_of_the_pod_subnet_in_join_order(cluster):
    nodes = cluster.nodes()
    assert {n: node["spec"].get("podCIDR") for n, node in nodes.items()} == {"sim-cp": "10.244.0.0/24", "sim-w1": "10.244.1.0/24"}
    assert nodes["sim-w1"]["spec"]["podCIDRs"] == ["10.244.1.0/24"]
    jsonpath = cluster.kubectl("get", "nodes", "-o", "jsonpath={.items[*].spec.podCIDR}")
    assert jsonpath.stdout == "10.244.0.0/24 10.244.1.0/24\n"


def test_no_pod_network_interface_without_a_cni_config(cluster):
    time.sleep(1)  # a few heartbeats
    assert all("podNetwork" not in node for node in state_nodes(cluster).values())


def test_a_kubelet_lists_the_pods_of_its_own_node_only(cluster):
    kubelet_conf = str(cluster.worker / "etc/kubernetes/kubelet.conf")
    own = run("kubectl", "--kubeconfig", kubelet_conf, "get", "--raw", "/api/v1/pods?fieldSelector=spec.nodeName%3Dsim-w1")
    assert own.returncode == 0, own.stderr
    pods = json.loads(own.stdout)["items"]
    assert pods
    assert {p["spec"]["nodeName"] for p in pods} == {"sim-w1"}
    assert all(p["spec"].get("hostNetwork") for p in pods if p["metadata"]["name"].startswith("kube-proxy-"))
    other = run("kubectl", "--kubeconfig", kubelet_conf, "get", "--raw", "/api/v1/pods?fieldSelector=spec.nodeName%3Dsim-cp")
    assert other.returncode == 1


def test_cni0_appears_with_the_first_pod_cidr_address_once_the_cni_runs(cluster, tmp_path):
    manifest = tmp_path / "cni.yaml"
    manifest.write_text(yaml.safe_dump(cni_daemonset("simnet")))
    applied = cluster.kubectl("apply", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr

    def recorded() -> dict:
        nodes = state_nodes(cluster)
        return {n: node["podNetwork"] for n, node in nodes.items() if "podNetwork" in node} if len(nodes) == 2 else {}

    networks = wait_for(lambda: len(recorded()) == 2 and recorded(), timeout=15)
    assert networks, state_nodes(cluster)
    assert networks["sim-cp"]["addresses"] == ["10.244.0.1/24"]
    assert networks["sim-w1"]["addresses"] == ["10.244.1.1/24"]
    assert {(n["name"], n["real"]) for n in networks.values()} == {("cni0", False)}  # under KUBE_SIM_ROOT: recorded only
    pods = json.loads(cluster.kubectl("get", "pods", "-A", "-o", "json").stdout)["items"]
    simnet = [p for p in pods if p["metadata"]["name"].startswith("simnet-")]
    assert {p["metadata"]["ownerReferences"][0]["name"] for p in simnet} == {"simnet"}
    assert all(p["spec"]["hostNetwork"] for p in simnet)


def test_a_node_joined_again_gets_the_next_free_24(cluster, tmp_path_factory):
    assert cluster.kubectl("delete", "node", "sim-w1").returncode == 0
    reset = run("kubeadm", "reset", "-f", root=cluster.worker)
    assert reset.returncode == 0, reset.stderr
    rejoined = cluster.join(cluster.worker, "sim-w1")
    assert rejoined.returncode == 0, rejoined.stdout + rejoined.stderr
    assert cluster.nodes()["sim-w1"]["spec"]["podCIDRs"] == ["10.244.2.0/24"]
    newcomer = make_root(tmp_path_factory, "w2")
    joined = cluster.join(newcomer, "sim-w2")
    assert joined.returncode == 0, joined.stdout + joined.stderr
    assert cluster.nodes()["sim-w2"]["spec"]["podCIDR"] == "10.244.3.0/24"
    record = wait_for(lambda: state_nodes(cluster)["sim-w1"].get("podNetwork", {}).get("addresses") == ["10.244.2.1/24"], timeout=15)
    assert record, state_nodes(cluster)["sim-w1"]
    stop_kubelet(newcomer)
