"""Unit tests for the upgrade role's decisions: which node needs an upgrade, and what refuses one."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.upgrade import FilterModule

FILTERS = FilterModule().filters()
upgrade_needed = FILTERS["upgrade_needed"]
upgrade_refusal = FILTERS["upgrade_refusal"]

TARGET = "1.28.5"
ALL = ["kubeadm", "kubelet", "kubectl"]
AT_TARGET = {"kubeadm": "1.28.5-1.1", "kubelet": "1.28.5-1.1", "kubectl": "1.28.5-1.1"}


def node(name="cp1", kubelet="v1.28.5", ready="True", annotations=None):
    """A node object as kubectl get nodes -o json returns it, with what the decisions read."""
    metadata = {"name": name} | ({"annotations": annotations} if annotations is not None else {})
    return {"metadata": metadata, "status": {"nodeInfo": {"kubeletVersion": kubelet}, "conditions": [{"type": "Ready", "status": ready}]}}


def test_an_upgraded_node_needs_nothing():
    assert upgrade_needed(node(annotations={"other": "x"}), TARGET, AT_TARGET, ALL) is False


def test_the_first_control_plane_needs_it_while_the_cluster_runs_another_version():
    assert upgrade_needed(node(), TARGET, AT_TARGET, ALL, "v1.28.4") is True
    assert upgrade_needed(node(), TARGET, AT_TARGET, ALL, "1.28.5") is False


@pytest.mark.parametrize(
    "installed",
    [AT_TARGET | {"kubeadm": "1.28.4-1.1"}, AT_TARGET | {"kubectl": "1.28.4-1.1"}, {"kubeadm": "1.28.5-1.1", "kubectl": "1.28.5-1.1"}],
    ids=["old kubeadm", "old kubectl", "no kubelet"],
)
def test_a_wanted_package_not_at_the_target_needs_it(installed):
    assert upgrade_needed(node(), TARGET, installed, ALL) is True


def test_a_package_the_node_should_not_have_does_not_count():
    assert upgrade_needed(node(), TARGET, AT_TARGET | {"kubectl": "1.28.4-1.1"}, ["kubeadm", "kubelet"]) is False


def test_a_kubelet_still_running_the_old_version_needs_it():
    # Packages upgraded, then interrupted before the kubelet restarted.
    assert upgrade_needed(node(kubelet="v1.28.4"), TARGET, AT_TARGET, ALL) is True


def test_the_upgrade_mark_resumes_an_interrupted_upgrade():
    # Everything at the target, but the node is still cordoned by an upgrade that stopped before uncordon.
    assert upgrade_needed(node(annotations={"kubeadm.cluster/upgrade-to": "v1.28.5"}), TARGET, AT_TARGET, ALL) is True


def test_a_host_that_is_no_node_needs_it():
    assert upgrade_needed({}, TARGET, AT_TARGET, ALL) is True


@pytest.mark.parametrize("target", ["1.28", "v1.28.5", "1.28.5-1.1", 1.28, None])
def test_a_target_that_is_not_a_release_is_an_error(target):
    with pytest.raises(AnsibleFilterError, match="cluster_kubernetes_version must be a release such as 1.30.5"):
        upgrade_needed(node(), target, AT_TARGET, ALL)
    with pytest.raises(AnsibleFilterError, match="cluster_kubernetes_version must be a release such as 1.30.5"):
        upgrade_refusal(target, "v1.28.4", "v1.28.4", [], {})


def cluster(version="1.28.4", ready=("True", "True"), packages=None, **extra):
    """upgrade_refusal's inputs for a cluster of cp1 and w1 that runs ``version`` everywhere."""
    installed = {"kubeadm": f"{version}-1.1", "kubelet": f"{version}-1.1"}
    return {
        "cluster": f"v{version}",
        "server": f"v{version}",
        "nodes": [node("cp1", f"v{version}", ready[0]), node("w1", f"v{version}", ready[1])],
        "packages": packages or {"cp1": installed | {"kubectl": f"{version}-1.1"}, "w1": installed},
    } | extra


