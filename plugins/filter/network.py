# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Address and CIDR filters from Python's ipaddress, so the collection needs no netaddr."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.kubeadm.cluster.plugins.plugin_utils._network import parse_address, parse_network

# The pod network must hold one node's range (the controller manager's --node-cidr-mask-size
# defaults); the API server accepts at most 2^20 service addresses. By IP version.
_POD_MAX_PREFIX = {4: 24, 6: 64}
_SERVICE_MIN_PREFIX = {4: 12, 6: 108}
_EXAMPLES = {"pod": "10.244.0.0/16", "service": "10.96.0.0/12"}
# A DNS name (letters, digits, '-' and '.'), as kubeadm's controlPlaneEndpoint takes it.
_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


def cidr_network(value):
    """``network/prefix`` of a CIDR with its host bits cleared, or '' when ``value`` is no CIDR."""
    network = parse_network(value)
    return str(network) if network else ""


def cidr_prefix(value):
    """The prefix length of a CIDR, or 0 when ``value`` is no CIDR."""
    network = parse_network(value)
    return network.prefixlen if network else 0


def ip_version(value):
    """4 or 6 for an IP address or a CIDR, 0 for anything else."""
    parsed = parse_address(value) or parse_network(value)
    return parsed.version if parsed else 0


def cidr_error(value: Any, name: str, purpose: str = "") -> str:
    """What is wrong with the CIDR ``value`` of the variable ``name``, or '' when nothing is.

    ``purpose`` ``pod`` or ``service`` adds the size limits of a cluster's pod or service network.
    """
    network = parse_network(value)
    if network is None or str(network) != value:
        hint = f" (did you mean {network}?)" if network else ""
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        example = _EXAMPLES.get(purpose, _EXAMPLES["pod"])
        return f"{name} must be one IPv4 or IPv6 network in CIDR notation with no host bits set, such as {example}; got {shown}{hint}."
    version, prefix = network.version, network.prefixlen
    if purpose == "pod" and prefix > _POD_MAX_PREFIX[version]:
        limit = _POD_MAX_PREFIX[version]
        return f"{name} {value} is too small: each node gets a /{limit} from it, so the prefix must be /{limit} or shorter for IPv{version}."
    if purpose == "service" and prefix < _SERVICE_MIN_PREFIX[version]:
        limit = _SERVICE_MIN_PREFIX[version]
        return f"{name} {value} is too large: the API server accepts at most 2^20 service addresses, so the prefix must be /{limit} or longer for IPv{version}."
    return ""


def interface_addresses(facts: Mapping[str, Any], exclude: Iterable[str] = ()) -> list[str]:
    """The ``address/prefix`` of every address of the host's interfaces, from its network facts.

    ``exclude`` holds regular expressions of whole interface names to leave out (those the cluster
    makes itself, whose addresses lie in the pod or service network once pods run).
    """
    skip = [re.compile(pattern) for pattern in exclude]
    found = []
    for name in facts.get("interfaces") or []:
        if any(pattern.fullmatch(name) for pattern in skip):
            continue
        # Fact keys spell '-', '.' and ':' in interface names as '_'.
        interface = facts.get(re.sub(r"[-.:]", "_", name))
        if not isinstance(interface, Mapping):
            continue
        ipv4 = [interface["ipv4"]] if isinstance(interface.get("ipv4"), Mapping) else []
        for entry in ipv4 + list(interface.get("ipv4_secondaries") or []) + list(interface.get("ipv6") or []):
            mask = entry.get("prefix") or entry.get("netmask")
            try:
                found.append(str(ipaddress.ip_interface(f"{entry['address']}/{mask}" if mask else entry["address"])))
            except (KeyError, ValueError):
                continue
    return found


def split_endpoint(value: Any, default_port: int = 6443) -> dict[str, Any]:
    """``{host, port}`` of an API endpoint ``host``, ``host:port``, ``[ipv6]``, ``[ipv6]:port`` or bare IPv6 address.

    An empty dict when ``value`` is none of these (a scheme, a path, a bad port).
    """
    if not isinstance(value, str) or not value or re.search(r"\s", value):
        return {}
    match = re.fullmatch(r"\[([^]]+)\](?::([0-9]{1,5}))?|([^:\[\]]+)(?::([0-9]{1,5}))?", value)
    if match and match.group(1):
        host, port, ipv6_only = match.group(1), match.group(2), True
    elif match:
        host, port, ipv6_only = match.group(3), match.group(4), False
    else:
        host, port, ipv6_only = value, None, True
    address = parse_address(host)
    if ipv6_only:
        valid = address is not None and address.version == 6
    else:
        valid = address is not None or _HOST_NAME.fullmatch(host) is not None
    port = int(port or default_port)
    return {"host": host, "port": port} if valid and 0 < port < 65536 else {}


def api_backends(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[dict[str, str]]:
    """The API server address of each control plane in ``hosts``, as ``{name, address}``.

    The address is the host's ``control_plane_advertise_address`` when set, else the IPv4 (or IPv6) address of its
    default route from its gathered facts, as kubeadm picks it; '' when neither is known (facts not gathered).
    """
    backends = []
    for host in hosts:
        host_vars = hostvars.get(host) or {}
        address = host_vars.get("control_plane_advertise_address") or ""
        facts = host_vars.get("ansible_facts") or {}
        for family in ("default_ipv4", "default_ipv6"):
            address = address or (facts.get(family) or {}).get("address") or ""
        backends.append({"name": str(host), "address": str(address)})
    return backends


class FilterModule:
    """Address and CIDR filters."""

    def filters(self):
        return {
            "cidr_network": cidr_network,
            "cidr_prefix": cidr_prefix,
            "ip_version": ip_version,
            "cidr_error": cidr_error,
            "interface_addresses": interface_addresses,
            "split_endpoint": split_endpoint,
            "api_backends": api_backends,
        }
