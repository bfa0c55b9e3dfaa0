# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_firewall
short_description: Let a node's cluster traffic through its active host firewall, ufw or firewalld
version_added: 0.3.0
description:
  - Finds out whether C(ufw) or C(firewalld) is active on the host. Where neither is (or neither is installed), it
    does nothing and reports RV(firewalls) empty.
  - Reads the rules of each active firewall first and compares them with O(rules). A rule counts as present when
    the firewall already lets that traffic through (for ufw, an earlier allowing rule from anywhere or an allowing
    default policy; for firewalld, the zone's target, ports, protocols or the ports of its services), however it
    was written. RV(missing) lists the rest.
  - With O(state=present), adds the missing rules persistently and reports a change only when it added one.
    ufw gets one C(ufw allow) or C(ufw route allow) rule per missing rule, with the comment C(kubeadm.cluster) and
    what the rule is for.
    firewalld gets the ports and protocols in a service C(kubeadm-cluster) that is added to the zone, and the
    forwarded traffic in a policy C(kubeadm-cluster) (ingress and egress zone C(ANY)) as rich rules, all with
    C(firewall-cmd --permanent), then one C(firewall-cmd --reload).
  - With O(state=absent), removes what O(state=present) added, and only that - the ufw rules whose comment
    starts with C(kubeadm.cluster), and the firewalld service and policy C(kubeadm-cluster). O(rules) is not
    needed then.
  - In check mode nothing is changed; RV(missing) and RV(commands) tell what would be.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  rules:
    description:
      - The traffic the host must let in. Each entry is a port (O(rules[].port) and O(rules[].proto)), an IP
        protocol (O(rules[].proto) alone) or a network whose forwarded traffic is allowed (O(rules[].routed)).
    type: list
    elements: dict
    default: []
    suboptions:
      what:
        description: What the rule is for, for the messages and the ufw comment, for example V(kubelet API).
        type: str
        required: true
      port:
        description: A port V(6443) or a range V(30000-32767), with O(rules[].proto) V(tcp) or V(udp).
        type: str
      proto:
        description:
          - V(tcp) or V(udp) with O(rules[].port). Without a port, an IP protocol number, such as V(4) for IP-in-IP.
          - ufw cannot allow IP protocols other than its own short list; such a rule is reported in RV(unsupported)
            instead of RV(missing) there.
        type: str
      routed:
        description:
          - A network (CIDR) whose forwarded traffic, from it and to it, the host must let through, such as the pod
            network. For ufw two C(ufw route allow) rules, for firewalld two rich rules of the C(kubeadm-cluster) policy.
        type: str
  state:
    description:
      - V(present) adds the missing O(rules); V(absent) removes what the module added earlier.
    type: str
    choices: [present, absent]
    default: present
  firewalld_zone:
    description:
      - The firewalld zone whose traffic O(rules) is about (the zone of the interface the cluster traffic arrives
        on). Empty means the default zone (C(firewall-cmd --get-default-zone)).
    type: str
    default: ""
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the firewall as without check mode and reports what it would add or remove, without running it.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - Needs root (C(become)). Only the permanent configuration of firewalld is read and changed; the reload that
    applies it drops firewalld rules that were added at runtime only.
  - ufw rules are read from C(/etc/ufw/user.rules) and C(/etc/ufw/user6.rules) (ufw 0.36 and later); ports are
    compared with the IPv4 rules, a routed network with the rules of its address family.
"""

EXAMPLES = r"""
- name: Open the kubelet port and route the pod network through the host firewall
  kubeadm.cluster.host_firewall:
    rules:
      - {port: "10250", proto: tcp, what: kubelet API}
      - {port: "30000-32767", proto: tcp, what: NodePort services}
      - {proto: "4", what: Calico IP-in-IP}
      - {routed: 10.244.0.0/16, what: pod network}

- name: Read which of the needed ports the host firewall blocks, changing nothing
  kubeadm.cluster.host_firewall:
    rules:
      - {port: "10250", proto: tcp, what: kubelet API}
  check_mode: true
  register: firewall

- name: Remove the rules the collection added
  kubeadm.cluster.host_firewall:
    state: absent
"""

RETURN = r"""
firewalls:
  description: The host firewalls found active, V(ufw) and/or V(firewalld); empty when neither is.
  returned: always
  type: list
  elements: str
  sample: [ufw]
missing:
  description:
    - With O(state=present), the rules of O(rules) that an active firewall did not let through before this run
      (each routed network counts once per direction). With O(state=absent), empty.
  returned: always
  type: list
  elements: dict
  contains:
    firewall:
      description: The firewall, V(ufw) or V(firewalld).
      type: str
    rule:
      description: The traffic, as V(10250/tcp), V(30000-32767/udp), V(IP protocol 4), V(forwarded from 10.244.0.0/16).
      type: str
    what:
      description: O(rules[].what) of the rule.
      type: str
  sample: [{firewall: ufw, rule: 10250/tcp, what: kubelet API}]
unsupported:
  description: Rules of O(rules) that an active firewall cannot express (IP protocols in ufw), as text.
  returned: always
  type: list
  elements: str
  sample: ["ufw: IP protocol 4 (Calico IP-in-IP)"]
commands:
  description: The commands run, or in check mode that would run, to change the firewalls.
  returned: always
  type: list
  elements: list
  sample: [[ufw, allow, 10250/tcp, comment, "kubeadm.cluster: kubelet API"]]
"""

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule

OWNER = "kubeadm.cluster"
FIREWALLD_NAME = "kubeadm-cluster"
UFW_RULE_FILES = {4: "/etc/ufw/user.rules", 6: "/etc/ufw/user6.rules"}
ANY_ADDRESS = {"0.0.0.0/0", "::/0", "any"}
ALLOWING = {"allow", "limit"}
PORT = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$")
UFW_DEFAULTS = re.compile(r"^Default: (\w+) \(incoming\), (\w+) \(outgoing\), (\w+) \(routed\)", re.M)


def argument_spec() -> dict:
    return {
        "rules": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "what": {"type": "str", "required": True},
                "port": {"type": "str"},
                "proto": {"type": "str"},
                "routed": {"type": "str"},
            },
        },
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "firewalld_zone": {"type": "str", "default": ""},
    }


# The needed traffic, one item per thing a firewall checks: a port range, an IP protocol, or the forwarded
# traffic from or to a network.


def needed_items(rules: list[dict]) -> tuple[list[dict], list[str]]:
    """The rules as items {kind, text, what, ...}, and the errors of bad rules."""
    items, errors = [], []
    for rule in rules:
        what, port, proto, routed = rule["what"], rule.get("port") or "", (rule.get("proto") or "").lower(), rule.get("routed") or ""
        if routed:
            try:
                network = ipaddress.ip_network(routed, strict=False)
            except ValueError:
                errors.append(f"{what}: routed is '{routed}', which is not a network in CIDR notation.")
                continue
            for direction in ("from", "to"):
                items.append({"kind": "routed", "direction": direction, "network": network, "what": what, "text": f"forwarded {direction} {network}"})
        elif port:
            match = PORT.match(str(port))
            low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
            if not match or not 1 <= low <= high <= 65535 or proto not in ("tcp", "udp"):
                errors.append(f"{what}: port '{port}' with proto '{proto}' is not a port or range in 1-65535 with tcp or udp.")
                continue
            text = f"{low}/{proto}" if low == high else f"{low}-{high}/{proto}"
            items.append({"kind": "port", "low": low, "high": high, "proto": proto, "what": what, "text": text})
        elif proto.isdigit() and int(proto) <= 255:
            items.append({"kind": "protocol", "proto": proto, "what": what, "text": f"IP protocol {proto}"})
        else:
            errors.append(f"{what}: a rule needs a port with tcp or udp, an IP protocol number, or a routed network; got {rule}.")
    return items, errors


def _port_ranges(spec: str) -> list[tuple[int, int]]:
    """ufw's port field (any, 22, 80,443, 2379:2380) as ranges."""
    if spec == "any":
        return [(1, 65535)]
    ranges = []
    for part in spec.split(","):
        low, _sep, high = part.partition(":")
        if low.isdigit() and (high or low).isdigit():
            ranges.append((int(low), int(high or low)))
    return ranges


# ufw


def parse_ufw_tuples(text: str, family: int) -> list[dict]:
    """The '### tuple ###' lines of a ufw user rules file, in order."""
    rules = []
    for line in text.splitlines():
        if not line.startswith("### tuple ###"):
            continue
        line, _sep, comment = line.partition(" comment=")
        fields = line[len("### tuple ###") :].split()
        if len(fields) not in (7, 9):
            continue
        action, proto, dport, dst, sport, src = fields[:6]
        apps = fields[6:8] if len(fields) == 9 else ["-", "-"]
        forward = action.startswith("route:")
        action = action.partition(":")[2] if forward else action
        try:
            comment = bytes.fromhex(comment.strip()).decode("utf-8", "replace")
        except ValueError:
            comment = ""
        rules.append(
            {
                "action": action.partition("_")[0],
                "forward": forward,
                "proto": proto,
                "dport": dport,
                "dst": dst,
                "sport": sport,
                "src": src,
                "apps": apps != ["-", "-"],
                "interface": fields[-1] not in ("in", "out"),
                "direction": fields[-1].partition("_")[0],
                "comment": comment,
                "family": family,
            }
        )
    return rules


def _compare(address: str, network, relation) -> bool:
    """Whether a ufw address field (any, an address, a network) stands in ``relation`` to the network."""
    if address in ANY_ADDRESS:
        return True
    try:
        other = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return False
    return other.version == network.version and relation(other)


def _covers(address: str, network) -> bool:
    """Whether a ufw address field holds the whole network."""
    return _compare(address, network, network.subnet_of)


def _overlaps(address: str, network) -> bool:
    return _compare(address, network, network.overlaps)


def ufw_lets_through(item: dict, rules: list[dict], defaults: dict) -> bool:
    """Whether ufw lets the item's traffic in: its first rule that decides for all of it, else the default policy.

    A rule that allows only part of the traffic (one source, one interface, part of a range) does not count; a
    rule that denies any part of it does.
    """
    if item["kind"] == "port":
        for rule in rules:
            if rule["forward"] or rule["family"] != 4 or rule["direction"] != "in" or rule["apps"] or rule["proto"] not in (item["proto"], "any"):
                continue
            ranges = _port_ranges(rule["dport"])
            if rule["action"] in ALLOWING:
                whole = any(low <= item["low"] and item["high"] <= high for low, high in ranges)
                if whole and not rule["interface"] and rule["sport"] == "any" and rule["src"] in ANY_ADDRESS and rule["dst"] in ANY_ADDRESS:
                    return True
            elif any(low <= item["high"] and item["low"] <= high for low, high in ranges) and rule["src"] in ANY_ADDRESS:
                return False
        return defaults.get("incoming") in ALLOWING
    network = item["network"]
    ours, other = ("src", "dst") if item["direction"] == "from" else ("dst", "src")
    for rule in rules:
        if not rule["forward"] or rule["family"] != network.version or rule["apps"]:
            continue
        if rule["action"] in ALLOWING:
            plain = rule["proto"] == "any" and rule["dport"] == "any" and rule["sport"] == "any" and not rule["interface"]
            if plain and _covers(rule[ours], network) and rule[other] in ANY_ADDRESS:
                return True
        elif _overlaps(rule[ours], network):
            return False
    return defaults.get("routed") in ALLOWING


def ufw_add_command(item: dict) -> list[str]:
    comment = ["comment", f"{OWNER}: {item['what']}"]
    if item["kind"] == "routed":
        return ["ufw", "route", "allow", item["direction"], str(item["network"])] + comment
    port = str(item["low"]) if item["low"] == item["high"] else f"{item['low']}:{item['high']}"
    return ["ufw", "allow", f"{port}/{item['proto']}"] + comment


def ufw_delete_command(rule: dict) -> list[str]:
    """The ufw command that deletes a rule read from a rules file (both families where it names no address)."""
    argv = ["ufw"] + (["route"] if rule["forward"] else []) + ["delete", rule["action"]]
    if rule["proto"] != "any":
        argv += ["proto", rule["proto"]]
    argv += ["from", "any" if rule["src"] in ANY_ADDRESS else rule["src"]]
    if rule["sport"] != "any":
        argv += ["port", rule["sport"]]
    argv += ["to", "any" if rule["dst"] in ANY_ADDRESS else rule["dst"]]
    if rule["dport"] != "any":
        argv += ["port", rule["dport"]]
    return argv


class Firewalls:
    """The host's firewalls, read and changed through their own commands."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.commands: list[list[str]] = []
        self.missing: list[dict] = []
        self.unsupported: list[str] = []
        self.active: list[str] = []

    def run(self, argv: list[str], check_rc: bool = True) -> tuple[int, str, str]:
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        if check_rc and rc != 0:
            self.module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {(err or out).strip()}", rc=rc, stdout=out, stderr=err, commands=self.commands)
        return rc, out, err

    def change(self, argv: list[str]) -> None:
        """Run a command that changes the firewall, except in check mode; either way it is reported."""
        self.commands.append(argv)
        if not self.module.check_mode:
            self.run([self.binary(argv[0])] + argv[1:])

    def binary(self, name: str) -> str:
        return self.module.get_bin_path(name, required=True)

    def read_file(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""
        except OSError as err:
            self.module.fail_json(msg=f"Cannot read {path}: {err}")
        return ""

    # ufw

    def ufw_defaults(self) -> dict | None:
        """ufw's default policies when ufw is active, else None."""
        ufw = self.module.get_bin_path("ufw")
        if not ufw:
            return None
        # An inactive ufw answers too (rc 0); a failure (not root) is not taken for one.
        _rc, out, _err = self.run([ufw, "status", "verbose"])
        if not re.search(r"^Status: active$", out, re.M):
            return None
        match = UFW_DEFAULTS.search(out)
        return {"incoming": match.group(1), "routed": match.group(3)} if match else {}

    def ufw_rules(self) -> list[dict]:
        return [rule for family, path in UFW_RULE_FILES.items() for rule in parse_ufw_tuples(self.read_file(path), family)]

    def ufw(self, items: list[dict], state: str) -> None:
        defaults = self.ufw_defaults()
        if defaults is None:
            return
        self.active.append("ufw")
        rules = self.ufw_rules()
        if state == "absent":
            deletes = [ufw_delete_command(rule) for rule in rules if rule["comment"].startswith(OWNER) and not rule["apps"]]
            for argv in dict.fromkeys(tuple(argv) for argv in deletes):
                self.change(list(argv))
            return
        for item in items:
            if item["kind"] == "protocol":
                self.unsupported.append(f"ufw: {item['text']} ({item['what']})")
            elif not ufw_lets_through(item, rules, defaults):
                self.missing.append({"firewall": "ufw", "rule": item["text"], "what": item["what"]})
                self.change(ufw_add_command(item))

    # firewalld

    def firewalld_active(self) -> bool:
        firewall_cmd = self.module.get_bin_path("firewall-cmd")
        if not firewall_cmd:
            return False
        rc, out, _err = self.run([firewall_cmd, "--state"], check_rc=False)
        return rc == 0 and out.strip() == "running"

    def firewall_cmd(self, *args: str, check_rc: bool = True) -> tuple[int, str]:
        rc, out, _err = self.run([self.binary("firewall-cmd"), "--permanent", *args], check_rc=check_rc)
        return rc, out

    def firewalld_info(self, kind: str, name: str) -> dict | None:
        """--info-zone/--info-service/--info-policy as {key: [values]} (rich rules one per line), None if missing."""
        rc, out = self.firewall_cmd(f"--info-{kind}={name}", check_rc=False)
        return parse_firewalld_info(out) if rc == 0 else None

    def firewalld(self, items: list[dict], state: str, zone: str) -> None:
        if not self.firewalld_active():
            return
        self.active.append("firewalld")
        service, policy = self.firewalld_info("service", FIREWALLD_NAME), self.firewalld_info("policy", FIREWALLD_NAME)
        if state == "absent":
            self.firewalld_remove(service is not None, policy is not None)
            return
        zone = zone or self.run([self.binary("firewall-cmd"), "--get-default-zone"])[1].strip()
        zone_info = self.firewalld_info("zone", zone)
        if zone_info is None:
            self.module.fail_json(msg=f"firewalld has no zone '{zone}' (firewalld_zone).")
        services = {name: self.firewalld_info("service", name) or {} for name in zone_info.get("services", [])}
        allowed_ports = zone_info.get("ports", []) + [port for info in services.values() for port in info.get("ports", [])]
        allowed_protocols = zone_info.get("protocols", []) + [proto for info in services.values() for proto in info.get("protocols", [])]
        rich_rules = set((policy or {}).get("rich rules", []))
        accepts = zone_info.get("target", [""])[0] == "ACCEPT"
        changes = []
        for item in items:
            if item["kind"] == "routed":
                rule = firewalld_rich_rule(item)
                if rule not in rich_rules:
                    changes.append((item, ["--policy=" + FIREWALLD_NAME, "--add-rich-rule=" + rule]))
            elif not accepts and not firewalld_allows(item, allowed_ports, allowed_protocols):
                option = f"--add-port={item['text']}" if item["kind"] == "port" else f"--add-protocol={item['proto']}"
                ours = (service or {}).get("ports" if item["kind"] == "port" else "protocols", [])
                in_ours = (item["text"] if item["kind"] == "port" else item["proto"]) in ours
                changes.append((item, None if in_ours else ["--service=" + FIREWALLD_NAME, option]))
        if not changes:
            return
        for item, _change in changes:
            self.missing.append({"firewall": "firewalld", "rule": item["text"], "what": item["what"]})
        prefix = ["firewall-cmd", "--permanent"]
        if service is None and any(change and change[0].startswith("--service=") for _item, change in changes):
            self.change(prefix + ["--new-service=" + FIREWALLD_NAME])
        if policy is None and any(item["kind"] == "routed" for item, _change in changes):
            self.change(prefix + ["--new-policy=" + FIREWALLD_NAME])
            self.change(prefix + ["--policy=" + FIREWALLD_NAME, "--add-ingress-zone=ANY"])
            self.change(prefix + ["--policy=" + FIREWALLD_NAME, "--add-egress-zone=ANY"])
        for _item, change in changes:
            if change:
                self.change(prefix + change)
        if FIREWALLD_NAME not in zone_info.get("services", []) and any(item["kind"] != "routed" for item, _change in changes):
            self.change(prefix + ["--zone=" + zone, "--add-service=" + FIREWALLD_NAME])
        self.change(["firewall-cmd", "--reload"])

    def firewalld_remove(self, service: bool, policy: bool) -> None:
        prefix = ["firewall-cmd", "--permanent"]
        if service:
            _rc, out = self.firewall_cmd("--list-all-zones")
            for zone, info in parse_firewalld_zones(out).items():
                if FIREWALLD_NAME in info.get("services", []):
                    self.change(prefix + ["--zone=" + zone, "--remove-service=" + FIREWALLD_NAME])
            self.change(prefix + ["--delete-service=" + FIREWALLD_NAME])
        if policy:
            self.change(prefix + ["--delete-policy=" + FIREWALLD_NAME])
        if service or policy:
            self.change(["firewall-cmd", "--reload"])


def parse_firewalld_info(text: str) -> dict:
    """firewall-cmd's --info-*/--list-all output as {key: [values]}; rich rules and forward ports one per line."""
    info: dict[str, list[str]] = {}
    key = None
    for line in text.splitlines():
        if line.startswith("\t") and key:
            info[key].append(line.strip())
        elif line.startswith("  ") and ":" in line:
            key, _sep, value = line.strip().partition(":")
            info[key] = value.split() if key != "rich rules" else []
    return info


def parse_firewalld_zones(text: str) -> dict[str, dict]:
    """--list-all-zones: blocks that start with the zone's name (maybe followed by ' (active)')."""
    zones, name, lines = {}, None, []
    for line in text.splitlines() + [""]:
        if line and not line[0].isspace():
            name, lines = line.split()[0], []
        elif line:
            lines.append(line)
        elif name:
            zones[name] = parse_firewalld_info("\n".join(lines))
            name = None
    return zones


def firewalld_allows(item: dict, ports: list[str], protocols: list[str]) -> bool:
    if item["kind"] == "protocol":
        return item["proto"] in protocols
    for entry in ports:
        spec, _sep, proto = entry.partition("/")
        low, _dash, high = spec.partition("-")
        if proto == item["proto"] and low.isdigit() and (high or low).isdigit() and int(low) <= item["low"] and item["high"] <= int(high or low):
            return True
    return False


def firewalld_rich_rule(item: dict) -> str:
    """A rich rule as firewalld prints it back, so that the one read compares equal."""
    network = item["network"]
    where = "source" if item["direction"] == "from" else "destination"
    return f'rule family="ipv{network.version}" {where} address="{network}" accept'


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    items, errors = needed_items(params["rules"])
    if errors:
        module.fail_json(msg=" ".join(errors))
    firewalls = Firewalls(module)
    firewalls.ufw(items, params["state"])
    firewalls.firewalld(items, params["state"], params["firewalld_zone"])
    module.exit_json(
        changed=bool(firewalls.commands),
        firewalls=firewalls.active,
        missing=firewalls.missing,
        unsupported=firewalls.unsupported,
        commands=firewalls.commands,
    )


if __name__ == "__main__":
    main()
