"""What a user checks on a cluster with three control planes that site.yml built."""

from __future__ import annotations

import json
import os

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
testinfra_hosts = RUNNER.get_hosts("all")
CONTROL_PLANES = RUNNER.get_hosts("control_plane")
ALL_NODES = sorted(CONTROL_PLANES + RUNNER.get_hosts("workers"))


def first_control_plane():
    return testinfra.get_host(f"ansible://{CONTROL_PLANES[0]}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def nodes():
    return json.loads(first_control_plane().check_output("kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json"))["items"]


def test_every_inventory_host_is_a_ready_node(nodes):
    ready = {n["metadata"]["name"]: next(c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready") for n in nodes}
    assert sorted(ready) == ALL_NODES
    assert set(ready.values()) == {"True"}, ready


def test_all_three_control_planes_are_labelled(nodes):
    labelled = sorted(n["metadata"]["name"] for n in nodes if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"])
    assert labelled == sorted(CONTROL_PLANES)
    assert len(labelled) == 3


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
    assert "https://kc-ha-cp1:6443" in root.content_string


def test_no_join_file_or_join_token_is_left(host):
    assert not host.file("/etc/kubernetes/kubeadm-join.yaml").exists
    assert "kubeadm.cluster join token" not in first_control_plane().check_output("kubeadm token list -o json")
