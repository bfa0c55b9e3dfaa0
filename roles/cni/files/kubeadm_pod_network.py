"""Keep this node's share of the kubeadm.cluster bridge pod network in step with the cluster.

Reads the Node objects with the kubelet's own credentials and then, on this node:
- writes the CNI config: a `bridge` network on the node's `spec.podCIDR` (host-local IPAM),
  with `portmap`; containerd picks it up and the kubelet reports the node Ready;
- keeps one route per other node, to that node's pod CIDR via its InternalIP, tagged with our
  own route protocol number so that routes to nodes that left are removed and nothing else is.

Run by kubeadm-pod-network.timer (at boot and every few seconds, so joins, removals and reboots
are followed) and once by the cni role. Prints one JSON line: what changed. Settings come from
/etc/kubeadm-cluster/pod-network.json, written by the role.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

SETTINGS = "/etc/kubeadm-cluster/pod-network.json"


def kubeconfig_fields(path: str) -> dict[str, str]:
    """The few fields of a kubeadm-written kubeconfig we need (kubeadm writes one cluster, one user)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    fields = {}
    for key in (
        "server",
        "certificate-authority-data",
        "certificate-authority",
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
    ):
        match = re.search(rf"^\s*{re.escape(key)}:\s*(\S+)\s*$", text, re.MULTILINE)
        if match:
            fields[key] = match.group(1).strip("'\"")
    return fields


