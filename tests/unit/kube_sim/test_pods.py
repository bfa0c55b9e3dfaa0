"""kube-sim's pods as the verify role reads them: conditions, container statuses, owners (tests run in file order).

The verify role's own reports (roles/verify/vars/main.yml, plugins/filter/readiness.py) are evaluated by
ansible-playbook on `kubectl get nodes|pods -o json` of a simulated cluster, as its poll tasks register them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import SIM_PY, TESTS, wait_for

REPO = TESTS.parent
VERIFY = REPO / "roles" / "verify"
# The ansible-playbook of the environment pytest runs in: the pinned venv, or one of the
# ansible-core matrix (tests/matrix.sh).
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
CP_COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
KUBE_PROXY = re.compile(r"^kube-proxy-[bcdfghjklmnpqrstvwxz2456789]{5}$")
# What the verify role computes; the play writes them out as JSON.
VERIFY_RESULTS = ("__verify_node_report", "__verify_pod_report")


def load_sim():
    spec = importlib.util.spec_from_file_location("kube_sim_module", SIM_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get(cluster, *args: str) -> dict:
    result = cluster.kubectl("get", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def conditions(pod: dict) -> dict[str, str]:
    return {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}


class Unsafe(str):
    """Registered command output: Ansible must not template it."""


yaml.SafeDumper.add_representer(Unsafe, lambda dumper, data: dumper.represent_scalar("!unsafe", str(data)))


def run_verify(tmp_path: Path, cases: dict[str, dict]) -> dict[str, dict]:
    """One play per case: the verify role's defaults and vars, then the case (its registered polls
    __verify_nodes and __verify_pods, the expected nodes); writes the role's computed lists."""
    plays = []
    for name, case in cases.items():
        case_file = tmp_path / f"{name}.yml"
        registered = {
            "__verify_nodes": {"rc": 0, "stdout": Unsafe(json.dumps(case["nodes"])), "stderr": ""},
            "__verify_pods": {"rc": 0, "stdout": Unsafe(json.dumps(case["pods"])), "stderr": ""},
            "verify_expected_nodes": case["expected"],
            "verify_control_plane_nodes": case["control_planes"],
            **case.get("vars", {}),
        }
        case_file.write_text(yaml.safe_dump(registered))
        result = "{{ {" + ", ".join(f"'{v}': {v}" for v in VERIFY_RESULTS) + "} | to_json }}"
        plays.append(
            {
                "name": name,
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "vars_files": [str(VERIFY / "defaults" / "main.yml"), str(VERIFY / "vars" / "main.yml"), str(case_file)],
                # A file rather than a JSON callback: ansible-core 2.16 has no ansible.builtin.json.
                "tasks": [{"ansible.builtin.copy": {"content": result, "dest": str(tmp_path / f"{name}.json"), "mode": "0600"}}],
            }
        )
    playbook = tmp_path / "verify.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    config = tmp_path / "ansible.cfg"  # not the checkout's
    config.write_text(f"[defaults]\ninterpreter_python = {sys.executable}\nlocalhost_warning = false\nretry_files_enabled = false\n")
    collection = tmp_path / "collections" / "ansible_collections" / "kubeadm" / "cluster"  # for its filters
    collection.parent.mkdir(parents=True)
    collection.symlink_to(REPO, target_is_directory=True)
    env = {**os.environ, "ANSIBLE_CONFIG": str(config), "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections")}
    done = subprocess.run([str(PLAYBOOK), "-i", "localhost,", str(playbook)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in cases}


def test_host_network_pods_are_ready_before_the_pod_network(cluster):
    pods = {p["metadata"]["name"]: p for p in get(cluster, "pods", "-A")["items"]}
    for cp_pod in (f"{c}-sim-cp" for c in CP_COMPONENTS):
        pod = wait_for(lambda name=cp_pod: {p["metadata"]["name"]: p for p in get(cluster, "pods", "-A")["items"]}.get(name))
        assert pod, sorted(pods)
        assert pod["spec"]["nodeName"] == "sim-cp"
        assert pod["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": "sim-cp"}]
        assert pod["status"]["phase"] == "Running"
        assert conditions(pod) == {
            "PodReadyToStartContainers": "True",
            "Initialized": "True",
            "Ready": "True",
            "ContainersReady": "True",
            "PodScheduled": "True",
        }
        [container] = pod["status"]["containerStatuses"]
        assert container["ready"] is True
        assert "running" in container["state"]

    proxies = [p for name, p in pods.items() if name.startswith("kube-proxy-")]
    assert all(KUBE_PROXY.match(p["metadata"]["name"]) for p in proxies), [p["metadata"]["name"] for p in proxies]
    assert sorted(p["spec"]["nodeName"] for p in proxies) == ["sim-cp", "sim-w1"]
    for proxy in proxies:
        assert proxy["metadata"]["ownerReferences"] == [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy", "controller": True, "blockOwnerDeletion": True}
        ]
        assert proxy["spec"]["hostNetwork"] is True
        assert conditions(proxy)["Ready"] == "True"  # on host network: Ready while the node waits for a CNI

    # CoreDNS waits for a Ready node (the not-ready taint), as the scheduler leaves it.
    coredns = [p for name, p in pods.items() if name.startswith("coredns-")]
    assert len(coredns) == 2
    for dns in coredns:
        assert dns["status"]["phase"] == "Pending"
        assert "nodeName" not in dns["spec"]
        [scheduled] = dns["status"]["conditions"]
        assert (scheduled["type"], scheduled["status"], scheduled["reason"]) == ("PodScheduled", "False", "Unschedulable")
        assert "untolerated taint {node.kubernetes.io/not-ready: }" in scheduled["message"]

    table = cluster.kubectl("get", "pods", "-A")
    assert re.search(r"kube-system +kube-proxy-\w{5} +1/1 +Running", table.stdout), table.stdout
    assert re.search(r"kube-system +coredns-\S+ +0/1 +Pending", table.stdout), table.stdout

    # kubeadm's CoreDNS Deployment, its status from those pods (zero counts left out, as the API server does).
    [deployment] = get(cluster, "deployments", "-n", "kube-system")["items"]
    assert (deployment["kind"], deployment["metadata"]["name"], deployment["spec"]["replicas"]) == ("Deployment", "coredns", 2)
    assert deployment["spec"]["selector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {k: v for k, v in deployment["status"].items() if k != "conditions"} == {
        "observedGeneration": 1,
        "replicas": 2,
        "updatedReplicas": 2,
        "unavailableReplicas": 2,
    }
    assert conditions(deployment) == {"Available": "False", "Progressing": "True"}
    assert get(cluster, "deployments", "-n", "default")["items"] == []
    table = cluster.kubectl("get", "deployments", "-A")
    assert re.search(r"kube-system +coredns +0/2 +2 +0 ", table.stdout), table.stdout
    mixed = get(cluster, "pods,deployments", "-A")
    assert mixed["kind"] == "List"
    assert sorted({i["kind"] for i in mixed["items"]}) == ["Deployment", "Pod"]
    assert cluster.kubectl("get", "deployments", "-A", "-o", "name").stdout.split() == ["deployment.apps/coredns"]


