# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_state
short_description: Tell whether a node already has the state that a role would give it
version_added: 0.2.0
description:
  - Reads files, packages, services, kernel modules, sysctls, swap and the output of read-only commands on a
    node, compares them with the wanted state given in the options, and returns RV(converged) and the
    RV(differences). It never changes the node.
  - The roles of this collection call it once before their own tasks and skip those tasks when the node
    has converged, so a re-run costs one task per role instead of one task per setting. Any difference
    sends the role down its full path, which repairs it.
  - Only what the options name is compared; every option is optional.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  files:
    description:
      - Files and directories and what they must look like.
      - Instead of O(files[].checksum), an entry may give one of these, which the controller resolves before the
        module runs, so that a role declares each file once and its tasks loop over the same list.
        C(template), a template of the role (its C(templates/) search path) whose rendering the file must hold; it is
        rendered with C(item) set to the entry, as a task looping over the list with M(ansible.builtin.template) and
        C(item.template) as its C(src) renders it, and only its checksum goes to the node.
        C(content), the text the file must hold; only its checksum goes to the node.
        C(src), a file on the controller (its C(files/) search path) that the file is a copy of.
        An empty string counts as not given.
      - Other keys of an entry are ignored, so an entry may carry what its tasks and its template read.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path on the node; symbolic links are followed.
        type: path
        required: true
      state:
        description:
          - V(file) a regular file, V(directory) a directory, V(absent) nothing at O(files[].path).
        type: str
        choices: [file, directory, absent]
        default: file
      checksum:
        description:
          - Checksum of the wanted content as hex digits, SHA-1 (what the C(hash('sha1')) filter returns)
            unless prefixed with another C(hashlib) algorithm name, as in V(sha256:0123abcd...).
        type: str
      same_as:
        description: Another file on the node that must have the same content, for a copy with C(remote_src).
        type: path
      contains:
        description: Python regular expressions (multi-line) that must all match the content.
        type: list
        elements: str
        default: []
      mode:
        description: Wanted permission bits as an octal string such as V('0644').
        type: str
      owner:
        description: Wanted owner, a user name or a numeric id.
        type: str
      group:
        description: Wanted group, a group name or a numeric id.
        type: str
  stray_files:
    description:
      - Files that an earlier run wrote and that must be gone now, for example the configuration of a
        registry that is no longer listed.
      - A file counts when it lies at most two levels under O(stray_files[].path), has the name
        O(stray_files[].name), matches O(stray_files[].marker) and is not in O(stray_files[].allowed).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Directory to look in. A missing directory holds no stray files.
        type: path
        required: true
      name:
        description: File name to look for.
        type: str
        required: true
      marker:
        description: Python regular expression (multi-line) that marks the files the role wrote.
        type: str
        required: true
      allowed:
        description: Paths of the files that may stay.
        type: list
        elements: path
        default: []
  packages:
    description:
      - Packages that must be installed, mapped to a shell-style pattern (C(fnmatch)) for the installed
        version, such as V(1.30.5-*). An empty pattern accepts any version.
      - Read with C(dpkg-query) where it exists, otherwise with C(rpm) (version as C(VERSION-RELEASE)).
    type: dict
    default: {}
  held_packages:
    description:
      - Packages whose dpkg selection must be C(hold) (C(apt-mark hold)). Needs C(dpkg-query).
    type: list
    elements: str
    default: []
  unheld_packages:
    description:
      - Packages that must not be held (C(apt-mark unhold)); one that is not installed counts as not held.
        Needs C(dpkg-query).
    type: list
    elements: str
    default: []
  services:
    description:
      - systemd services and whether they must be enabled and running.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Unit name, such as V(containerd) or V(containerd.service).
        type: str
        required: true
      enabled:
        description: Whether the unit file must be enabled. Not compared when unset.
        type: bool
      active:
        description: Whether the unit must be active (running). Not compared when unset.
        type: bool
  kernel_modules:
    description:
      - Kernel modules that must be active. A module counts as active when C(/sys/module/NAME) exists,
        when the path that O(kernel_module_evidence) gives for it exists (for modules built into the kernel),
        or when C(/proc/filesystems) lists it.
    type: list
    elements: str
    default: []
  kernel_module_evidence:
    description: For a module name, a path that exists only while the module is active.
    type: dict
    default: {}
  sysctls:
    description:
      - Kernel parameters (dotted names) mapped to their wanted values, compared with C(/proc/sys) with
        white space collapsed.
    type: dict
    default: {}
  swap_off:
    description:
      - When V(true), no swap may be active, no C(/etc/fstab) line may mount swap and every swap unit
        systemd knows must be masked.
    type: bool
    default: false
  commands:
    description:
      - Read-only commands to run, with the exit code they must return and expressions their output must match.
      - Never pass a command that changes the node.
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: The command and its arguments. A command that is not installed is a difference.
        type: list
        elements: str
        required: true
      rc:
        description: Wanted exit code.
        type: int
        default: 0
      stdout_regex:
        description: Python regular expressions (multi-line) that must all match the standard output.
        type: list
        elements: str
        default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so check mode changes nothing in what it does.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - Reading root-owned files, package holds and C(/proc/sys) may need C(become).
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.service_facts
"""

EXAMPLES = r"""
- name: Compare the node with the wanted containerd setup
  kubeadm.cluster.node_state:
    files:
      - path: /etc/containerd/config.toml
        template: config-v2.toml.j2
        mode: "0644"
        owner: root
        group: root
    packages:
      containerd: ""
    services:
      - name: containerd
        enabled: true
        active: true
  register: containerd_state

