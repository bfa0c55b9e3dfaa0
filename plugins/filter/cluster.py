# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether a cluster runs, from what kubeadm.cluster.cluster_probe found on the nodes: the one place that decides
"no cluster yet". A node that holds a cluster's kubeconfig belongs to a cluster even when its API server cannot be
reached; only when no node holds one is there no cluster."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import yaml
from ansible.errors import AnsibleFilterError


def _holder_message(probe: Mapping[str, Any]) -> str:
    host, kubeconfig, server = probe.get("host"), probe.get("kubeconfig"), probe.get("server")
    if probe.get("error") and not server:
        return f"{host} holds {kubeconfig}, but {probe['error']}."
    if probe.get("error") or not probe.get("reachable"):
        return f"{host} holds {kubeconfig}, but the API server it names, {server}, cannot be reached from {host}: {probe.get('error') or 'no answer'}."
    return f"{host} holds {kubeconfig}, but the API server it names, {server}, is not ready (GET /readyz answered HTTP {probe.get('status')})."


def _config(probe: Mapping[str, Any]) -> dict:
    text = probe.get("cluster_configuration") or ""
    try:
        config = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as err:
        raise AnsibleFilterError(f"the ClusterConfiguration read on {probe.get('host')} is not YAML: {err}") from err
    if not isinstance(config, dict):
        raise AnsibleFilterError(f"the ClusterConfiguration read on {probe.get('host')} is not a mapping")
    return config


def cluster_state(probes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum up cluster_probe results (registered, or the results of a loop over nodes).

    ``holders``: the nodes that hold a kubeconfig. ``serving``: those whose API server is ready. ``config``: the
    ClusterConfiguration of the first one that read it, ``{}`` when none did. ``unreachable``: ``{host, msg}`` for each
    holder whose API server cannot be asked (no answer, or its kubeconfig unreadable); ``not_serving``: the same for
    each holder whose API server answers but is not ready. Results without a probe (skipped) count for nothing.
    """
    if isinstance(probes, Mapping) or not isinstance(probes, Iterable):
        raise AnsibleFilterError(f"cluster_state takes a list of cluster_probe results, got {type(probes).__name__}")
    state: dict[str, Any] = {"holders": [], "serving": [], "config": {}, "unreachable": [], "not_serving": []}
    for probe in probes:
        if not isinstance(probe, Mapping) or not probe.get("kubeconfig"):
            continue
        state["holders"].append(probe.get("host"))
        if probe.get("ready"):
            state["serving"].append(probe.get("host"))
        elif probe.get("error") or not probe.get("reachable"):
            state["unreachable"].append({"host": probe.get("host"), "msg": _holder_message(probe)})
        else:
            state["not_serving"].append({"host": probe.get("host"), "msg": _holder_message(probe)})
        if not state["config"]:
            state["config"] = _config(probe)
    return state


class FilterModule:
    """Whether a cluster runs, and whether it can be asked."""

    def filters(self):
        return {"cluster_state": cluster_state}
