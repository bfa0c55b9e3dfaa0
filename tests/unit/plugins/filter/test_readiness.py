"""The verify role's readiness report, fed `kubectl get nodes|pods -o json` as its poll tasks register it.

The objects carry the fields a kubeadm cluster's API server returns (trimmed of those the report does not read,
such as managedFields and nodeInfo): conditions with reason and message, container states, owner references.
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.kubeadm.cluster.plugins.filter.readiness import FilterModule, fetch_failures, node_readiness, pod_readiness, pod_state

CP_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
NO_CNI = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"


def condition(kind: str, status: str, reason: str = "", message: str = "") -> dict:
    cond = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": "2025-11-23T12:53:27Z"}
    return {**cond, **({"reason": reason} if reason else {}), **({"message": message} if message else {})}


def node(name: str, ready: str | None = "True", message: str = "kubelet is posting ready status", ip: str | None = "172.19.0.2") -> dict:
    conditions = [
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ]
    if ready is not None:
        reason = {"True": "KubeletReady", "False": "KubeletNotReady", "Unknown": "NodeStatusUnknown"}[ready]
        conditions.append(condition("Ready", ready, reason, message))
    addresses = ([{"address": ip, "type": "InternalIP"}] if ip else []) + [{"address": name, "type": "Hostname"}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}, "uid": f"uid-{name}"},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": {"addresses": addresses, "conditions": conditions},
    }


def waiting(container: str, reason: str) -> dict:
    return {"name": container, "ready": False, "restartCount": 0, "started": False, "state": {"waiting": {"reason": reason}}}


def running(container: str) -> dict:
    return {"name": container, "ready": True, "restartCount": 0, "started": True, "state": {"running": {"startedAt": "2025-11-23T12:54:01Z"}}}


def pod(
    namespace: str,
    name: str,
    node_name: str | None = "cp1",
    phase: str = "Running",
    ready: str | None = "True",
    owner: tuple[str, str] | None = None,
    containers: list[dict] | None = None,
    init_containers: list[dict] | None = None,
    reason: str | None = None,
) -> dict:
    """A pod; the owner defaults to the node for a static pod (kube-system/<component>-<node>)."""
    kind, owner_name = owner or ("Node", node_name)
    conditions = [condition("PodScheduled", "True")]
    if ready is not None:
        conditions += [condition("Initialized", "True"), condition("ContainersReady", ready), condition("Ready", ready)]
    status = {"phase": phase, "conditions": conditions, "hostIP": "172.19.0.2", "qosClass": "Burstable"}
    status["containerStatuses"] = containers if containers is not None else [running(name.split("-")[0])]
    if init_containers is not None:
        status["initContainerStatuses"] = init_containers
    if reason:
        status["reason"] = reason
    spec = {"containers": [{"name": name.split("-")[0], "image": "registry.k8s.io/pause:3.9"}], **({"nodeName": node_name} if node_name else {})}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "ownerReferences": [{"apiVersion": "v1", "kind": kind, "name": owner_name, "controller": True}]},
        "spec": spec,
        "status": status,
    }


def registered(objects: list[dict], kind: str = "List") -> dict:
    """What a command task registers for `kubectl get ... -o json`."""
    stdout = json.dumps({"apiVersion": "v1", "kind": kind, "items": objects, "metadata": {"resourceVersion": ""}}, indent=4)
    return {"changed": False, "rc": 0, "stdout": stdout, "stderr": "", "stdout_lines": stdout.splitlines(), "cmd": ["kubectl", "get"]}


REFUSED = {
    "changed": False,
    "failed": True,
    "rc": 1,
    "stdout": "",
    "stderr": "The connection to the server 172.19.0.2:6443 was refused - did you specify the right host or port?\n",
    "msg": "non-zero return code",
}


def control_plane_pods(*nodes: str) -> list[str]:
    return [f"{component}-{n}" for component in CP_COMPONENTS for n in nodes]


def healthy_pods(*nodes: str) -> list[dict]:
    """The pods of a healthy cluster whose first node is its only control plane."""
    static = [pod("kube-system", name, nodes[0]) for name in control_plane_pods(nodes[0])]
    proxies = [pod("kube-system", f"kube-proxy-{i}x2x9", n, owner=("DaemonSet", "kube-proxy")) for i, n in enumerate(nodes)]
    dns = [pod("kube-system", f"coredns-5dd5756b68-{s}", nodes[0], owner=("ReplicaSet", "coredns-5dd5756b68")) for s in ("7lkqn", "9dwrh")]
    return static + proxies + dns


# Nodes


def test_every_expected_node_ready_is_done():
    report = node_readiness(registered([node("cp1"), node("w1", ip="172.19.0.3")], "NodeList"), ["cp1", "w1"])
    assert report == {"done": True, "problems": "", "not_ready": [], "addresses": {"cp1": "172.19.0.2", "w1": "172.19.0.3"}}


def test_missing_and_not_ready_nodes_are_named_with_their_ready_condition():
    nodes = [
        node("cp1"),
        node("w1", "False", NO_CNI),
        node("w2", "Unknown", "Kubelet stopped posting node status."),
        node("w3", None),  # registered, no Ready condition yet
        node("other", "False", NO_CNI),  # not expected: not reported
    ]
    report = node_readiness(registered(nodes), ["cp1", "w1", "w2", "w3", "w4", "w5"])
    assert report["done"] is False
    assert report["not_ready"] == [f"w1: Ready=False ({NO_CNI})", "w2: Ready=Unknown (Kubelet stopped posting node status.)", "w3: Ready=Unknown"]
    assert report["problems"] == (
        f"Not registered: w4, w5. Not Ready: w1: Ready=False ({NO_CNI}); w2: Ready=Unknown (Kubelet stopped posting node status.); w3: Ready=Unknown."
    )


def test_without_waiting_for_ready_registered_nodes_are_done_and_still_listed():
    report = node_readiness(registered([node("cp1", "False", NO_CNI), node("w1", "False", NO_CNI)]), ["cp1", "w1"], False)
    assert report["done"] is True
    assert report["problems"] == ""
    assert report["not_ready"] == [f"cp1: Ready=False ({NO_CNI})", f"w1: Ready=False ({NO_CNI})"]
    missing = node_readiness(registered([node("cp1", "False", NO_CNI)]), ["cp1", "w1"], False)
    assert (missing["done"], missing["problems"]) == (False, "Not registered: w1.")


def test_a_failed_kubectl_is_reported_alone():
    report = node_readiness(REFUSED, ["cp1", "w1"])
    assert report == {
        "done": False,
        "problems": "kubectl get nodes failed: The connection to the server 172.19.0.2:6443 was refused - did you specify the right host or port?.",
        "not_ready": [],
        "addresses": {},
    }
    # A command that did not run at all has a message and no rc.
    assert node_readiness({"failed": True, "msg": "[Errno 2] No such file or directory: b'kubectl'"}, ["cp1"])["problems"] == (
        "kubectl get nodes failed: [Errno 2] No such file or directory: b'kubectl'."
    )


def test_addresses_are_the_first_internal_ip_of_each_expected_node():
    nodes = [node("cp1", ip="fd00:10::2"), node("w1", ip=None), node("w2"), node("other", ip="172.19.0.9")]
    nodes[2]["status"]["addresses"] = [
        {"address": "203.0.113.7", "type": "ExternalIP"},
        {"address": "172.19.0.4", "type": "InternalIP"},
        {"address": "172.19.0.5", "type": "InternalIP"},
    ]
    assert node_readiness(registered(nodes), ["cp1", "w1", "w2", "w3"])["addresses"] == {"cp1": "fd00:10::2", "w2": "172.19.0.4"}


# Pods


@pytest.mark.parametrize(
    ("kwargs", "state"),
    [
        ({}, "Running"),
        ({"ready": "False"}, "Running, not Ready"),
        ({"ready": None, "phase": "Pending", "containers": [], "node_name": None}, "Pending, not Ready"),
        ({"ready": "False", "phase": "Pending", "containers": [waiting("kube-proxy", "ImagePullBackOff")]}, "Pending:ImagePullBackOff, not Ready"),
        ({"ready": "False", "containers": [waiting("a", "CrashLoopBackOff"), waiting("b", "CrashLoopBackOff")]}, "Running:CrashLoopBackOff, not Ready"),
        (
            {
                "ready": "False",
                "phase": "Pending",
                "init_containers": [waiting("install-cni", "ErrImagePull")],
                "containers": [waiting("calico-node", "PodInitializing")],
            },
            "Pending:ErrImagePull,PodInitializing, not Ready",
        ),
        ({"ready": "False", "phase": "Failed", "reason": "Evicted", "containers": []}, "Failed:Evicted, not Ready"),
        ({"ready": "False", "phase": "Succeeded", "containers": []}, "Succeeded, not Ready"),
    ],
)
def test_pod_state_is_the_phase_the_waiting_reasons_and_readiness(kwargs, state):
    assert pod_state(pod("kube-system", "x-1", **kwargs)) == state


def test_a_healthy_control_plane_is_done():
    report = pod_readiness(registered(healthy_pods("cp1", "w1"), "PodList"), control_plane_pods("cp1"), ["cp1", "w1"], ["kube-system", "kube-flannel"])
    assert report == {"done": True, "problems": "", "addons": 4, "addons_not_ready": [], "not_ready": []}


def test_control_plane_pods_not_ready_or_missing_are_named_with_their_state():
    pods = [p for p in healthy_pods("cp1") if p["metadata"]["name"] != "etcd-cp1"]
    scheduler = next(p for p in pods if p["metadata"]["name"] == "kube-scheduler-cp1")
    scheduler["status"]["conditions"][-1]["status"] = "False"
    report = pod_readiness(registered(pods), control_plane_pods("cp1"), ["cp1"])
    assert report["done"] is False
    assert report["problems"] == "Control plane pods not Ready: kube-scheduler-cp1 (Running, not Ready), etcd-cp1 (not found)."
    assert report["not_ready"] == ["kube-system/kube-scheduler-cp1 (Running, not Ready)"]


def test_kube_proxy_is_waited_for_on_each_node_it_is_asked_for():
    pods = healthy_pods("cp1")
    pods += [
        pod("kube-system", "kube-proxy-x2x9d", "w1", "Pending", "False", ("DaemonSet", "kube-proxy"), [waiting("kube-proxy", "ImagePullBackOff")]),
        # Not kube-proxy's: another namespace, another DaemonSet.
        pod("kube-flannel", "kube-proxy-zzzzz", "w2", owner=("DaemonSet", "kube-proxy")),
        pod("kube-system", "agent-abcde", "w2", owner=("DaemonSet", "agent")),
    ]
    report = pod_readiness(registered(pods), control_plane_pods("cp1"), ["cp1", "w1", "w2"])
    assert report["problems"] == "kube-proxy not Ready on: w1: kube-proxy-x2x9d (Pending:ImagePullBackOff, not Ready); w2: no kube-proxy pod."
    assert report["done"] is False
    assert pod_readiness(registered(pods), control_plane_pods("cp1"), [])["done"] is True


def test_the_last_kube_proxy_pod_of_a_node_is_named():
    old = pod("kube-system", "kube-proxy-aaaaa", "w1", ready="False", owner=("DaemonSet", "kube-proxy"))
    new = pod("kube-system", "kube-proxy-bbbbb", "w1", "Pending", "False", ("DaemonSet", "kube-proxy"), [waiting("kube-proxy", "ContainerCreating")])
    report = pod_readiness(registered([old, new]), [], ["w1"])
    assert report["problems"] == "kube-proxy not Ready on: w1: kube-proxy-bbbbb (Pending:ContainerCreating, not Ready)."


def test_both_waits_are_reported_together():
    pods = [pod("kube-system", "kube-proxy-x2x9d", "cp1", ready="False", owner=("DaemonSet", "kube-proxy"))]
    report = pod_readiness(registered(pods), ["kube-apiserver-cp1"], ["cp1"])
    assert report["problems"] == (
        "Control plane pods not Ready: kube-apiserver-cp1 (not found). kube-proxy not Ready on: cp1: kube-proxy-x2x9d (Running, not Ready)."
    )


def test_a_failed_kubectl_get_pods_is_reported_alone():
    report = pod_readiness(REFUSED, control_plane_pods("cp1"), ["cp1"], ["kube-system"])
    assert report == {
        "done": False,
        "problems": "kubectl get pods failed: The connection to the server 172.19.0.2:6443 was refused - did you specify the right host or port?.",
        "addons": 0,
        "addons_not_ready": [],
        "not_ready": [],
    }


def test_add_on_pods_are_every_pod_of_their_namespaces_but_the_control_plane_ones():
    pods = healthy_pods("cp1")
    pods[0]["status"]["conditions"][-1]["status"] = "False"  # kube-apiserver-cp1: waited for, not an add-on
    coredns = next(p for p in pods if p["metadata"]["name"] == "coredns-5dd5756b68-7lkqn")
    coredns.update(spec={"containers": []}, status={"phase": "Pending", "conditions": [condition("PodScheduled", "False", "Unschedulable", "0/1 nodes")]})
    pods += [
        pod(
            "calico-system",
            "calico-node-4kq2v",
            "cp1",
            "Pending",
            "False",
            ("DaemonSet", "calico-node"),
            [waiting("calico-node", "PodInitializing")],
            [waiting("install-cni", "ImagePullBackOff")],
        ),
        pod("kube-system", "upgrade-check-7x2lm", "cp1", "Succeeded", "False", ("Job", "upgrade-check"), []),  # completed: fine
        pod("default", "web-5c8f7d9b4-abcde", "cp1", ready="False", owner=("ReplicaSet", "web-5c8f7d9b4")),  # not an add-on namespace
    ]
    report = pod_readiness(registered(pods), control_plane_pods("cp1"), [], ["kube-system", "calico-system", "tigera-operator"])
    assert report["addons"] == 5  # kube-proxy, 2 coredns, calico-node, the job
    assert report["addons_not_ready"] == [
        "kube-system/coredns-5dd5756b68-7lkqn (Pending, not Ready)",
        "calico-system/calico-node-4kq2v (Pending:ImagePullBackOff,PodInitializing, not Ready)",
    ]
    assert report["not_ready"] == [
        "kube-system/kube-apiserver-cp1 (Running, not Ready)",
        "kube-system/coredns-5dd5756b68-7lkqn (Pending, not Ready)",
        "calico-system/calico-node-4kq2v (Pending:ImagePullBackOff,PodInitializing, not Ready)",
        "kube-system/upgrade-check-7x2lm (Succeeded, not Ready)",
        "default/web-5c8f7d9b4-abcde (Running, not Ready)",
    ]


def test_smoke_pods_without_control_plane_or_kube_proxy_are_done_and_list_what_is_not_ready():
    pods = [
        pod(
            "default",
            "kubeadm-smoke-7d4b9c-x1",
            "w1",
            ready="False",
            owner=("ReplicaSet", "kubeadm-smoke-7d4b9c"),
            containers=[waiting("web", "ErrImageNeverPull")],
        ),
        pod("default", "kubeadm-smoke-7d4b9c-x2", "w2", owner=("ReplicaSet", "kubeadm-smoke-7d4b9c")),
    ]
    report = pod_readiness(registered(pods))
    assert report["done"] is True
    assert report["not_ready"] == ["default/kubeadm-smoke-7d4b9c-x1 (Running:ErrImageNeverPull, not Ready)"]
    assert pod_readiness(registered([]))["not_ready"] == []


# Smoke fetches


def test_fetch_failures_name_the_node_the_url_and_the_error():
    results = [
        {"item": {"key": "cp1", "value": "172.19.0.2"}, "status": 200, "url": "http://172.19.0.2:30676/", "msg": "OK (615 bytes)", "attempts": 1},
        {
            "item": {"key": "w1", "value": "172.19.0.3"},
            "status": -1,
            "url": "http://172.19.0.3:30676/",
            "msg": "Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>",
            "failed": True,
            "attempts": 15,
        },
        {
            "item": {"key": "w2", "value": "fd00:10::3"},
            "status": 503,
            "url": "http://[fd00:10::3]:30676/",
            "msg": "Status code was 503 and not [200]: HTTP Error 503",
        },
        {"item": {"key": "w3", "value": "172.19.0.5"}, "failed": True},
    ]
    assert fetch_failures(results) == [
        "w1 (http://172.19.0.3:30676/: Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>)",
        "w2 (http://[fd00:10::3]:30676/: Status code was 503 and not [200]: HTTP Error 503)",
        "w3 (172.19.0.5: no answer)",
    ]
    assert fetch_failures([]) == []


def test_the_filters_are_registered():
    assert FilterModule().filters() == {"node_readiness": node_readiness, "pod_readiness": pod_readiness, "fetch_failures": fetch_failures}