- name: Configure containerd
  ansible.builtin.include_tasks: configure.yml
  when: not containerd_state.converged

- name: Compare the node with the wanted kernel settings
  kubeadm.cluster.node_state:
    kernel_modules: [overlay, br_netfilter]
    kernel_module_evidence:
      br_netfilter: /proc/sys/net/bridge
    sysctls:
      net.ipv4.ip_forward: 1
    swap_off: true
"""

RETURN = r"""
converged:
  description: Whether the node matches every wanted setting.
  returned: always
  type: bool
  sample: false
drift:
  description:
    - What differs, in a form that the tasks repairing it can loop over. Every list or mapping is empty
      when RV(converged) is V(true).
  returned: always
  type: dict
  contains:
    files:
      description: Paths from O(files) that differ in any way, and stray files found by O(stray_files).
      type: list
      elements: str
      sample: [/etc/containerd/config.toml]
    packages:
      description:
        - Packages that are missing, at another version, not held or held against O(unheld_packages), mapped to the
          installed version (V(null) when not installed).
      type: dict
      sample: {kubelet: 1.30.5-1.1}
    kernel_modules:
      description: Kernel modules from O(kernel_modules) that are not active.
      type: list
      elements: str
      sample: [br_netfilter]
    sysctls:
      description: Sysctls that differ, mapped to their live value (V(null) when the kernel does not have them).
      type: dict
      sample: {net.ipv4.ip_forward: "0"}
    swap_areas:
      description: Active swap areas (O(swap_off)).
      type: list
      elements: str
      sample: [/dev/sda2]
    fstab_swap_entries:
      description: Devices or files of the C(/etc/fstab) lines that still mount swap (O(swap_off)).
      type: list
      elements: str
      sample: [/swapfile]
    swap_units:
      description: Swap units that systemd knows and that are not masked (O(swap_off)).
      type: list
      elements: str
      sample: [dev-sda2.swap]
proc_sys_read_only:
  description: Whether C(/proc/sys) is mounted read-only, as in most containers, so that sysctls cannot be set now.
  returned: when O(sysctls) is not empty
  type: bool
  sample: false
differences:
  description: One line for each setting that differs, empty when RV(converged) is V(true).
  returned: always
  type: list
  elements: str
  sample:
    - "/etc/containerd/config.toml: content differs"
    - "package kubeadm: not held"
    - "sysctl net.ipv4.ip_forward: 0, wanted 1"
