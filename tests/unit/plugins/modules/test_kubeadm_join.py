"""Unit tests for the kubeadm.cluster.kubeadm_join module: the config it writes, the file's life, secrets in failures."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import kubeadm_join
from module_runner import run_module

TOKEN = "abcdef.0123456789abcdef"
CERT_KEY = "f" * 64
HASH = "sha256:" + "1" * 64


class FakeKubeadm:
    """Stands in for AnsibleModule.run_command: records the config file as kubeadm would read it."""

    def __init__(self, rc: int = 0, stdout: str = "This node has joined the cluster\n", stderr: str = ""):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr
        self.calls: list[list[str]] = []
        self.config: dict | None = None
        self.mode: int | None = None

    def __call__(self, module, argv, **kwargs):
        self.calls.append(argv)
        path = argv[argv.index("--config") + 1]
        self.mode = stat.S_IMODE(os.stat(path).st_mode)
        self.config = json.loads(Path(path).read_text())
        return self.rc, self.stdout, self.stderr


@pytest.fixture
def fake(monkeypatch):
    kubeadm = FakeKubeadm()

    def run_command(module, argv, **kwargs):  # a function, so that it binds as a method
        return kubeadm(module, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/bin/{name}")
    return kubeadm


def args(tmp_path: Path, **extra) -> dict:
    return {
        "kubernetes_version": "1.30.5",
        "node_name": "worker1",
        "api_server_endpoint": "10.0.0.1:6443",
        "token": TOKEN,
        "ca_cert_hash": HASH,
        "config_path": str(tmp_path / "etc" / "kubeadm-join.yaml"),
        "creates": str(tmp_path / "kubelet.conf"),
        **extra,
    }


def test_a_worker_joins_with_a_v1beta3_config_written_0600_and_removed_after(fake, tmp_path, capsys):
    result = run_module(kubeadm_join.main, capsys, args(tmp_path, kubelet_extra_args={"max-pods": 200, "rotate": True}))
    assert result["changed"] is True
    assert fake.calls == [["/usr/bin/kubeadm", "join", "--config", str(tmp_path / "etc" / "kubeadm-join.yaml")]]
    assert fake.mode == 0o600
    assert not (tmp_path / "etc" / "kubeadm-join.yaml").exists()
    assert fake.config == {
        "apiVersion": "kubeadm.k8s.io/v1beta3",
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {"apiServerEndpoint": "10.0.0.1:6443", "token": TOKEN, "caCertHashes": [HASH]},
            "timeout": "5m0s",
        },
        "nodeRegistration": {
            "name": "worker1",
            "criSocket": "unix:///run/containerd/containerd.sock",
            "ignorePreflightErrors": [],
            "kubeletExtraArgs": {"max-pods": "200", "rotate": "true"},
        },
    }
    assert TOKEN not in json.dumps(result)


def test_from_1_31_the_config_is_v1beta4_with_its_own_shape(fake, tmp_path, capsys):
    run_module(kubeadm_join.main, capsys, args(tmp_path, kubernetes_version="1.31.2", kubelet_extra_args={"max-pods": 200}))
    assert fake.config["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert fake.config["timeouts"] == {"discovery": "5m0s"}
    assert "timeout" not in fake.config["discovery"]
    assert fake.config["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "max-pods", "value": "200"}]


def test_a_control_plane_joins_with_its_certificate_key_and_own_advertise_address(fake, tmp_path, capsys):
    control_plane = {"certificate_key": CERT_KEY, "advertise_address": "10.0.0.2", "bind_port": 6443}
    result = run_module(kubeadm_join.main, capsys, args(tmp_path, node_name="cp2", control_plane=control_plane))
    assert fake.config["controlPlane"] == {
        "certificateKey": CERT_KEY,
        "localAPIEndpoint": {"bindPort": 6443, "advertiseAddress": "10.0.0.2"},
    }
    assert CERT_KEY not in json.dumps(result)


def test_an_empty_advertise_address_is_left_to_kubeadm(fake, tmp_path, capsys):
    run_module(kubeadm_join.main, capsys, args(tmp_path, control_plane={"certificate_key": CERT_KEY}))
    assert fake.config["controlPlane"]["localAPIEndpoint"] == {"bindPort": 6443}


def test_a_joined_node_is_left_alone(fake, tmp_path, capsys):
    (tmp_path / "kubelet.conf").write_text("joined")
    result = run_module(kubeadm_join.main, capsys, args(tmp_path))
    assert result["changed"] is False
    assert fake.calls == []


def test_check_mode_reports_the_join_and_writes_nothing(fake, tmp_path, capsys):
    result = run_module(kubeadm_join.main, capsys, args(tmp_path), check_mode=True)
    assert result["changed"] is True
    assert fake.calls == []
    assert not (tmp_path / "etc").exists()


def test_a_failed_join_says_why_without_secrets_and_removes_the_file(fake, tmp_path, capsys):
    fake.rc = 1
    fake.stdout = f"[preflight] Running pre-flight checks\n[discovery] using token {TOKEN}\n"
    fake.stderr = "error execution phase preflight: couldn't validate the identity of the API Server: connection refused\n"
    result = run_module(kubeadm_join.main, capsys, args(tmp_path))
    assert result["failed"] is True
    assert result["msg"] == "kubeadm join failed (rc 1) on worker1"
    assert "error execution phase preflight: couldn't validate the identity of the API Server: connection refused" in result["output"]
    assert "[preflight] Running pre-flight checks" in result["output"]
    assert TOKEN not in json.dumps(result)
    assert not (tmp_path / "etc" / "kubeadm-join.yaml").exists()


def test_a_version_that_is_not_a_release_is_refused(fake, tmp_path, capsys):
    result = run_module(kubeadm_join.main, capsys, args(tmp_path, kubernetes_version="latest"))
    assert result["failed"] is True
    assert "invalid Kubernetes version 'latest'" in result["msg"]
