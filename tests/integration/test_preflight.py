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
    # A directory put first on PATH, for commands that stand in for real ones.
    bin_dir: str = ""


BAD_CASES: dict[str, Case] = {
    "no_control_plane": Case(
        "no_control_plane.yml",
        ("worker1", "worker2"),
        ("The inventory group 'control_plane' is empty or missing",),
    ),
    "host_in_both_groups": Case(
        "host_in_both_groups.yml",
        ("node1", "worker1"),
        ("Hosts node1 are in both the 'control_plane' and the 'workers' groups",),
    ),
    "unreachable_host": Case(
        "unreachable_host.yml",
        ("cp1", "worker1", "worker2"),
        ("worker2 cannot be reached: Failed to connect to the host via ssh: ", "Nothing has been changed on any host."),
    ),
    "ha_without_endpoint": Case(
        "ha_without_endpoint.yml",
        ("cp1", "cp2", "worker1"),
        ("The inventory has 2 control planes (cp1, cp2) but cluster_api_load_balancer is none and cluster_control_plane_endpoint is empty",),
    ),
    "pod_service_overlap": Case(
        "pod_service_overlap.yml",
        ("cp1", "worker1"),
        ("cluster_pod_cidr 10.100.0.0/16 overlaps cluster_service_cidr 10.96.0.0/12",),
    ),
    "invalid_pod_cidr": Case(
        "invalid_pod_cidr.yml",
        ("cp1", "worker1"),
        (
            "cluster_pod_cidr must be one IPv4 or IPv6 network in CIDR notation",
            "got '10.244.0.0/33'",
        ),
    ),
    "invalid_service_cidr": Case(
        "invalid_service_cidr.yml",
        ("cp1", "worker1"),
        (
            "cluster_service_cidr must be one IPv4 or IPv6 network",
            "got '10.96.0.1/12' (did you mean 10.96.0.0/12?)",
        ),
    ),
    "invalid_version": Case(
        "invalid_version.yml",
        ("cp1", "worker1"),
        ("cluster_kubernetes_version must be a release written X.Y.Z (no 'v', no package revision), such as \"1.30.x\"; got 'v1.30'.",),
    ),
    "unsupported_version": Case(
        "unsupported_version.yml",
        ("cp1", "worker1"),
        ("cluster_kubernetes_version is 1.27.16, but the collection supports the minor releases 1.28, 1.29, 1.30, 1.31 only.",),
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


def write_inventory(path: Path, **settings: object) -> str:
    """cp1 and worker1, this machine over the local connection, with the given settings."""
    lines = ["---", "all:", "  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
    lines += [f"    {key}: {value}" for key, value in settings.items()]
    lines += ["  children:", "    control_plane:", "      hosts:", "        cp1:", "    workers:", "      hosts:", "        worker1:"]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def node_overlap_cases(tmp_dir: Path) -> dict[str, Case]:
    """A pod network around an address of this machine, and a service network inside its network but beside its address."""
    address = local_ipv4_address()
    pod_cidr = ipaddress.ip_network(f"{address.ip}/24", strict=False)
    service_cidr = ipaddress.ip_network("10.96.0.0/12")
    if pod_cidr.overlaps(service_cidr):
        service_cidr = ipaddress.ip_network("172.30.0.0/16")
    cases = {
        "node_address_overlap": Case(
            write_inventory(tmp_dir / "node_address_overlap.yml", cluster_pod_cidr=pod_cidr, cluster_service_cidr=service_cidr),
            ("cp1", "worker1"),
            (f"whose network overlaps cluster_pod_cidr {pod_cidr}: pods would get addresses of the nodes' network.",),
            (rf"(cp1|worker1) has the address\(es\) [0-9a-f.:/, ]*\b{re.escape(str(address))}\b",),
        )
    }
    # The issue's case: no node address in it, but inside the nodes' network.
    beside = next((net for net in address.network.subnets(new_prefix=28) if address.ip not in net), None) if address.network.prefixlen <= 27 else None
    if beside is not None:
        cases["node_network_overlap"] = Case(
            write_inventory(tmp_dir / "node_network_overlap.yml", cluster_service_cidr=beside),
            ("cp1", "worker1"),
            (f"{address}, whose network overlaps cluster_service_cidr {beside}: services would get addresses",),
        )
    return cases


def unquoted_version_case(tmp_dir: Path) -> Case:
    """cluster_kubernetes_version: 1.30 unquoted, the number 1.3 to YAML."""
    return Case(
        write_inventory(tmp_dir / "unquoted_version.yml", cluster_kubernetes_version="1.30"),
        ("cp1", "worker1"),
        ("cluster_kubernetes_version must be a string", "got the number 1.3."),
        # The suggestion is the quoted full release, not '1.3' (refused next as no X.Y.Z).
        (r'such as cluster_kubernetes_version: \\?"1\.30\.',),
    )


# Says that kubeadm and kubelet are installed at 1.29.8, held, as dpkg-query --show --showformat would.
DPKG_QUERY_STANDIN = r"""#!/bin/sh
for name in "$@"; do
  case "$name" in kubeadm|kubelet) printf '%s\t1.29.8-1.1\thold ok installed\n' "$name" ;; esac
done
"""


def installed_version_case(tmp_dir: Path) -> Case:
    """kubeadm and kubelet 1.29.8 installed (a dpkg-query stand-in says so), cluster_kubernetes_version 1.30.5."""
    bin_dir = tmp_dir / "bin"
    bin_dir.mkdir()
    dpkg_query = bin_dir / "dpkg-query"
    dpkg_query.write_text(DPKG_QUERY_STANDIN)
    dpkg_query.chmod(0o755)
    return Case(
        "good.yml",
        ("cp1", "worker1", "worker2"),
        (
            "cp1 has kubeadm 1.29.8-1.1 and kubelet 1.29.8-1.1 installed, but cluster_kubernetes_version is 1.30.5.",
            "set cluster_kubernetes_version back, or run playbooks/upgrade.yml.",
        ),
        bin_dir=str(bin_dir),
    )


# ufw status verbose of an active ufw that denies incoming traffic by default (ufw 0.36.2); this
# machine has no /etc/ufw/user.rules, so the firewall has no rule that allows anything.
UFW_STANDIN = r"""#!/bin/sh
[ "$1 $2" = "status verbose" ] || { echo "ufw stand-in: $*" >&2; exit 1; }
printf 'Status: active\nLogging: off\nDefault: deny (incoming), allow (outgoing), deny (routed)\nNew profiles: skip\n'
"""


def firewall_case(tmp_dir: Path) -> Case:
    """firewall_manage false and an active ufw (a stand-in) that allows nothing: refused, naming the ports."""
    bin_dir = tmp_dir / "ufw-bin"
    bin_dir.mkdir()
    ufw = bin_dir / "ufw"
    ufw.write_text(UFW_STANDIN)
    ufw.chmod(0o755)
    inventory = write_inventory(
        tmp_dir / "firewall_left_alone.yml",
        firewall_manage="false",
        cni_plugin="flannel",
        preflight_check_node_identity="false",
        preflight_check_reachability="false",
        kube_packages_repo_probe_timeout=0,
    )
    return Case(
        inventory,
        ("cp1", "worker1"),
        (
            "ufw on cp1 blocks what this control plane needs: 6443/tcp, 2379-2380/tcp, 10259/tcp, 10257/tcp, 10250/tcp,",
            "ufw on worker1 blocks what this worker needs: 10250/tcp, 10256/tcp, 30000-32767/tcp, 30000-32767/udp,"
            " forwarded from 10.244.0.0/16, forwarded to 10.244.0.0/16, 8472/udp.",
            "firewall_manage is false, so the collection leaves the firewall alone: open them (ufw allow 10250/tcp comment 'kubeadm.cluster: kubelet API';",
        ),
        bin_dir=str(bin_dir),
    )


def run_playbook(inventory: str | Path, *args: str, playbook: str = PLAYBOOK, bin_dir: str = "") -> subprocess.CompletedProcess[str]:
    """Run a playbook (playbooks/preflight.yml unless told) against a fixture inventory, plain-text output."""
    env = dict(os.environ)
    if bin_dir:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
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
    tmp_dir = tmp_path_factory.mktemp("inventories")
    all_cases = {
        **BAD_CASES,
        **node_overlap_cases(tmp_dir),
        "unquoted_version": unquoted_version_case(tmp_dir),
        "installed_version_differs": installed_version_case(tmp_dir),
        "firewall_blocks_what_a_node_needs": firewall_case(tmp_dir),
    }
    all_cases["good"] = GOOD
    return all_cases


@pytest.fixture(scope="module")
def results(cases: dict[str, Case]) -> dict[str, subprocess.CompletedProcess[str]]:
    assert ANSIBLE_PLAYBOOK.exists(), f"{ANSIBLE_PLAYBOOK} is missing; run `make setup`"
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(run_playbook, case.inventory, bin_dir=case.bin_dir) for name, case in cases.items()}
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


BUILT_CASES = ["node_address_overlap", "node_network_overlap", "unquoted_version", "installed_version_differs", "firewall_blocks_what_a_node_needs"]


@pytest.mark.parametrize("name", [*BAD_CASES, *BUILT_CASES])
def test_bad_inventory_fails_before_any_change(name, results, cases):
    if name not in cases:
        pytest.skip("this machine's network is too small for a service network beside its address")
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
