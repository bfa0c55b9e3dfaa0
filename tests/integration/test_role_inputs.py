"""Integration tests: every role's input checks run in the preflight play, before any node changes.

Each case runs playbooks/preflight.yml against the valid fixture inventory (all hosts are this
machine over the local connection) with bad values given as JSON extra vars, which keep their
YAML types. SAFETY: only playbooks/preflight.yml runs, which changes nothing.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from test_preflight import ANSIBLE_PLAYBOOK, PLAYBOOK, describe, recap, run_playbook, says


@dataclass(frozen=True)
class Run:
    """One preflight run: bad inputs (extra vars) and the inventory."""

    extra_vars: dict
    inventory: str = "good.yml"
    passes: bool = False
    playbook: str = PLAYBOOK


# Inputs that the roles' checks find together go into one run: the play reports every one of them
# at once, which is part of what is tested.
RUNS: dict[str, Run] = {
    "many_bad_inputs": Run(
        {
            "containerd_systemd_cgroup": "no",
            "node_prep_kernel_modules": "overlay",
            "cni_plugin": "weave",
            "containerd_source": "debian",
            "worker_token_ttl": "0",
            "control_plane_init_token_ttl": "48h",
        }
    ),
    # The control plane role's checks stop at its first failed one.
    "advertise_address": Run({"control_plane_advertise_address": "192.0.2.10"}),
    "etcdctl_url": Run({"control_plane_etcdctl_source": "url"}),
    "kubeconfig_user": Run({"control_plane_kubeconfig_user": "no-such-user-kc"}),
    "files_and_duration": Run(
        {
            "cni_manifest_src": "/nonexistent/calico.yaml",
            "worker_token_ttl": "15 minutes",
            "containerd_image_archives_copy": ["/nonexistent/pause.tar", "/nonexistent/etcd.tar"],
        }
    ),
    "unquoted_version": Run({"cluster_kubernetes_version": 1.3}),
    # A cluster-wide fact, checked by every role that reads it, and named as the user set it.
    "cluster_fact_number": Run({"cluster_dns_domain": 5}),
    # A 0.2.0 name left in an inventory is refused, naming its new name.
    "renamed_variable": Run({"control_plane_pod_cidr": "10.245.0.0/16"}),
    "shared_advertise_address": Run(
        {"cluster_control_plane_endpoint": "k8s-api.example.com:6443", "control_plane_advertise_address": "127.0.0.1"},
        inventory="ha_without_endpoint.yml",
    ),
    "smoke_without_network": Run({"cni_plugin": "none", "verify_smoke_test": True}),
    "misspelt_variable": Run({"containerd_sorce": "docker"}, passes=True),
    # The upgrade's own settings, checked right after its preflight play, before it reads the cluster.
    "upgrade_settings": Run({"upgrade_batch_size": "0", "upgrade_timeout": "5m"}, playbook="playbooks/upgrade.yml"),
}

# Class of bad input -> the run that shows it and what the output must say.
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "string_for_boolean": (
        "many_bad_inputs",
        (
            "containerd_systemd_cgroup must be a boolean (true or false); got the string 'no'.",
            """pass -e '{"containerd_systemd_cgroup": false}'""",
        ),
    ),
    "string_for_list": (
        "many_bad_inputs",
        ("node_prep_kernel_modules must be a list; got the string 'overlay'. Write a list even for one item",),
    ),
    "unknown_cni_plugin": ("many_bad_inputs", ("cni_plugin must be one of calico, flannel, bridge, none; got the string 'weave'.",)),
    "unknown_containerd_source": (
        "many_bad_inputs",
        ("containerd_source must be one of auto, distribution, docker; got the string 'debian'.",),
    ),
    "group_variable_reported_once_with_its_hosts": (
        "many_bad_inputs",
        ("got the string 'weave'. (on cp1, worker1, worker2)",),
    ),
    "worker_token_lifetime": (
        "many_bad_inputs",
        ("worker_token_ttl is '0': a bootstrap token must live at least 1m", "(on worker1, worker2)"),
    ),
    "init_token_lifetime": (
        "many_bad_inputs",
        ("control_plane_init_token_ttl is '48h': a bootstrap token must live at most 24h",),
    ),
    "token_lifetime_not_a_duration": (
        "files_and_duration",
        ("worker_token_ttl is '15 minutes', which is not a duration such as 15m, 1h30m or 90s",),
    ),
    "missing_kubeconfig_user": ("kubeconfig_user", ("control_plane_kubeconfig_user=no-such-user-kc does not exist on cp1",)),
    "image_archive_not_on_controller": (
        "files_and_duration",
        (
            "containerd_image_archives_copy names '/nonexistent/pause.tar', which is not on the controller",
            "containerd_image_archives_copy names '/nonexistent/etcd.tar', which is not on the controller",
        ),
    ),
    "manifest_not_on_controller": (
        "files_and_duration",
        ("cni_manifest_src is '/nonexistent/calico.yaml', but there is no such file on the controller",),
    ),
    "advertise_address_of_another_host": (
        "advertise_address",
        ("control_plane_advertise_address is '192.0.2.10' on cp1. It must be an IP address of this host (it has",),
    ),
    "advertise_address_shared_by_control_planes": (
        "shared_advertise_address",
        ("control_plane_advertise_address is '127.0.0.1' on cp1", "(cp2 has the same value)", "set per host"),
    ),
    "etcdctl_url_without_url": (
        "etcdctl_url",
        ("control_plane_etcdctl_source=url cannot provide etcdctl here", "'url' needs control_plane_etcdctl_url"),
    ),
    "unquoted_version_number": (
        "unquoted_version",
        (
            "cluster_kubernetes_version must be a string; got the number 1.3. YAML read an unquoted number:",
            'write the whole value in quotes, such as cluster_kubernetes_version: "1.30.x".',
        ),
    ),
    "cluster_fact_named_as_set": (
        "cluster_fact_number",
        ("cluster_dns_domain must be a string; got the number 5.",),
    ),
    "old_name_refused_with_the_new_one": (
        "renamed_variable",
        ("control_plane_pod_cidr was renamed cluster_pod_cidr in kubeadm.cluster 0.3.0 and has no effect any more; set cluster_pod_cidr instead.",),
    ),
    "smoke_test_without_a_pod_network": (
        "smoke_without_network",
        ("verify_smoke_test is true but verify_nodes_ready is false (the default with cni_plugin none)",),
    ),
    "upgrade_settings_are_numbers": (
        "upgrade_settings",
        ("upgrade_batch_size ('0') must be a number of workers (or a percentage such as 25%) above 0", "upgrade_timeout ('5m')"),
    ),
    "misspelt_variable_is_a_warning": (
        "misspelt_variable",
        ("containerd_sorce is set, but the role does not know it, so it has no effect. Did you mean containerd_source?",),
    ),
}


def run(case: Run) -> subprocess.CompletedProcess[str]:
    return run_playbook(case.inventory, "-e", json.dumps(case.extra_vars), playbook=case.playbook)


@pytest.fixture(scope="module")
def results() -> dict[str, subprocess.CompletedProcess[str]]:
    assert ANSIBLE_PLAYBOOK.exists(), f"{ANSIBLE_PLAYBOOK} is missing; run `make setup`"
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(run, case) for name, case in RUNS.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_by_the_preflight_play_naming_the_variable(name, results):
    run_name, messages = CASES[name]
    case, result = RUNS[run_name], results[run_name]
    for message in messages:
        assert says(result, message), f"missing {message!r}\n{describe(result)}"
    counters = recap(result.stdout)
    assert counters, describe(result)
    assert all(counts["changed"] == 0 for counts in counters.values()), describe(result)
    if case.passes:
        assert result.returncode == 0, describe(result)
    else:
        assert result.returncode != 0, describe(result)
        # Refused before the upgrade playbook reads anything from the nodes.
        assert "Read the installed packages" not in result.stdout, describe(result)
