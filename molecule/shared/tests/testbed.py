"""What the test bed installed, and the checks every cluster scenario makes (imported by the
scenarios' testinfra files, so that each check is written once)."""

from __future__ import annotations

import ipaddress
import json
import os

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
