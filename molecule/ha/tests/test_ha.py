"""What a user checks on a cluster with three control planes that site.yml built."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
from testbed import (  # noqa: E402
    ALL_NODES,
    BUSYBOX,
    CONTROL_PLANE_COMPONENTS,
    CONTROL_PLANES,
    REAL,
    assert_coredns_ready,
    first_control_plane,
    in_new_pod,
    kubectl_json,
    nslookup_addresses,
    ready_nodes,
    ready_pods,
)

testinfra_hosts = ALL_NODES
real_only = pytest.mark.skipif(not REAL, reason="the simulator runs no etcd and no pods")


def test_every_inventory_host_is_a_ready_node():
    ready = ready_nodes()
    assert sorted(ready) == ALL_NODES
    assert set(ready.values()) == {"True"}, ready


def test_all_three_control_planes_are_labelled():
    nodes = kubectl_json("get", "nodes")["items"]
    labelled = sorted(n["metadata"]["name"] for n in nodes if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"])
    assert labelled == sorted(CONTROL_PLANES)
    assert len(labelled) == 3


@real_only
def test_every_control_plane_runs_ready_control_plane_pods():
    pods = ready_pods()
    expected = [f"{c}-{n}" for c in CONTROL_PLANE_COMPONENTS for n in CONTROL_PLANES]
    assert {name: pods.get(name, "missing") for name in expected} == dict.fromkeys(expected, "True")


@real_only
def test_stacked_etcd_has_three_members(host):
    if host.backend.host not in CONTROL_PLANES:
        pytest.skip("etcd runs on control planes")
    members = host.run("etcdctl member list")
    assert members.rc == 0, members.stderr
    lines = members.stdout.strip().splitlines()
    assert len(lines) == 3 and all(", started, " in line for line in lines), lines
    assert sorted(line.split(", ")[2] for line in lines) == sorted(CONTROL_PLANES)


def test_kubeadm_init_ran_on_the_first_control_plane_only(host):
    # The others joined: they have no InitConfiguration of ours.
    config = host.file("/etc/kubernetes/kubeadm-config.yaml")
    assert config.exists == (host.backend.host == CONTROL_PLANES[0])


def test_every_control_plane_has_the_admin_kubeconfig(host):
    if host.backend.host not in CONTROL_PLANES:
        pytest.skip("kubeconfigs live on control planes")
    root = host.file("/root/.kube/config")
    assert (root.user, root.group, root.mode) == ("root", "root", 0o600)
    assert root.content_string == host.file("/etc/kubernetes/admin.conf").content_string
    # The node-local load balancer, the cluster's endpoint.
    assert "server: https://127.0.0.1:6444" in root.content_string


def test_every_node_balances_over_the_three_api_servers(host):
    assert host.service("haproxy").is_running and host.service("haproxy").is_enabled
    config = host.file("/etc/haproxy/haproxy.cfg").content_string
    assert re.findall(r"^\s+server (\S+) ", config, re.MULTILINE) == CONTROL_PLANES
    assert "server: https://127.0.0.1:6444" in host.file("/etc/kubernetes/kubelet.conf").content_string
    assert host.socket("tcp://127.0.0.1:6444").is_listening


@real_only
def test_the_smoke_workload_was_removed_after_its_check():
    assert kubectl_json("get", "deployments", "-n", "default")["items"] == []


def test_no_join_file_or_join_token_is_left(host):
    assert not host.file("/etc/kubernetes/kubeadm-join.yaml").exists
    assert "kubeadm.cluster join token" not in first_control_plane().check_output("kubeadm token list -o json")


# After the side effect: kc-ha-cp3 and kc-ha-w1 were reset with playbooks/reset.yml (twice) and
# added back with site.yml. side_effect.yml itself checks the state between reset and re-add.
RESET_NODES = ["kc-ha-cp3", "kc-ha-w1"]


@real_only
def test_after_reset_and_re_add_etcd_has_three_started_members_again():
    lines = first_control_plane().check_output("etcdctl member list").strip().splitlines()
    assert len(lines) == 3 and all(", started, " in line for line in lines), lines
    assert sorted(line.split(", ")[2] for line in lines) == sorted(CONTROL_PLANES)


@real_only
def test_after_reset_and_re_add_every_node_is_ready_again():
    assert ready_nodes() == dict.fromkeys(ALL_NODES, "True")


@real_only
def test_the_second_reset_changed_nothing():
    logs = [Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name).read_text() for name in ("reset.log", "reset-again.log")]
    recaps = [log.split("PLAY RECAP")[-1] for log in logs]
    for node in RESET_NODES:
        assert re.search(rf"^{node} +: ok=\d+ +changed=[1-9]", recaps[0], re.MULTILINE), recaps[0]
        assert re.search(rf"^{node} +: ok=\d+ +changed=0 +unreachable=0 +failed=0", recaps[1], re.MULTILINE), recaps[1]


def test_after_reset_and_re_add_coredns_is_ready_with_two_pods():
    assert_coredns_ready()


@real_only
def test_after_reset_and_re_add_a_new_pod_resolves_a_service_name():
    # The smoke workload is gone: a one-off pod of its image asks CoreDNS for the API server's Service.
    phase, log = in_new_pod("kubeadm-dns-check", f"{BUSYBOX} nslookup kubernetes.default.svc.cluster.local")
    assert phase == "Succeeded", log
    assert nslookup_addresses(log) == [kubectl_json("get", "service", "kubernetes", "-n", "default")["spec"]["clusterIP"]], log


@real_only
def test_reset_nodes_keep_their_own_rule_and_run_the_pod_network_again(host):
    if host.backend.host not in RESET_NODES:
        pytest.skip("only these nodes were reset")
    assert "--dport 2222" in host.check_output("iptables -S INPUT")
    assert host.service("kubeadm-pod-network.timer").is_running
    assert host.file("/etc/kubernetes/kubelet.conf").exists


# The failover of side_effect.yml: kc-ha-cp1's container stopped, then started again.
def ephemeral(name: str) -> str:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name).read_text()


@real_only
def test_the_api_answered_through_the_endpoint_within_seconds_of_losing_a_control_plane():
    figures = json.loads(ephemeral("failover.json"))
    print(f"failover: {figures}")
    assert figures["polls"] > 100, figures
    assert figures["outage_s"] <= 10, figures


@real_only
def test_site_yml_with_a_stopped_control_plane_stopped_in_preflight_naming_it():
    log = ephemeral("site-cp1-down.log")
    assert "kc-ha-cp1 cannot be reached: " in log
    assert "deserialization" not in log
    recap = log.split("PLAY RECAP")[-1]
    assert re.findall(r"^(\S+) +: ok=\d+ +changed=(\d+)", recap, re.MULTILINE) == [(n, "0") for n in ALL_NODES], recap
