"""Unit tests for the kubeadm.cluster.cluster_probe module: real local sockets for the API server's answer (or its
silence), run_command mocked with captured kubectl output for the ClusterConfiguration."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import cluster_probe
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLUSTER_CONFIGURATION = (FIXTURES / "kubeadm-cluster-configuration.yaml").read_text()
REFUSED_STDERR = (FIXTURES / "kubectl-configmap-refused.stderr").read_text()

KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi...
    server: {server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTi...
    client-key-data: LS0tLS1CRUdJTi...
"""


class ReadyzHandler(http.server.BaseHTTPRequestHandler):
    """Answers GET /readyz as kube-apiserver does to an anonymous client: ``ok``, or a failed check."""

    status = 200
    body = b"ok"
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server():
    """A plain HTTP server on a free local port that answers /readyz; yields a function that sets the answer."""
    ReadyzHandler.paths = []
    server = http.server.HTTPServer(("127.0.0.1", 0), ReadyzHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()

    def answer(status: int = 200, body: bytes = b"ok") -> str:
        ReadyzHandler.status, ReadyzHandler.body = status, body
        return f"127.0.0.1:{server.server_address[1]}"

    yield answer
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def silent_port():
    """A local port that accepts connections (the kernel's backlog) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


class FakeKubectl:
    def __init__(self, rc: int = 0, stdout: str = CLUSTER_CONFIGURATION, stderr: str = "", installed: bool = True) -> None:
        self.rc, self.stdout, self.stderr, self.installed = rc, stdout, stderr, installed
        self.calls: list[list[str]] = []


@pytest.fixture
def kubectl(monkeypatch):
    fake = FakeKubectl()

    def run_command(module, argv, **kwargs):
        fake.calls.append(argv)
        assert kwargs.get("environ_update", {}).get("LC_ALL") == "C"
        return fake.rc, fake.stdout, fake.stderr

    def get_bin_path(module, name, required=False, opt_dirs=None):
        assert name == "kubectl"
        return "/usr/bin/kubectl" if fake.installed else None

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    return fake


def kubeconfig(tmp_path: Path, server: str, name: str = "admin.conf") -> str:
    path = tmp_path / name
    path.write_text(KUBECONFIG.format(server=server))
    return str(path)


def probe(capsys, tmp_path: Path, *paths: str, **extra) -> dict:
    args = {"kubeconfigs": list(paths) or [str(tmp_path / "admin.conf"), str(tmp_path / "kubelet.conf")], "host": "cp1", "timeout": 2, **extra}
    return run_module(cluster_probe.main, capsys, args)


def test_a_node_without_kubeconfig_holds_no_cluster(capsys, tmp_path, kubectl):
    result = probe(capsys, tmp_path, read_config=True)
    assert result["changed"] is False
    assert (result["host"], result["kubeconfig"], result["server"], result["reachable"], result["error"]) == ("cp1", None, None, False, None)
    assert result["cluster_configuration"] == ""
    assert kubectl.calls == []


def test_an_api_server_that_answers_ok_is_ready(capsys, tmp_path, api_server, kubectl):
    path = kubeconfig(tmp_path, f"http://{api_server()}")
    result = probe(capsys, tmp_path)
    assert (result["kubeconfig"], result["reachable"], result["status"], result["ready"], result["error"]) == (path, True, 200, True, None)
    assert ReadyzHandler.paths == ["/readyz"]
    assert kubectl.calls == [], "the ClusterConfiguration is read only on request"


def test_the_first_kubeconfig_that_exists_is_asked(capsys, tmp_path, api_server, kubectl):
    kubelet_conf = kubeconfig(tmp_path, f"http://{api_server()}", "kubelet.conf")
    result = probe(capsys, tmp_path)
    assert (result["kubeconfig"], result["ready"]) == (kubelet_conf, True)


def test_an_api_server_that_is_not_ready_is_reachable(capsys, tmp_path, api_server, kubectl):
    address = api_server(500, b"[-]etcd failed: reason withheld\nreadyz check failed")
    kubeconfig(tmp_path, f"http://{address}")
    result = probe(capsys, tmp_path)
    assert (result["reachable"], result["status"], result["ready"], result["error"]) == (True, 500, False, None)


def test_an_api_server_that_refuses_anonymous_requests_is_reachable(capsys, tmp_path, api_server, kubectl):
    kubeconfig(tmp_path, f"http://{api_server(401, b'Unauthorized')}")
    result = probe(capsys, tmp_path)
    assert (result["reachable"], result["status"], result["ready"]) == (True, 401, False)


def test_refused_connection(capsys, tmp_path, closed_port, kubectl):
    server = f"https://127.0.0.1:{closed_port}"
    kubeconfig(tmp_path, server)
    result = probe(capsys, tmp_path, read_config=True)
    assert (result["server"], result["reachable"], result["status"], result["ready"]) == (server, False, None, False)
    assert result["error"] == "connection refused"
    assert kubectl.calls == [], "an API server that cannot be reached is not asked for its configuration"


def test_no_answer_within_the_timeout(capsys, tmp_path, silent_port, kubectl):
    kubeconfig(tmp_path, f"https://127.0.0.1:{silent_port}")
    result = probe(capsys, tmp_path, timeout=1)
    assert (result["reachable"], result["error"]) == (False, "no answer within 1 s")


def test_a_host_name_that_does_not_resolve(capsys, tmp_path, kubectl, monkeypatch):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    kubeconfig(tmp_path, "https://k8s-api.example.invalid:6443")
    result = probe(capsys, tmp_path)
    assert (result["reachable"], result["error"]) == (False, "the host name does not resolve (Name or service not known)")


def test_a_server_that_does_not_speak_tls(capsys, tmp_path, api_server, kubectl):
    kubeconfig(tmp_path, f"https://{api_server()}")
    result = probe(capsys, tmp_path)
    assert result["reachable"] is False
    assert result["error"].startswith("TLS handshake failed (")
    assert "\n" not in result["error"]


def test_https_asks_without_checking_the_certificate(capsys, tmp_path, kubectl, monkeypatch):
    seen = {}

    class Connection:
        def __init__(self, host, port, timeout, context):
            seen.update(host=host, port=port, timeout=timeout, verify=context.verify_mode, check_hostname=context.check_hostname)

        def request(self, method, path, headers):
            seen["request"] = (method, path)

        def getresponse(self):
            class Response:
                status = 200

                def read(self, size):
                    return b"ok"

            return Response()

        def close(self):
            seen["closed"] = True

    monkeypatch.setattr(cluster_probe.http.client, "HTTPSConnection", Connection)
    kubeconfig(tmp_path, "https://[fd00::10]:6443")
    result = probe(capsys, tmp_path)
    assert result["ready"] is True
    assert seen == {
        "host": "fd00::10",
        "port": 6443,
        "timeout": 2,
        "verify": cluster_probe.ssl.CERT_NONE,
        "check_hostname": False,
        "request": ("GET", "/readyz"),
        "closed": True,
    }


def test_an_unreadable_kubeconfig_is_an_error(capsys, tmp_path, kubectl, monkeypatch):
    path = kubeconfig(tmp_path, "https://10.0.0.1:6443")
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file) == path:
            raise PermissionError(13, "Permission denied", path)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    result = probe(capsys, tmp_path)
    assert (result["kubeconfig"], result["server"], result["reachable"]) == (path, None, False)
    assert result["error"] == "it cannot be read (Permission denied)"


def test_a_kubeconfig_without_server(capsys, tmp_path, kubectl):
    (tmp_path / "admin.conf").write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    result = probe(capsys, tmp_path)
    assert (result["server"], result["reachable"], result["error"]) == (None, False, "it names no API server (no server: line)")


def test_read_config_returns_the_cluster_configuration(capsys, tmp_path, api_server, kubectl):
    path = kubeconfig(tmp_path, f"http://{api_server()}")
    result = probe(capsys, tmp_path, read_config=True)
    assert (result["cluster_configuration"], result["config_error"]) == (CLUSTER_CONFIGURATION, None)
    assert kubectl.calls == [
        [
            "/usr/bin/kubectl",
            "--kubeconfig",
            path,
            "get",
            "configmap",
            "kubeadm-config",
            "--namespace",
            "kube-system",
            "-o",
            "jsonpath={.data.ClusterConfiguration}",
            "--request-timeout=2s",
        ]
    ]


def test_read_config_reports_kubectls_last_line(capsys, tmp_path, api_server, kubectl):
    kubectl.rc, kubectl.stdout, kubectl.stderr = 1, "", REFUSED_STDERR
    kubeconfig(tmp_path, f"http://{api_server()}")
    result = probe(capsys, tmp_path, read_config=True)
    assert result["cluster_configuration"] == ""
    assert result["config_error"] == "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
    assert result["ready"] is True, "the configuration's failure does not change what /readyz answered"


def test_read_config_without_kubectl(capsys, tmp_path, api_server, kubectl):
    kubectl.installed = False
    kubeconfig(tmp_path, f"http://{api_server()}")
    result = probe(capsys, tmp_path, read_config=True)
    assert (result["cluster_configuration"], result["config_error"]) == ("", "kubectl is not installed")


def test_check_mode_probes_the_same(capsys, tmp_path, api_server, kubectl):
    kubeconfig(tmp_path, f"http://{api_server()}")
    args = {"kubeconfigs": [str(tmp_path / "admin.conf")], "read_config": True}
    result = run_module(cluster_probe.main, capsys, args, check_mode=True)
    assert (result["changed"], result["host"], result["ready"], result["cluster_configuration"]) == (False, "this host", True, CLUSTER_CONFIGURATION)


def test_a_timeout_below_one_is_refused(capsys, tmp_path):
    result = probe(capsys, tmp_path, timeout=0)
    assert result["failed"] is True
    assert result["msg"] == "timeout must be a positive number of seconds, got 0"
