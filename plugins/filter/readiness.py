# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verify role's readiness report: what `kubectl get nodes|pods -o json`, as a command task registers it, says is
Ready and what is not, in the sentences the role prints."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

Registered = Mapping[str, Any]


def _items(result: Registered) -> list[dict[str, Any]]:
    """The objects of a registered `kubectl get ... -o json`; none when kubectl failed."""
    if result.get("rc", 1) != 0:
        return []
    return json.loads(result["stdout"]).get("items") or []


def _failure(result: Registered, kind: str) -> list[str]:
    if result.get("rc", 1) == 0:
        return []
    return [f"kubectl get {kind} failed: {str(result.get('stderr') or result.get('msg') or '').strip()}."]


def _ready(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Ready condition of a node or pod, {} while it has none."""
    return next((c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"), {})


def _internal_ip(node: Mapping[str, Any]) -> str:
    return next((a["address"] for a in node.get("status", {}).get("addresses") or [] if a.get("type") == "InternalIP"), "")


def pod_state(pod: Mapping[str, Any]) -> str:
    """``<phase>[:<reasons>][, not Ready]``: the phase, the waiting reasons of the pod and its (init) containers
    (ImagePullBackOff, CrashLoopBackOff...), e.g. ``Running``, ``Running, not Ready``, ``Pending:ImagePullBackOff, not Ready``."""
    status = pod.get("status", {})
    reasons = (status.get("reason") or "").split(",")
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        reasons.append(((container.get("state") or {}).get("waiting") or {}).get("reason") or "")
    state = status.get("phase", "Unknown")
    reasons = list(dict.fromkeys(r for r in reasons if r))
    if reasons:
        state += ":" + ",".join(reasons)
    return state if _ready(pod).get("status") == "True" else state + ", not Ready"


def _selects(selector: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether a label selector's matchLabels (its matchExpressions are not read) select a pod; an empty one selects none."""
    wanted = (selector or {}).get("matchLabels") or {}
    labels = pod.get("metadata", {}).get("labels") or {}
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def deployment_state(deployment: Mapping[str, Any], pods: Iterable[Mapping[str, Any]] = ()) -> tuple[bool, str]:
    """Whether a Deployment is rolled out and Ready, and ``<ready> of <desired> replicas Ready`` with what is missing.

    Ready as ``kubectl rollout status`` means rolled out, with Ready replicas for available ones: the controller observed
    the current generation, every desired replica is updated and Ready, and no old replica is left. What is missing
    follows, with the pods of ``pods`` that its selector (matchLabels) selects and that are not Ready, e.g.
    ``1 of 2 replicas Ready, coredns-5dd5756b68-7lkqn (Pending:ImagePullBackOff, not Ready)``.
    """
    meta, spec, status = deployment.get("metadata", {}), deployment.get("spec", {}), deployment.get("status", {})
    desired = spec.get("replicas", 1)
    ready, updated, current = status.get("readyReplicas", 0), status.get("updatedReplicas", 0), status.get("replicas", 0)
    observed = status.get("observedGeneration", 0) >= meta.get("generation", 0)
    details = [f"{ready} of {desired} replicas Ready"]
    if updated < desired:
        details.append(f"{updated} of {desired} updated")
    if current > updated:
        details.append(f"{current - updated} old pending termination")
    if not observed:
        details.append("its last change not yet observed by the controller")
    namespace = meta.get("namespace")
    for pod in pods:
        if pod.get("metadata", {}).get("namespace") == namespace and _selects(spec.get("selector"), pod) and _ready(pod).get("status") != "True":
            details.append(f"{pod['metadata']['name']} ({pod_state(pod)})")
    return observed and updated >= desired and current <= updated and ready >= desired, ", ".join(details)


def node_readiness(result: Registered, expected: Iterable[str], ready: bool = True) -> dict[str, Any]:
    """The expected nodes in a registered `kubectl get nodes -o json`.

    ``done``: kubectl answered, every expected node is registered and, with ``ready``, Ready. ``problems``: what is not,
    as sentences. ``not_ready``: ``<node>: Ready=<status> (<message>)`` of each registered expected node that is not
    Ready. ``addresses``: expected node -> its first InternalIP, for those that have one.
    """
    expected = list(expected)
    nodes = {node["metadata"]["name"]: node for node in _items(result)}
    answered = result.get("rc", 1) == 0
    missing = [name for name in expected if name not in nodes] if answered else []
    not_ready = []
    for name in expected:
        condition = _ready(nodes.get(name, {}))
        if name in nodes and condition.get("status") != "True":
            message = condition.get("message") or ""
            not_ready.append(f"{name}: Ready={condition.get('status') or 'Unknown'}" + (f" ({message})" if message else ""))
    problems = _failure(result, "nodes")
    if missing:
        problems.append(f"Not registered: {', '.join(missing)}.")
    if ready and not_ready:
        problems.append(f"Not Ready: {'; '.join(not_ready)}.")
    return {
        "done": answered and not missing and not (ready and not_ready),
        "problems": " ".join(problems),
        "not_ready": not_ready,
        "addresses": {name: _internal_ip(nodes[name]) for name in expected if name in nodes and _internal_ip(nodes[name])},
    }


def pod_readiness(
    result: Registered,
    control_plane_pods: Iterable[str] = (),
    kube_proxy_nodes: Iterable[str] = (),
    addon_namespaces: Iterable[str] = (),
    deployments: Iterable[str] = (),
) -> dict[str, Any]:
    """The pods in a registered `kubectl get pods -o json`, or `kubectl get pods,deployments -o json`.

    Waits for: the static pods ``control_plane_pods`` in kube-system, a pod of the DaemonSet kube-proxy on each node of
    ``kube_proxy_nodes``, and the Deployments ``deployments`` (``<namespace>/<name>``, read from the Deployment items of
    the same result; see deployment_state). ``done``: kubectl answered and all of them are Ready. ``problems``: what is
    not, as sentences. ``deployments_state``: ``<namespace>/<name>: <state>`` of each of ``deployments``.
    ``addons``: how many pods ``addon_namespaces`` hold (the control plane pods aside); ``addons_not_ready``: those
    that are neither Ready nor Succeeded, and ``not_ready``: every pod that is not Ready, each as
    ``<namespace>/<name> (<state>)``.
    """
    control_plane_pods, kube_proxy_nodes, addon_namespaces = list(control_plane_pods), list(kube_proxy_nodes), set(addon_namespaces)
    wanted_deployments = list(deployments)
    for key in wanted_deployments:
        if not all(key.partition("/")[::2]):
            raise ValueError(f"pod_readiness: a Deployment is named <namespace>/<name>, not {key!r}")
    items = _items(result)
    found = {f"{d['metadata']['namespace']}/{d['metadata']['name']}": d for d in items if d.get("kind") == "Deployment"}
    pods = [item for item in items if item.get("kind", "Pod") == "Pod"]
    control_plane_keys = {f"kube-system/{name}" for name in control_plane_pods}
    states: dict[str, str] = {}
    ready: set[str] = set()
    proxy_of: dict[str, str] = {}  # node -> "<pod> (<state>)" of its (last) kube-proxy pod
    proxy_ready: set[str] = set()
    addons = 0
    addons_not_ready, not_ready = [], []
    for pod in pods:
        meta, status = pod["metadata"], pod.get("status", {})
        key, state = f"{meta['namespace']}/{meta['name']}", pod_state(pod)
        states[key] = state
        is_ready = _ready(pod).get("status") == "True"
        if is_ready:
            ready.add(key)
        else:
            not_ready.append(f"{key} ({state})")
        owners = meta.get("ownerReferences") or []
        if meta["namespace"] == "kube-system" and any(o.get("kind") == "DaemonSet" and o.get("name") == "kube-proxy" for o in owners):
            node = pod.get("spec", {}).get("nodeName", "")
            proxy_of[node] = f"{meta['name']} ({state})"
            if is_ready:
                proxy_ready.add(node)
        if meta["namespace"] in addon_namespaces and key not in control_plane_keys:
            addons += 1
            if not is_ready and status.get("phase", "Unknown") != "Succeeded":
                addons_not_ready.append(f"{key} ({state})")
    answered = result.get("rc", 1) == 0
    cp_waiting = [name for name in control_plane_pods if f"kube-system/{name}" not in ready]
    proxy_waiting = [node for node in kube_proxy_nodes if node not in proxy_ready]
    deployment_report, deployments_waiting = [], []
    for key in wanted_deployments if answered else []:
        ok, state = deployment_state(found[key], pods) if key in found else (False, "not found")
        deployment_report.append(f"{key}: {state}")
        if not ok:
            deployments_waiting.append(f"{key}: {state}")
    problems = _failure(result, "pods")
    if answered and cp_waiting:
        details = (f"{name} ({states.get(f'kube-system/{name}', 'not found')})" for name in cp_waiting)
        problems.append(f"Control plane pods not Ready: {', '.join(details)}.")
    if answered and proxy_waiting:
        details = (f"{node}: {proxy_of.get(node, 'no kube-proxy pod')}" for node in proxy_waiting)
        problems.append(f"kube-proxy not Ready on: {'; '.join(details)}.")
    if deployments_waiting:
        problems.append(f"Deployments not Ready: {'; '.join(deployments_waiting)}.")
    return {
        "done": answered and not cp_waiting and not proxy_waiting and not deployments_waiting,
        "problems": " ".join(problems),
        "deployments_state": deployment_report,
        "addons": addons,
        "addons_not_ready": addons_not_ready,
        "not_ready": not_ready,
    }


def ready_pod_per_node(result: Registered) -> list[dict[str, str]]:
    """One Ready pod of each node in a registered `kubectl get pods -o json`, ``{name, namespace, node}``, in the order of
    each node's first Ready pod; none when kubectl failed. The first and the last run on different nodes when two nodes
    hold a Ready pod. Pods being deleted are left out: they still read Ready until their container stops, and a pod of
    an earlier run's workload, which shares the selector, is gone by the time a command is run in it."""
    chosen: dict[str, dict[str, str]] = {}
    for pod in _items(result):
        node = pod.get("spec", {}).get("nodeName", "")
        deleted = "deletionTimestamp" in pod.get("metadata", {})
        if pod.get("kind", "Pod") == "Pod" and node and node not in chosen and not deleted and _ready(pod).get("status") == "True":
            chosen[node] = {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"], "node": node}
    return list(chosen.values())


def fetch_failures(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """``<node> (<url>: <error>)`` for each result of a looped ansible.builtin.uri task that got no HTTP 200, where
    the loop's items are ``{key: <node>, value: <address>}``."""
    return [f"{r['item']['key']} ({r.get('url', r['item']['value'])}: {r.get('msg', 'no answer')})" for r in results if r.get("status", -1) != 200]


class FilterModule:
    """The verify role's readiness report."""

    def filters(self):
        return {
            "node_readiness": node_readiness,
            "pod_readiness": pod_readiness,
            "ready_pod_per_node": ready_pod_per_node,
            "fetch_failures": fetch_failures,
        }
