# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks that several roles make, each written once: a filter returns what is wrong, or ''."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.duration import duration_seconds

# What the roles have OS variables and package sources for.
OS_FAMILIES = ("Debian-family", "RedHat-family")
# A bootstrap token must outlive a join, and should not outlive a day: it grants joining the cluster.
TOKEN_SECONDS = (60, 86400)


def k8s_version_error(value: Any, supported: Iterable[str] = (), name: str = "cluster_kubernetes_version") -> str:
    """What is wrong with the Kubernetes release ``value`` (X.Y.Z, in a ``supported`` minor when given), or ''."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f'{name} must be a Kubernetes release written X.Y.Z in quotes, such as "1.30.5"; got {value!r}.'
    if not isinstance(value, str):
        parts = str(value).split(".", 1)  # an unquoted 1.30 is the number 1.3
        release = f"{parts[0]}.{parts[1].ljust(2, '0')}" if len(parts) == 2 else parts[0]
        return (
            f"{name} must be a string X.Y.Z; got the number {value}. YAML reads an unquoted {release} as a number:"
            f' write the full release in quotes, such as {name}: "{release}.x" with x the patch release.'
        )
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", value):
        found = re.search(r"([0-9]+\.[0-9]+)(\.[0-9]+)?", value)
        example = f', such as "{found.group(1)}{found.group(2) or ".x"}"' if found else ""
        return f"{name} must be a release written X.Y.Z (no 'v', no package revision){example}; got '{value}'."
    supported = list(supported)
    minor = value.rpartition(".")[0]
    if supported and minor not in supported:
        return f"{name} is {value}, but the collection supports the minor releases {', '.join(supported)} only."
    return ""


def token_ttl_error(value: Any, name: str) -> str:
    """What is wrong with the bootstrap token lifetime ``value`` (a Go duration) of ``name``, or ''."""
    try:
        seconds = duration_seconds(value, name)
    except AnsibleFilterError as err:
        return f"{err}."
    if seconds < TOKEN_SECONDS[0]:
        return f"{name} is '{value}': a bootstrap token must live at least 1m, so that the join finishes before it expires."
    if seconds > TOKEN_SECONDS[1]:
        return f"{name} is '{value}': a bootstrap token must live at most 24h, since it grants joining the cluster."
    return ""


def os_error(facts: Mapping[str, Any], supported: Iterable[str] = OS_FAMILIES, name: str = "", host: str = "") -> str:
    """What is wrong with the OS of a host (its ``ansible_facts``), or '' when ``supported`` lists it.

    An entry of ``supported`` is ``<distribution>``, ``<distribution> <major version>``,
    ``<distribution> <version>``, ``<os family>-family`` or ``<os family>-family <major version>``.
    """
    supported = list(supported)
    distribution, family = facts.get("distribution", "unknown"), facts.get("os_family", "unknown")
    major, version = facts.get("distribution_major_version", "unknown"), facts.get("distribution_version", "")
    names = {distribution, f"{distribution} {major}", f"{distribution} {version}", f"{family}-family", f"{family}-family {major}"}
    if names & set(supported):
        return ""
    where = f"not in {name}:" if name else "not supported; supported are"
    return f"{host or 'This host'} runs {distribution} {version} (os_family {family}), which is {where} {', '.join(supported)}."


def joined_as(nodes: Any, machine_id: str) -> list[str]:
    """The names of the Nodes whose machine ID is ``machine_id``: what the machine is joined to the cluster as.

    ``nodes`` is a list of Node objects or a NodeList (``kubectl get nodes -o json``).
    """
    if isinstance(nodes, Mapping):
        nodes = nodes.get("items") or []
    if not machine_id:
        return []
    return [node["metadata"]["name"] for node in nodes or [] if (node.get("status") or {}).get("nodeInfo", {}).get("machineID") == machine_id]


def rename_error(nodes: Any, machine_id: str, node_name: str, host: str) -> str:
    """What is wrong when the machine ``host`` is joined under another name than ``node_name``, or ''.

    Kubernetes cannot rename a node: joining again would reset a running node and leave its old Node behind.
    """
    names = joined_as(nodes, machine_id)
    if not names or node_name in names:
        return ""
    old = names[0]
    source = "cluster_node_name" if node_name != host else "the inventory name"
    return (
        f"{host} is joined to the cluster as node '{old}' (the Node whose machine ID is this host's /etc/machine-id),"
        f" but its node name is now '{node_name}' ({source}). Kubernetes cannot rename a node, and joining again would"
        f" reset a running node. To keep it, set cluster_node_name: {old} for {host}. To rename it, take it out first with"
        f" playbooks/reset.yml --limit {host} -e cluster_node_name={old}, then run site.yml again."
    )


class FilterModule:
    """Input checks shared by the roles."""

    def filters(self):
        return {
            "k8s_version_error": k8s_version_error,
            "token_ttl_error": token_ttl_error,
            "os_error": os_error,
            "joined_as": joined_as,
            "rename_error": rename_error,
        }
