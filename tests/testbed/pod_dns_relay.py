"""Relay the DNS queries of a test-bed node's pods to Docker's embedded DNS server.

Docker answers a container's DNS at 127.0.0.11, and only inside the container's own network
namespace: that is the nameserver of the node's /etc/resolv.conf. A pod has a network namespace
of its own, where 127.0.0.11 is the pod itself. CoreDNS forwards the names outside the cluster to
the nameservers of the resolv.conf the kubelet gives it, so with the node's file it would forward
to itself and stop ("Loop ... detected"), as with systemd-resolved's 127.0.0.53 on a real host.

This relay listens on the node's own address, port 53 (UDP), passes each query on to the node's
nameserver (Docker's server; on Docker's default bridge network, the host's) and its answer back,
and writes a resolv.conf naming that address, which the kubelet gives the pods instead (resolvConf
in tests/testbed/offline/group_vars/all/container.yml). Pods reach it through the pod network;
host-network pods (kube-proxy resolving the control-plane endpoint kc-ha-cp1) from the node itself. The node images run it as kubeadm-testbed-dns-relay.service
(tests/testbed/build-images.sh). Test-bed only: nothing of the collection uses it.
"""

from __future__ import annotations

import argparse
import os
import socket
import socketserver

DOCKER_DNS = "127.0.0.11"
NODE_RESOLV_CONF = "/etc/resolv.conf"
RESOLV_CONF = "/run/kubeadm-testbed/resolv.conf"


def relay_handler(upstream: tuple[str, int], timeout_seconds: float) -> type[socketserver.BaseRequestHandler]:
    """The handler of one query: ask the upstream server, send its answer back from the address the query came to."""

    class Relay(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            query, sock = self.request
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
                server.settimeout(timeout_seconds)
                try:
                    server.connect(upstream)
                    server.send(query)
                    answer = server.recv(65535)
                except OSError:
                    return  # no answer: the client times out and asks again, as with a lost datagram
            sock.sendto(answer, self.client_address)

    return Relay


class RelayServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], timeout_seconds: float = 4.0) -> None:
        super().__init__(listen, relay_handler(upstream, timeout_seconds))


def node_nameserver(path: str = NODE_RESOLV_CONF) -> str:
    """The node's first nameserver, Docker's own server when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            servers = [line.split()[1] for line in handle if line.startswith("nameserver") and len(line.split()) > 1]
    except OSError:
        servers = []
    return servers[0] if servers else DOCKER_DNS


def node_address() -> str:
    """This node's address: its host name's in Docker's /etc/hosts, else the source address of its default route."""
    address = socket.gethostbyname(socket.gethostname())
    if address.startswith("127."):  # a Debian-style 127.0.1.1 line: pods cannot reach that
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 53))  # no packet is sent: the kernel only picks the route
            address = probe.getsockname()[0]
    return address


def write_resolv_conf(path: str, address: str) -> None:
    """The pods' resolv.conf, replaced in one step."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"# Written by the test bed's pod DNS relay: the node's nameserver, through the node's address.\nnameserver {address}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", help="address to listen on (default: this node's, see node_address)")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--upstream", help=f"server to pass queries on to (default: the first nameserver of {NODE_RESOLV_CONF})")
    parser.add_argument("--upstream-port", type=int, default=53)
    parser.add_argument("--resolv-conf", default=RESOLV_CONF)
    args = parser.parse_args(argv)
    address = args.listen or node_address()
    with RelayServer((address, args.port), (args.upstream or node_nameserver(), args.upstream_port)) as server:
        write_resolv_conf(args.resolv_conf, address)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
