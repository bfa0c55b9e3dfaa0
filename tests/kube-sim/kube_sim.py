#!/usr/bin/env python
"""kube-sim: a TEST DOUBLE standing in for kubeadm, kubelet, kubectl and crictl.

Only for kubeadm.cluster's offline tests: it is packaged by tests/mirror into the same .debs the
real binaries would go into, so the roles run unchanged against it. It is never shipped in a role.
One program, dispatched on the name it is called by. See README.md for what is simulated.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import http.client
import http.server
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import yaml

VERSION = "@KUBE_VERSION@"
if VERSION.startswith("@"):
    VERSION = os.environ.get("KUBE_SIM_VERSION", "1.30.5")
# Unit tests run the tools on the host under a root prefix and start the kubelet themselves.
ROOT = os.environ.get("KUBE_SIM_ROOT", "")
HEARTBEAT = float(os.environ.get("KUBE_SIM_HEARTBEAT", "2"))
GRACE = float(os.environ.get("KUBE_SIM_GRACE", "40"))
STACK_HINT = "To see the stack trace of this error execute with --v=5 or higher"
DEFAULT_GROUP = "system:bootstrappers:kubeadm:default-node-token"
ADMIN_GROUPS = {"system:masters", "kubeadm:cluster-admins"}
TOKEN_RE = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")


def p(path: str) -> str:
    return ROOT + path


K8S = p("/etc/kubernetes")
PKI = p("/etc/kubernetes/pki")
MANIFESTS = p("/etc/kubernetes/manifests")
KUBELET_DIR = p("/var/lib/kubelet")
ETCD_DIR = p("/var/lib/etcd")
STATE = p("/var/lib/etcd/kube-sim-state.json")
CNI_DIR = p("/etc/cni/net.d")


class Fail(Exception):
    """A failure printed the way the real tool prints it, with its exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_duration(text: str, strip: bool = True) -> float:
    """A Go duration as time.ParseDuration reads it (15m, 1h30m, 15m0s, 1.5h, 300ms, -1s, 0), in seconds."""
    orig = text = str(text).strip() if strip else str(text)
    sign = -1.0 if text.startswith("-") else 1.0
    text = text[1:] if text[:1] in "+-" else text
    if text == "0":
        return 0.0
    parts = re.findall(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)?", text)
    if not text or not parts or "".join(n + u for n, u in parts) != text:
        raise Fail(f'time: invalid duration "{orig}"')
    if any(not unit for _n, unit in parts):
        raise Fail(f'time: missing unit in duration "{orig}"')
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ns": 1e-9}
    return sign * sum(float(n) * scale[u] for n, u in parts)


def write(path: str, data: str | bytes, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise Fail(f"openssl {args[0]} failed: {result.stderr.decode().strip()}")
    return result.stdout


# --- certificates -------------------------------------------------------------------------


def make_ca(prefix: str, cn: str) -> None:
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f"{prefix}.key",
        "-out",
        f"{prefix}.crt",
        "-days",
        "3650",
        "-subj",
        f"/CN={cn}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
    )
    os.chmod(f"{prefix}.key", 0o600)


def sign_csr(csr_pem: bytes, ca: str, usage: str, sans: list[str] | None = None) -> bytes:
    """Sign a CSR with the CA at prefix `ca`; usage is clientAuth or serverAuth."""
    with tempfile.TemporaryDirectory() as tmp:
        ext = os.path.join(tmp, "ext")
        lines = [f"extendedKeyUsage={usage}", "keyUsage=critical,digitalSignature,keyEncipherment", "basicConstraints=critical,CA:FALSE"]
        if sans:
            lines.append("subjectAltName=" + ",".join(("IP:" if is_ip(s) else "DNS:") + s for s in sans))
        write(ext, "\n".join(lines) + "\n")
        return openssl(
            "x509", "-req", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-set_serial", str(secrets.randbits(63)), "-days", "365", "-extfile", ext, stdin=csr_pem
        )


def new_key_and_csr(cn: str, org: str = "") -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "k")
        subj = (f"/O={org}" if org else "") + f"/CN={cn}"
        csr = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", subj)
        with open(key, "rb") as handle:
            return handle.read(), csr


def issue(prefix: str, ca: str, cn: str, org: str = "", usage: str = "clientAuth", sans: list[str] | None = None) -> tuple[bytes, bytes]:
    key, csr = new_key_and_csr(cn, org)
    cert = sign_csr(csr, ca, usage, sans)
    if prefix:
        write(f"{prefix}.crt", cert)
        write(f"{prefix}.key", key, 0o600)
    return cert, key


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def spki_pin(cert_pem: bytes) -> str:
    """kubeadm's discovery pin: SHA-256 of the DER SubjectPublicKeyInfo, via the openssl CLI."""
    pub = openssl("x509", "-pubkey", "-noout", stdin=cert_pem)
    der = openssl("pkey", "-pubin", "-outform", "DER", stdin=pub)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def cert_subject(cert_pem: bytes) -> tuple[str, list[str]]:
    text = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", stdin=cert_pem).decode().strip()
    fields = [f.split("=", 1) for f in re.split(r"(?<!\\),", text.split("=", 1)[1] if text.startswith("subject=") else text)]
    cn = next((v for k, v in fields if k.strip() == "CN"), "")
    return cn, [v for k, v in fields if k.strip() == "O"]


# --- kubeconfigs and the API client ---------------------------------------------------------


def kubeconfig_text(server: str, ca_pem: bytes, user: str, cert: bytes, key: bytes, cluster: str = "kubernetes") -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"certificate-authority-data": b64(ca_pem), "server": server}}],
        "contexts": [{"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}],
        "current-context": f"{user}@{cluster}",
        "preferences": {},
        "users": [{"name": user, "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)}}],
    }
    return yaml.safe_dump(doc, sort_keys=False)


class Kubeconfig:
    def __init__(self, path: str):
        doc = yaml.safe_load(read(path)) or {}
        ctx_name = doc.get("current-context")
        ctx = next((c["context"] for c in doc.get("contexts", []) if c["name"] == ctx_name), None) or {}
        cluster = next((c["cluster"] for c in doc.get("clusters", []) if c["name"] == ctx.get("cluster")), None)
        if cluster is None and doc.get("clusters"):
            cluster = doc["clusters"][0]["cluster"]
        user = next((u["user"] for u in doc.get("users", []) if u["name"] == ctx.get("user")), {}) or {}
        self.server = (cluster or {}).get("server", "")
        self.ca = base64.b64decode((cluster or {}).get("certificate-authority-data", "")) if cluster else b""
        self.cert = base64.b64decode(user.get("client-certificate-data", "")) if user.get("client-certificate-data") else b""
        self.key = base64.b64decode(user.get("client-key-data", "")) if user.get("client-key-data") else b""


class Client:
    """HTTPS to the simulated API server: verified against a CA, with a client cert or a bearer token."""

    def __init__(self, server: str, ca: bytes | None = None, cert: bytes = b"", key: bytes = b"", token: str = ""):
        url = server.replace("https://", "")
        self.host, _sep, port = url.rstrip("/").rpartition(":")
        self.host = self.host.strip("[]") or url
        self.port = int(port or 443)
        self.server, self.token = server, token
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ca:
            self.ctx.load_verify_locations(cadata=ca.decode())
            self.ctx.check_hostname = True
        else:
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE
        if cert and key:
            with tempfile.TemporaryDirectory() as tmp:
                cfile, kfile = os.path.join(tmp, "c"), os.path.join(tmp, "k")
                write(cfile, cert, 0o600)
                write(kfile, key, 0o600)
                self.ctx.load_cert_chain(cfile, kfile)

    @classmethod
    def from_kubeconfig(cls, path: str) -> Client:
        cfg = Kubeconfig(path)
        return cls(cfg.server, cfg.ca, cfg.cert, cfg.key)

    def call(self, method: str, path: str, body: object = None, timeout: float = 10) -> tuple[int, object]:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            resp = conn.getresponse()
            raw = resp.read().decode()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw)
        except ValueError:
            return resp.status, raw

    def ok(self, method: str, path: str, body: object = None) -> object:
        try:
            status, data = self.call(method, path, body)
        except (OSError, ssl.SSLError) as exc:
            raise Fail(f"Unable to connect to the server: dial tcp {self.host}:{self.port}: connect: {exc}") from exc
        if status >= 300:
            message = data.get("message", data) if isinstance(data, dict) else data
            raise Fail(f"Error from server: {message}")
        return data


def jws_detached(payload: str, token_id: str, secret: str) -> str:
    header = b64url(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    body = b64url(payload.encode())
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}..{b64url(signature)}"


# --- the API server (run by the kubelet from the kube-apiserver static pod manifest) ------------


class State:
    """The simulated etcd: one JSON file, 0600, written atomically under a lock."""

    lock = threading.RLock()

    @staticmethod
    def load() -> dict:
        with State.lock:
            data = json.loads(read(STATE)) if os.path.exists(STATE) else {}
        for key, empty in (("tokens", {}), ("nodes", {}), ("objects", {}), ("control_planes", []), ("skip_phases", []), ("pod_subnet", ""), ("cidr_next", 0)):
            data.setdefault(key, empty)
        expired = [tid for tid, tok in data["tokens"].items() if tok.get("expires") and tok["expires"] <= now()]
        for tid in expired:  # the token cleaner
            del data["tokens"][tid]
        return data

    @staticmethod
    def save(data: dict) -> None:
        with State.lock:
            write(STATE, json.dumps(data, indent=1, sort_keys=True), 0o600)


def node_ready(node: dict) -> tuple[str, str, str]:
    if now() - node.get("heartbeat", 0) > GRACE:
        return "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
    if node.get("ready"):
        return "True", "KubeletReady", "kubelet is posting ready status"
    return "False", node.get("reason", "KubeletNotReady"), node.get("message", "")


def node_object(name: str, node: dict, control_planes: list[str]) -> dict:
    status, reason, message = node_ready(node)
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    taints = []
    if name in control_planes:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    if status != "True":
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "creationTimestamp": rfc3339(node.get("created", now()))},
        "spec": {"taints": taints, **({"podCIDR": node["podCIDRs"][0], "podCIDRs": node["podCIDRs"]} if node.get("podCIDRs") else {})},
        "status": {
            "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message, "lastHeartbeatTime": rfc3339(node.get("heartbeat", 0))}],
            "addresses": [{"type": "InternalIP", "address": node.get("address", "")}, {"type": "Hostname", "address": name}],
            "nodeInfo": {
                "kubeletVersion": f"v{node.get('version', VERSION)}",
                "containerRuntimeVersion": node.get("runtime", ""),
                "osImage": node.get("os", ""),
                "kernelVersion": os.uname().release,
            },
        },
    }


# Generated pod name suffixes use this alphabet (k8s.io/apimachinery/pkg/util/rand): no vowels, no 0, 1, 3.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
COREDNS_TAGS = {28: "v1.10.1", 29: "v1.11.1", 30: "v1.11.1", 31: "v1.11.3"}


def name_suffix(seed: str, length: int = 5) -> str:
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in hashlib.sha256(seed.encode()).digest()[:length])


def minor_version(version: str) -> int:
    with contextlib.suppress(IndexError, ValueError):
        return int(version.lstrip("v").split(".")[1])
    return 0


def pod_status(mode: str, containers: list[tuple[str, str]], since: float, message: str = "") -> dict:
    """A pod's status as the kubelet, the scheduler and the node lifecycle controller leave it. mode:
    "running"      started, every container ready;
    "node-lost"    its node stopped posting status: the node lifecycle controller set Ready to False
                   (no reason), the rest is the kubelet's last report (phase Running, containers ready);
    "creating"     scheduled, the sandbox cannot start yet (no pod network): containers waiting in
                   ContainerCreating, Ready and ContainersReady False with reason ContainersNotReady;
    "unschedulable"  Pending, only PodScheduled False (reason Unschedulable, the scheduler's message)."""
    ts = rfc3339(since)

    def cond(kind: str, ok: bool, reason: str = "", text: str = "") -> dict:
        c = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": ts}
        return {**c, **({"reason": reason} if reason else {}), **({"message": text} if text else {})}

    if mode == "unschedulable":
        return {"phase": "Pending", "conditions": [cond("PodScheduled", False, "Unschedulable", message)], "qosClass": "Burstable"}
    started = mode in ("running", "node-lost")
    unready = () if started else ("ContainersNotReady", f"containers with unready status: [{' '.join(c for c, _image in containers)}]")
    conditions = [cond("PodReadyToStartContainers", started)] if minor_version(VERSION) >= 29 else []  # beta, on by default from 1.29
    conditions += [
        cond("Initialized", True),
        cond("Ready", mode == "running", *unready),
        cond("ContainersReady", started, *unready),
        cond("PodScheduled", True),
    ]
    statuses = [
        {
            "name": name,
            "image": image,
            "imageID": "",
            "ready": started,
            "restartCount": 0,
            "started": started,
            "lastState": {},
            "state": {"running": {"startedAt": ts}} if started else {"waiting": {"reason": "ContainerCreating"}},
        }
        for name, image in containers
    ]
    return {"phase": "Running" if started else "Pending", "conditions": conditions, "containerStatuses": statuses, "qosClass": "Burstable", "startTime": ts}