def test_verify_role_finds_every_pod_ready_once_the_nodes_have_a_pod_network(cluster, tmp_path):
    for root in (cluster.cp, cluster.worker):
        (root / "etc/cni/net.d").mkdir(parents=True, exist_ok=True)
        (root / "etc/cni/net.d/10-x.conflist").write_text('{"cniVersion": "0.3.1", "name": "x", "plugins": [{"type": "bridge"}]}\n')
    assert wait_for(lambda: {c["status"] for c in map(cluster.ready, ("sim-cp", "sim-w1"))} == {"True"}, timeout=10)
    # What the verify role polls: the pods and the Deployments of every namespace in one List.
    listed = get(cluster, "pods,deployments", "-A")
    assert {conditions(p)["Ready"] for p in listed["items"] if p["kind"] == "Pod"} == {"True"}, [p["metadata"]["name"] for p in listed["items"]]
    assert {conditions(p)["Available"] for p in listed["items"] if p["kind"] == "Deployment"} == {"True"}
    results = run_verify(
        tmp_path,
        {"healthy": {"nodes": get(cluster, "nodes"), "pods": listed, "expected": ["sim-cp", "sim-w1"], "control_planes": ["sim-cp"]}},
    )
    nodes, pods = results["healthy"]["__verify_node_report"], results["healthy"]["__verify_pod_report"]
    assert (nodes["done"], nodes["problems"], nodes["not_ready"], sorted(nodes["addresses"])) == (True, "", [], ["sim-cp", "sim-w1"])
    assert (pods["done"], pods["problems"], pods["addons_not_ready"], pods["not_ready"]) == (True, "", [], [])
    assert pods["deployments_state"] == ["kube-system/coredns: 2 of 2 replicas Ready"]


