"""What a user checks on the cluster site.yml built: nodes, kubeconfigs, holds, secrets."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
testinfra_hosts = RUNNER.get_hosts("all")
CONTROL_PLANES = RUNNER.get_hosts("control_plane")
ALL_NODES = sorted(CONTROL_PLANES + RUNNER.get_hosts("workers"))
TOKEN = re.compile(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b")
# Molecule forces colour, and Ansible colours every line of a result on its own.
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def nodes():
    cp = testinfra.get_host(f"ansible://{CONTROL_PLANES[0]}?ansible_inventory={INVENTORY}")
    return json.loads(cp.check_output("kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json"))["items"]


def test_every_inventory_host_is_a_ready_node(nodes):
    ready = {n["metadata"]["name"]: next(c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready") for n in nodes}
    assert sorted(ready) == ALL_NODES
    assert set(ready.values()) == {"True"}, ready


def test_control_plane_is_labelled(nodes):
    labelled = sorted(n["metadata"]["name"] for n in nodes if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"])
    assert labelled == sorted(CONTROL_PLANES)


def test_kubelet_is_enabled_and_running(host):
    kubelet = host.service("kubelet")
    assert kubelet.is_enabled
    assert kubelet.is_running


def test_kubernetes_packages_are_pinned_and_held(host):
    held = set(host.check_output("apt-mark showhold").split())
    expected = {"kubeadm", "kubelet"} | ({"kubectl"} if host.backend.host in CONTROL_PLANES else set())
    assert expected <= held
    for name in expected:
        assert host.package(name).version.startswith("1.30.5-"), name


def test_kubeconfigs_are_private(host):
    if host.backend.host not in CONTROL_PLANES:
        pytest.skip("kubeconfigs live on control planes")
    root = host.file("/root/.kube/config")
    assert (root.user, root.group, root.mode) == ("root", "root", 0o600)
    user = host.file("/home/kube/.kube/config")
    assert (user.user, user.group, user.mode) == ("kube", "kube", 0o600)
    assert user.content_string == host.file("/etc/kubernetes/admin.conf").content_string
    assert host.file("/etc/bash_completion.d/kubectl").contains("__start_kubectl")
    assert host.run("bash -lc 'etcdctl version'").rc == 0


def test_no_token_is_left_in_a_file(host):
    found = host.run(r"grep -rlEI '\b[a-z0-9]{6}\.[a-z0-9]{16}\b' /etc /root /home /tmp /var/tmp")
    assert found.stdout.strip() == "", f"files holding something shaped like a bootstrap token: {found.stdout}"
    assert not host.file("/etc/kubernetes/kubeadm-join.yaml").exists


def test_no_join_token_outlives_the_run():
    cp = testinfra.get_host(f"ansible://{CONTROL_PLANES[0]}?ansible_inventory={INVENTORY}")
    assert "kubeadm.cluster join token" not in cp.check_output("kubeadm token list -o json")


def test_the_verbose_rejoin_log_holds_no_secret():
    log = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rejoin-vvv.log").read_text()
    # The log must come from a run that really joined the wiped worker, or this proves nothing.
    assert re.search(r"TASK \[kubeadm\.cluster\.worker : Run kubeadm join\].*?changed: \[kc-worker2\]", log, re.S)
    assert TOKEN.search("x abcdef.0123456789abcdef y"), "the token pattern itself must match a token"
    assert TOKEN.findall(log) == []
    assert "certificateKey" not in log


def node_state_results(log: str) -> dict[tuple[str, str], dict]:
    """(role, host) -> result of the role's node_state comparison, from a -vvv site.yml log."""
    results = {}
    decoder = json.JSONDecoder()
    log = COLOUR.sub("", log)
    for task in re.finditer(r"^TASK \[kubeadm\.cluster\.(\w+) : Compare the (?:node|control plane) with .*$", log, re.M):
        end = log.find("\nTASK [", task.end())
        body = log[task.end() : end if end != -1 else len(log)]
        for hit in re.finditer(r"^ok: \[([\w-]+)\] => ", body, re.M):
            results[(task.group(1), hit.group(1))] = decoder.raw_decode(body, hit.end())[0]
    return results


def test_the_rerun_repaired_what_drifted_and_skipped_the_rest():
    results = node_state_results(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rejoin-vvv.log").read_text())
    # side_effect.yml changed these behind the roles' backs.
    assert "/etc/sysctl.d/99-kubernetes.conf: missing" in results[("node_prep", "kc-worker1")]["differences"]
    assert "/etc/containerd/config.toml: content differs" in results[("containerd", "kc-worker1")]["differences"]
    assert "package kubelet: not held" in results[("kube_packages", "kc-worker1")]["differences"]
    assert "/root/.kube/config: missing" in results[("control_plane", "kc-cp1")]["differences"]
    # Nothing else differed, so those roles took the fast path there.
    for role in ("node_prep", "containerd", "kube_packages"):
        assert (results[(role, "kc-cp1")]["converged"], results[(role, "kc-cp1")]["differences"]) == (True, []), role
    assert results[("cni", "kc-cp1")]["converged"] is True


def test_drift_was_repaired(host):
    assert host.file("/etc/containerd/config.toml").contains("SystemdCgroup = true")
    assert not host.file("/etc/containerd/config.toml").contains("SystemdCgroup = false")
    assert host.file("/etc/sysctl.d/99-kubernetes.conf").contains("net.ipv4.ip_forward = 1")
    assert host.service("containerd").is_running
    if host.backend.host in CONTROL_PLANES:
        assert host.file("/root/.kube/config").content_string == host.file("/etc/kubernetes/admin.conf").content_string


def test_the_hold_refuses_a_newer_release(host):
    # 1.30.6 is in the mirror too; the held 1.30.5 must stay put.
    assert "1.30.6-1.1" in host.check_output("apt-cache madison kubeadm")
    attempt = host.run("DEBIAN_FRONTEND=noninteractive apt-get install -y kubeadm=1.30.6-1.1")
    assert attempt.rc != 0
    assert "held" in (attempt.stdout + attempt.stderr).lower()
    assert host.package("kubeadm").version.startswith("1.30.5-")
    upgrade = host.run("DEBIAN_FRONTEND=noninteractive apt-get upgrade -s")
    assert "Inst kubeadm" not in upgrade.stdout


def test_image_archives_were_imported(host):
    images = host.check_output("ctr -n k8s.io images ls -q").split()
    assert "registry.k8s.io/pause:3.9" in images
    assert "registry.k8s.io/coredns/coredns:v1.11.1" in images
