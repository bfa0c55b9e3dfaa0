"""What the test bed installed, and the checks every cluster scenario makes (imported by the
scenarios' testinfra files, so that each check is written once)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import time

import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
# control_plane_added: control planes a scenario adds to the cluster later (ha: molecule/ha/inventory/grown.yml).
CONTROL_PLANES = RUNNER.get_hosts("control_plane") + RUNNER.get_hosts("control_plane_added")
WORKERS = RUNNER.get_hosts("workers")
ALL_NODES = sorted(CONTROL_PLANES + WORKERS)

# Real Kubernetes (../shared/kube) unless the scenario ran on the simulator (make test without it).
REAL = os.environ.get("KUBEADM_TESTBED_KUBE", "real") == "real"
VERSION, NEWER = ("1.28.4", "1.28.5") if REAL else ("1.30.5", "1.30.6")
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")
ADMIN = "kubectl --kubeconfig /etc/kubernetes/admin.conf"
CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
# The smoke workload's image (tests/testbed/build-web-image.sh), imported on every node: busybox's
# httpd, nslookup and wget.
SMOKE_IMAGE = "local.test/kubeadm-smoke-web:1"
BUSYBOX = "/bin/busybox"


def first_control_plane():
    return testinfra.get_host(f"ansible://{CONTROL_PLANES[0]}?ansible_inventory={INVENTORY}")


def kubectl_json(*args: str) -> dict:
    return json.loads(first_control_plane().check_output(f"{ADMIN} {' '.join(args)} -o json"))


def condition(obj: dict, kind: str) -> str:
    return next((c["status"] for c in obj["status"].get("conditions", []) if c["type"] == kind), "missing")


def ready_nodes() -> dict[str, str]:
    return {n["metadata"]["name"]: condition(n, "Ready") for n in kubectl_json("get", "nodes")["items"]}


def ready_pods(namespace: str = "kube-system") -> dict[str, str]:
    return {p["metadata"]["name"]: condition(p, "Ready") for p in kubectl_json("get", "pods", "-n", namespace)["items"]}


def coredns() -> tuple[dict, dict[str, str]]:
    """kubeadm's CoreDNS Deployment (kube-system/coredns, {} when there is none) and the Ready condition of each of
    its pods."""
    deployment = next((d for d in kubectl_json("get", "deployments", "-n", "kube-system")["items"] if d["metadata"]["name"] == "coredns"), {})
    return deployment, {name: ready for name, ready in ready_pods().items() if name.startswith("coredns-")}


def assert_coredns_ready() -> None:
    deployment, pods = coredns()
    assert deployment, "no Deployment kube-system/coredns"
    assert (deployment["spec"]["replicas"], deployment["status"].get("readyReplicas")) == (2, 2), deployment["status"]
    assert sorted(pods.values()) == ["True", "True"], pods


def nslookup_addresses(output: str) -> list[str]:
    """The addresses busybox nslookup found, without the server's own (``Address: 10.96.0.10:53``)."""
    return [a for a in re.findall(r"^Address:\s*(\S+)$", output, re.M) if not a.endswith(":53")]


def in_pod(pod: str, command: str, namespace: str = "default") -> str:
    """Output of a command run in a running pod of the smoke image."""
    return first_control_plane().check_output(f"{ADMIN} exec -n {namespace} {pod} -- {command}")


def in_new_pod(name: str, command: str, timeout: float = 60) -> tuple[str, str]:
    """Phase and log of a one-off pod of the smoke image that runs a command, deleted afterwards."""
    cp = first_control_plane()
    cp.check_output(f"{ADMIN} delete pod {name} --ignore-not-found --wait=true")
    cp.check_output(f"{ADMIN} run {name} --image={SMOKE_IMAGE} --image-pull-policy=Never --restart=Never --command -- {command}")
    try:
        deadline, phase = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            phase = cp.check_output(f"{ADMIN} get pod {name} -o jsonpath={{.status.phase}}")
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(1)
        return phase, cp.run(f"{ADMIN} logs {name}").stdout
    finally:
        cp.run(f"{ADMIN} delete pod {name} --wait=false")
