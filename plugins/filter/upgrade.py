# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the upgrade role: whether a node needs (the rest of) an upgrade, and whether
the cluster may be upgraded at all."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import groupby

from ansible.errors import AnsibleFilterError

# The node annotation the upgrade role sets while it upgrades a node; it survives an interruption.
MARK = "kubeadm.cluster/upgrade-to"


def _release(version) -> str:
    """The release in a version as Kubernetes or a package reports it: v1.28.4, 1.28.4-1.1, v1.28.4+k3s1 -> 1.28.4."""
    return re.sub(r"[-+].*$", "", str(version or "").removeprefix("v"))


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"[0-9]+", version))


def _target(target) -> tuple[int, int, int]:
    if not isinstance(target, str) or not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", target):
        raise AnsibleFilterError(f"cluster_kubernetes_version must be a release such as 1.30.5; got {target!r}")
    major, minor, patch = (int(part) for part in target.split("."))
    return major, minor, patch


def upgrade_needed(node: Mapping, target: str, installed: Mapping, wanted: Sequence[str], cluster: str | None = None) -> bool:
    """Whether a node needs an upgrade to ``target``, or the rest of an upgrade that was interrupted.

    ``node`` is the node's object in the cluster (empty when it is none), ``installed`` the versions of
    the installed Kubernetes packages, ``wanted`` the packages the node should have, and ``cluster`` the
    kubernetesVersion of the cluster, given for the first control plane only (which upgrades the cluster).
    """
    _target(target)
    node = node or {}
    if any(_release(installed.get(name)) != target for name in wanted):
        return True
    if node.get("status", {}).get("nodeInfo", {}).get("kubeletVersion") != f"v{target}":
        return True
    if MARK in (node.get("metadata", {}).get("annotations") or {}):
        return True
    return cluster is not None and _release(cluster) != target


def _listed(found: list[tuple[str, str]]) -> str:
    """'1.28.4 (API server, cp1 kubeadm); 1.29.0 (w1 kubelet)': what runs which version, by version."""
    ordered = sorted(found, key=lambda item: _key(item[1]))
    return "; ".join(f"{version} ({', '.join(item[0] for item in group)})" for version, group in groupby(ordered, key=lambda item: item[1]))


def upgrade_refusal(target: str, cluster: str, server: str, nodes: Sequence[Mapping], packages: Mapping[str, Mapping], not_joined: Sequence[str] = ()) -> str:
    """Why the cluster must not be upgraded to ``target``, or an empty string when it may.

    ``cluster`` is the kubernetesVersion of the kubeadm-config ConfigMap, ``server`` the API server's
    version, ``nodes`` the items of ``kubectl get nodes -o json``, ``packages`` the installed Kubernetes
    package versions of each inventory host, and ``not_joined`` the inventory hosts that are no node.
    """
    major, minor = _target(target)[:2]
    running = [("kubernetesVersion in the kubeadm-config ConfigMap", cluster), ("API server", server)]
    running += [(f"{host} {name}", version) for host, versions in packages.items() for name, version in versions.items()]
    running += [(f"node {node['metadata']['name']} kubelet", node["status"]["nodeInfo"]["kubeletVersion"]) for node in nodes]
    running = [(what, _release(version)) for what, version in running]

    newer = [item for item in running if _key(item[1]) > _key(target)]
    if newer:
        return (
            f"cluster_kubernetes_version={target} is lower than what the cluster runs: {_listed(newer)}."
            f" kubeadm does not downgrade a cluster; upgrade.yml changed nothing. Give the version the cluster runs ({_release(cluster)}) or a later one."
        )
    # kubeadm upgrades from the previous minor release or within the target's.
    lowest = max(minor - 1, 0)
    older = [item for item in running if _key(item[1]) < (major, lowest, 0)]
    if older:
        return (
            f"cluster_kubernetes_version={target} skips a minor release: the cluster runs {_listed(older)}, and kubeadm upgrades one minor"
            f" release at a time (from {major}.{lowest} or {major}.{minor} to {target}). upgrade.yml changed nothing:"
            " upgrade to the next minor release first."
        )

    ready = {
        node["metadata"]["name"]: next((c.get("status") for c in node.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"), "missing")
        for node in nodes
    }
    not_ready = [f"{name} (Ready={status})" for name, status in ready.items() if status != "True"]
    if not_ready or not_joined:
        return " ".join(
            ["upgrade.yml upgrades only a cluster whose nodes are all Ready and joined; upgrade.yml changed nothing."]
            + ([f"Not Ready: {', '.join(not_ready)}."] if not_ready else [])
            + ([f"Inventory hosts that are not nodes of the cluster: {', '.join(not_joined)} (run site.yml to join them)."] if not_joined else [])
            + ["Repair or remove those nodes first (kubectl get nodes)."]
        )
    return ""


class FilterModule:
    """The upgrade role's decisions."""

    def filters(self):
        return {"upgrade_needed": upgrade_needed, "upgrade_refusal": upgrade_refusal}
