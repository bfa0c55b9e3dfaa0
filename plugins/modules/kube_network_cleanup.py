# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kube_network_cleanup
short_description: Remove what kube-proxy and the pod network left in a node's network stack, and nothing else
version_added: 0.2.0
description:
  - Used by C(playbooks/reset.yml) after C(kubeadm reset), which leaves the node's network stack as it was.
  - B(iptables) - reads every table with C(iptables-save) (and C(ip6tables-save)) and removes, in one
    C(iptables-restore --noflush) per table, the chains whose names start with one of O(prefixes) and the rules
    of other chains (the built-in ones included) that jump or go to them. Every other rule, chain and chain
    policy stays, so SSH and the host's own firewall keep working. The nf_tables and the legacy back ends are
    both read where their commands exist (legacy only when legacy tables are loaded).
  - B(ipvs) (O(ipvs)) - the virtual services of kube-proxy's ipvs mode, those on an address of O(ipvs_interface)
    and those on a port of O(node_port_range), when C(ipvsadm) is installed.
  - B(IP sets) whose names start with one of O(prefixes), when C(ipset) is installed.
  - B(Interfaces) whose names match O(interfaces). A tunnel device the kernel keeps while its module is loaded
    (C(tunl0) and its kind) cannot be deleted; its addresses are removed and it is set down instead.
  - B(Routes) of the main table with a protocol in O(route_protocols), for IPv4 and IPv6.
  - A second run finds nothing and reports no change.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  prefixes:
    description:
      - Name prefixes of the iptables chains and IP sets to remove, case-sensitive.
    type: list
    elements: str
    default: [KUBE-, CNI-]
  interfaces:
    description:
      - Network interfaces to remove, by name or shell-style pattern (V(cali*)).
    type: list
    elements: str
    default: []
  route_protocols:
    description:
      - Routes of the main table with one of these protocols (a number such as V(247), or a name from
        C(/etc/iproute2/rt_protos) such as V(bird)) are removed.
    type: list
    elements: str
    default: []
  ipvs:
    description:
      - Remove kube-proxy's ipvs virtual services.
    type: bool
    default: true
  ipvs_interface:
    description:
      - The dummy interface kube-proxy's ipvs mode binds service addresses to.
    type: str
    default: kube-ipvs0
  node_port_range:
    description:
      - The cluster's NodePort range, as C(FIRST-LAST); ipvs virtual services on these ports are kube-proxy's.
    type: str
    default: 30000-32767
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads everything and returns what would be removed; changes nothing.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - C(ip) (iproute2) on the target. C(iptables-save)/C(iptables-restore), C(ipvsadm) and C(ipset) are used
    where they exist.
notes:
  - Run it with C(become), after C(kubeadm reset), once the kubelet and kube-proxy no longer run on the node, since
    they would put their rules back.
seealso:
  - name: kubeadm reset
    description: What C(kubeadm reset) leaves for the administrator to clean up.
    link: https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/
"""

EXAMPLES = r"""
- name: Remove kube-proxy's and the pod network's rules, interfaces and routes
  kubeadm.cluster.kube_network_cleanup:
    prefixes: [KUBE-, CNI-, cali-, FLANNEL-]
    interfaces: [cni0, flannel.1, vxlan.calico, tunl0, cali*, kube-ipvs0]
    route_protocols: ["247"]
  become: true
  register: __cleanup

- name: Show what was removed
  ansible.builtin.debug:
    var: __cleanup.removed
"""

RETURN = r"""
removed:
  description:
    - What was removed (in check mode, what would be).
    - C(chains) maps C(<save command>/<table>) to the chains removed there, C(rules) to the rules of other
      chains removed because they jumped to one of those (as C(iptables-save) prints them).
  returned: success
  type: dict
  contains:
    chains:
      description: Chains removed, by save command and table.
      type: dict
    rules:
      description: Rules of other chains removed, by save command and table.
      type: dict
    ipvs_services:
      description: ipvs virtual services removed, as C(ipvsadm-save -n) prints them.
      type: list
      elements: str
    ipsets:
      description: IP sets destroyed.
      type: list
      elements: str
    interfaces:
      description: Interfaces deleted (or, for kernel tunnel devices, emptied and set down).
      type: list
      elements: str
    routes:
      description: Routes deleted, as C(<destination> proto <protocol>).
      type: list
      elements: str
  sample:
    chains: {"iptables-nft-save/nat": [KUBE-SERVICES, KUBE-POSTROUTING]}
    rules: {"iptables-nft-save/nat": ['-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']}
    ipvs_services: []
    ipsets: []
    interfaces: [cni0]
    routes: [10.244.1.0/24 proto 247]
