"""The test bed's pod DNS relay (tests/testbed/pod_dns_relay.py): queries reach the upstream server and its answers come
back from the address the pods asked, and the pods' resolv.conf names that address."""

from __future__ import annotations

import importlib.util
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

RELAY_PY = Path(__file__).resolve().parents[2] / "testbed" / "pod_dns_relay.py"


def load_relay():
    spec = importlib.util.spec_from_file_location("pod_dns_relay", RELAY_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def query(name: str, ident: int = 0x1234) -> bytes:
    """A DNS query for the A record of name."""
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack(">HH", 1, 1)


class Upstream:
    """A DNS server on 127.0.0.1 that answers every A query with 10.101.23.4, or stays silent."""

    def __init__(self, silent: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.silent = silent
        self.queries: list[bytes] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                return
            self.queries.append(data)
            if not self.silent:
                header = struct.pack(">HHHHHH", struct.unpack(">H", data[:2])[0], 0x8580, 1, 1, 0, 0)
                record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton("10.101.23.4")
                self.sock.sendto(header + data[12:] + record, peer)

    def close(self) -> None:
        self.sock.close()


def ask(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(timeout)
        client.connect(("127.0.0.1", port))  # connected: only an answer from that address and port is read
        client.send(data)
        return client.recv(512)


@pytest.fixture
def relay():
    module = load_relay()
    servers = []

    def start(upstream: Upstream, timeout_seconds: float = 4.0):
        server = module.RelayServer(("127.0.0.1", 0), ("127.0.0.1", upstream.port), timeout_seconds)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_query_is_answered_by_the_upstream_server_from_the_relay_address(relay):
    upstream = Upstream()
    try:
        port = relay(upstream)
        answer = ask(port, query("kubeadm-smoke.default.svc.cluster.local"))
        assert answer[:2] == b"\x12\x34"
        assert answer.endswith(socket.inet_aton("10.101.23.4"))
        assert upstream.queries == [query("kubeadm-smoke.default.svc.cluster.local")]
        # Queries at once, each its own answer.
        answers = [ask(port, query("kc-ha-cp1", ident)) for ident in (1, 2, 3)]
        assert [a[:2] for a in answers] == [b"\0\1", b"\0\2", b"\0\3"]
    finally:
        upstream.close()


def test_no_answer_from_upstream_is_no_answer(relay):
    upstream = Upstream(silent=True)
    try:
        port = relay(upstream, timeout_seconds=0.2)
        with pytest.raises(socket.timeout):
            ask(port, query("example.org"), timeout=1.0)
        assert len(upstream.queries) == 1
    finally:
        upstream.close()


def test_the_upstream_is_the_nodes_first_nameserver(tmp_path):
    relay = load_relay()
    docker = tmp_path / "docker"
    docker.write_text("# Docker's embedded DNS on a user-defined network\nnameserver 127.0.0.11\noptions ndots:0\n")
    assert relay.node_nameserver(str(docker)) == "127.0.0.11"
    bridge = tmp_path / "bridge"
    bridge.write_text("search example.org\nnameserver 10.255.255.53\nnameserver 10.255.255.54\n")
    assert relay.node_nameserver(str(bridge)) == "10.255.255.53"
    assert relay.node_nameserver(str(tmp_path / "missing")) == "127.0.0.11"


def test_the_node_address_is_never_a_loopback_one(monkeypatch):
    relay = load_relay()
    monkeypatch.setattr(relay.socket, "gethostbyname", lambda name: "172.18.0.3")
    assert relay.node_address() == "172.18.0.3"  # Docker's /etc/hosts line for the container
    monkeypatch.setattr(relay.socket, "gethostbyname", lambda name: "127.0.1.1")
    try:
        address = relay.node_address()
    except OSError:
        pytest.skip("this machine has no default route")
    assert not address.startswith("127."), address


def test_the_script_writes_the_pods_resolv_conf_naming_its_address_once_it_listens(tmp_path):
    upstream = Upstream()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    resolv_conf = tmp_path / "run" / "resolv.conf"
    args = ["--listen", "127.0.0.1", "--port", str(port), "--upstream", "127.0.0.1", "--upstream-port", str(upstream.port)]
    process = subprocess.Popen([sys.executable, str(RELAY_PY), *args, "--resolv-conf", str(resolv_conf)])
    try:
        deadline = time.monotonic() + 10
        while not resolv_conf.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert resolv_conf.read_text().splitlines()[1:] == ["nameserver 127.0.0.1"]
        assert resolv_conf.stat().st_mode & 0o777 == 0o644
        assert ask(port, query("kubernetes.default.svc.cluster.local")).endswith(socket.inet_aton("10.101.23.4"))
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.close()
