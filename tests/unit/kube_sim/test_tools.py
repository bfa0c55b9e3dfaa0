"""kube-sim tools that need no cluster: the discovery pin, kubelet and kubectl failures, versions."""

from __future__ import annotations

import json

import pytest
from conftest import CA_FIXTURE, REFERENCE_PIN, SIM_PY, openssl_pin, run


def test_spki_pin_of_the_reference_ca(kube_sim):
    assert kube_sim.spki_pin(CA_FIXTURE.read_bytes()) == REFERENCE_PIN


def test_openssl_pipeline_agrees_on_the_reference_ca():
    assert openssl_pin(CA_FIXTURE) == REFERENCE_PIN


def test_kubelet_without_config_crash_loops(tmp_path):
    result = run("kubelet", root=tmp_path, timeout=20)
    assert result.returncode == 1
    assert "failed to load kubelet config file" in result.stderr
    assert "/var/lib/kubelet/config.yaml" in result.stderr
    assert not (tmp_path / "run" / "kubelet.pid").exists()


def test_kubectl_without_kubeconfig_is_refused(tmp_path):
    result = run("kubectl", "--kubeconfig", str(tmp_path / "missing.conf"), "get", "nodes", HOME=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
    default = run("kubectl", "get", "nodes", HOME=str(tmp_path))  # neither flag, KUBECONFIG nor ~/.kube/config
    assert default.returncode == 1
    assert "localhost:8080 was refused" in default.stderr


def test_the_version_placeholder_is_unreplaced_in_the_checkout():
    assert 'VERSION = "@KUBE_VERSION@"' in SIM_PY.read_text()


@pytest.mark.parametrize(("version", "extra"), [("1.30.5", {}), ("1.29.9", {"KUBE_SIM_VERSION": "1.29.9"})])
def test_versions(version, extra):
    minor = version.split(".")[1]
    assert run("kubeadm", "version", "-o", "short", **extra).stdout == f"v{version}\n"
    assert f"gitVersion:v{version}" in run("kubeadm", "version", **extra).stdout.replace("'", "").replace(" ", "")
    assert run("kubelet", "--version", **extra).stdout == f"Kubernetes v{version}\n"
    assert run("kubectl", "version", **extra).stdout.splitlines()[0] == f"Client Version: v{version}"

    info = json.loads(run("kubectl", "version", "-o", "json", **extra).stdout)["clientVersion"]
    assert (info["gitVersion"], info["minor"]) == (f"v{version}", minor)
    images = run("kubeadm", "config", "images", "list", **extra).stdout
    assert f"registry.k8s.io/kube-apiserver:v{version}\n" in images
