"""Integration tests for the kubeadm.cluster.preflight role (playbooks/preflight.yml).

Every fixture inventory lists hosts with `ansible_connection: local`, so all of them are this
machine. SAFETY: these tests only ever run playbooks/preflight.yml, which changes nothing; never
point site.yml at these inventories.

All cases run concurrently once per module (a preflight run takes a few seconds, mostly fact
gathering), and each test then checks one result: the exit code, the message, and `changed=0`
for every host in the play recap.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = Path(__file__).resolve().parent / "inventories"
PLAYBOOK = "playbooks/preflight.yml"
# The ansible-playbook of the environment pytest runs in: the pinned venv, or one of the
# ansible-core matrix (tests/matrix.sh).
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"

RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Case:
    """One preflight run: an inventory, its hosts, and what the output must say."""

    inventory: str
    hosts: tuple[str, ...]
    messages: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


BAD_CASES: dict[str, Case] = {
    "no_control_plane": Case(
        "no_control_plane.yml",
        ("worker1", "worker2"),
        ("The inventory group 'control_plane' (preflight_control_plane_group) is empty or missing",),
    ),
    "host_in_both_groups": Case(
        "host_in_both_groups.yml",
        ("node1", "worker1"),
        ("Hosts node1 are in both the 'control_plane' and the 'workers' groups",),
    ),
    "ha_without_endpoint": Case(
        "ha_without_endpoint.yml",
        ("cp1", "cp2", "worker1"),
        (("The inventory has 2 control planes (cp1, cp2) but cluster_control_plane_endpoint (cluster_control_plane_endpoint) is empty"),),
    ),
    "pod_service_overlap": Case(
        "pod_service_overlap.yml",
        ("cp1", "worker1"),
        (("cluster_pod_cidr (cluster_pod_cidr) 10.100.0.0/16 overlaps cluster_service_cidr (cluster_service_cidr) 10.96.0.0/12"),),
    ),
    "invalid_pod_cidr": Case(
        "invalid_pod_cidr.yml",
        ("cp1", "worker1"),
        (
            "cluster_pod_cidr (cluster_pod_cidr) must be one IPv4 or IPv6 network in CIDR notation",
            "got '10.244.0.0/33'",
        ),
    ),
    "invalid_service_cidr": Case(
        "invalid_service_cidr.yml",
        ("cp1", "worker1"),
        (
            "cluster_service_cidr (cluster_service_cidr) must be one IPv4 or IPv6 network",
            "got '10.96.0.1/12' (did you mean 10.96.0.0/12?)",
        ),
    ),
    "invalid_version": Case(
        "invalid_version.yml",
        ("cp1", "worker1"),
        (
            "cluster_kubernetes_version (cluster_kubernetes_version) must be a release written X.Y.Z",
            "from the minor versions 1.28, 1.29, 1.30, 1.31",
            "got 'v1.30'",
        ),
    ),
    "unsupported_version": Case(
        "unsupported_version.yml",
        ("cp1", "worker1"),
        (
            "cluster_kubernetes_version (cluster_kubernetes_version) must be a release",
            "got '1.27.16'",
        ),
    ),
    "unsupported_os": Case(
        "unsupported_os.yml",
        ("cp1", "worker1"),
        ("which is not in preflight_supported_os: Ubuntu 24.04, RedHat-family 9",),
        (r"cp1 runs \S+ \S+ \(os_family \S+\)",),
    ),
    "insufficient_memory": Case(
        "insufficient_memory.yml",
        ("cp1", "worker1"),
        ("at least 1048576 MiB are required (preflight_min_memory_mb, as kubeadm Mem)",),
        (r"cp1 \(control plane\) has \d+ MiB of memory",),
    ),
    "insufficient_cpus": Case(
        "insufficient_cpus.yml",
        ("cp1", "worker1"),
        ("at least 4096 are required (preflight_min_cpus, as kubeadm NumCPU)",),
        (r"cp1 \(control plane\) has \d+ CPU\(s\)",),
    ),
}

GOOD = Case("good.yml", ("cp1", "worker1", "worker2"))


def local_ipv4_address() -> ipaddress.IPv4Interface:
    """The first global-scope IPv4 address of this machine, with its prefix."""
    out = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "scope", "global"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        match = re.search(r"\binet (\S+)", line)
        if match:
            return ipaddress.IPv4Interface(match.group(1))
    pytest.skip("this machine has no global IPv4 address to overlap")


def node_overlap_case(tmp_dir: Path) -> Case:
    """An inventory whose pod network is the /24 around an address of this machine."""
    address = local_ipv4_address()
    pod_cidr = ipaddress.ip_network(f"{address.ip}/24", strict=False)
    service_cidr = ipaddress.ip_network("10.96.0.0/12")
    if pod_cidr.overlaps(service_cidr):
        service_cidr = ipaddress.ip_network("172.30.0.0/16")
    inventory = tmp_dir / "node_address_overlap.yml"
    inventory.write_text(
        "---\n"
        "all:\n"
        "  vars:\n"
        "    ansible_connection: local\n"
        '    ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
        f"    cluster_pod_cidr: {pod_cidr}\n"
        f"    cluster_service_cidr: {service_cidr}\n"
        "  children:\n"
        "    control_plane:\n"
        "      hosts:\n"
        "        cp1:\n"
        "    workers:\n"
        "      hosts:\n"
        "        worker1:\n"
    )
    return Case(
        str(inventory),
        ("cp1", "worker1"),
        (
            f"inside cluster_pod_cidr (cluster_pod_cidr) {pod_cidr}: pod addresses would clash",
            "Choose a pod network that no node address falls in",
        ),
        (rf"(cp1|worker1) has the address\(es\) [0-9a-f.:, ]*\b{re.escape(str(address.ip))}\b",),
    )


def run_playbook(inventory: str | Path, *args: str, playbook: str = PLAYBOOK) -> subprocess.CompletedProcess[str]:
    """Run a playbook (playbooks/preflight.yml unless told) against a fixture inventory, plain-text output."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    path = Path(inventory)
    if not path.is_absolute():
        path = INVENTORIES / inventory
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), playbook, "-i", str(path), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """Host -> counters from the PLAY RECAP section."""
    section = stdout.split("PLAY RECAP", 1)[-1]
    return {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")} for m in RECAP_LINE.finditer(section)}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    all_cases = dict(BAD_CASES)
    all_cases["node_address_overlap"] = node_overlap_case(tmp_path_factory.mktemp("inventories"))
    all_cases["good"] = GOOD
    return all_cases


@pytest.fixture(scope="module")
def results(cases: dict[str, Case]) -> dict[str, subprocess.CompletedProcess[str]]:
    assert ANSIBLE_PLAYBOOK.exists(), f"{ANSIBLE_PLAYBOOK} is missing; run `make setup`"
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(run_playbook, case.inventory) for name, case in cases.items()}
        return {name: future.result() for name, future in futures.items()}