@pytest.mark.parametrize("target", ["1.28.4", "1.28.5", "1.29.0", "1.29.11"])
def test_a_patch_or_the_next_minor_release_may_go_ahead(target):
    assert upgrade_refusal(target, **cluster()) == ""


def test_an_interrupted_upgrade_may_go_on():
    packages = {"cp1": {"kubeadm": "1.29.0-1.1", "kubelet": "1.29.0-1.1", "kubectl": "1.29.0-1.1"}, "w1": {"kubeadm": "1.29.0-1.1", "kubelet": "1.28.4-1.1"}}
    assert upgrade_refusal("1.29.0", **cluster(packages=packages) | {"cluster": "v1.29.0", "server": "v1.29.0"}) == ""


def test_a_downgrade_is_refused_naming_what_runs_the_newer_versions():
    packages = {"cp1": {"kubeadm": "1.28.10-1.1", "kubelet": "1.28.4-1.1", "kubectl": "1.28.4-1.1"}, "w1": {"kubeadm": "1.28.4-1.1"}}
    assert upgrade_refusal("1.28.3", **cluster(packages=packages, server="v1.28.4+k3s1")) == (
        "cluster_kubernetes_version=1.28.3 is lower than what the cluster runs:"
        " 1.28.4 (kubernetesVersion in the kubeadm-config ConfigMap, API server, cp1 kubelet, cp1 kubectl, w1 kubeadm,"
        " node cp1 kubelet, node w1 kubelet); 1.28.10 (cp1 kubeadm)."
        " kubeadm does not downgrade a cluster; upgrade.yml changed nothing. Give the version the cluster runs (1.28.4) or a later one."
    )


def test_a_skipped_minor_release_is_refused():
    assert upgrade_refusal("1.30.5", **cluster()) == (
        "cluster_kubernetes_version=1.30.5 skips a minor release: the cluster runs"
        " 1.28.4 (kubernetesVersion in the kubeadm-config ConfigMap, API server, cp1 kubeadm, cp1 kubelet, cp1 kubectl, w1 kubeadm, w1 kubelet,"
        " node cp1 kubelet, node w1 kubelet), and kubeadm upgrades one minor release at a time (from 1.29 or 1.30 to 1.30.5)."
        " upgrade.yml changed nothing: upgrade to the next minor release first."
    )


def test_a_node_left_behind_by_an_earlier_upgrade_counts_for_the_minor_skip():
    inputs = cluster("1.29.3")
    inputs["nodes"][1] = node("w1", "v1.28.4")
    assert "skips a minor release: the cluster runs 1.28.4 (node w1 kubelet), and" in upgrade_refusal("1.30.0", **inputs)


def test_a_downgrade_is_named_before_a_skipped_minor_release():
    inputs = cluster("1.28.4")
    inputs["packages"]["w1"]["kubelet"] = "1.30.1-1.1"
    # 1.28.4 would be a skipped minor release on the way to 1.30.0 too.
    assert upgrade_refusal("1.30.0", **inputs).startswith("cluster_kubernetes_version=1.30.0 is lower than what the cluster runs: 1.30.1 (w1 kubelet).")


def test_a_node_that_is_not_ready_is_refused():
    inputs = cluster(ready=("True", "Unknown"))
    inputs["nodes"].append({"metadata": {"name": "w2"}, "status": {"nodeInfo": {"kubeletVersion": "v1.28.4"}}})
    assert upgrade_refusal("1.28.5", **inputs) == (
        "upgrade.yml upgrades only a cluster whose nodes are all Ready and joined; upgrade.yml changed nothing."
        " Not Ready: w1 (Ready=Unknown), w2 (Ready=missing). Repair or remove those nodes first (kubectl get nodes)."
    )


def test_an_inventory_host_that_is_no_node_is_refused():
    assert upgrade_refusal("1.28.5", **cluster(ready=("True", "False"), not_joined=["w9"])) == (
        "upgrade.yml upgrades only a cluster whose nodes are all Ready and joined; upgrade.yml changed nothing."
        " Not Ready: w1 (Ready=False). Inventory hosts that are not nodes of the cluster: w9 (run site.yml to join them)."
        " Repair or remove those nodes first (kubectl get nodes)."
    )