"""

import fnmatch
import json
import os
import shlex

from ansible.module_utils.basic import AnsibleModule

ENVIRON = {"LC_ALL": "C", "LANG": "C", "LC_MESSAGES": "C"}

# (save, restore, legacy tables file): one entry per back end and family. Legacy tables are read only
# when the kernel has some loaded, so that reading them never loads a module.
IPTABLES = [
    ("iptables-nft-save", "iptables-nft-restore", None),
    ("ip6tables-nft-save", "ip6tables-nft-restore", None),
    ("iptables-legacy-save", "iptables-legacy-restore", "/proc/net/ip_tables_names"),
    ("ip6tables-legacy-save", "ip6tables-legacy-restore", "/proc/net/ip6_tables_names"),
]
# Where only the plain commands exist (older distributions), they are used instead, per family.
PLAIN = {"iptables": ("iptables-save", "iptables-restore"), "ip6tables": ("ip6tables-save", "ip6tables-restore")}

# Devices the kernel creates with a tunnel module and that cannot be deleted while it is loaded.
FALLBACK_DEVICES = {"tunl0", "ip6tnl0", "sit0", "gre0", "gretap0", "erspan0", "ip_vti0", "ip6_vti0", "ip6gre0"}

JUMPS = {"-j", "--jump", "-g", "--goto"}


def argument_spec() -> dict:
    return {
        "prefixes": {"type": "list", "elements": "str", "default": ["KUBE-", "CNI-"]},
        "interfaces": {"type": "list", "elements": "str", "default": []},
        "route_protocols": {"type": "list", "elements": "str", "default": []},
        "ipvs": {"type": "bool", "default": True},
        "ipvs_interface": {"type": "str", "default": "kube-ipvs0"},
        "node_port_range": {"type": "str", "default": "30000-32767"},
    }


def parse_save(text: str) -> dict[str, dict]:
    """iptables-save output as {table: {"chains": [names in order], "rules": [(chain, line)]}}."""
    tables: dict[str, dict] = {}
    table = None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
            tables[table] = {"chains": [], "rules": []}
        elif table is None or not line.strip() or line.startswith("#"):
            continue
        elif line.startswith(":"):
            tables[table]["chains"].append(line[1:].split()[0])
        elif line.startswith("-A "):
            tables[table]["rules"].append((line.split()[1], line))
    return tables


def jump_target(line: str) -> str:
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    for index, word in enumerate(words[:-1]):
        if word in JUMPS:
            return words[index + 1]
    return ""


def plan_tables(text: str, prefixes: list[str]) -> dict[str, dict]:
    """Per table: our chains, the other chains' rules that jump to them, and the iptables-restore input that
    removes both (declaring a chain flushes it under --noflush; then the jumps go, then the chains)."""
    plans = {}
    for table, content in parse_save(text).items():
        ours = [chain for chain in content["chains"] if chain.startswith(tuple(prefixes))]
        if not ours:
            continue
        rules = [line for chain, line in content["rules"] if chain not in ours and jump_target(line) in ours]
        restore = [f"*{table}"]
        restore += [f":{chain} - [0:0]" for chain in ours]
        restore += ["-D" + line[2:] for line in rules]
        restore += [f"-X {chain}" for chain in ours]
        restore.append("COMMIT")
        plans[table] = {"chains": ours, "rules": rules, "restore": "\n".join(restore) + "\n"}
    return plans


def loaded(names_file: str) -> bool:
    """Whether the kernel has any legacy iptables table loaded (its names file lists them)."""
    try:
        with open(names_file, encoding="utf-8") as handle:
            return bool(handle.read().strip())
    except OSError:
        return False


def in_port_range(port: str, port_range: str) -> bool:
    first, dummy, last = port_range.partition("-")
    try:
        return int(first) <= int(port) <= int(last or first)
    except ValueError:
        return False


def plan_ipvs(text: str, addresses: set[str], port_range: str) -> list[str]:
    """The `-A` lines of ipvsadm-save -n whose address is one of ADDRESSES or whose port is in PORT_RANGE."""
    services = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3 or words[0] != "-A" or words[1] not in ("-t", "-u", "--tcp-service", "--udp-service", "--sctp-service"):
            continue
        host, dummy, port = words[2].rpartition(":")
        host = host.strip("[]")
        if host in addresses or in_port_range(port, port_range):
            services.append(line)
    return services


class Cleaner:
    def __init__(self, module: AnsibleModule):
        self.module = module
        self.params = module.params
        self.removed: dict = {"chains": {}, "rules": {}, "ipvs_services": [], "ipsets": [], "interfaces": [], "routes": []}

    def run(self, argv: list[str], data: str | None = None, check: bool = True) -> tuple[int, str, str]:
        rc, out, err = self.module.run_command(argv, data=data, binary_data=data is not None, environ_update=ENVIRON)
        if check and rc != 0:
            self.module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {err.strip() or out.strip()}", removed=self.removed)
        return rc, out, err

    @property
    def acting(self) -> bool:
        return not self.module.check_mode

    def ip_json(self, *args: str):
        ip = self.module.get_bin_path("ip", required=True)
        rc, out, dummy = self.run([ip, "-j", *args], check=False)
        if rc != 0 or not out.strip():
            return []
        return json.loads(out)

    # ipvs, before the interfaces: the service addresses are read from kube-ipvs0.
    def ipvs(self) -> None:
        ipvsadm = self.module.get_bin_path("ipvsadm")
        save = self.module.get_bin_path("ipvsadm-save")
        if not self.params["ipvs"] or not ipvsadm or not save:
            return
        rc, out, dummy = self.run([save, "-n"], check=False)
        if rc != 0:
            return
        addresses = {info["local"] for link in self.ip_json("addr", "show", "dev", self.params["ipvs_interface"]) for info in link.get("addr_info", [])}
        for line in plan_ipvs(out, addresses, self.params["node_port_range"]):
            words = line.split()
            if self.acting:
                self.run([ipvsadm, "-D", words[1], words[2]])
            self.removed["ipvs_services"].append(line)

    def backends(self) -> list[tuple[str, str]]:
        found = []
        for family, (plain_save, plain_restore) in PLAIN.items():
            family_found = False
            for save, restore, legacy_names in IPTABLES:
                if not save.startswith(family + "-"):
                    continue
                save_path = self.module.get_bin_path(save)
                restore_path = self.module.get_bin_path(restore)
                if not save_path or not restore_path:
                    continue
                family_found = True
                if legacy_names and not loaded(legacy_names):
                    continue
                found.append((save_path, restore_path))
            if not family_found and self.module.get_bin_path(plain_save) and self.module.get_bin_path(plain_restore):
                found.append((self.module.get_bin_path(plain_save), self.module.get_bin_path(plain_restore)))
        return found

    def iptables(self) -> None:
        for save, restore in self.backends():
            rc, out, dummy = self.run([save], check=False)
            if rc != 0:
                continue
            for table, plan in plan_tables(out, self.params["prefixes"]).items():
                key = f"{os.path.basename(save)}/{table}"
                if self.acting:
                    self.run([restore, "--noflush"], data=plan["restore"])
                self.removed["chains"][key] = plan["chains"]
                if plan["rules"]:
                    self.removed["rules"][key] = plan["rules"]
            if self.acting:
                left = {t: p["chains"] for t, p in plan_tables(self.run([save])[1], self.params["prefixes"]).items()}
                if left:
                    self.module.fail_json(msg=f"chains left after {restore} --noflush: {left}", removed=self.removed)

    # After iptables: a set that a rule still uses cannot be destroyed.
    def ipsets(self) -> None:
        ipset = self.module.get_bin_path("ipset")
        if not ipset:
            return
        rc, out, dummy = self.run([ipset, "list", "-n"], check=False)
        if rc != 0:
            return
        for name in out.split():
            if name.startswith(tuple(self.params["prefixes"])):
                if self.acting:
                    self.run([ipset, "destroy", name])
                self.removed["ipsets"].append(name)

    def interfaces(self) -> None:
        ip = self.module.get_bin_path("ip", required=True)
        patterns = self.params["interfaces"]
        for link in self.ip_json("addr", "show"):
            name = link.get("ifname", "")
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                continue
            if name in FALLBACK_DEVICES:
                if "UP" not in link.get("flags", []) and not link.get("addr_info"):
                    continue
                if self.acting:
                    self.run([ip, "addr", "flush", "dev", name])
                    self.run([ip, "link", "set", name, "down"])
            elif self.acting:
                self.run([ip, "link", "delete", name])
            self.removed["interfaces"].append(name)

    def routes(self) -> None:
        ip = self.module.get_bin_path("ip", required=True)
        for proto in self.params["route_protocols"]:
            for family in ("-4", "-6"):
                for route in self.ip_json(family, "route", "show", "table", "main", "proto", proto):
                    dst = route.get("dst", "")
                    if not dst:
                        continue
                    if self.acting:
                        rc, dummy, err = self.run([ip, family, "route", "del", dst, "proto", proto, "table", "main"], check=False)
                        if rc != 0 and "No such process" not in err:
                            self.module.fail_json(msg=f"ip route del {dst} proto {proto} failed: {err.strip()}", removed=self.removed)
                    self.removed["routes"].append(f"{dst} proto {proto}")


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    cleaner = Cleaner(module)
    cleaner.ipvs()
    cleaner.iptables()
    cleaner.ipsets()
    cleaner.interfaces()
    cleaner.routes()
    changed = any(bool(value) for value in cleaner.removed.values())
    module.exit_json(changed=changed, removed=cleaner.removed)


if __name__ == "__main__":
    main()