"""

import fnmatch
import grp
import hashlib
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm.cluster.plugins.module_utils._file_entry import file_entry_options, octal_mode

PROC_SWAPS = "/proc/swaps"
FSTAB = "/etc/fstab"
PROC_SYS = "/proc/sys"
PROC_FILESYSTEMS = "/proc/filesystems"
SYS_MODULE = "/sys/module"
# The same expression the node_prep role comments swap lines out with.
FSTAB_SWAP = re.compile(r"^\s*[^#\s]+\s+\S+\s+swap\s+", re.MULTILINE)
ENVIRON = {"LC_ALL": "C"}


def argument_spec() -> dict:
    return dict(
        files=dict(
            type="list",
            elements="dict",
            default=[],
            options=file_entry_options(
                checksum=dict(type="str"),
                same_as=dict(type="path"),
                contains=dict(type="list", elements="str", default=[]),
            ),
        ),
        stray_files=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                path=dict(type="path", required=True),
                name=dict(type="str", required=True),
                marker=dict(type="str", required=True),
                allowed=dict(type="list", elements="path", default=[]),
            ),
        ),
        packages=dict(type="dict", default={}),
        held_packages=dict(type="list", elements="str", default=[]),
        unheld_packages=dict(type="list", elements="str", default=[]),
        services=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                enabled=dict(type="bool"),
                active=dict(type="bool"),
            ),
        ),
        kernel_modules=dict(type="list", elements="str", default=[]),
        kernel_module_evidence=dict(type="dict", default={}),
        sysctls=dict(type="dict", default={}),
        swap_off=dict(type="bool", default=False),
        commands=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                argv=dict(type="list", elements="str", required=True),
                rc=dict(type="int", default=0),
                stdout_regex=dict(type="list", elements="str", default=[]),
            ),
        ),
    )


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _read_text(path: str) -> str | None:
    data = _read_bytes(path)
    return None if data is None else data.decode("utf-8", errors="replace")


def _read_only(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _name_of(lookup, ident: int) -> str:
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


class Probe:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.differences: list[str] = []
        self.drift: dict = {
            "files": [],
            "packages": {},
            "kernel_modules": [],
            "sysctls": {},
            "swap_areas": [],
            "fstab_swap_entries": [],
            "swap_units": [],
        }

    def differ(self, line: str) -> None:
        self.differences.append(line)

    def run_command(self, argv: list[str]) -> tuple[int, str, str]:
        return self.module.run_command(argv, environ_update=ENVIRON)

    # Files

    def check_file(self, want: dict) -> None:
        path = want["path"]
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            if want["state"] != "absent":
                self.differ(f"{path}: missing")
            return
        except OSError as exc:
            self.differ(f"{path}: cannot be read ({exc.strerror})")
            return
        if want["state"] == "absent":
            self.differ(f"{path}: present, wanted absent")
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        if want["state"] == "directory" and not is_dir:
            self.differ(f"{path}: not a directory")
            return
        if want["state"] == "file" and not stat.S_ISREG(st.st_mode):
            self.differ(f"{path}: not a regular file")
            return
        self.check_attributes(path, st, want)
        if want["state"] == "file":
            self.check_content(path, st, want)

    def check_attributes(self, path: str, st: os.stat_result, want: dict) -> None:
        try:
            wanted_mode = octal_mode(want)
        except ValueError as err:
            self.module.fail_json(msg=str(err))
        if wanted_mode is not None and stat.S_IMODE(st.st_mode) != wanted_mode:
            self.differ(f"{path}: mode {stat.S_IMODE(st.st_mode):04o}, wanted {wanted_mode:04o}")
        for field, ident, lookup in (("owner", st.st_uid, pwd.getpwuid), ("group", st.st_gid, grp.getgrgid)):
            wanted = want[field]
            if wanted is None:
                continue
            actual = str(ident) if wanted.isdigit() else _name_of(lookup, ident)
            if actual != wanted:
                self.differ(f"{path}: {field} {actual}, wanted {wanted}")

    def check_content(self, path: str, st: os.stat_result, want: dict) -> None:
        if want["checksum"] is None and want["same_as"] is None and not want["contains"]:
            return
        data = _read_bytes(path)
        if data is None:
            self.differ(f"{path}: cannot be read")
            return
        if want["checksum"] is not None:
            algorithm, dummy, digest = want["checksum"].rpartition(":")
            try:
                actual = hashlib.new(algorithm or "sha1", data).hexdigest()
            except ValueError:
                self.module.fail_json(msg=f"files: unknown checksum algorithm {algorithm!r} for {path}")
            if actual != digest.strip().lower():
                self.differ(f"{path}: content differs")
        if want["same_as"] is not None:
            other = _read_bytes(want["same_as"])
            if other is None:
                self.differ(f"{path}: {want['same_as']} to compare with cannot be read")
            elif other != data:
                self.differ(f"{path}: content differs from {want['same_as']}")
        text = data.decode("utf-8", errors="replace")
        for expression in want["contains"]:
            if not re.search(expression, text, re.MULTILINE):
                self.differ(f"{path}: no match for /{expression}/")

    def check_strays(self, want: dict) -> None:
        top = want["path"].rstrip("/") or "/"
        allowed = {os.path.normpath(path) for path in want["allowed"]}
        marker = re.compile(want["marker"], re.MULTILINE)
        for root, dirs, files in os.walk(top):
            depth = 0 if root == top else os.path.relpath(root, top).count(os.sep) + 1
            if depth >= 1:
                dirs[:] = []
            if want["name"] not in files:
                continue
            path = os.path.join(root, want["name"])
            text = _read_text(path)
            if text is not None and marker.search(text) and os.path.normpath(path) not in allowed:
                self.differ(f"{path}: left from an earlier run, wanted absent")
                if path not in self.drift["files"]:
                    self.drift["files"].append(path)

    # Packages

    def check_packages(self, packages: dict, held: list[str], unheld: list[str]) -> None:
        names = list(dict.fromkeys(list(packages) + held + unheld))
        if not names:
            return
        dpkg_query = self.module.get_bin_path("dpkg-query")
        if dpkg_query:
            installed = self.read_dpkg(dpkg_query, names)
        elif held or unheld:
            self.module.fail_json(msg="held_packages and unheld_packages need dpkg-query, which this node does not have")
        else:
            rpm = self.module.get_bin_path("rpm")
            if not rpm:
                self.module.fail_json(msg="packages needs dpkg-query or rpm, and this node has neither")
            installed = self.read_rpm(rpm, names)
        drift = self.drift["packages"]
        for name, pattern in packages.items():
            version = installed.get(name, {}).get("version")
            if version is None:
                self.differ(f"package {name}: not installed")
                drift[name] = None
            elif pattern and not fnmatch.fnmatchcase(version, str(pattern)):
                self.differ(f"package {name}: {version} installed, wanted {pattern}")
                drift[name] = version
        for name in held:
            if name in installed and not installed[name]["held"]:
                self.differ(f"package {name}: not held")
                drift[name] = installed[name]["version"]
            elif name not in installed and name not in packages:
                self.differ(f"package {name}: not installed, so not held")
                drift[name] = None
        for name in unheld:
            if name in installed and installed[name]["held"]:
                self.differ(f"package {name}: held, wanted not held")
                drift[name] = installed[name]["version"]

    def read_dpkg(self, dpkg_query: str, names: list[str]) -> dict:
        # Exit code 1 only says that some name is unknown; those lines are missing from stdout.
        rc, out, err = self.run_command([dpkg_query, "--show", "--showformat=${Package}\t${Version}\t${Status}\n", *names])
        if rc not in (0, 1):
            self.module.fail_json(msg=f"dpkg-query failed: {err.strip()}", rc=rc)
        found = {}
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) != 3:
                continue
            name, version, status = fields
            words = status.split()
            if words and words[-1] == "installed":
                found[name] = {"version": version, "held": words[0] == "hold"}
        return found

    def read_rpm(self, rpm: str, names: list[str]) -> dict:
        rc, out, err = self.run_command([rpm, "--query", "--queryformat", "%{NAME}\t%{VERSION}-%{RELEASE}\n", *names])
        found = {}
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) == 2 and fields[0] in names:
                found[fields[0]] = {"version": fields[1], "held": False}
        if rc != 0 and not found and "is not installed" not in out:
            self.module.fail_json(msg=f"rpm failed: {err.strip()}", rc=rc)
        return found

    # Services

    def check_services(self, services: list[dict]) -> None:
        if not services:
            return
        systemctl = self.module.get_bin_path("systemctl", required=True)
        units = [s["name"] if "." in s["name"] else s["name"] + ".service" for s in services]
        rc, out, err = self.run_command([systemctl, "show", "--property=LoadState,UnitFileState,ActiveState", "--", *units])
        if rc != 0:
            self.module.fail_json(msg=f"systemctl show failed: {err.strip()}", rc=rc)
        blocks = out.strip("\n").split("\n\n")
        if len(blocks) != len(units):
            self.module.fail_json(msg=f"systemctl show returned {len(blocks)} blocks for {len(units)} units", stdout=out)
        for want, unit, block in zip(services, units, blocks):
            props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            if props.get("LoadState") != "loaded":
                self.differ(f"service {unit}: {props.get('LoadState', 'unknown')}")
                continue
            enabled = props.get("UnitFileState") == "enabled"
            if want["enabled"] is not None and enabled != want["enabled"]:
                self.differ(f"service {unit}: unit file {props.get('UnitFileState')}, wanted {'enabled' if want['enabled'] else 'disabled'}")
            active = props.get("ActiveState") == "active"
            if want["active"] is not None and active != want["active"]:
                self.differ(f"service {unit}: {props.get('ActiveState')}, wanted {'active' if want['active'] else 'inactive'}")

    # Kernel

    def check_kernel_modules(self, modules: list[str], evidence: dict) -> None:
        if not modules:
            return
        filesystems = (_read_text(PROC_FILESYSTEMS) or "").splitlines()
        provided = {line.split("\t")[-1].strip() for line in filesystems}
        for name in modules:
            paths = [os.path.join(SYS_MODULE, name)]
            if name in evidence:
                paths.append(str(evidence[name]))
            if not any(os.path.exists(path) for path in paths) and name not in provided:
                self.differ(f"kernel module {name}: not loaded")
                self.drift["kernel_modules"].append(name)

    def check_sysctls(self, sysctls: dict) -> None:
        for name, wanted in sysctls.items():
            text = _read_text(os.path.join(PROC_SYS, *str(name).split(".")))
            wanted_text = " ".join(str(wanted).split())
            if text is None:
                self.differ(f"sysctl {name}: not available")
                self.drift["sysctls"][name] = None
            elif " ".join(text.split()) != wanted_text:
                self.differ(f"sysctl {name}: {' '.join(text.split())}, wanted {wanted_text}")
                self.drift["sysctls"][name] = " ".join(text.split())

    def check_swap(self) -> None:
        swaps = (_read_text(PROC_SWAPS) or "").splitlines()[1:]
        for line in swaps:
            if line.strip():
                self.differ(f"swap: {line.split()[0]} is active")
                self.drift["swap_areas"].append(line.split()[0])
        fstab = _read_text(FSTAB) or ""
        for match in FSTAB_SWAP.finditer(fstab):
            self.differ(f"{FSTAB}: swap entry '{match.group(0).split()[0]}' is not commented out")
            self.drift["fstab_swap_entries"].append(match.group(0).split()[0])
        systemctl = self.module.get_bin_path("systemctl")
        if not systemctl:
            return
        rc, out, err = self.run_command([systemctl, "list-units", "--type=swap", "--all", "--plain", "--no-legend", "--no-pager"])
        if rc != 0:
            self.module.fail_json(msg=f"systemctl list-units failed: {err.strip()}", rc=rc)
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0].endswith(".swap") and fields[1] != "masked":
                self.differ(f"swap unit {fields[0]}: not masked")
                self.drift["swap_units"].append(fields[0])

    # Commands

    def check_commands(self, commands: list[dict]) -> None:
        for want in commands:
            argv = list(want["argv"])
            shown = " ".join(argv)
            if os.path.isabs(argv[0]):
                # run_command fails the module for a path that cannot be executed.
                binary = argv[0] if os.path.isfile(argv[0]) and os.access(argv[0], os.X_OK) else None
            else:
                binary = self.module.get_bin_path(argv[0])
            if not binary:
                self.differ(f"command {shown}: {argv[0]} is not installed")
                continue
            rc, out, dummy = self.run_command([binary, *argv[1:]])
            if rc != want["rc"]:
                self.differ(f"command {shown}: exit code {rc}, wanted {want['rc']}")
                continue
            for expression in want["stdout_regex"]:
                if not re.search(expression, out, re.MULTILINE):
                    self.differ(f"command {shown}: no match for /{expression}/")

    def note_file(self, path: str, before: int) -> None:
        if len(self.differences) > before and path not in self.drift["files"]:
            self.drift["files"].append(path)

    def run(self) -> dict:
        params = self.module.params
        for want in params["files"]:
            before = len(self.differences)
            self.check_file(want)
            self.note_file(want["path"], before)
        for want in params["stray_files"]:
            self.check_strays(want)
        self.check_packages(params["packages"], params["held_packages"], params["unheld_packages"])
        self.check_services(params["services"])
        self.check_kernel_modules(params["kernel_modules"], params["kernel_module_evidence"])
        self.check_sysctls(params["sysctls"])
        if params["swap_off"]:
            self.check_swap()
        self.check_commands(params["commands"])
        result = dict(changed=False, converged=not self.differences, differences=self.differences, drift=self.drift)
        if params["sysctls"]:
            result["proc_sys_read_only"] = _read_only(PROC_SYS)
        return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**Probe(module).run())


if __name__ == "__main__":
    main()
