"""Integration tests for the node identity and reachability checks of the preflight role.

Runs playbooks/preflight.yml (which changes nothing) against the fixture inventories in
tests/integration/inventories/nodes/ and against inventories written here for a local HTTP
server that stands in for the package mirror. Every host is this machine over the local
connection: the fixtures turn the machine identity check off unless it is what they test, and
the single-host inventories need no switch. SAFETY: never point site.yml at these inventories.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_preflight import ANSIBLE_PLAYBOOK, INVENTORIES, describe, recap, run_playbook, says

NODES = INVENTORIES / "nodes"
KUBE_REPO_PATH = "core:/stable:/v1.30/deb"


@dataclass(frozen=True)
class Run:
    """One preflight run: an inventory, extra arguments, and the hosts of its play recap."""

    inventory: Path
    hosts: tuple[str, ...]
    args: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local HTTP server with the files the probes fetch from a Kubernetes apt repository."""
    root = tmp_path_factory.mktemp("mirror")
    repo = root / KUBE_REPO_PATH
    repo.mkdir(parents=True)
    (repo / "Release").write_text("Origin: test\n")
    (repo / "Release.key").write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def single_host_inventory(path: Path, **settings: str) -> Path:
    """cp1 alone (one host cannot be a duplicate machine), with the given settings."""
    lines = [
        "---",
        "all:",
        "  vars:",
        "    ansible_connection: local",
        '    ansible_python_interpreter: "{{ ansible_playbook_python }}"',
        "    cluster_kubernetes_version: 1.30.5",
        *(f"    {key}: {value}" for key, value in settings.items()),
        "  children:",
        "    control_plane:",
        "      hosts:",
        "        cp1:",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(mirror: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    tmp = tmp_path_factory.mktemp("inventories")
    reachable = single_host_inventory(
        tmp / "reachable.yml",
        kube_packages_repo_base_url=mirror,
        cluster_control_plane_endpoint="localhost:6443",
    )
    unresolvable = single_host_inventory(
        tmp / "unresolvable_endpoint.yml",
        kube_packages_repo_base_url=mirror,
        cluster_control_plane_endpoint="k8s-api.invalid:6443",
    )
    missing_key = single_host_inventory(
        tmp / "missing_key.yml",
        kube_packages_repo_base_url=mirror,
        kube_packages_repo_key_url=f"{mirror}/{KUBE_REPO_PATH}/missing.key",
    )
    unreachable = NODES / "unreachable_repository.yml"
    # A kubeconfig whose API server cannot be reached: a cluster that cannot be asked, not no cluster.
    dead_kubeconfig = tmp / "admin.conf"
    dead_kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:9\n  name: kubernetes\n")
    unreachable_messages = (
        "kube_packages_repo_url is http://127.0.0.1:9/core:/stable:/v1.30/deb/, but the Kubernetes package repository "
        "does not answer from cp1 (GET http://127.0.0.1:9/core:/stable:/v1.30/deb/Release:",
        "Connection refused",
        "Point kube_packages_repo_url (or kube_packages_repo_base_url, which it is built from by default) at a repository this host reaches",
    )
    return {
        "reachable": Run(reachable, ("cp1",)),
        "reachable_check_mode": Run(reachable, ("cp1",), ("--check",)),
        "bad_node_name_alias": Run(
            NODES / "bad_node_name_alias.yml",
            ("cp1", "Worker_1"),
            messages=(
                "Worker_1 (worker): the node name 'Worker_1' is the inventory name (cluster_node_name is not set), which is not valid for kubeadm.",
                "Node names must be lowercase RFC 1123 DNS subdomains",
                "Set cluster_node_name for this host (e.g. cluster_node_name: worker-1), or rename the inventory alias",
            ),
        ),
        "bad_node_name_variable": Run(
            NODES / "bad_node_name_variable.yml",
            ("cp1", "worker1"),
            messages=(
                "cp1 (control plane): cluster_node_name is 'CP.example.com', which is not valid for kubeadm.",
                "Set cluster_node_name to a valid name (e.g. cp.example.com).",
                "worker1 (worker): cluster_node_name is 'node_a', which is not valid for kubeadm.",
                "Set cluster_node_name to a valid name (e.g. node-a).",
            ),
        ),
        "duplicate_machine": Run(
            NODES / "duplicate_machine.yml",
            ("cp1", "worker1"),
            messages=(
                "Hosts cp1, worker1 are the same machine: they share the /etc/machine-id ",
                "List each machine once in the inventory",
                "preflight_check_node_identity=false",
            ),
        ),
        "unreachable_repository": Run(unreachable, ("cp1",), messages=unreachable_messages),
        "unreachable_cluster": Run(
            single_host_inventory(tmp / "unreachable_cluster.yml"),
            ("cp1",),
            ("-e", f'{{"__preflight_kubeconfigs": ["{dead_kubeconfig}"]}}'),
            messages=(
                f"cp1 holds {dead_kubeconfig}, but the API server it names, https://127.0.0.1:9, cannot be reached from cp1: "
                "connection refused. The cluster cannot be asked, so nothing has been changed",
            ),
        ),
        "unreachable_repository_check_mode": Run(unreachable, ("cp1",), ("--check",), unreachable_messages),
        "missing_key": Run(
            missing_key,
            ("cp1",),
            messages=(
                f"kube_packages_repo_key_url is {mirror}/{KUBE_REPO_PATH}/missing.key, but its signing key does not answer "
                f"from cp1 (GET {mirror}/{KUBE_REPO_PATH}/missing.key: HTTP 404;",
                "Point kube_packages_repo_key_url (or kube_packages_repo_base_url",
            ),
        ),
        "unresolvable_endpoint": Run(
            unresolvable,
            ("cp1",),
            messages=(
                "cluster_control_plane_endpoint is 'k8s-api.invalid:6443', but its host name k8s-api.invalid does not resolve on cp1",
                "add it to DNS or to /etc/hosts on every node, or use an IP address",
            ),
        ),
    }


@pytest.fixture(scope="module")
def results(runs: dict[str, Run]) -> dict[str, subprocess.CompletedProcess[str]]:
    assert ANSIBLE_PLAYBOOK.exists(), f"{ANSIBLE_PLAYBOOK} is missing; run `make setup`"
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = {name: pool.submit(run_playbook, run.inventory, *run.args) for name, run in runs.items()}
        return {name: future.result() for name, future in futures.items()}


def check_unchanged(result: subprocess.CompletedProcess[str], run: Run) -> dict[str, dict[str, int]]:
    counters = recap(result.stdout)
    assert set(counters) == set(run.hosts), describe(result)
    for host, counts in counters.items():
        assert counts["changed"] == 0, f"{host} changed something\n{describe(result)}"
        assert counts["unreachable"] == 0, f"{host} unreachable\n{describe(result)}"
    return counters


@pytest.mark.parametrize("name", ["reachable", "reachable_check_mode"])
def test_reachable_repository_and_endpoint_pass(name, results, runs):
    result = results[name]
    assert result.returncode == 0, describe(result)
    counters = check_unchanged(result, runs[name])
    assert not any(counts["failed"] for counts in counters.values()), describe(result)


@pytest.mark.parametrize(
    "name",
    [
        "bad_node_name_alias",
        "bad_node_name_variable",
        "duplicate_machine",
        "unreachable_repository",
        "unreachable_repository_check_mode",
        "unreachable_cluster",
        "missing_key",
        "unresolvable_endpoint",
    ],
)
def test_refused_before_any_change(name, results, runs):
    run = runs[name]
    result = results[name]
    assert result.returncode != 0, describe(result)
    for message in run.messages:
        assert says(result, message), f"missing {message!r}\n{describe(result)}"
    counters = check_unchanged(result, run)
    assert any(counts["failed"] for counts in counters.values()), describe(result)
