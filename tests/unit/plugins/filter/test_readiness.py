"""The verify role's readiness report, fed `kubectl get nodes|pods -o json` as its poll tasks register it.

The objects carry the fields a kubeadm cluster's API server returns (trimmed of those the report does not read,
such as managedFields and nodeInfo): conditions with reason and message, container states, owner references.
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.kubeadm.cluster.plugins.filter.readiness import (
    FilterModule,
    deployment_state,
    fetch_failures,
    node_readiness,
    pod_readiness,
    pod_state,
    ready_pod_per_node,
)

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
    labels: dict | None = None,
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
        "metadata": {
            "name": name,
            "namespace": namespace,
            "ownerReferences": [{"apiVersion": "v1", "kind": kind, "name": owner_name, "controller": True}],
            **({"labels": labels} if labels else {}),
        },
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
    dns = [
        pod("kube-system", f"coredns-5dd5756b68-{s}", nodes[0], owner=("ReplicaSet", "coredns-5dd5756b68"), labels=COREDNS_LABELS) for s in ("7lkqn", "9dwrh")
    ]
    return static + proxies + dns


COREDNS_LABELS = {"k8s-app": "kube-dns", "pod-template-hash": "5dd5756b68"}


def deployment(namespace: str = "kube-system", name: str = "coredns", replicas: int = 2, ready: int = 2) -> dict:
    """A Deployment as the deployment controller leaves it: kubeadm's CoreDNS by default, rolled out with 2 Ready replicas."""
    counts = {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": 1, "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        },
        "status": {
            **{key: value for key, value in counts.items() if value},  # the API server leaves zero counts out
            "conditions": [
                condition("Available", "True" if ready >= replicas - 1 else "False", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                condition("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}-5dd5756b68" has successfully progressed.'),
            ],
        },
    }


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
    assert report == {"done": True, "problems": "", "deployments_state": [], "addons": 4, "addons_not_ready": [], "not_ready": []}


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
    report = pod_readiness(REFUSED, control_plane_pods("cp1"), ["cp1"], ["kube-system"], ["kube-system/coredns"])
    assert report == {
        "done": False,
        "problems": "kubectl get pods failed: The connection to the server 172.19.0.2:6443 was refused - did you specify the right host or port?.",
        "deployments_state": [],
        "addons": 0,
        "addons_not_ready": [],
        "not_ready": [],
    }


# Deployments (CoreDNS), from `kubectl get pods,deployments --all-namespaces -o json`


def test_a_ready_coredns_deployment_is_done_and_named_with_its_replicas():
    report = pod_readiness(registered(healthy_pods("cp1", "w1") + [deployment()]), control_plane_pods("cp1"), ["cp1", "w1"], [], ["kube-system/coredns"])
    assert (report["done"], report["problems"]) == (True, "")
    assert report["deployments_state"] == ["kube-system/coredns: 2 of 2 replicas Ready"]


def test_a_missing_deployment_is_waited_for_and_named():
    report = pod_readiness(registered(healthy_pods("cp1")), control_plane_pods("cp1"), ["cp1"], [], ["kube-system/coredns"])
    assert report["done"] is False
    assert report["problems"] == "Deployments not Ready: kube-system/coredns: not found."
    assert report["deployments_state"] == ["kube-system/coredns: not found"]
    # Not asked for: not waited for, whatever the cluster holds.
    assert pod_readiness(registered(healthy_pods("cp1")), control_plane_pods("cp1"), ["cp1"])["done"] is True


def test_a_deployment_that_is_not_ready_names_its_pods_that_are_not():
    pods = healthy_pods("cp1", "w1")
    waiting_pod = next(p for p in pods if p["metadata"]["name"] == "coredns-5dd5756b68-9dwrh")
    waiting_pod["spec"]["nodeName"] = "w1"
    waiting_pod["status"].update(phase="Pending", containerStatuses=[waiting("coredns", "ImagePullBackOff")])
    waiting_pod["status"]["conditions"][-1]["status"] = "False"
    # Another namespace, and a pod its selector does not select: not CoreDNS's.
    pods += [
        pod("default", "coredns-abc-x1", "w1", ready="False", owner=("ReplicaSet", "coredns-abc"), labels=COREDNS_LABELS),
        pod("kube-system", "other-5d-x2", "w1", ready="False", owner=("ReplicaSet", "other-5d"), labels={"app": "other"}),
    ]
    report = pod_readiness(registered(pods + [deployment(ready=1)]), control_plane_pods("cp1"), ["cp1", "w1"], [], ["kube-system/coredns"])
    assert report["done"] is False
    state = "1 of 2 replicas Ready, coredns-5dd5756b68-9dwrh (Pending:ImagePullBackOff, not Ready)"
    assert report["problems"] == f"Deployments not Ready: kube-system/coredns: {state}."
    assert report["deployments_state"] == [f"kube-system/coredns: {state}"]


def test_deployment_pods_count_as_pods_and_the_deployments_as_nothing_else():
    """The Deployment items of a mixed list are neither pods nor add-ons."""
    report = pod_readiness(registered(healthy_pods("cp1") + [deployment()]), control_plane_pods("cp1"), ["cp1"], ["kube-system"], ["kube-system/coredns"])
    assert report["addons"] == 3  # kube-proxy and the 2 coredns pods
    assert report["not_ready"] == []


@pytest.mark.parametrize(
    ("desired", "status", "done", "state"),
    [
        (2, {}, True, "2 of 2 replicas Ready"),
        (2, {"readyReplicas": 0, "availableReplicas": 0}, False, "0 of 2 replicas Ready"),
        # A rolling update: one new replica beside two old ones, all Ready.
        (2, {"replicas": 3, "updatedReplicas": 1, "readyReplicas": 3}, False, "3 of 2 replicas Ready, 1 of 2 updated, 2 old pending termination"),
        # Updated and Ready, an old replica still terminating.
        (2, {"replicas": 3}, False, "2 of 2 replicas Ready, 1 old pending termination"),
        (2, {"observedGeneration": 0}, False, "2 of 2 replicas Ready, its last change not yet observed by the controller"),
        (0, {"replicas": 0, "updatedReplicas": 0, "readyReplicas": 0, "availableReplicas": 0}, True, "0 of 0 replicas Ready"),
    ],
)
def test_a_deployment_is_ready_once_rolled_out_with_every_replica_ready(desired, status, done, state):
    obj = deployment(replicas=desired)
    obj["status"].update(status)
    obj["status"] = {key: value for key, value in obj["status"].items() if value != 0}  # the API server leaves zero counts out
    assert deployment_state(obj) == (done, state)


def test_a_deployment_is_named_with_its_namespace():
    with pytest.raises(ValueError, match="a Deployment is named <namespace>/<name>, not 'coredns'"):
        pod_readiness(registered([]), deployments=["coredns"])


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


# Smoke pods to run the DNS checks in


def test_one_ready_pod_per_node_in_the_order_of_the_nodes_first_ready_pod():
    owner = ("ReplicaSet", "kubeadm-smoke-7d4b9c")
    pods = [
        pod("default", "kubeadm-smoke-7d4b9c-x1", "w1", ready="False", owner=owner, containers=[waiting("web", "ContainerCreating")]),
        pod("default", "kubeadm-smoke-7d4b9c-x2", "w2", owner=owner),
        pod("default", "kubeadm-smoke-7d4b9c-x3", "w1", owner=owner),
        pod("default", "kubeadm-smoke-7d4b9c-x4", "w2", owner=owner),
        pod("default", "kubeadm-smoke-7d4b9c-x5", None, "Pending", None, owner, []),  # not scheduled
    ]
    assert ready_pod_per_node(registered(pods)) == [
        {"name": "kubeadm-smoke-7d4b9c-x2", "namespace": "default", "node": "w2"},
        {"name": "kubeadm-smoke-7d4b9c-x3", "namespace": "default", "node": "w1"},
    ]
    assert ready_pod_per_node(registered(pods[:1])) == []
    assert ready_pod_per_node(REFUSED) == []


def test_pods_being_deleted_are_not_chosen_though_they_still_read_ready():
    # A re-run applies the smoke Deployment while the pods of the previous run's still terminate: same
    # template, same ReplicaSet hash, same labels.
    owner = ("ReplicaSet", "kubeadm-smoke-7d4b9c")
    old = pod("default", "kubeadm-smoke-7d4b9c-old1", "w1", owner=owner)
    old["metadata"]["deletionTimestamp"] = "2026-12-07T10:47:09Z"
    old["metadata"]["deletionGracePeriodSeconds"] = 30
    pods = [old, pod("default", "kubeadm-smoke-7d4b9c-new1", "cp1", owner=owner), pod("default", "kubeadm-smoke-7d4b9c-new2", "w1", owner=owner)]
    assert ready_pod_per_node(registered(pods)) == [
        {"name": "kubeadm-smoke-7d4b9c-new1", "namespace": "default", "node": "cp1"},
        {"name": "kubeadm-smoke-7d4b9c-new2", "namespace": "default", "node": "w1"},
    ]


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
    assert FilterModule().filters() == {
        "node_readiness": node_readiness,
        "pod_readiness": pod_readiness,
        "ready_pod_per_node": ready_pod_per_node,
        "fetch_failures": fetch_failures,
    }