def lost_node_state(sim, skip_phases: list[str]) -> dict:
    """A control plane whose kubelet posts status, a worker whose kubelet stopped a minute ago."""
    t = time.time()
    ready = {"ready": True, "reason": "KubeletReady", "message": "kubelet is posting ready status"}
    return {
        "nodes": {"cp": {"created": t - 600, "heartbeat": t, **ready}, "w1": {"created": t - 600, "heartbeat": t - sim.GRACE - 60, **ready}},
        "control_planes": ["cp"],
        "skip_phases": skip_phases,
        "objects": {},
        "cluster_config": {"imageRepository": "registry.k8s.io", "kubernetesVersion": "v1.30.5"},
    }


def node_list(sim, state: dict) -> dict:
    return {"kind": "NodeList", "items": [sim.node_object(n, node, state["control_planes"]) for n, node in state["nodes"].items()]}


@pytest.fixture(scope="module")
def sim():
    return load_sim()


def test_pods_of_a_lost_node_stay_running_but_not_ready(sim):
    pods = {p["metadata"]["name"]: p for p in sim.pods(lost_node_state(sim, []))}
    proxy = next(p for p in pods.values() if p["metadata"]["name"].startswith("kube-proxy-") and p["spec"]["nodeName"] == "w1")
    assert proxy["status"]["phase"] == "Running"
    ready = next(c for c in proxy["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    assert "reason" not in ready  # the node lifecycle controller flips the status only
    assert conditions(proxy)["ContainersReady"] == "True"  # the kubelet's last report
    assert conditions(pods["kube-apiserver-cp"])["Ready"] == "True"


def test_skipped_kube_proxy_phase_runs_no_kube_proxy(sim):
    for skip in (["addon/kube-proxy"], ["addon"]):
        names = [p["metadata"]["name"] for p in sim.pods(lost_node_state(sim, skip))]
        assert not [n for n in names if n.startswith("kube-proxy-")], names
        assert "etcd-cp" in names


def test_pods_wait_in_container_creating_without_a_pod_network(sim):
    state = lost_node_state(sim, [])
    state["nodes"]["w1"].update(
        heartbeat=time.time(),
        ready=False,
        reason="KubeletNotReady",
        message="container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
        "message:Network plugin returns error: cni plugin not initialized",
    )
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "kube-system"}}
    daemonset["spec"] = {"template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "agent", "image": "example.org/a:1"}]}}}
    state["objects"]["DaemonSet/kube-system/agent"] = daemonset
    agent = next(p for p in sim.pods(state) if p["metadata"]["name"].startswith("agent-") and p["spec"]["nodeName"] == "w1")
    assert agent["status"]["phase"] == "Pending"
    ready = next(c for c in agent["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == ("False", "ContainersNotReady", "containers with unready status: [agent]")
    [container] = agent["status"]["containerStatuses"]
    assert (container["ready"], container["state"]) == (False, {"waiting": {"reason": "ContainerCreating"}})


def pods_and_deployments(sim, state: dict) -> dict:
    """What `kubectl get pods,deployments --all-namespaces -o json` lists."""
    pod_list = sim.pods(state)
    return {"apiVersion": "v1", "kind": "List", "items": pod_list + sim.deployments(state, pod_list)}


def test_coredns_deployment_follows_its_pods_and_the_skipped_phases(sim):
    state = lost_node_state(sim, [])
    [deployment] = sim.deployments(state, sim.pods(state))
    assert (deployment["status"]["readyReplicas"], deployment["status"]["availableReplicas"]) == (2, 2)  # on the Ready control plane
    assert "unavailableReplicas" not in deployment["status"]
    assert conditions(deployment) == {"Available": "True", "Progressing": "True"}
    assert deployment["spec"]["template"]["spec"]["containers"] == [{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1"}]
    for skip in (["addon/coredns"], ["addon"]):
        skipped = lost_node_state(sim, skip)
        assert sim.deployments(skipped, sim.pods(skipped)) == []
        assert not [p for p in sim.pods(skipped) if p["metadata"]["name"].startswith("coredns-")]
    other = lost_node_state(sim, ["addon/kube-proxy"])
    assert [d["metadata"]["name"] for d in sim.deployments(other, sim.pods(other))] == ["coredns"]


def test_verify_role_reports_a_lost_node_and_its_kube_proxy(sim, tmp_path):
    state = lost_node_state(sim, [])
    pods = pods_and_deployments(sim, state)
    skipped = lost_node_state(sim, ["addon/kube-proxy"])
    without_dns = lost_node_state(sim, ["addon"])
    results = run_verify(
        tmp_path,
        {
            "lost": {"nodes": node_list(sim, state), "pods": pods, "expected": ["cp", "w1"], "control_planes": ["cp"]},
            "skipped": {
                "nodes": node_list(sim, skipped),
                "pods": pods_and_deployments(sim, skipped),
                "expected": ["cp"],
                "control_planes": ["cp"],
                "vars": {"verify_kube_proxy": False},
            },
            # kubeadm skipped every add-on and the inventory says so: neither kube-proxy nor CoreDNS is waited for.
            "no_addons": {
                "nodes": node_list(sim, without_dns),
                "pods": pods_and_deployments(sim, without_dns),
                "expected": ["cp"],
                "control_planes": ["cp"],
                "vars": {"verify_kube_proxy": False, "control_plane_skip_phases": ["addon"]},
            },
            # The same cluster, verified without the setting kubeadm read: CoreDNS is expected, and missing.
            "dns_missing": {
                "nodes": node_list(sim, without_dns),
                "pods": pods_and_deployments(sim, without_dns),
                "expected": ["cp"],
                "control_planes": ["cp"],
                "vars": {"verify_kube_proxy": False},
            },
        },
    )
    lost_nodes, lost_pods = results["lost"]["__verify_node_report"], results["lost"]["__verify_pod_report"]
    proxy = next(p["metadata"]["name"] for p in pods["items"] if p["metadata"]["name"].startswith("kube-proxy-") and p["spec"]["nodeName"] == "w1")
    assert lost_nodes["not_ready"] == ["w1: Ready=Unknown (Kubelet stopped posting node status.)"]
    assert lost_nodes["problems"] == "Not Ready: w1: Ready=Unknown (Kubelet stopped posting node status.)."
    assert lost_pods["problems"] == f"kube-proxy not Ready on: w1: {proxy} (Running, not Ready)."  # the control plane pods are Ready
    assert lost_pods["addons_not_ready"] == [f"kube-system/{proxy} (Running, not Ready)"]
    assert lost_pods["deployments_state"] == ["kube-system/coredns: 2 of 2 replicas Ready"]  # on the control plane
    assert [results["skipped"][r]["problems"] for r in VERIFY_RESULTS] == ["", ""]
    assert results["skipped"]["__verify_pod_report"]["done"] is True
    no_addons = results["no_addons"]["__verify_pod_report"]
    assert (no_addons["done"], no_addons["problems"], no_addons["deployments_state"]) == (True, "", [])
    missing = results["dns_missing"]["__verify_pod_report"]
    assert (missing["done"], missing["problems"]) == (False, "Deployments not Ready: kube-system/coredns: not found.")