def says(result: subprocess.CompletedProcess[str], message: str) -> bool:
    """Whether the run's output shows ``message``, however the ansible-core version lays it out.

    Before 2.19 a failed loop item's message is printed inside JSON (quotes escaped) and warnings
    are wrapped at 80 columns; so quotes are unescaped and runs of whitespace compared as one space.
    """
    output = " ".join((result.stdout + result.stderr).replace('\\"', '"').split())
    return " ".join(message.split()) in output


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"rc={result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-3000:]}"


def test_good_inventory_passes(results, cases):
    result = results["good"]
    assert result.returncode == 0, describe(result)
    counters = recap(result.stdout)
    assert set(counters) == set(cases["good"].hosts), describe(result)
    for host, counts in counters.items():
        assert counts["changed"] == 0, f"{host} changed something\n{describe(result)}"
        assert counts["failed"] == 0, f"{host} failed\n{describe(result)}"


@pytest.mark.parametrize("name", [*BAD_CASES, "node_address_overlap"])
def test_bad_inventory_fails_before_any_change(name, results, cases):
    case = cases[name]
    result = results[name]
    assert result.returncode != 0, describe(result)
    for message in case.messages:
        assert says(result, message), f"missing {message!r}\n{describe(result)}"
    for pattern in case.patterns:
        assert re.search(pattern, result.stdout), f"no match for {pattern!r}\n{describe(result)}"
    counters = recap(result.stdout)
    assert set(counters) == set(case.hosts), describe(result)
    for host, counts in counters.items():
        assert counts["changed"] == 0, f"{host} changed something\n{describe(result)}"
        assert counts["unreachable"] == 0, f"{host} unreachable\n{describe(result)}"
    assert any(counts["failed"] for counts in counters.values()), describe(result)