def pod(spec: dict, mode: str, since: float, owner: str = "", labels: dict | None = None, message: str = "") -> dict:
    """spec: name, namespace, node ('' when unscheduled), containers [(name, image)], hostNetwork."""
    name = spec["name"]
    metadata = {"name": name, "namespace": spec["namespace"], "creationTimestamp": rfc3339(since), **({"labels": labels} if labels else {})}
    kind, _sep, owner_name = owner.partition("/")
    if kind == "Node":  # a mirror pod: its kubelet makes the Node its owner, so it goes with the Node
        metadata["annotations"] = {"kubernetes.io/config.mirror": name_suffix(name, 32), "kubernetes.io/config.source": "file"}
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": owner_name}]
    elif owner:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": owner_name, "controller": True, "blockOwnerDeletion": True}]
    pod_spec = {
        **({"nodeName": spec["node"]} if spec["node"] else {}),
        **({"hostNetwork": True} if spec.get("hostNetwork") else {}),
        "containers": [{"name": c, "image": image} for c, image in spec["containers"]],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec, "status": pod_status(mode, spec["containers"], since, message)}


def pods(state: dict) -> list[dict]:  # noqa: C901 - one branch per kind of pod
    """The pods of a kubeadm cluster, from the nodes' heartbeats and the applied objects (no containers run).
    On a node that posts its status a pod runs and is Ready: host-network pods (static pods, kube-proxy) at
    once, the others once the node has a pod network. On a node that stopped posting it stays Running, not
    Ready. Static pods appear once their kubelet registered its Node and go with it; kube-proxy, a pod per
    Node, unless kubeadm skipped addon/kube-proxy; CoreDNS, two replicas, on the first Ready node."""
    cluster = state.get("cluster_config") or {}
    repo = cluster.get("imageRepository") or "registry.k8s.io"
    version = (cluster.get("kubernetesVersion") or f"v{VERSION}").lstrip("v")
    skip = set(state["skip_phases"])
    nodes = state["nodes"]

    def mode(node: str, host_network: bool) -> str:
        status, _reason, message = node_ready(nodes[node])
        if status == "Unknown":
            return "node-lost"
        return "creating" if not host_network and status != "True" and "NetworkPluginNotReady" in message else "running"

    def since(node: str) -> float:
        return nodes[node].get("created", now())

    result = []
    for cp in state["control_planes"]:
        if cp not in nodes:
            continue
        for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            image = f"{repo}/etcd:3.5.12-0" if component == "etcd" else f"{repo}/{component}:v{version}"
            spec = {"name": f"{component}-{cp}", "namespace": "kube-system", "node": cp, "containers": [(component, image)], "hostNetwork": True}
            result.append(pod(spec, mode(cp, True), since(cp), f"Node/{cp}", {"component": component, "tier": "control-plane"}))
    if "addon/coredns" not in skip and "addon" not in skip:
        ready = sorted(n for n in nodes if node_ready(nodes[n])[0] == "True")
        coredns = "coredns/coredns" if repo == "registry.k8s.io" else "coredns"
        image = f"{repo}/{coredns}:{COREDNS_TAGS.get(minor_version(version), 'v1.11.1')}"
        total = len(nodes)
        unschedulable = (
            f"0/{total} nodes are available: {total} node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}. "
            f"preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling."
            if total
            else "no nodes available to schedule pods"
        )
        for suffix in ("7db6d8ff4d-4x2lp", "7db6d8ff4d-9zq7m"):
            spec = {"name": f"coredns-{suffix}", "namespace": "kube-system", "node": ready[0] if ready else "", "containers": [("coredns", image)]}
            labels = {"k8s-app": "kube-dns", "pod-template-hash": "7db6d8ff4d"}
            created = since(ready[0]) if ready else min((since(n) for n in nodes), default=now())
            result.append(pod(spec, mode(ready[0], False) if ready else "unschedulable", created, "ReplicaSet/coredns-7db6d8ff4d", labels, unschedulable))
    daemonsets = []
    if "addon/kube-proxy" not in skip and "addon" not in skip:
        daemonsets.append(("kube-system", "kube-proxy", True, [("kube-proxy", f"{repo}/kube-proxy:v{version}")], {"k8s-app": "kube-proxy"}))
    for obj in state["objects"].values():
        if obj.get("kind") == "DaemonSet":
            meta = obj.get("metadata") or {}
            template = (obj.get("spec") or {}).get("template") or {}
            tspec = template.get("spec") or {}
            containers = [(c.get("name", ""), c.get("image", "")) for c in tspec.get("containers") or []] or [(meta.get("name"), "")]
            labels = (template.get("metadata") or {}).get("labels") or {}
            daemonsets.append((meta.get("namespace", "default"), meta.get("name"), bool(tspec.get("hostNetwork")), containers, labels))
    for n in sorted(nodes):
        for namespace, ds, host_network, containers, labels in daemonsets:
            spec = {"name": f"{ds}-{name_suffix(f'{ds}/{n}')}", "namespace": namespace, "node": n, "containers": containers, "hostNetwork": host_network}
            result.append(pod(spec, mode(n, host_network), since(n), f"DaemonSet/{ds}", {**labels, "pod-template-generation": "1"}))
    return result


COREDNS_SELECTOR = {"k8s-app": "kube-dns"}


def deployments(state: dict, pod_list: list[dict]) -> list[dict]:
    """The Deployments of a kubeadm cluster: CoreDNS's, kube-system/coredns, unless kubeadm skipped addon/coredns
    (or addon), with the status the deployment controller gives it from its two pods (zero counts left out, as the
    API server does; Available while at most one replica, kubeadm's maxUnavailable, is not)."""
    skip = set(state["skip_phases"])
    if "addon/coredns" in skip or "addon" in skip:
        return []
    selected = [x for x in pod_list if x["metadata"]["namespace"] == "kube-system" and (x["metadata"].get("labels") or {}).items() >= COREDNS_SELECTOR.items()]
    ready = sum(1 for x in selected if any(c["type"] == "Ready" and c["status"] == "True" for c in x["status"].get("conditions", [])))
    replicas = 2
    created = min((x["metadata"]["creationTimestamp"] for x in selected), default=rfc3339(now()))
    counts = {"observedGeneration": 1, "replicas": len(selected), "updatedReplicas": len(selected), "readyReplicas": ready, "availableReplicas": ready}
    counts["unavailableReplicas"] = replicas - ready

    def cond(kind: str, ok: bool, reason: str, message: str) -> dict:
        return {
            "type": kind,
            "status": "True" if ok else "False",
            "lastUpdateTime": created,
            "lastTransitionTime": created,
            "reason": reason,
            "message": message,
        }

    template = {
        "metadata": {"labels": dict(COREDNS_SELECTOR)},
        "spec": {"containers": [{"name": c["name"], "image": c["image"]} for c in selected[0]["spec"]["containers"]] if selected else []},
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(COREDNS_SELECTOR), "generation": 1, "creationTimestamp": created},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(COREDNS_SELECTOR)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": template,
            },
            "status": {
                **{key: value for key, value in counts.items() if value},
                "conditions": [
                    cond(
                        "Available",
                        ready >= replicas - 1,
                        "MinimumReplicasAvailable" if ready >= replicas - 1 else "MinimumReplicasUnavailable",
                        "Deployment has minimum availability." if ready >= replicas - 1 else "Deployment does not have minimum availability.",
                    ),
                    cond(
                        "Progressing",
                        True,
                        "NewReplicaSetAvailable" if ready == replicas else "ReplicaSetUpdated",
                        'ReplicaSet "coredns-7db6d8ff4d" has successfully progressed.'
                        if ready == replicas
                        else 'ReplicaSet "coredns-7db6d8ff4d" is progressing.',
                    ),
                ],
            },
        }
    ]


NODE_CIDR_MASK = {4: 24, 6: 64}  # kube-controller-manager's --node-cidr-mask-size defaults


def allocate_pod_cidrs(state: dict) -> list[str]:
    """What kube-controller-manager's range allocator (--allocate-node-cidrs, which kubeadm sets when
    podSubnet is given) gives a new Node: the next free /24 (IPv4) or /64 (IPv6) of each pod subnet,
    searching on from the one after the last handed out."""
    subnets = [ipaddress.ip_network(s.strip(), strict=False) for s in state.get("pod_subnet", "").split(",") if s.strip()]
    if not subnets or any(net.prefixlen > NODE_CIDR_MASK[net.version] for net in subnets):
        return []
    used = {cidr for node in state["nodes"].values() for cidr in node.get("podCIDRs", [])}
    count = min(2 ** (NODE_CIDR_MASK[net.version] - net.prefixlen) for net in subnets)
    for step in range(count):
        index = (state.get("cidr_next", 0) + step) % count
        cidrs = []
        for net in subnets:
            mask = NODE_CIDR_MASK[net.version]
            cidrs.append(f"{net.network_address + index * 2 ** (net.max_prefixlen - mask)}/{mask}")
        if not used.intersection(cidrs):
            state["cidr_next"] = (index + 1) % count
            return cidrs
    return []  # the pod subnet is full: the Node gets no podCIDR, as with the real allocator


def object_key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('apiVersion')}/{obj.get('kind')}/{meta.get('namespace', '')}/{meta.get('name')}"


def resource_name(obj: dict) -> str:
    group = obj.get("apiVersion", "v1").rpartition("/")[0]
    return f"{obj.get('kind', '').lower()}{'.' + group if group else ''}/{(obj.get('metadata') or {}).get('name')}"