def read_nodes(kubeconfig: str) -> list[dict]:
    fields = kubeconfig_fields(kubeconfig)
    context = ssl.create_default_context()
    if "certificate-authority-data" in fields:
        context.load_verify_locations(cadata=base64.b64decode(fields["certificate-authority-data"]).decode())
    elif "certificate-authority" in fields:
        context.load_verify_locations(cafile=fields["certificate-authority"])
    with tempfile.TemporaryDirectory() as scratch:
        paths = {}
        for part in ("certificate", "key"):
            if f"client-{part}-data" in fields:
                paths[part] = os.path.join(scratch, part)
                with open(os.open(paths[part], os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
                    handle.write(base64.b64decode(fields[f"client-{part}-data"]))
            else:
                paths[part] = fields[f"client-{part}"]
        context.load_cert_chain(paths["certificate"], paths["key"])
    request = urllib.request.Request(fields["server"].rstrip("/") + "/api/v1/nodes", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.load(response)["items"]


def ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_network(text, strict=False).version == 4
    except ValueError:
        return False


def pod_cidr(node: dict) -> str:
    spec = node.get("spec", {})
    cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
    return next((cidr for cidr in cidrs if ipv4(cidr)), "")


def internal_ip(node: dict) -> str:
    addresses = node.get("status", {}).get("addresses", [])
    return next((a["address"] for a in addresses if a.get("type") == "InternalIP" and ipv4(a.get("address", ""))), "")


def conflist(settings: dict, subnet: str) -> str:
    network = {
        "cniVersion": settings["cni_version"],
        "name": settings["network_name"],
        "plugins": [
            {
                "type": "bridge",
                "bridge": settings["bridge"],
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]], "routes": [{"dst": "0.0.0.0/0"}]},
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(network, indent=2, sort_keys=True) + "\n"


def write_if_changed(path: str, content: str, dry_run: bool) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    except FileNotFoundError:
        pass
    if not dry_run:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".kubeadm-pod-network.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return True


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}).stdout


def bridge_addresses(bridge: str) -> list[str]:
    """IPv4 addresses (address/prefix) on the bridge; none while it does not exist yet."""
    try:
        links = json.loads(ip("-j", "-4", "addr", "show", "dev", bridge) or "[]")
    except subprocess.CalledProcessError:
        return []
    return [f"{a['local']}/{a['prefixlen']}" for link in links for a in link.get("addr_info", [])]


def current_routes(proto: str) -> dict[str, str]:
    routes = json.loads(ip("-j", "-4", "route", "show", "proto", proto) or "[]")
    return {route["dst"]: route.get("gateway", "") for route in routes}


def leave(settings: dict, dry_run: bool, result: dict) -> dict:
    """No kubelet credentials: the node is not in a cluster (never joined, or `kubeadm reset`, which
    leaves CNI configs behind). Drop our config and routes, so that pods started after a rejoin
    get addresses from the pod CIDR the node is given then, not from the old one."""
    result["waiting"] = f"{settings['kubeconfig']} is missing: this node is not in a cluster"
    if os.path.exists(settings["conflist"]):
        if not dry_run:
            os.remove(settings["conflist"])
        result["conflist"] = "removed"
    for dst in sorted(current_routes(str(settings["route_protocol"]))):
        if not dry_run:
            subprocess.run(["ip", "route", "del", dst, "proto", str(settings["route_protocol"])], check=False, capture_output=True)
        result["routes_removed"].append(dst)
    result["changed"] = result["conflist"] == "removed" or bool(result["routes_removed"])
    return result


def sync(settings: dict, dry_run: bool) -> dict:
    result: dict = {"changed": False, "node": settings["node_name"], "pod_cidr": "", "conflist": "unchanged", "routes_set": [], "routes_removed": []}
    if not os.path.exists(settings["kubeconfig"]):
        return leave(settings, dry_run, result)
    nodes = read_nodes(settings["kubeconfig"])
    me = next((node for node in nodes if node["metadata"]["name"] == settings["node_name"]), None)
    if me is None or not pod_cidr(me):
        result["waiting"] = "no Node object yet" if me is None else "no spec.podCIDR yet (is the controller manager allocating node CIDRs?)"
        return result
    result["pod_cidr"] = pod_cidr(me)
    if write_if_changed(settings["conflist"], conflist(settings, result["pod_cidr"]), dry_run):
        result["conflist"] = "written"
        result["changed"] = True

    # After a rejoin under a new pod CIDR the bridge still holds the gateway address of the old
    # one, which the bridge plugin never removes; only the new range may stay on it.
    own = ipaddress.ip_network(result["pod_cidr"], strict=False)
    for address in bridge_addresses(settings["bridge"]):
        if ipaddress.ip_interface(address).ip not in own:
            if not dry_run:
                ip("addr", "del", address, "dev", settings["bridge"])
            result.setdefault("bridge_addresses_removed", []).append(address)
            result["changed"] = True

    wanted = {}
    for node in nodes:
        if node is me or not pod_cidr(node) or not internal_ip(node):
            continue
        wanted[str(ipaddress.ip_network(pod_cidr(node), strict=False))] = internal_ip(node)
    proto = str(settings["route_protocol"])
    have = current_routes(proto)
    for dst, via in sorted(wanted.items()):
        if have.get(dst) != via:
            if not dry_run:
                ip("route", "replace", dst, "via", via, "proto", proto)
            result["routes_set"].append(f"{dst} via {via}")
    for dst in sorted(set(have) - set(wanted)):
        if not dry_run:
            subprocess.run(["ip", "route", "del", dst, "proto", proto], check=False, capture_output=True)
        result["routes_removed"].append(dst)
    result["changed"] = result["changed"] or bool(result["routes_set"] or result["routes_removed"])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default=SETTINGS)
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    parser.add_argument("--wait", type=int, default=0, metavar="SECONDS", help="retry until this node has a pod CIDR, at most this long (0: once)")
    args = parser.parse_args()
    with open(args.settings, encoding="utf-8") as handle:
        settings = json.load(handle)
    deadline = time.monotonic() + args.wait
    while True:
        error = ""
        try:
            result = sync(settings, args.dry_run)
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            result = {"changed": False, "node": settings.get("node_name"), "error": error}
        if ("waiting" not in result and not error) or time.monotonic() >= deadline:
            break
        time.sleep(2)
    print(json.dumps(result, sort_keys=True))
    return 1 if args.wait and ("waiting" in result or error) else 0


if __name__ == "__main__":
    sys.exit(main())
