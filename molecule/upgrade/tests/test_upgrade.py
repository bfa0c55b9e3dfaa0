"""After playbooks/upgrade.yml to the v1.28.5 label: every node runs and holds 1.28.5, the cluster
configuration and the static pods name v1.28.5, every node is Ready and schedulable, the smoke
workload still serves, and kubeadm's CoreDNS, which the upgrade carried over, still answers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
from testbed import (  # noqa: E402
    ADMIN,
    ALL_NODES,
    BUSYBOX,
    CONTROL_PLANES,
    NEWER,
    REAL,
    assert_coredns_ready,
    coredns,
    first_control_plane,
    in_pod,
    kubectl_json,
    nslookup_addresses,
    ready_nodes,
)

testinfra_hosts = ALL_NODES
pytestmark = pytest.mark.skipif(not REAL, reason="the upgrade scenario runs on real Kubernetes only")


def test_kubelet_runs_the_new_version(host):
    assert host.check_output("kubelet --version").split()[-1] == f"v{NEWER}"
    node = kubectl_json("get", "node", host.backend.host)
    assert node["status"]["nodeInfo"]["kubeletVersion"] == f"v{NEWER}"


def test_packages_are_at_the_new_version_and_held(host):
    names = ["kubeadm", "kubelet"] + (["kubectl"] if host.backend.host in CONTROL_PLANES else [])
    for name in names:
        package = host.package(name)
        assert package.is_installed, name
        assert package.version.startswith(f"{NEWER}-"), (name, package.version)
    held = host.check_output("apt-mark showhold").split()
    assert sorted(set(names) & set(held)) == sorted(names), held


def test_cluster_configuration_names_the_new_version():
    config = first_control_plane().check_output(f"{ADMIN} get configmap kubeadm-config -n kube-system -o jsonpath='{{.data.ClusterConfiguration}}'")
    assert f"kubernetesVersion: v{NEWER}" in config.splitlines()


def test_static_pod_manifests_use_the_new_images(host):
    if host.backend.host not in CONTROL_PLANES:
        pytest.skip("static control plane pods run on control planes")
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        manifest = host.file(f"/etc/kubernetes/manifests/{component}.yaml")
        assert manifest.contains(f"image: registry.k8s.io/{component}:v{NEWER}$"), component


def test_kubeadm_config_file_and_kubeconfigs_are_current(host):
    if host.backend.host not in CONTROL_PLANES:
        pytest.skip("control planes only")
    assert host.file("/etc/kubernetes/kubeadm-config.yaml").contains(f"^kubernetesVersion: v{NEWER}$")
    admin = host.file("/etc/kubernetes/admin.conf").content
    assert host.file("/root/.kube/config").content == admin
    assert host.file("/home/kube/.kube/config").content == admin


def test_every_node_is_ready_and_schedulable():
    assert ready_nodes() == dict.fromkeys(ALL_NODES, "True")
    for node in kubectl_json("get", "nodes")["items"]:
        assert not node["spec"].get("unschedulable", False), node["metadata"]["name"]
        assert "kubeadm.cluster/upgrade-to" not in node["metadata"].get("annotations", {}), node["metadata"]["name"]


def test_the_smoke_workload_still_runs():
    deployment = kubectl_json("get", "deployment", "kubeadm-smoke", "-n", "default")
    assert deployment["status"].get("readyReplicas") == 3


def test_coredns_came_through_the_upgrade_ready_and_answers():
    # kubeadm upgrade apply kept kubeadm 1.28's CoreDNS (its preflight checks of the Corefile passed, no skipped add-on).
    assert_coredns_ready()
    deployment, _pods = coredns()
    assert [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]] == ["registry.k8s.io/coredns/coredns:v1.10.1"]
    pod = kubectl_json("get", "pods", "-n", "default", "-l", "app.kubernetes.io/name=kubeadm-smoke")["items"][0]["metadata"]["name"]
    name = "kubeadm-smoke.default.svc.cluster.local"
    service = kubectl_json("get", "service", "kubeadm-smoke", "-n", "default")
    assert nslookup_addresses(in_pod(pod, f"{BUSYBOX} nslookup {name}")) == [service["spec"]["clusterIP"]]


def test_every_node_reaches_the_api_through_the_users_endpoint_without_a_load_balancer_of_ours(host):
    # cluster_control_plane_endpoint names the user's own load balancer: the collection sets up none.
    assert "server: https://kc-up-cp1:6443" in host.file("/etc/kubernetes/kubelet.conf").content_string
    assert not host.package("haproxy").is_installed
