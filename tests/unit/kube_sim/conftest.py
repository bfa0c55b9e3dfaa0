"""Helpers for the kube-sim tests: run the simulated tools on the host under KUBE_SIM_ROOT.

Every root made here is registered, and every kubelet a root's kubeadm started (its pid is in
<root>/run/kubelet.pid) is stopped when the module or the session ends.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

TESTS = Path(__file__).resolve().parents[2]
SIM_DIR = TESTS / "kube-sim"
BIN = SIM_DIR / "bin"
SIM_PY = SIM_DIR / "kube_sim.py"
CA_FIXTURE = TESTS / "unit" / "plugins" / "fixtures" / "kubeadm-ca.crt"
REFERENCE_PIN = "sha256:b3fb800eeda936020ed76ed9886da16bf3458d935339009f2fa02cb284fe0ddb"
CRI = "unix:///run/containerd/containerd.sock"
HEARTBEAT = "0.3"
GRACE = 4.0
# Host facts the tests cannot control; the checks under test (files, dirs, the API port) stay fatal.
IGNORED = ["SystemVerification", "Swap", "NumCPU", "Mem", "Port-10259", "Port-10257", "Port-10250", "Port-2379", "Port-2380"]

_ROOTS: list[Path] = []


@pytest.fixture(scope="module")
def kube_sim(request):
    """kube_sim.py imported as a module of its own for each test module."""
    spec = importlib.util.spec_from_file_location(f"kube_sim_for_{request.module.__name__.rpartition('.')[2]}", SIM_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != 6443
    return port


def sim_env(root: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBE_SIM_VERSION", "KUBECONFIG", "KUBE_SIM_ROOT")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["KUBE_SIM_HEARTBEAT"] = HEARTBEAT
    env["KUBE_SIM_GRACE"] = str(GRACE)
    if root is not None:
        env["KUBE_SIM_ROOT"] = str(root)
    env.update(extra)
    return env


def run(tool: str, *args: str, root: Path | None = None, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / tool), *args], capture_output=True, text=True, env=sim_env(root, **extra), timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


def make_root(factory: pytest.TempPathFactory, name: str) -> Path:
    """A node root with a fake CRI socket, registered for cleanup."""
    root = factory.mktemp(name)
    sock = root / "run" / "containerd" / "containerd.sock"
    sock.parent.mkdir(parents=True)
    sock.touch()
    _ROOTS.append(root)
    return root


def kubelet_pid(root: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int((root / "run" / "kubelet.pid").read_text())
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop_kubelet(root: Path) -> None:
    pid = kubelet_pid(root)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 5
    while alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        (root / "run" / "kubelet.pid").unlink()


@pytest.fixture(scope="session", autouse=True)
def _stop_all_kubelets():
    yield
    for root in _ROOTS:
        stop_kubelet(root)


def write_yaml(path: Path, *docs: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def init_config(root: Path, name: str, port: int) -> None:
    write_yaml(
        root / "init.yaml",
        {
            "apiVersion": "kubeadm.k8s.io/v1beta3",
            "kind": "InitConfiguration",
            "localAPIEndpoint": {"advertiseAddress": "127.0.0.1", "bindPort": port},
            "nodeRegistration": {"name": name, "criSocket": CRI, "ignorePreflightErrors": IGNORED},
        },
        {"apiVersion": "kubeadm.k8s.io/v1beta3", "kind": "ClusterConfiguration", "networking": {"podSubnet": "10.244.0.0/16"}},
    )


def join_config(root: Path, name: str, port: int, token: str, pins: list[str], timeout: str = "20s", certificate_key: str | None = None) -> None:
    doc = {
        "apiVersion": "kubeadm.k8s.io/v1beta3",
        "kind": "JoinConfiguration",
        "discovery": {"bootstrapToken": {"apiServerEndpoint": f"127.0.0.1:{port}", "token": token, "caCertHashes": pins}, "timeout": timeout},
        "nodeRegistration": {"name": name, "criSocket": CRI, "ignorePreflightErrors": IGNORED},
    }
    if certificate_key is not None:
        doc["controlPlane"] = {"certificateKey": certificate_key, "localAPIEndpoint": {"advertiseAddress": "127.0.0.1", "bindPort": free_port()}}
    write_yaml(root / "join.yaml", doc)


def openssl_pin(cert: Path) -> str:
    """The discovery pin as kubeadm's documentation computes it, with the openssl CLI only."""
    out = subprocess.run(
        ["bash", "-o", "pipefail", "-c", 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex', "_", str(cert)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "sha256:" + out.split()[-1]


def wait_for(predicate, timeout: float = 15, interval: float = 0.2):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


class Cluster(SimpleNamespace):
    def kubectl(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return run("kubectl", "--kubeconfig", str(self.admin), *args, timeout=timeout)

    def kubeadm(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return run("kubeadm", *args, root=self.cp, timeout=timeout)

    def nodes(self) -> dict[str, dict]:
        result = self.kubectl("get", "nodes", "-o", "json")
        assert result.returncode == 0, result.stderr
        return {item["metadata"]["name"]: item for item in json.loads(result.stdout)["items"]}

    def ready(self, name: str) -> dict | None:
        node = self.nodes().get(name)
        return None if node is None else next(c for c in node["status"]["conditions"] if c["type"] == "Ready")

    def join(self, root: Path, name: str, **kwargs) -> subprocess.CompletedProcess:
        join_config(root, name, self.port, kwargs.pop("token", self.token), kwargs.pop("pins", [self.pin]), **kwargs)
        return run("kubeadm", "join", "--config", "/join.yaml", root=root, timeout=60)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One control plane (sim-cp) and one joined worker (sim-w1), shared by a test module."""
    cp, worker = make_root(tmp_path_factory, "cp"), make_root(tmp_path_factory, "w1")
    port = free_port()
    init_config(cp, "sim-cp", port)
    try:
        init = run("kubeadm", "init", "--config", "/init.yaml", root=cp)
        assert init.returncode == 0, init.stdout + init.stderr
        match = re.search(r"--token (\S+) \\\s+--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})", init.stdout)
        assert match, init.stdout
        c = Cluster(cp=cp, worker=worker, port=port, token=match.group(1), pin=match.group(2), init=init, admin=cp / "etc/kubernetes/admin.conf")
        joined = c.join(worker, "sim-w1")
        assert joined.returncode == 0, joined.stdout + joined.stderr
        c.joined = joined
        yield c
    finally:
        for root in (worker, cp):
            stop_kubelet(root)