def encrypt(key_hex: str, data: bytes) -> dict:
    """kubeadm encrypts uploaded certs with AES-GCM; the stdlib has no AES, so this uses a SHA-256
    counter keystream with an HMAC-SHA256 tag, keyed by the same 32-byte certificate key."""
    key, nonce = bytes.fromhex(key_hex), secrets.token_bytes(16)
    stream = b"".join(hashlib.sha256(key + nonce + i.to_bytes(8, "big")).digest() for i in range(len(data) // 32 + 1))
    cipher = bytes(a ^ b for a, b in zip(data, stream))
    tag = hmac.new(key, nonce + cipher, hashlib.sha256).hexdigest()
    return {"nonce": nonce.hex(), "data": b64(cipher), "tag": tag}


def decrypt(key_hex: str, blob: dict) -> bytes:
    key, nonce, cipher = bytes.fromhex(key_hex), bytes.fromhex(blob["nonce"]), base64.b64decode(blob["data"])
    if not hmac.compare_digest(hmac.new(key, nonce + cipher, hashlib.sha256).hexdigest(), blob["tag"]):
        raise Fail("error downloading the secret: error decoding secret data with provided key: cipher: message authentication failed")
    stream = b"".join(hashlib.sha256(key + nonce + i.to_bytes(8, "big")).digest() for i in range(len(cipher) // 32 + 1))
    return bytes(a ^ b for a, b in zip(cipher, stream))


class ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet, like a static pod's log
        pass

    def reply(self, status: int, body: object) -> None:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def deny(self, status: int, message: str) -> None:
        self.reply(status, {"kind": "Status", "status": "Failure", "message": message, "code": status})

    def identity(self, state: dict) -> tuple[str, set[str]]:
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if peer:
            subject = dict(item[0] for item in peer.get("subject", ()))
            orgs = {item[0][1] for item in peer.get("subject", ()) if item[0][0] == "organizationName"}
            return subject.get("commonName", ""), orgs
        auth = self.headers.get("Authorization", "")
        match = TOKEN_RE.match(auth[7:]) if auth.startswith("Bearer ") else None
        if match:
            tok = state["tokens"].get(match.group(1))
            if tok and hmac.compare_digest(tok["secret"], match.group(2)) and "authentication" in tok.get("usages", []):
                return f"system:bootstrap:{match.group(1)}", set(tok.get("groups", []))
        return "system:anonymous", set()

    def body(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null") if length else None

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_PUT(self) -> None:
        self.route("PUT")

    def do_DELETE(self) -> None:
        self.route("DELETE")

    def route(self, method: str) -> None:  # noqa: C901 - one table of routes reads best
        with State.lock:
            state = State.load()
            path = self.path.split("?")[0].rstrip("/")
            if path in ("/healthz", "/readyz", "/livez"):
                return self.reply(200, "ok")
            if path == "/api/v1/namespaces/kube-public/configmaps/cluster-info" and method == "GET":
                data = {"kubeconfig": state["cluster_info"]}
                for tid, tok in state["tokens"].items():
                    if "signing" in tok.get("usages", []):
                        data[f"jws-kubeconfig-{tid}"] = jws_detached(state["cluster_info"], tid, tok["secret"])
                return self.reply(200, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-info"}, "data": data})
            user, groups = self.identity(state)
            admin = bool(groups & ADMIN_GROUPS)
            bootstrap = user.startswith("system:bootstrap:")
            node_user = user[len("system:node:") :] if user.startswith("system:node:") and "system:nodes" in groups else ""
            if user == "system:anonymous":
                return self.deny(401, "Unauthorized")
            payload = self.body() if method in ("POST", "PUT") else None

            if bootstrap:
                if path == "/sim/v1/csr" and method == "POST":
                    name = payload["node"]
                    node = state["nodes"].get(name)
                    if node and node_ready(node)[0] == "True":
                        return self.deny(
                            409,
                            f'a Node with name "{name}" and status "Ready" already exists in the cluster. '
                            "You must delete the existing Node or change the name of this new joining Node",
                        )
                    cert = sign_csr(payload["csr"].encode(), os.path.join(PKI, "ca"), "clientAuth")
                    cn, _orgs = cert_subject(cert)
                    if cn != f"system:node:{name}":
                        return self.deny(403, "CSR subject does not match the node name")
                    if payload.get("control_plane"):
                        if name not in state["control_planes"]:
                            state["control_planes"].append(name)
                        State.save(state)
                    return self.reply(201, {"certificate": cert.decode()})
                if path == "/sim/v1/kubelet-config" and method == "GET":
                    return self.reply(200, {"kubelet": state["kubelet_config"], "cluster": state["cluster_config"]})
                if path == "/sim/v1/kubeadm-certs" and method == "GET":
                    certs = state.get("certs")
                    if not certs or certs["expires"] <= now():
                        return self.deny(404, 'secrets "kubeadm-certs" not found')
                    return self.reply(200, certs["blob"])
                return self.deny(403, f'User "{user}" cannot {method.lower()} {path}')

            if path == "/api/v1/nodes" and method == "GET" and (admin or node_user):
                items = [node_object(n, node, state["control_planes"]) for n, node in sorted(state["nodes"].items())]
                return self.reply(200, {"apiVersion": "v1", "kind": "NodeList", "items": items})
            match = re.fullmatch(r"/api/v1/nodes/([^/]+)(/status)?", path)
            if match:
                name = match.group(1)
                if method == "PUT" and match.group(2) and node_user == name:
                    # Only a kubelet's first post registers the Node: a deleted Node stays gone
                    # until that kubelet restarts, as with the real kubelet.
                    if not payload.pop("register", False) and name not in state["nodes"]:
                        return self.deny(404, f'nodes "{name}" not found')
                    if name not in state["nodes"]:
                        state["nodes"][name] = {"created": now(), "podCIDRs": allocate_pod_cidrs(state)}
                    node = state["nodes"][name]
                    node.update(payload, heartbeat=now())
                    State.save(state)
                    return self.reply(200, node_object(name, node, state["control_planes"]))
                if method == "GET" and (admin or node_user == name) and name in state["nodes"]:
                    return self.reply(200, node_object(name, state["nodes"][name], state["control_planes"]))
                if method == "DELETE" and admin and name in state["nodes"]:
                    del state["nodes"][name]
                    State.save(state)
                    return self.reply(200, {"kind": "Status", "status": "Success"})
                return self.deny(404, f'nodes "{name}" not found')
            selector = re.search(r"fieldSelector=spec\.nodeName(?:%3D|=)([^&]+)", self.path)
            if path == "/api/v1/pods" and method == "GET" and selector and (admin or node_user == selector.group(1)):
                items = [x for x in pods(state) if x["spec"].get("nodeName") == selector.group(1)]
                return self.reply(200, {"apiVersion": "v1", "kind": "PodList", "items": items})
            if path == "/apis/apps/v1/daemonsets" and method == "GET" and (admin or node_user):
                items = [o for o in state["objects"].values() if o.get("kind") == "DaemonSet"]
                return self.reply(200, {"apiVersion": "apps/v1", "kind": "DaemonSetList", "items": items})
            if not admin:
                return self.deny(403, f'User "{user}" cannot {method.lower()} {path}')
            match = re.fullmatch(r"/api/v1(?:/namespaces/([^/]+))?/pods", path)
            if match and method == "GET":
                items = [x for x in pods(state) if match.group(1) in (None, x["metadata"]["namespace"])]
                return self.reply(200, {"apiVersion": "v1", "kind": "PodList", "items": items})
            match = re.fullmatch(r"/apis/apps/v1(?:/namespaces/([^/]+))?/deployments", path)
            if match and method == "GET":
                items = [x for x in deployments(state, pods(state)) if match.group(1) in (None, x["metadata"]["namespace"])]
                return self.reply(200, {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": items})
            if path == "/sim/v1/objects" and method == "POST":  # apply
                key = object_key(payload)
                old = state["objects"].get(key)
                state["objects"][key] = payload
                State.save(state)
                return self.reply(200, {"result": "created" if old is None else ("unchanged" if old == payload else "configured")})
            if path == "/sim/v1/objects/lookup" and method == "POST":
                return self.reply(200, {"exists": object_key(payload) in state["objects"]})
            if path == "/sim/v1/tokens":
                if method == "GET":
                    return self.reply(200, state["tokens"])
                token = payload.get("token") or f"{secrets.token_hex(8)[:6]}.{secrets.token_hex(8)}"
                match = TOKEN_RE.match(token)
                if not match:
                    return self.deny(400, f'the bootstrap token "{token}" was not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')
                ttl = payload.get("ttl", 86400)
                state["tokens"][match.group(1)] = {
                    "secret": match.group(2),
                    "expires": now() + ttl if ttl else None,
                    "description": payload.get("description", ""),
                    "usages": payload.get("usages") or ["authentication", "signing"],
                    "groups": payload.get("groups") or [DEFAULT_GROUP],
                }
                State.save(state)
                return self.reply(201, {"token": token})
            match = re.fullmatch(r"/sim/v1/tokens/([a-z0-9]+)", path)
            if match and method == "DELETE":
                if match.group(1) not in state["tokens"]:
                    return self.deny(404, f'secrets "bootstrap-token-{match.group(1)}" not found')
                del state["tokens"][match.group(1)]
                State.save(state)
                return self.reply(200, {"kind": "Status", "status": "Success"})
            if path == "/sim/v1/kubeadm-certs" and method == "POST":
                state["certs"] = {"blob": payload, "expires": now() + 7200}
                State.save(state)
                return self.reply(201, {})
            return self.deny(404, f"the server could not find the requested resource ({path})")


class ApiServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int):
        super().__init__(("0.0.0.0", port), ApiHandler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(PKI, "apiserver.crt"), os.path.join(PKI, "apiserver.key"))
        ctx.load_verify_locations(os.path.join(PKI, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        self.socket = ctx.wrap_socket(self.socket, server_side=True)


# --- kubelet ------------------------------------------------------------------------------------


def flag_values(args: list[str]) -> dict[str, str]:
    values = {}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("-"):
                value = args[i + 1]
            values[name] = value
    return values


def socket_path(endpoint: str) -> str:
    return p(endpoint.replace("unix://", ""))


def local_address() -> str:
    """The address of the default route, found without sending a packet."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostbyname(socket.gethostname())


def cni_ready() -> bool:
    return os.path.isdir(CNI_DIR) and any(f.endswith((".conf", ".conflist")) for f in os.listdir(CNI_DIR))


def run_cni_installers(client: Client) -> set[str]:
    """What a CNI DaemonSet's install container does on each node: drop a conflist. Returns the names of
    those DaemonSets."""
    status, data = client.call("GET", "/apis/apps/v1/daemonsets")
    if status != 200:
        return set()
    names = set()
    for ds in data.get("items", []):
        volumes = (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
        if any((v.get("hostPath") or {}).get("path", "").rstrip("/") == "/etc/cni/net.d" for v in volumes):
            name = ds["metadata"]["name"]
            names.add(name)
            conf = {"cniVersion": "0.3.1", "name": "k8s-pod-network", "plugins": [{"type": name.split("-")[0]}, {"type": "portmap"}]}
            target = os.path.join(CNI_DIR, f"10-{name}.conflist")
            if not os.path.exists(target):
                write(target, json.dumps(conf, indent=2) + "\n")
    return names


POD_BRIDGE = "cni0"


def pod_gateway(cidr: str) -> str:
    """The address the CNI bridge takes in a node's pod CIDR: the first one, 10.244.1.1/24 for 10.244.1.0/24."""
    net = ipaddress.ip_network(cidr, strict=False)
    return f"{net.network_address + 1}/{net.prefixlen}"


def ip_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def cni_bridge_name() -> str:
    """The bridge the node's CNI config names (in its first config file, the one containerd uses), else cni0."""
    files = sorted(f for f in os.listdir(CNI_DIR) if f.endswith((".conf", ".conflist"))) if os.path.isdir(CNI_DIR) else []
    for name in files[:1]:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            conf = json.loads(read(os.path.join(CNI_DIR, name)))
            for plugin in conf.get("plugins") or [conf]:
                if plugin.get("type") == "bridge" and plugin.get("bridge"):
                    return str(plugin["bridge"])
    return POD_BRIDGE


def ensure_pod_bridge(cidrs: list[str], bridge: str = POD_BRIDGE) -> dict:
    """What the CNI bridge plugin does for the first pod on the node's pod network: a bridge (`cni0`) holding
    the first address of each of the node's pod CIDRs (a dummy link where bridges cannot be made). Under
    KUBE_SIM_ROOT, or without `ip` or the permission (CAP_NET_ADMIN), it is only recorded, with real=False.
    An address already there from another pod CIDR is kept and reported, as the bridge plugin does."""
    record: dict = {"name": bridge, "addresses": [pod_gateway(c) for c in cidrs], "podCIDRs": cidrs, "real": False}
    if ROOT or shutil.which("ip") is None:
        record["note"] = "recorded only: " + ("the tools run under KUBE_SIM_ROOT" if ROOT else "no ip command")
        return record
    if ip_command("link", "show", "dev", bridge).returncode != 0:
        for link_type in ("bridge", "dummy"):
            made = ip_command("link", "add", bridge, "type", link_type)
            if made.returncode == 0:
                break
        else:
            record["note"] = f"recorded only: ip link add {bridge}: {made.stderr.strip()}"
            return record
    details = ip_command("-d", "-o", "link", "show", "dev", bridge).stdout
    record["type"] = "bridge" if " bridge " in details else "dummy" if " dummy " in details else "other"
    present = [ipaddress.ip_interface(a) for a in re.findall(r"\binet6?\s+(\S+)", ip_command("-o", "addr", "show", "dev", bridge).stdout)]
    for address in record["addresses"]:
        wanted = ipaddress.ip_interface(address)
        others = [a for a in present if a.version == wanted.version and not a.is_link_local and a != wanted]
        if others:
            record["error"] = f'failed to set bridge addr: "{bridge}" already has an IP address different from {address}'
        elif wanted not in present:
            added = ip_command("addr", "add", address, "dev", bridge)
            if added.returncode != 0:
                record["note"] = f"ip addr add {address}: {added.stderr.strip()}"
    ip_command("link", "set", bridge, "up")
    record["real"] = True
    return record


def on_pod_network(client: Client, name: str, cni_daemonsets: set[str]) -> bool:
    """Whether a pod runs on the node that the CNI serves: one outside the host network (CoreDNS), or the
    CNI's own DaemonSet pod (which on a real node brings up its flannel.1/tunl0/vxlan in the same range)."""
    status, data = client.call("GET", f"/api/v1/pods?fieldSelector=spec.nodeName%3D{name}", timeout=5)
    if status != 200 or not isinstance(data, dict):
        return False
    for item in data.get("items", []):
        owners = {o.get("name") for o in (item.get("metadata") or {}).get("ownerReferences") or [] if o.get("kind") == "DaemonSet"}
        if item["status"]["phase"] == "Running" and (not item["spec"].get("hostNetwork") or owners & cni_daemonsets):
            return True
    return False


def kubelet(args: list[str]) -> int:
    if "--version" in args:
        print(f"Kubernetes v{VERSION}")
        return 0
    flags = flag_values(args)
    config_path = p(flags.get("config", "/var/lib/kubelet/config.yaml"))
    kubeconfig = p(flags.get("kubeconfig", "/etc/kubernetes/kubelet.conf"))
    if not os.path.exists(config_path):
        sys.stderr.write(
            f'E{time.strftime("%m%d %H:%M:%S")} run.go:74] "command failed" err="failed to load kubelet config file, '
            f"path: {config_path}, error: failed to load Kubelet config file {config_path}, error failed to read kubelet "
            f'config file \\"{config_path}\\", error: open {config_path}: no such file or directory"\n'
        )
        return 1
    config = yaml.safe_load(read(config_path)) or {}
    runtime = flags.get("container-runtime-endpoint") or config.get("containerRuntimeEndpoint") or "unix:///run/containerd/containerd.sock"
    server = None
    registered = False
    pod_network: dict | None = None  # the cni0 record, posted with the node status
    while True:
        manifest = os.path.join(MANIFESTS, "kube-apiserver.yaml")
        if server is None and os.path.exists(manifest):
            port = int((re.search(r"--secure-port=(\d+)", read(manifest)) or [0, 6443])[1])
            server = ApiServer(port)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        if os.path.exists(kubeconfig):
            try:
                client = Client.from_kubeconfig(kubeconfig)
                cn, _orgs = cert_subject(Kubeconfig(kubeconfig).cert)
                name = cn.replace("system:node:", "")
                runtime_up = os.path.exists(socket_path(runtime))
                ready = runtime_up and cni_ready()
                reason = "KubeletReady" if ready else "KubeletNotReady"
                if not runtime_up:
                    message = f"container runtime is down: {runtime} is not there"
                elif not cni_ready():
                    message = (
                        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                        "message:Network plugin returns error: cni plugin not initialized"
                    )
                else:
                    message = "kubelet is posting ready status"
                status, body = client.call(
                    "PUT",
                    f"/api/v1/nodes/{name}/status",
                    {
                        "ready": ready,
                        "reason": reason,
                        "message": message,
                        "address": local_address(),
                        "version": VERSION,
                        "runtime": "containerd://" + ("running" if runtime_up else "unknown"),
                        "os": "Debian GNU/Linux",
                        "register": not registered,
                        **({"podNetwork": pod_network} if pod_network else {}),
                    },
                    timeout=5,
                )
                registered = registered or status == 200
                cni_daemonsets = run_cni_installers(client)
                cidrs = ((body.get("spec") or {}).get("podCIDRs") or []) if status == 200 and isinstance(body, dict) else []
                if cidrs and cni_ready() and (pod_network or {}).get("podCIDRs") != cidrs and on_pod_network(client, name, cni_daemonsets):
                    pod_network = ensure_pod_bridge(cidrs, cni_bridge_name())
            except (OSError, ssl.SSLError, Fail, ValueError) as exc:
                sys.stderr.write(f"kubelet: cannot post node status: {exc}\n")
        time.sleep(HEARTBEAT)


# --- kubeadm: its configuration files, decoded strictly -----------------------------------------
#
# The fields of each configuration kind as plain data, after kubeadm's Go types (kubeadm v1beta3
# and v1beta4, kubelet.config.k8s.io/v1beta1, kubeproxy.config.k8s.io/v1alpha1). A type is:
#   "string" "bool" "int32" "int64" "uint32" "float32" "float64"  a JSON value of that Go type;
#   "duration"  a metav1.Duration, a Go duration string ("15m0s");
#   "time"      a metav1.Time, an RFC 3339 string;
#   "token"     a bootstrap token string, "abcdef.0123456789abcdef";
#   "quantity"  a resource.Quantity, a string or a number;
#   "flush"     a logging flushFrequency, a number of nanoseconds or a duration string;
#   "any"       not checked;
#   [T]         a list of T;  {"@map": T}  a map of strings to T;
#   {"@go": "pkg.Name", field: T, ...}  a struct (the Go type name appears in kubeadm's errors).

GO_SCALARS = {"duration": "v1.Duration", "time": "v1.Time", "token": "v1.BootstrapTokenString", "quantity": "resource.Quantity"}
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1), "uint32": (0, 2**32 - 1)}

ENV_VAR_SOURCE = {
    "@go": "v1.EnvVarSource",
    "fieldRef": {"@go": "v1.ObjectFieldSelector", "apiVersion": "string", "fieldPath": "string"},
    "resourceFieldRef": {"@go": "v1.ResourceFieldSelector", "containerName": "string", "resource": "string", "divisor": "quantity"},
    "configMapKeyRef": {"@go": "v1.ConfigMapKeySelector", "name": "string", "key": "string", "optional": "bool"},
    "secretKeyRef": {"@go": "v1.SecretKeySelector", "name": "string", "key": "string", "optional": "bool"},
}
TAINT = {"@go": "v1.Taint", "key": "string", "value": "string", "effect": "string", "timeAdded": "time"}
BOOTSTRAP_TOKEN = {
    "@go": "v1.BootstrapToken",
    "token": "token",
    "description": "string",
    "ttl": "duration",
    "expires": "time",
    "usages": ["string"],
    "groups": ["string"],
}


def kubeadm_kinds(version: str) -> dict[str, dict]:
    """InitConfiguration, ClusterConfiguration and JoinConfiguration of kubeadm.k8s.io/<version>."""
    beta4 = version == "v1beta4"
    arg = {"@go": f"{version}.Arg", "name": "string", "value": "string"}
    extra_args = [arg] if beta4 else {"@map": "string"}
    host_path = {"@go": f"{version}.HostPathMount", "name": "string", "hostPath": "string", "mountPath": "string", "readOnly": "bool", "pathType": "string"}
    env = {"@go": f"{version}.EnvVar", "name": "string", "value": "string", "valueFrom": ENV_VAR_SOURCE}
    component = {"extraArgs": extra_args, "extraVolumes": [host_path], **({"extraEnvs": [env]} if beta4 else {})}
    image_meta = {"imageRepository": "string", "imageTag": "string"}
    endpoint = {"@go": f"{version}.APIEndpoint", "advertiseAddress": "string", "bindPort": "int32"}
    registration = {
        "@go": f"{version}.NodeRegistrationOptions",
        "name": "string",
        "criSocket": "string",
        "taints": [TAINT],
        "kubeletExtraArgs": extra_args,
        "ignorePreflightErrors": ["string"],
        "imagePullPolicy": "string",
        **({"imagePullSerial": "bool"} if beta4 else {}),
    }
    patches = {"@go": f"{version}.Patches", "directory": "string"}
    timeouts = {
        "@go": "v1beta4.Timeouts",
        **dict.fromkeys(
            ("controlPlaneComponentHealthCheck", "kubeletHealthCheck", "kubernetesAPICall", "etcdAPICall", "tlsBootstrap", "discovery", "upgradeManifests"),
            "duration",
        ),
    }
    v4_command = {"dryRun": "bool", "timeouts": timeouts} if beta4 else {}
    init = {
        "@go": f"{version}.InitConfiguration",
        "bootstrapTokens": [BOOTSTRAP_TOKEN],
        "nodeRegistration": registration,
        "localAPIEndpoint": endpoint,
        "certificateKey": "string",
        "skipPhases": ["string"],
        "patches": patches,
        **v4_command,
    }
    local_etcd = {
        "@go": f"{version}.LocalEtcd",
        **image_meta,
        "dataDir": "string",
        "extraArgs": extra_args,
        **({"extraEnvs": [env]} if beta4 else {}),
        "serverCertSANs": ["string"],
        "peerCertSANs": ["string"],
    }
    external_etcd = {"@go": f"{version}.ExternalEtcd", "endpoints": ["string"], "caFile": "string", "certFile": "string", "keyFile": "string"}
    api_server = {"@go": f"{version}.APIServer", **component, "certSANs": ["string"], **({} if beta4 else {"timeoutForControlPlane": "duration"})}
    cluster = {
        "@go": f"{version}.ClusterConfiguration",
        "etcd": {"@go": f"{version}.Etcd", "local": local_etcd, "external": external_etcd},
        "networking": {"@go": f"{version}.Networking", "serviceSubnet": "string", "podSubnet": "string", "dnsDomain": "string"},
        "kubernetesVersion": "string",
        "controlPlaneEndpoint": "string",
        "apiServer": api_server,
        "controllerManager": {"@go": f"{version}.ControlPlaneComponent", **component},
        "scheduler": {"@go": f"{version}.ControlPlaneComponent", **component},
        "dns": {"@go": f"{version}.DNS", **image_meta, **({"disabled": "bool"} if beta4 else {})},
        "certificatesDir": "string",
        "imageRepository": "string",
        "featureGates": {"@map": "bool"},
        "clusterName": "string",
    }
    if beta4:
        cluster.update(
            proxy={"@go": "v1beta4.Proxy", "disabled": "bool"},
            encryptionAlgorithm="string",
            certificateValidityPeriod="duration",
            caCertificateValidityPeriod="duration",
        )
    discovery = {
        "@go": f"{version}.Discovery",
        "bootstrapToken": {
            "@go": f"{version}.BootstrapTokenDiscovery",
            "token": "string",
            "apiServerEndpoint": "string",
            "caCertHashes": ["string"],
            "unsafeSkipCAVerification": "bool",
        },
        "file": {"@go": f"{version}.FileDiscovery", "kubeConfigPath": "string"},
        "tlsBootstrapToken": "string",
        **({} if beta4 else {"timeout": "duration"}),
    }
    join = {
        "@go": f"{version}.JoinConfiguration",
        "nodeRegistration": registration,
        "caCertPath": "string",
        "discovery": discovery,
        "controlPlane": {"@go": f"{version}.JoinControlPlane", "localAPIEndpoint": endpoint, "certificateKey": "string"},
        "skipPhases": ["string"],
        "patches": patches,
        **v4_command,
    }
    return {"InitConfiguration": init, "ClusterConfiguration": cluster, "JoinConfiguration": join}


def fields(kind: object, names: str) -> dict[str, object]:
    """Fields of one type, named in a space-separated string."""
    return dict.fromkeys(names.split(), kind)


def _strings(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "string")


LOGGING = {
    "@go": "v1.LoggingConfiguration",
    "format": "string",
    "flushFrequency": "flush",
    "verbosity": "uint32",
    "vmodule": [{"@go": "v1.VModuleItem", "filePath": "string", "verbosity": "uint32"}],
    "options": {
        "@go": "v1.FormatOptions",
        "flush": "any",
        "text": {"@go": "v1.TextOptions", "splitStream": "bool", "infoBufferSize": "quantity"},
        "json": {"@go": "v1.JSONOptions", "splitStream": "bool", "infoBufferSize": "quantity"},
    },
}

KUBELET_CONFIGURATION = {
    "@go": "v1beta1.KubeletConfiguration",
    **fields(
        "string",
        (
            "staticPodPath podLogsDir staticPodURL address tlsCertFile tlsPrivateKeyFile tlsMinVersion "
            "imagePullCredentialsVerificationPolicy healthzBindAddress clusterDomain kubeletCgroups systemCgroups cgroupRoot "
            "cgroupDriver cpuManagerPolicy memoryManagerPolicy topologyManagerPolicy topologyManagerScope hairpinMode podCIDR "
            "resolvConf contentType containerLogMaxSize configMapAndSecretChangeDetectionStrategy reservedSystemCPUs "
            "showHiddenMetricsForVersion systemReservedCgroup kubeReservedCgroup volumePluginDir providerID memoryReservationPolicy "
            "containerRuntimeEndpoint imageServiceEndpoint"
        ),
    ),
    **fields(
        "bool",
        (
            "enableServer rotateCertificates serverTLSBootstrap enableDebuggingHandlers enableContentionProfiling cgroupsPerQOS "
            "singleProcessOOMKill runOnce cpuCFSQuota serializeImagePulls mergeDefaultEvictionSettings enableControllerAttachDetach "
            "protectKernelDefaults makeIPTablesUtilChains failSwapOn kernelMemcgNotification enableSystemLogHandler "
            "enableSystemLogQuery enableProfilingHandler enableDebugFlagsHandler seccompDefault registerNode "
            "localStorageCapacityIsolation failCgroupV1"
        ),
    ),
    **fields(
        "int32",
        (
            "port readOnlyPort registryPullQPS registryBurst eventRecordQPS eventBurst healthzPort oomScoreAdj "
            "nodeLeaseDurationSeconds imageGCHighThresholdPercent imageGCLowThresholdPercent maxPods nodeStatusMaxImages kubeAPIQPS "
            "kubeAPIBurst maxParallelImagePulls evictionMaxPodGracePeriod podsPerCore iptablesMasqueradeBit iptablesDropBit "
            "containerLogMaxFiles containerLogMaxWorkers"
        ),
    ),
    **fields(
        "duration",
        (
            "syncFrequency fileCheckFrequency httpCheckFrequency streamingConnectionIdleTimeout nodeStatusUpdateFrequency "
            "nodeStatusReportFrequency imageMinimumGCAge imageMaximumGCAge volumeStatsAggPeriod cpuManagerReconcilePeriod "
            "draManagerReconcilePeriod runtimeRequestTimeout cpuCFSQuotaPeriod evictionPressureTransitionPeriod "
            "containerLogMonitorInterval shutdownGracePeriod shutdownGracePeriodCriticalPods"
        ),
    ),
    "podPidsLimit": "int64",
    "maxOpenFiles": "int64",
    "memoryThrottlingFactor": "float64",
    "staticPodURLHeader": {"@map": ["string"]},
    "tlsCipherSuites": ["string"],
    "tlsCurvePreferences": ["int32"],
    "preloadedImagesVerificationAllowlist": ["string"],
    "clusterDNS": ["string"],
    "enforceNodeAllocatable": ["string"],
    "allowedUnsafeSysctls": ["string"],
    **fields(
        {"@map": "string"},
        (
            "cpuManagerPolicyOptions topologyManagerPolicyOptions qosReserved evictionHard evictionSoft evictionSoftGracePeriod "
            "evictionMinimumReclaim systemReserved kubeReserved"
        ),
    ),
    "featureGates": {"@map": "bool"},
    "authentication": {
        "@go": "v1beta1.KubeletAuthentication",
        "x509": {"@go": "v1beta1.KubeletX509Authentication", "clientCAFile": "string"},
        "webhook": {"@go": "v1beta1.KubeletWebhookAuthentication", "enabled": "bool", "cacheTTL": "duration"},
        "anonymous": {"@go": "v1beta1.KubeletAnonymousAuthentication", "enabled": "bool"},
    },
    "authorization": {
        "@go": "v1beta1.KubeletAuthorization",
        "mode": "string",
        "webhook": {"@go": "v1beta1.KubeletWebhookAuthorization", "cacheAuthorizedTTL": "duration", "cacheUnauthorizedTTL": "duration"},
    },
    "memorySwap": {"@go": "v1beta1.MemorySwapConfiguration", "swapBehavior": "string"},
    "logging": LOGGING,
    "shutdownGracePeriodByPodPriority": [{"@go": "v1beta1.ShutdownGracePeriodByPodPriority", "priority": "int32", "shutdownGracePeriodSeconds": "int64"}],
    "crashLoopBackOff": {"@go": "v1beta1.CrashLoopBackOffConfig", "maxContainerRestartPeriod": "duration"},
    "reservedMemory": [{"@go": "v1beta1.MemoryReservation", "numaNode": "int32", "limits": {"@map": "quantity"}}],
    "registerWithTaints": [TAINT],
    "tracing": {"@go": "v1.TracingConfiguration", "endpoint": "string", "samplingRatePerMillion": "int32"},
    "userNamespaces": {"@go": "v1beta1.UserNamespaces", "idsPerPod": "int64"},
}

KUBE_PROXY_CONFIGURATION = {
    "@go": "v1alpha1.KubeProxyConfiguration",
    "featureGates": {"@map": "bool"},
    "clientConnection": {
        "@go": "v1alpha1.ClientConnectionConfiguration",
        **_strings("kubeconfig", "acceptContentTypes", "contentType"),
        "qps": "float32",
        "burst": "int32",
    },
    "logging": LOGGING,
    **_strings("hostnameOverride", "bindAddress", "healthzBindAddress", "metricsBindAddress", "showHiddenMetricsForVersion", "mode", "detectLocalMode"),
    **_strings("clusterCIDR", "portRange"),
    "bindAddressHardFail": "bool",
    "enableProfiling": "bool",
    "windowsRunAsService": "bool",
    "iptables": {
        "@go": "v1alpha1.KubeProxyIPTablesConfiguration",
        "masqueradeBit": "int32",
        "masqueradeAll": "bool",
        "localhostNodePorts": "bool",
        "snatNodeInternalIP": "bool",
        "syncPeriod": "duration",
        "minSyncPeriod": "duration",
    },
    "ipvs": {
        "@go": "v1alpha1.KubeProxyIPVSConfiguration",
        **dict.fromkeys(("syncPeriod", "minSyncPeriod", "tcpTimeout", "tcpFinTimeout", "udpTimeout"), "duration"),
        "scheduler": "string",
        "excludeCIDRs": ["string"],
        "strictARP": "bool",
    },
    "nftables": {
        "@go": "v1alpha1.KubeProxyNFTablesConfiguration",
        "masqueradeBit": "int32",
        "masqueradeAll": "bool",
        "syncPeriod": "duration",
        "minSyncPeriod": "duration",
    },
    "winkernel": {
        "@go": "v1alpha1.KubeProxyWinkernelConfiguration",
        **_strings("networkName", "sourceVip", "rootHnsEndpointName"),
        "enableDSR": "bool",
        "forwardHealthCheckVip": "bool",
    },
    "detectLocal": {"@go": "v1alpha1.DetectLocalConfiguration", **_strings("bridgeInterface", "interfaceNamePrefix")},
    "nodePortAddresses": ["string"],
    "oomScoreAdj": "int32",
    "conntrack": {
        "@go": "v1alpha1.KubeProxyConntrackConfiguration",
        "maxPerCore": "int32",
        "min": "int32",
        **dict.fromkeys(("tcpEstablishedTimeout", "tcpCloseWaitTimeout", "udpTimeout", "udpStreamTimeout"), "duration"),
        "tcpBeLiberal": "bool",
    },
    "configSyncPeriod": "duration",
}

KUBEADM_GROUP = "kubeadm.k8s.io"
SCHEMAS = {
    "kubeadm.k8s.io/v1beta3": kubeadm_kinds("v1beta3"),
    "kubeadm.k8s.io/v1beta4": kubeadm_kinds("v1beta4"),
    "kubelet.config.k8s.io/v1beta1": {"KubeletConfiguration": KUBELET_CONFIGURATION},
    "kubeproxy.config.k8s.io/v1alpha1": {"KubeProxyConfiguration": KUBE_PROXY_CONFIGURATION},
}
# kubeadm's API versions it no longer reads, with the last kubeadm that did (its wording).
OLD_KUBEADM_APIS = {"v1alpha1": "v1.11", "v1alpha2": "v1.12", "v1alpha3": "v1.14", "v1beta1": "v1.15", "v1beta2": "v1.22"}
KUBEADM_SCHEME = "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"


def go_type(spec: object) -> str:
    if isinstance(spec, list):
        return "[]" + go_type(spec[0])
    if isinstance(spec, dict):
        return spec["@go"] if "@go" in spec else "map[string]" + go_type(spec["@map"])
    return GO_SCALARS.get(spec, spec)


def json_kind(value: object) -> str:
    """How Go's encoding/json names a decoded value in an UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"  # str, and the dates YAML resolves, which go-yaml leaves as strings


class Decoder:
    """One document through sigs.k8s.io/json's strict decoder: unknown fields are collected (strict errors,
    with the path kubeadm prints), the first value of a wrong type is the decoding error itself. Keys are
    visited in sorted order, as sigs.k8s.io/yaml hands kubeadm the YAML as JSON with sorted keys."""

    def __init__(self) -> None:
        self.strict: list[str] = []
        self.error = ""

    def type_error(self, value: object, spec: object, fields: list[str], struct: str, literal: bool = False) -> None:
        if not self.error:
            what = json_kind(value) + (f" {value}" if literal else "")
            self.error = f"json: cannot unmarshal {what} into Go struct field {struct}.{'.'.join(fields)} of type {go_type(spec)}"

    def value_error(self, message: str) -> None:
        if not self.error:
            self.error = message

    def decode(self, value: object, spec: object, path: str, fields: list[str], struct: str) -> None:  # noqa: C901 - one case per type
        if value is None or spec == "any":
            return  # null leaves a Go value at its zero value
        if isinstance(spec, dict) and "@go" in spec:
            if not isinstance(value, dict):
                return self.type_error(value, spec, fields, struct)
            name = spec["@go"].rpartition(".")[2]
            for key in sorted(value, key=str):
                field = f"{path}.{key}" if path else str(key)
                if str(key) in spec and key != "@go":
                    self.decode(value[key], spec[str(key)], field, [*fields, str(key)], name)
                elif not (not path and key in ("apiVersion", "kind")):
                    self.strict.append(f'unknown field "{field}"')
            return None
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                return self.type_error(value, spec, fields, struct)
            for key in sorted(value, key=str):
                self.decode(value[key], spec["@map"], f"{path}.{key}", fields, struct)
            return None
        if isinstance(spec, list):
            if not isinstance(value, list):
                return self.type_error(value, spec, fields, struct)
            for index, item in enumerate(value):
                self.decode(item, spec[0], f"{path}[{index}]", fields, struct)
            return None
        return self.scalar(value, spec, fields, struct)

    def scalar(self, value: object, spec: str, fields: list[str], struct: str) -> None:
        kind = json_kind(value)
        if spec in ("duration", "time"):  # types with their own UnmarshalJSON, which first reads a string
            if kind != "string":
                return self.value_error(f"json: cannot unmarshal {kind} into Go value of type string")
            if spec == "duration":
                try:
                    parse_duration(str(value), strip=False)
                except Fail as exc:
                    self.value_error(str(exc))
            elif not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", str(value)):
                self.value_error(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" as "2006"')
            return None
        if spec == "token":  # BootstrapTokenString reads the raw JSON text without its quotes
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":")).replace('"', "")
            if not TOKEN_RE.match(text):
                self.value_error(f'the bootstrap token "{text}" was not of the form "\\\\A([a-z0-9]{{6}})\\\\.([a-z0-9]{{16}})\\\\z"')
            return None
        if spec in ("quantity", "flush"):
            if kind not in ("string", "number"):
                self.value_error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
            elif spec == "flush" and kind == "string":
                try:
                    parse_duration(str(value), strip=False)
                except Fail as exc:
                    self.value_error(str(exc))
            return None
        if spec == "string":
            return None if kind == "string" else self.type_error(value, spec, fields, struct)
        if spec == "bool":
            return None if kind == "bool" else self.type_error(value, spec, fields, struct)
        if kind != "number":
            return self.type_error(value, spec, fields, struct)
        if spec in INT_RANGES:
            low, high = INT_RANGES[spec]
            if (isinstance(value, float) and not value.is_integer()) or not low <= value <= high:
                return self.type_error(value, spec, fields, struct, literal=True)
        return None


class DuplicateKeyLoader(yaml.SafeLoader):
    """A SafeLoader that notes repeated mapping keys, as sigs.k8s.io/yaml's strict conversion reports them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True) if key_node.tag != "tag:yaml.org,2002:merge" else None
            if key is not None and key in seen:
                self.duplicates.append(f'line {key_node.start_mark.line + 1}: key "{key}" already set in map')
            seen.add(key)
        return super().construct_mapping(node, deep)


def split_documents(text: str) -> list[str]:
    """The documents of a YAML stream, split at `---` lines like kubeadm's SplitYAMLDocuments."""
    docs, current = [], []
    for line in text.splitlines(keepends=True):
        if re.match(r"^---\s*$", line) or line.startswith("--- "):
            docs.append("".join(current))
            current = [line[4:]] if line.startswith("--- ") else []
        else:
            current.append(line)
    docs.append("".join(current))
    return docs


def gvk_text(api: str, kind: str) -> str:
    group, _sep, version = api.rpartition("/")
    return f'schema.GroupVersionKind{{Group:"{group}", Version:"{version}", Kind:"{kind}"}}'


def klog_warning(message: str, where: str = "initconfiguration.go:332") -> None:
    stamp = time.strftime("%m%d %H:%M:%S") + f".{int(time.time() * 1e6) % 1000000:06d}"
    sys.stderr.write(f"W{stamp} {os.getpid():7d} {where}] {message}\n")


def check_api_version(api: str, kind: str, version: str) -> None:
    """kubeadm's validateSupportedVersion for the kubeadm version `version` (x.y.z)."""
    group, _sep, api_version = api.rpartition("/")
    if group != KUBEADM_GROUP:
        return
    minor = int(version.split(".")[1])
    if api_version in OLD_KUBEADM_APIS:
        raise Fail(
            f'your configuration file uses an old API spec: "{api}" (kind: "{kind}"). Please use kubeadm {OLD_KUBEADM_APIS[api_version]} instead and run '
            "'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version."
        )
    if api_version == "v1beta4" and minor < 28:  # not yet in kubeadm's scheme
        raise Fail(f'no kind "{kind}" is registered for version "{api}" in scheme "{KUBEADM_SCHEME}"')
    if api_version == "v1beta4" and minor < 31:  # in the scheme as an experimental API, which init and join refuse
        raise Fail(f'experimental API spec: "{api}" (kind: "{kind}") is not allowed. You can use the --allow-experimental-api flag if the command supports it.')
    if api_version == "v1beta3" and minor >= 31:
        klog_warning(
            f'your configuration file uses a deprecated API spec: "{api}" (kind: "{kind}"). Please use '
            "'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.",
            "common.go:101",
        )


def decode_document(doc: dict, duplicates: list[str] | None = None) -> None:
    """Decode one configuration document strictly against its kind's fields; Fail on any finding."""
    api, kind = doc["apiVersion"], doc["kind"]
    decoder = Decoder()
    decoder.decode(doc, SCHEMAS[api][kind], "", [], "")
    if decoder.error:  # a decoding error: fatal in kubeadm too
        raise Fail(decoder.error)
    strict = (["yaml: unmarshal errors:\n  " + "\n  ".join(duplicates)] if duplicates else []) + decoder.strict
    if strict:  # kubeadm init/join log these as a warning and go on; the simulator refuses them
        raise Fail(f"error unmarshaling configuration {gvk_text(api, kind)}: strict decoding error: {', '.join(strict)}")


INIT_KINDS = ("InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration")


def load_config(path: str, wanted: tuple[str, ...] = INIT_KINDS, version: str = "") -> dict[str, dict]:
    """Read a kubeadm --config file as kubeadm does, but strictly: the documents of the `wanted` kinds
    are checked for their API version (for the kubeadm version `version`, default this simulator's),
    unknown or repeated fields and values of the wrong type. Returns the documents by kind."""
    version = version or VERSION
    try:
        text = read(path)
    except OSError as exc:
        raise Fail(f'unable to read config from "{path}" : {exc}') from exc
    found: dict[str, tuple[dict, list[str]]] = {}
    for chunk in split_documents(text):
        loader = DuplicateKeyLoader(chunk)
        try:
            doc = loader.get_single_data()
        except yaml.YAMLError as exc:
            raise Fail(f"error converting YAML to JSON: {exc}") from exc
        finally:
            loader.dispose()
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise Fail(
                f"couldn't get version/kind; json parse error: json: cannot unmarshal {json_kind(doc)} into Go value of type "
                'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
            )
        api, kind = str(doc.get("apiVersion") or ""), str(doc.get("kind") or "")
        group, _sep, api_version = api.rpartition("/")
        if not (group and api_version and kind):
            raise Fail(
                f"invalid configuration for GroupVersionKind {{Group:{group} Version:{api_version} Kind:{kind}}}: "
                "kind and apiVersion is mandatory information that must be specified"
            )
        if kind in found:
            raise Fail(f'invalid configuration: kind "{kind}" is specified twice in YAML file')
        found[kind] = (doc, loader.duplicates)
    result = {}
    joining = "JoinConfiguration" in wanted
    for kind, (doc, duplicates) in sorted(found.items(), key=lambda item: f"{item[1][0]['apiVersion']}, Kind={item[0]}"):
        api = doc["apiVersion"]
        if joining and kind not in wanted:
            continue  # kubeadm join reads its JoinConfiguration and nothing else
        check_api_version(api, kind, version)
        if kind not in wanted:
            klog_warning(f"[config] WARNING: Ignored YAML document with GroupVersionKind {api}, Kind={kind}")
            continue
        if kind not in SCHEMAS.get(api, {}):
            if api.startswith(KUBEADM_GROUP + "/"):
                raise Fail(f'no kind "{kind}" is registered for version "{api}" in scheme "{KUBEADM_SCHEME}"')
            raise Fail(f'no kind "{kind}" is registered for version "{api}"')
        decode_document(doc, duplicates)
        result[kind] = doc
    if joining and "JoinConfiguration" not in result:
        raise Fail("no JoinConfiguration found in the supplied config")
    return result


# --- kubeadm ------------------------------------------------------------------------------------


def check_cidr(value: str, field: str) -> None:
    for item in str(value).split(","):
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError as exc:
            raise Fail(f"{field}: Invalid value: {value!r}: couldn't parse subnet") from exc


def preflight(checks: list[tuple[str, str]], ignored: list[str], fatal_prefix: str = "") -> None:
    ignore = {i.lower() for i in ignored}
    print("[preflight] Running pre-flight checks")
    errors = []
    for name, message in checks:
        if "all" in ignore or name.lower() in ignore:
            print(f"\t[WARNING {name}]: {message}")
        else:
            errors.append(f"\t[ERROR {name}]: {message}")
    if errors:
        raise Fail(
            "error execution phase preflight: [preflight] Some fatal errors occurred:\n"
            + "\n".join(errors)
            + "\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`"
            + f"\n{STACK_HINT}"
        )


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def node_checks(cri: str, control_plane: bool) -> list[tuple[str, str]]:
    checks = []
    if not os.path.exists(socket_path(cri)):
        checks.append(
            (
                "CRI",
                f'container runtime is not running: output: time="" level=fatal msg="validate service connection: '
                f'validate CRI v1 runtime API for endpoint \\"{cri}\\": rpc error: code = Unavailable"',
            )
        )
    release = os.uname().release
    if not any(os.path.exists(f) for f in ("/proc/config.gz", f"/boot/config-{release}", f"/lib/modules/{release}/config")):
        checks.append(
            (
                "SystemVerification",
                f'failed to parse kernel config: unable to load kernel module: "configs", output: '
                f'"modprobe: FATAL: Module configs not found in directory /lib/modules/{release}\\n", err: exit status 1',
            )
        )
    try:
        swaps = read("/proc/swaps").strip().splitlines()[1:]
    except OSError:
        swaps = []
    if swaps:
        checks.append(("Swap", "running with swap on is not supported. Please disable swap"))
    if control_plane:
        if (os.cpu_count() or 1) < 2:
            checks.append(("NumCPU", f"the number of available CPUs {os.cpu_count()} is less than the required 2"))
        mem = int(re.search(r"MemTotal:\s+(\d+)", read("/proc/meminfo")).group(1)) // 1024
        if mem < 1700:
            checks.append(("Mem", f"the system RAM ({mem} MB) is less than the minimum 1700 MB"))
    return checks


def restart_kubelet() -> None:
    if not ROOT:
        subprocess.run(["systemctl", "restart", "kubelet"], check=False)
        return
    # Under a test root, act as systemd would: replace the kubelet process, logging to a file.
    pid_file = p("/run/kubelet.pid")
    stop_kubelet()
    os.makedirs(os.path.dirname(pid_file), exist_ok=True)
    kubelet_bin = os.path.join(os.path.dirname(os.path.realpath(__file__)), "bin", "kubelet")
    with open(p("/run/kubelet.log"), "ab") as log:
        proc = subprocess.Popen(
            [kubelet_bin, "--kubeconfig=/etc/kubernetes/kubelet.conf", "--config=/var/lib/kubelet/config.yaml"], stdout=log, stderr=log, start_new_session=True
        )
    write(pid_file, str(proc.pid))


def stop_kubelet() -> None:
    if not ROOT:
        subprocess.run(["systemctl", "stop", "kubelet"], check=False)
        return
    pid_file = p("/run/kubelet.pid")
    if os.path.exists(pid_file):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(read(pid_file)), 15)
        os.remove(pid_file)


def wait_until(what: str, test, timeout: float = 240) -> None:
    deadline = now() + timeout
    while now() < deadline:
        try:
            if test():
                return
        except (OSError, ssl.SSLError, Fail, ValueError):
            pass
        time.sleep(0.5)
    raise Fail(f"{what}: timed out waiting for the condition")


def kubelet_files(kubelet_config: dict, cri: str, image_repo: str) -> None:
    write(os.path.join(KUBELET_DIR, "config.yaml"), yaml.safe_dump(kubelet_config, sort_keys=False))
    write(
        os.path.join(KUBELET_DIR, "kubeadm-flags.env"),
        f'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint={cri} --pod-infra-container-image={image_repo}/pause:3.9"\n',
    )


def static_pods(repo: str, version: str, address: str, port: int, service_cidr: str, pod_cidr: str) -> None:
    flags = {
        "kube-apiserver": [
            f"--advertise-address={address}",
            f"--secure-port={port}",
            f"--service-cluster-ip-range={service_cidr}",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        ],
        "kube-controller-manager": [f"--cluster-cidr={pod_cidr}", "--allocate-node-cidrs=true", "--kubeconfig=/etc/kubernetes/controller-manager.conf"],
        "kube-scheduler": ["--kubeconfig=/etc/kubernetes/scheduler.conf"],
        "etcd": [f"--advertise-client-urls=https://{address}:2379", "--data-dir=/var/lib/etcd"],
    }
    for name, args in flags.items():
        image = f"{repo}/etcd:3.5.12-0" if name == "etcd" else f"{repo}/{name}:v{version}"
        manifest = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system", "labels": {"component": name, "tier": "control-plane"}},
            "spec": {
                "hostNetwork": True,
                "priorityClassName": "system-node-critical",
                "containers": [{"name": name, "image": image, "command": [name, *args]}],
            },
        }
        write(os.path.join(MANIFESTS, f"{name}.yaml"), yaml.safe_dump(manifest, sort_keys=False), 0o600)


def upload_certs(client: Client, key: str) -> None:
    files = {}
    for name in ("ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key"):
        path = os.path.join(PKI, name)
        if os.path.exists(path):
            files[name] = read(path)
    client.ok("POST", "/sim/v1/kubeadm-certs", encrypt(key, json.dumps(files).encode()))
    print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
    print("[upload-certs] Using certificate key:")
    print(key)


def kubeadm_init(args: list[str], flags: dict[str, str]) -> int:
    docs = load_config(p(flags["config"])) if "config" in flags else {}
    init, cluster = docs.get("InitConfiguration", {}), docs.get("ClusterConfiguration", {})
    kubelet_cfg = docs.get("KubeletConfiguration") or {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration"}
    kubelet_cfg.setdefault("cgroupDriver", "systemd")
    kubelet_cfg.setdefault("clusterDNS", ["10.96.0.10"])
    version = (flags.get("kubernetes-version") or cluster.get("kubernetesVersion") or f"v{VERSION}").lstrip("v")
    networking = cluster.get("networking") or {}
    pod_cidr = flags.get("pod-network-cidr") or networking.get("podSubnet", "")
    service_cidr = flags.get("service-cidr") or networking.get("serviceSubnet", "10.96.0.0/12")
    if pod_cidr:
        check_cidr(pod_cidr, "networking.podSubnet")
    check_cidr(service_cidr, "networking.serviceSubnet")
    reg = init.get("nodeRegistration") or {}
    name = flags.get("node-name") or reg.get("name") or socket.gethostname()
    cri = flags.get("cri-socket") or reg.get("criSocket") or "unix:///run/containerd/containerd.sock"
    endpoint = init.get("localAPIEndpoint") or {}
    address = flags.get("apiserver-advertise-address") or endpoint.get("advertiseAddress") or local_address()
    port = int(flags.get("apiserver-bind-port") or endpoint.get("bindPort") or 6443)
    cp_endpoint = flags.get("control-plane-endpoint") or cluster.get("controlPlaneEndpoint") or ""
    repo = flags.get("image-repository") or cluster.get("imageRepository") or "registry.k8s.io"
    skip = [s for s in (flags.get("skip-phases", "").split(",") + list(init.get("skipPhases") or [])) if s]
    ignored = [s for s in (flags.get("ignore-preflight-errors", "").split(",") + list(reg.get("ignorePreflightErrors") or [])) if s]

    print(f"[init] Using Kubernetes version: v{version}")
    checks = []
    for p_ in (port, 10259, 10257, 10250, 2379, 2380):
        if port_in_use(p_):
            checks.append((f"Port-{p_}", f"Port {p_} is in use"))
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        path = os.path.join(MANIFESTS, f"{component}.yaml")
        if os.path.exists(path):
            checks.append((f"FileAvailable--etc-kubernetes-manifests-{component}.yaml", f"/etc/kubernetes/manifests/{component}.yaml already exists"))
    if os.path.isdir(ETCD_DIR) and os.listdir(ETCD_DIR):
        checks.append(("DirAvailable--var-lib-etcd", "/var/lib/etcd is not empty"))
    preflight(checks + node_checks(cri, True), ignored)

    print('[certs] Using certificateDir folder "/etc/kubernetes/pki"')
    ca = os.path.join(PKI, "ca")
    make_ca(ca, "kubernetes")
    service_ip = str(next(ipaddress.ip_network(service_cidr, strict=False).hosts()))
    domain = networking.get("dnsDomain") or "cluster.local"
    sans = [
        name,
        socket.gethostname(),
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{domain}",
        service_ip,
        address,
        "127.0.0.1",
        *((cluster.get("apiServer") or {}).get("certSANs") or []),
    ]
    if cp_endpoint:
        sans.append(cp_endpoint.rsplit(":", 1)[0] if not cp_endpoint.startswith("[") else cp_endpoint[1:].split("]")[0])
    issue(os.path.join(PKI, "apiserver"), ca, "kube-apiserver", usage="serverAuth", sans=sorted(set(sans)))
    print("[certs] apiserver serving cert is signed for DNS names and IPs " + str(sorted(set(sans))))
    issue(os.path.join(PKI, "apiserver-kubelet-client"), ca, "kube-apiserver-kubelet-client", "kubeadm:cluster-admins")
    make_ca(os.path.join(PKI, "front-proxy-ca"), "front-proxy-ca")
    make_ca(os.path.join(PKI, "etcd", "ca"), "etcd-ca")
    issue(os.path.join(PKI, "etcd", "healthcheck-client"), os.path.join(PKI, "etcd", "ca"), "kube-etcd-healthcheck-client")
    openssl("genpkey", "-algorithm", "RSA", "-out", os.path.join(PKI, "sa.key"))
    write(os.path.join(PKI, "sa.pub"), openssl("pkey", "-in", os.path.join(PKI, "sa.key"), "-pubout"))
    os.chmod(os.path.join(PKI, "sa.key"), 0o600)

    with open(f"{ca}.crt", "rb") as handle:
        ca_pem = handle.read()
    server = f"https://{cp_endpoint or address}" + ("" if cp_endpoint and ":" in cp_endpoint.lstrip("[").split("]")[-1] else f":{port}")
    print('[kubeconfig] Using kubeconfig folder "/etc/kubernetes"')
    for file, cn, org in (
        ("admin.conf", "kubernetes-admin", "kubeadm:cluster-admins"),
        ("super-admin.conf", "kubernetes-super-admin", "system:masters"),
        ("kubelet.conf", f"system:node:{name}", "system:nodes"),
        ("controller-manager.conf", "system:kube-controller-manager", ""),
        ("scheduler.conf", "system:kube-scheduler", ""),
    ):
        cert, key = issue("", ca, cn, org)
        write(os.path.join(K8S, file), kubeconfig_text(server, ca_pem, cn.rsplit(":", maxsplit=1)[-1] if file == "kubelet.conf" else cn, cert, key), 0o600)
        print(f'[kubeconfig] Writing "{file}" kubeconfig file')
    static_pods(repo, version, address, port, service_cidr, pod_cidr)
    print('[control-plane] Using manifest folder "/etc/kubernetes/manifests"')

    tokens = {}
    for bt in init.get("bootstrapTokens") or [{}]:
        token = bt.get("token") or f"{secrets.token_hex(8)[:6]}.{secrets.token_hex(8)}"
        tid, secret = token.split(".")
        ttl = parse_duration(bt.get("ttl", "24h0m0s"))
        tokens[tid] = {
            "secret": secret,
            "expires": now() + ttl if ttl else None,
            "description": bt.get("description", ""),
            "usages": bt.get("usages") or ["signing", "authentication"],
            "groups": bt.get("groups") or [DEFAULT_GROUP],
        }
    cluster_info = yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "", "cluster": {"certificate-authority-data": b64(ca_pem), "server": server}}]}
    )
    State.save(
        {
            "tokens": tokens,
            "nodes": {},
            "objects": {},
            "control_planes": [name],
            "skip_phases": skip,
            "pod_subnet": pod_cidr,
            "cidr_next": 0,
            "cluster_info": cluster_info,
            "kubelet_config": kubelet_cfg,
            "cluster_config": {**cluster, "kubernetesVersion": f"v{version}", "imageRepository": repo, "controlPlaneEndpoint": cp_endpoint, "server": server},
        }
    )
    print('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"')
    kubelet_files(kubelet_cfg, cri, repo)
    print("[kubelet-start] Starting the kubelet")
    restart_kubelet()
    print('[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"')
    admin = Client.from_kubeconfig(os.path.join(K8S, "admin.conf"))
    api_timeout = (init.get("timeouts") or {}).get("controlPlaneComponentHealthCheck") or (cluster.get("apiServer") or {}).get("timeoutForControlPlane")
    wait_until("[api-check] The API server is not healthy", lambda: admin.call("GET", "/healthz", timeout=2)[0] == 200, parse_duration(api_timeout or "4m0s"))
    print("[api-check] The API server is healthy")
    if "upload-certs" in flags and flags.get("upload-certs", "true") != "false":
        upload_certs(admin, flags.get("certificate-key") or secrets.token_hex(32))
    print(f"[mark-control-plane] Marking the node {name} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane]")
    print("[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials")
    for skipped in ("addon/coredns", "addon/kube-proxy"):
        if skipped not in skip and "addon" not in skip:
            print(f"[addons] Applied essential addon: {'CoreDNS' if 'coredns' in skipped else 'kube-proxy'}")
    token = next(iter(tokens.items()))
    print("\nYour Kubernetes control-plane has initialized successfully!\n\nTo start using your cluster, you need to run the following as a regular user:\n")
    print("  mkdir -p $HOME/.kube\n  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n")
    print("Then you can join any number of worker nodes by running the following on each as root:\n")
    print(f"kubeadm join {server.replace('https://', '')} --token {token[0]}.{token[1]['secret']} \\\n\t--discovery-token-ca-cert-hash {spki_pin(ca_pem)} ")
    return 0


def admin_client(flags: dict[str, str]) -> Client:
    path = p(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf")
    if not os.path.exists(path):
        raise Fail(f"failed to load admin kubeconfig: open {path}: no such file or directory")
    return Client.from_kubeconfig(path)


def kubeadm_token(args: list[str], flags: dict[str, str]) -> int:
    sub = args[0] if args else "list"
    client = admin_client(flags)
    if sub == "create":
        positional = [a for a in args[1:] if not a.startswith("-") and TOKEN_RE.match(a)]
        ttl = parse_duration(flags.get("ttl", "24h0m0s"))
        body = {
            "ttl": ttl,
            "description": flags.get("description", ""),
            "token": positional[0] if positional else None,
            "usages": [u for u in flags.get("usages", "").split(",") if u],
            "groups": [g for g in flags.get("groups", "").split(",") if g],
        }
        token = client.ok("POST", "/sim/v1/tokens", body)["token"]
        if "print-join-command" in flags:
            cfg = Kubeconfig(p(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf"))
            print(f"kubeadm join {cfg.server.replace('https://', '')} --token {token} --discovery-token-ca-cert-hash {spki_pin(cfg.ca)} ")
        else:
            print(token)
        return 0
    if sub == "list":
        tokens = client.ok("GET", "/sim/v1/tokens")
        if flags.get("output", flags.get("o")) == "json" or "-ojson" in args:
            for tid, tok in sorted(tokens.items()):
                obj = {"kind": "BootstrapToken", "apiVersion": "output.kubeadm.k8s.io/v1alpha2", "token": f"{tid}.{tok['secret']}"}
                if tok.get("description"):
                    obj["description"] = tok["description"]
                if tok.get("expires"):
                    obj["expires"] = rfc3339(tok["expires"])
                obj["usages"], obj["groups"] = sorted(tok["usages"]), tok["groups"]
                print(json.dumps(obj, indent=4))
            return 0
        print(f"{'TOKEN':<24}{'TTL':<8}{'EXPIRES':<22}{'USAGES':<26}{'DESCRIPTION':<40}EXTRA GROUPS")
        for tid, tok in sorted(tokens.items()):
            ttl = f"{int((tok['expires'] - now()) // 3600)}h" if tok.get("expires") else "<forever>"
            expires = rfc3339(tok["expires"]) if tok.get("expires") else "<never>"
            print(
                f"{tid + '.' + tok['secret']:<24}{ttl:<8}{expires:<22}{','.join(sorted(tok['usages'])):<26}"
                f"{tok.get('description') or '<none>':<40}{','.join(tok['groups'])}"
            )
        return 0
    if sub == "delete":
        for item in [a for a in args[1:] if not a.startswith("-")]:
            tid = item.split(".")[0]
            status, _body = client.call("DELETE", f"/sim/v1/tokens/{tid}")
            if status == 404:
                raise Fail(f'failed to delete bootstrap token "{tid}": secrets "bootstrap-token-{tid}" not found\n{STACK_HINT}')
            print(f'bootstrap token "{tid}" deleted')
        return 0
    raise Fail(f'unknown command "{sub}" for "kubeadm token"')


def kubeadm_join(args: list[str], flags: dict[str, str]) -> int:
    docs = load_config(p(flags["config"]), ("JoinConfiguration",)) if "config" in flags else {}
    join = docs.get("JoinConfiguration", {})
    discovery = join.get("discovery") or {}
    bt = discovery.get("bootstrapToken") or {}
    positional = [a for a in args if not a.startswith("-") and a not in flags.values()]
    endpoint = bt.get("apiServerEndpoint") or (positional[0] if positional else "")
    token = bt.get("token") or flags.get("token") or flags.get("discovery-token", "")
    hashes = bt.get("caCertHashes") or [h for h in flags.get("discovery-token-ca-cert-hash", "").split(",") if h]
    skip_ca = bt.get("unsafeSkipCAVerification") or "discovery-token-unsafe-skip-ca-verification" in flags
    timeout = parse_duration(discovery.get("timeout") or (join.get("timeouts") or {}).get("discovery") or "5m0s")
    reg = join.get("nodeRegistration") or {}
    name = flags.get("node-name") or reg.get("name") or socket.gethostname()
    cri = flags.get("cri-socket") or reg.get("criSocket") or "unix:///run/containerd/containerd.sock"
    control_plane = join.get("controlPlane") or ({} if "control-plane" in flags else None)
    cert_key = (control_plane or {}).get("certificateKey") or flags.get("certificate-key", "")
    ignored = [s for s in (flags.get("ignore-preflight-errors", "").split(",") + list(reg.get("ignorePreflightErrors") or [])) if s]
    match = TOKEN_RE.match(token or "")
    if not endpoint or not match:
        raise Fail('discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes or a valid token can be unsafe')
    if not hashes and not skip_ca:
        raise Fail(
            'discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. '
            "Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue"
        )
    checks = []
    if os.path.exists(os.path.join(K8S, "kubelet.conf")):
        checks.append(("FileAvailable--etc-kubernetes-kubelet.conf", "/etc/kubernetes/kubelet.conf already exists"))
    if os.path.exists(os.path.join(PKI, "ca.crt")):
        checks.append(("FileAvailable--etc-kubernetes-pki-ca.crt", "/etc/kubernetes/pki/ca.crt already exists"))
    preflight(checks + node_checks(cri, control_plane is not None), ignored)

    tid, secret = match.groups()
    insecure = Client(f"https://{endpoint}")
    deadline = now() + timeout
    while True:
        try:
            status, data = insecure.call("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info", timeout=5)
        except (OSError, ssl.SSLError) as exc:
            status, data = 0, str(exc)
        if status == 200:
            kubeconfig = data["data"]["kubeconfig"]
            signature = data["data"].get(f"jws-kubeconfig-{tid}")
            if signature and hmac.compare_digest(signature, jws_detached(kubeconfig, tid, secret)):
                break
            if signature:
                raise Fail(
                    f"error execution phase preflight: couldn't validate the identity of the API Server: failed to verify JWS signature "
                    f"of received cluster info object, can't trust this API Server\n{STACK_HINT}"
                )
            print(f'[discovery] The cluster-info ConfigMap does not yet contain a JWS signature for token ID "{tid}", will try again', flush=True)
        else:
            print(f"[discovery] Failed to request cluster-info, will try again: {data}", flush=True)
        if now() + 5 > deadline:
            raise Fail(
                f"error execution phase preflight: couldn't validate the identity of the API Server: "
                f'could not find a JWS signature in the cluster-info ConfigMap for token ID "{tid}"\n{STACK_HINT}'
            )
        time.sleep(5)
    cluster = yaml.safe_load(kubeconfig)["clusters"][0]["cluster"]
    ca_pem = base64.b64decode(cluster["certificate-authority-data"])
    pin = spki_pin(ca_pem)
    if not skip_ca and pin not in hashes:
        raise Fail(
            f"error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info "
            f'ConfigMap is invalid: none of the public keys "{pin}" are pinned\n{STACK_HINT}'
        )
    server = cluster["server"]
    bootstrap = Client(server, ca_pem, token=token)
    print("[preflight] Reading configuration from the cluster...")
    settings = bootstrap.ok("GET", "/sim/v1/kubelet-config")

    if control_plane is not None:
        print("[preflight] Running pre-flight checks before initializing the new control plane instance")
        status, blob = bootstrap.call("GET", "/sim/v1/kubeadm-certs")
        if status != 200:
            raise Fail(
                f"error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: "
                f'Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. '
                f"Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one\n{STACK_HINT}"
            )
        for rel, content in json.loads(decrypt(cert_key, blob)).items():
            write(os.path.join(PKI, rel), content, 0o600 if rel.endswith(".key") else 0o644)
        print('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
        address = ((control_plane.get("localAPIEndpoint") or {}).get("advertiseAddress")) or local_address()
        issue(
            os.path.join(PKI, "apiserver"),
            os.path.join(PKI, "ca"),
            "kube-apiserver",
            usage="serverAuth",
            sans=sorted({name, "kubernetes", "kubernetes.default", "kubernetes.default.svc", address, "127.0.0.1"}),
        )
        cert, key = issue("", os.path.join(PKI, "ca"), "kubernetes-admin", "kubeadm:cluster-admins")
        write(os.path.join(K8S, "admin.conf"), kubeconfig_text(server, ca_pem, "kubernetes-admin", cert, key), 0o600)
    write(os.path.join(PKI, "ca.crt"), ca_pem)
    key, csr = new_key_and_csr(f"system:node:{name}", "system:nodes")
    print('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"')
    signed = bootstrap.call("POST", "/sim/v1/csr", {"node": name, "csr": csr.decode(), "control_plane": control_plane is not None})
    if signed[0] != 201:
        message = signed[1].get("message") if isinstance(signed[1], dict) else signed[1]
        raise Fail(f"error execution phase kubelet-start: {message}\n{STACK_HINT}")
    write(os.path.join(K8S, "kubelet.conf"), kubeconfig_text(server, ca_pem, f"system:node:{name}", signed[1]["certificate"].encode(), key), 0o600)
    kubelet_files(settings["kubelet"], cri, settings["cluster"].get("imageRepository", "registry.k8s.io"))
    print("[kubelet-start] Starting the kubelet")
    restart_kubelet()
    print("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap")
    node_client = Client.from_kubeconfig(os.path.join(K8S, "kubelet.conf"))
    wait_until(
        "error execution phase kubelet-start: timed out waiting for the node to register",
        lambda: node_client.call("GET", f"/api/v1/nodes/{name}", timeout=2)[0] == 200,
        parse_duration((join.get("timeouts") or {}).get("tlsBootstrap") or "5m0s"),
    )
    print(
        "\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n"
        "* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster."
    )
    return 0


def kubeadm_reset(args: list[str], flags: dict[str, str]) -> int:
    # -f is --force here; normalise() reads a -f with a following word as kubectl's --filename.
    if "force" not in flags and "-f" not in args and "filename" not in flags:
        raise Fail("kubeadm reset asks for confirmation: pass --force (-f) to run it without a prompt")
    print("[preflight] Running pre-flight checks")
    stop_kubelet()
    print("[reset] Stopping the kubelet service")
    for path in (MANIFESTS, PKI):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(MANIFESTS, exist_ok=True)
    for name in ("admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf", "controller-manager.conf", "scheduler.conf"):
        if os.path.exists(os.path.join(K8S, name)):
            os.remove(os.path.join(K8S, name))
    for directory in (KUBELET_DIR, ETCD_DIR):
        if os.path.isdir(directory):
            for entry in os.listdir(directory):
                target = os.path.join(directory, entry)
                shutil.rmtree(target) if os.path.isdir(target) and not os.path.islink(target) else os.remove(target)
    print("[reset] Deleted contents of the etcd data directory: /var/lib/etcd")
    print("[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]")
    print("\nThe reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d")
    return 0


def kubeadm(args: list[str]) -> int:
    flags = flag_values(args)
    words = [a for a in args if not a.startswith("-") and a not in flags.values()]
    if not words or words[0] == "version":
        if flags.get("output") == "short":
            print(f"v{VERSION}")
        else:
            info = {"major": "1", "minor": VERSION.split(".")[1], "gitVersion": f"v{VERSION}", "platform": "linux/amd64"}
            print(json.dumps({"clientVersion": info}) if flags.get("output") == "json" else f"kubeadm version: &version.Info{info}")
        return 0
    if words[0] == "init" and words[1:3] == ["phase", "upload-certs"]:
        upload_certs(admin_client(flags), flags.get("certificate-key") or secrets.token_hex(32))
        return 0
    if words[0] == "init":
        return kubeadm_init(args, flags)
    if words[0] == "token":
        return kubeadm_token(args[args.index("token") + 1 :], flags)
    if words[0] == "join":
        return kubeadm_join(args[args.index("join") + 1 :], flags)
    if words[0] == "reset":
        return kubeadm_reset(args, flags)
    if words[0] == "config" and words[1:3] == ["images", "list"]:
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
            print(f"registry.k8s.io/{name}:v{VERSION}")
        print("registry.k8s.io/coredns/coredns:v1.11.1\nregistry.k8s.io/pause:3.9\nregistry.k8s.io/etcd:3.5.12-0")
        return 0
    raise Fail(f'unknown command "{words[0]}" for "kubeadm"')


# --- kubectl and crictl -------------------------------------------------------------------------


def jsonpath(data: object, expr: str) -> list:
    values = [data]
    for part in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\*|\d+)\]", expr.strip("{}")):
        key, index = part
        nxt = []
        for value in values:
            if key and isinstance(value, dict) and key in value:
                nxt.append(value[key])
            elif index == "*" and isinstance(value, list):
                nxt.extend(value)
            elif index and index != "*" and isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
        values = nxt
    return values


def age(ts: str) -> str:
    seconds = int(now() - datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def manifest_objects(source: str) -> list[dict]:
    text = sys.stdin.read() if source == "-" else read(source)
    objects = []
    for doc in yaml.safe_load_all(text):
        if doc:
            objects.extend(doc.get("items") or [] if doc.get("kind", "").endswith("List") else [doc])
    return objects


# The resource names `kubectl get` takes here (comma-separated for several kinds), and how -o name prefixes each kind.
KUBECTL_KINDS = {
    **dict.fromkeys(("nodes", "node", "no"), "nodes"),
    **dict.fromkeys(("pods", "pod", "po"), "pods"),
    **dict.fromkeys(("deployments", "deployment", "deploy", "deployments.apps"), "deployments"),
}
KUBECTL_NAME_PREFIX = {"Node": "node", "Pod": "pod", "Deployment": "deployment.apps"}


def kubectl(args: list[str]) -> int:
    flags = flag_values(args)
    words = [a for a in args if not a.startswith("-") and a not in flags.values()]
    output = flags.get("output", "")
    if words[:1] == ["version"]:
        info = {
            "clientVersion": {"gitVersion": f"v{VERSION}", "major": "1", "minor": VERSION.split(".")[1]},
            "kustomizeVersion": "v5.0.4-0.20230601165947-6ce0bf390ce3",
        }
        print(json.dumps(info, indent=2) if output == "json" else f"Client Version: v{VERSION}\nKustomize Version: {info['kustomizeVersion']}")
        return 0
    if words[:2] == ["completion", "bash"]:
        print(
            "# bash completion for kubectl                              -*- shell-script -*-\n__kubectl_debug()\n{\n    :\n}\n"
            "__start_kubectl()\n{\n    local cur prev words cword\n    COMPREPLY=()\n}\n"
            'if [[ $(type -t compopt) = "builtin" ]]; then\n    complete -o default -F __start_kubectl kubectl\nelse\n'
            "    complete -o default -o nospace -F __start_kubectl kubectl\nfi"
        )
        return 0
    path = flags.get("kubeconfig") or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    if not os.path.exists(path):
        raise Fail("The connection to the server localhost:8080 was refused - did you specify the right host or port?")
    client = Client.from_kubeconfig(path)
    if words[:1] == ["get"] and "raw" in flags:
        status, data = client.call("GET", flags["raw"])
        print(data if isinstance(data, str) else json.dumps(data))
        return 0 if status == 200 else 1
    if words[:1] == ["apply"]:
        for obj in manifest_objects(flags["filename"] if "filename" in flags else flags["f"]):
            print(f"{resource_name(obj)} {client.ok('POST', '/sim/v1/objects', obj)['result']}")
        return 0
    if words[:1] == ["get"] and ("f" in flags or "filename" in flags):
        missing = 0
        for obj in manifest_objects(flags.get("filename") or flags["f"]):
            if client.ok("POST", "/sim/v1/objects/lookup", obj)["exists"]:
                print(resource_name(obj))
            else:
                missing += 1
                sys.stderr.write(f'Error from server (NotFound): {obj.get("kind", "").lower()}s "{obj["metadata"]["name"]}" not found\n')
        return 1 if missing else 0
    if words[:2] == ["delete", "node"]:
        for name in words[2:]:
            client.ok("DELETE", f"/api/v1/nodes/{name}")
            print(f'node "{name}" deleted')
        return 0
    if words[:1] == ["get"] and words[1:2] and all(kind in KUBECTL_KINDS for kind in words[1].split(",")):
        kinds = list(dict.fromkeys(KUBECTL_KINDS[kind] for kind in words[1].split(",")))
        namespace = None if ("all-namespaces" in flags or "A" in flags) else (flags.get("namespace") or flags.get("n") or "default")
        lists = []
        for kind in kinds:
            if kind == "nodes":
                lists.append(client.ok("GET", "/api/v1/nodes"))
            else:
                base = "/api/v1" if kind == "pods" else "/apis/apps/v1"
                lists.append(client.ok("GET", f"{base}/{kind}" if namespace is None else f"{base}/namespaces/{namespace}/{kind}"))
        # Several kinds come back as one List, each item naming its kind, as kubectl prints them.
        data = (
            lists[0]
            if len(lists) == 1
            else {"apiVersion": "v1", "kind": "List", "items": [i for data in lists for i in data["items"]], "metadata": {"resourceVersion": ""}}
        )
        if len(words) > 2:
            data["items"] = [i for i in data["items"] if i["metadata"]["name"] in words[2:]]
        if output == "json":
            print(json.dumps(data, indent=4))
        elif output.startswith("jsonpath="):
            print(" ".join(str(v) for v in jsonpath(data, output[len("jsonpath=") :])))
        elif output == "name":
            print("\n".join(f"{KUBECTL_NAME_PREFIX[i['kind']]}/{i['metadata']['name']}" for i in data["items"]))
        elif len(kinds) > 1:
            raise Fail(f"kube-sim prints tables of one kind at a time, not {words[1]}; use -o json")
        elif kinds == ["nodes"]:
            wide = output == "wide"
            print(f"{'NAME':<20}{'STATUS':<10}{'ROLES':<15}{'AGE':<6}{'VERSION':<10}" + (f"{'INTERNAL-IP':<16}CONTAINER-RUNTIME" if wide else ""))
            for n in data["items"]:
                ready = n["status"]["conditions"][0]["status"]
                roles = "control-plane" if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] else "<none>"
                line = f"{n['metadata']['name']:<20}{'Ready' if ready == 'True' else 'NotReady':<10}{roles:<15}{age(n['metadata']['creationTimestamp']):<6}"
                line += f"{n['status']['nodeInfo']['kubeletVersion']:<10}"
                if wide:
                    line += f"{n['status']['addresses'][0]['address']:<16}{n['status']['nodeInfo']['containerRuntimeVersion']}"
                print(line)
        elif kinds == ["deployments"]:
            print(f"{'NAMESPACE':<14}{'NAME':<20}{'READY':<7}{'UP-TO-DATE':<12}{'AVAILABLE':<11}AGE")
            for item in data["items"]:
                status = item["status"]
                ready = f"{status.get('readyReplicas', 0)}/{item['spec']['replicas']}"
                line = f"{item['metadata']['namespace']:<14}{item['metadata']['name']:<20}{ready:<7}{status.get('updatedReplicas', 0):<12}"
                print(line + f"{status.get('availableReplicas', 0):<11}{age(item['metadata']['creationTimestamp'])}")
        else:
            print(f"{'NAMESPACE':<14}{'NAME':<44}{'READY':<7}STATUS")
            for item in data["items"]:
                containers = item["status"].get("containerStatuses") or []
                ready = f"{sum(1 for c in containers if c.get('ready'))}/{len(item['spec'].get('containers') or containers)}"
                waiting = [c["state"]["waiting"].get("reason", "") for c in containers if "waiting" in c.get("state", {})]
                status = next((r for r in waiting if r), item["status"]["phase"])
                print(f"{item['metadata']['namespace']:<14}{item['metadata']['name']:<44}{ready:<7}{status}")
        return 0
    if words[:1] == ["cluster-info"]:
        print(f"Kubernetes control plane is running at {client.server}")
        return 0
    raise Fail(f'error: unknown command "{" ".join(words[:2])}" for "kubectl"')


def crictl(args: list[str]) -> int:
    endpoint = "unix:///run/containerd/containerd.sock"
    if os.path.exists(p("/etc/crictl.yaml")):
        endpoint = (yaml.safe_load(read(p("/etc/crictl.yaml"))) or {}).get("runtime-endpoint", endpoint)
    address = endpoint.replace("unix://", "")
    if args[:1] == ["--version"]:
        print("crictl version v1.30.0")
        return 0
    commands = {"version": ["version"], "info": ["version"], "images": ["-n", "k8s.io", "images", "ls"]}
    sub = next((a for a in args if not a.startswith("-")), "version")
    if sub not in commands:
        raise Fail(f"crictl (simulated) supports {', '.join(commands)}; got {sub}")
    result = subprocess.run(["ctr", "--address", address, *commands[sub]], capture_output=True, text=True, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def normalise(args: list[str]) -> list[str]:
    """Turn the short flags the tools accept (-o json, -f F, -n NS, -A) into the long form."""
    short = {"-o": "--output", "-f": "--filename", "-n": "--namespace"}
    result, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg in short and i + 1 < len(args):
            result.append(f"{short[arg]}={args[i + 1]}")
            i += 2
            continue
        if re.fullmatch(r"-o\S+", arg):
            result.append(f"--output={arg[2:]}")
        elif arg == "-A":
            result.append("--all-namespaces")
        elif (
            arg.startswith("--")
            and "=" not in arg
            and i + 1 < len(args)
            and not args[i + 1].startswith("-")
            and arg[2:]
            in (
                "kubeconfig",
                "config",
                "ttl",
                "description",
                "usages",
                "groups",
                "output",
                "namespace",
                "filename",
                "raw",
                "certificate-key",
                "cri-socket",
                "token",
                "discovery-token-ca-cert-hash",
                "node-name",
                "ignore-preflight-errors",
                "skip-phases",
                "pod-network-cidr",
                "service-cidr",
                "kubernetes-version",
                "control-plane-endpoint",
                "apiserver-advertise-address",
                "apiserver-bind-port",
                "image-repository",
            )
        ):
            result.append(f"{arg}={args[i + 1]}")
            i += 2
            continue
        else:
            result.append(arg)
        i += 1
    return result


def main() -> int:
    tool = os.path.basename(sys.argv[0])
    tools = {"kubeadm": kubeadm, "kubelet": kubelet, "kubectl": kubectl, "crictl": crictl}
    if tool not in tools:
        sys.stderr.write(f"kube-sim: call me as one of {', '.join(tools)} (not {tool})\n")
        return 2
    try:
        return tools[tool](normalise(sys.argv[1:]) if tool != "kubelet" else sys.argv[1:])
    except Fail as exc:
        message = str(exc)
        if tool == "kubectl" and not message.startswith(("error:", "The connection", "Unable", "Error from")):
            message = f"error: {message}"
        sys.stderr.write(message + ("" if message.endswith(STACK_HINT) or tool != "kubeadm" or "\n" in message else f"\n{STACK_HINT}") + "\n")
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
