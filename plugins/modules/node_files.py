# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_files
short_description: Write the files and directories a role declares, all in one task
version_added: 0.4.0
description:
  - Brings each entry of O(files) to its wanted state, in order - a directory, a file with its content, or
    nothing - and sets its mode, owner and group. Only what differs is written; an unchanged file is not
    touched, so a re-run reports no change.
  - The roles of this collection declare what they put on a node once, as a list that the read-only
    M(kubeadm.cluster.node_state) compares and this module writes, in one task per list instead of one
    M(ansible.builtin.file), M(ansible.builtin.template) or M(ansible.builtin.copy) task per kind of entry.
  - Its action plugin resolves an entry's C(template) (rendered with C(item) set to the entry, as a looping
    M(ansible.builtin.template) task renders it), C(content) or C(src) (a text file of the C(files/) search path)
    on the controller into O(files[].content). Other keys of an entry are ignored.
  - A file is written to a temporary file in its directory, checked with O(files[].validate) when given, and
    moved into place atomically.
  - Contents travel in the module's arguments; do not give it secrets.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  files:
    description: Files and directories and what they must look like.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path on the node.
        type: path
        required: true
      state:
        description:
          - V(file) a regular file, V(directory) a directory (created with its parents), V(absent) nothing
            (a directory is removed with what it holds).
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description:
          - Text the file must hold. Without it, only the mode, owner and group of an existing file are set.
        type: str
      validate:
        description:
          - Command that checks a new content before it replaces the file; C(%s) stands for the temporary file,
            as for M(ansible.builtin.template). A non-zero exit fails the task and leaves the file as it was.
        type: str
      mode:
        description: Permission bits as an octal string such as V('0644').
        type: str
      owner:
        description: Owner, a user name or a numeric id.
        type: str
      group:
        description: Group, a group name or a numeric id.
        type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports what would be written without writing it.
  diff_mode:
    support: full
    details: The content changes of files, one diff per file.
  platform:
    support: full
    platforms: posix
seealso:
  - module: kubeadm.cluster.node_state
notes:
  - File attributes are set with the same functions as M(ansible.builtin.copy) uses, SELinux contexts included.
"""

EXAMPLES = r"""
- name: Write the containerd configuration and crictl.yaml that differ
  kubeadm.cluster.node_files:
    files:
      - {path: /etc/containerd, state: directory, mode: "0755", owner: root, group: root}
      - {path: /etc/containerd/config.toml, template: config-v2.toml.j2, mode: "0644", owner: root, group: root}
      - {path: /etc/crictl.yaml, content: "runtime-endpoint: unix:///run/containerd/containerd.sock\n", mode: "0644"}
  register: __written

- name: Restart containerd when its configuration was written
  ansible.builtin.systemd_service:
    name: containerd
    state: restarted
  when: "'/etc/containerd/config.toml' in __written.written"
"""

RETURN = r"""
written:
  description: Paths that were created, written, removed or had their mode, owner or group set (in check mode, would be).
  returned: success
  type: list
  elements: str
  sample: [/etc/containerd/config.toml]
"""

import os
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.kubeadm.cluster.plugins.module_utils._file_entry import file_entry_options, octal_mode


def argument_spec() -> dict:
    return dict(
        files=dict(
            type="list",
            elements="dict",
            default=[],
            options=file_entry_options(
                content=dict(type="str"),
                validate=dict(type="str"),
            ),
        ),
    )


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


class Writer:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.written: list[str] = []
        self.diffs: list[dict] = []

    def attributes(self, want: dict, changed: bool) -> bool:
        """Set mode, owner and group as ansible.builtin.file does (check mode only reports)."""
        args = self.module.load_file_common_arguments({"mode": want["mode"], "owner": want["owner"], "group": want["group"]}, path=want["path"])
        return self.module.set_fs_attributes_if_different(args, changed, expand=False)

    def absent(self, path: str) -> bool:
        if not os.path.lexists(path):
            return False
        if not self.module.check_mode:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        return True

    def directory(self, want: dict) -> bool:
        path = want["path"]
        if os.path.lexists(path) and not os.path.isdir(path):
            self.module.fail_json(msg=f"{path} should be a directory but is a file", written=self.written)
        changed = not os.path.isdir(path)
        if changed and self.module.check_mode:
            return True
        if changed:
            os.makedirs(path)
        return self.attributes(want, changed)

    def file(self, want: dict) -> bool:
        path = want["path"]
        if os.path.isdir(path):
            self.module.fail_json(msg=f"{path} should be a file but is a directory", written=self.written)
        if want["content"] is None:
            if not os.path.lexists(path):
                self.module.fail_json(msg=f"{path} is missing and its entry gives no content to write", written=self.written)
            return self.attributes(want, False)
        wanted = to_bytes(want["content"], errors="surrogate_or_strict")
        before = _read(path)
        changed = before != wanted
        if changed and self.module._diff:
            self.diffs.append(
                {
                    "before_header": path,
                    "after_header": path,
                    "before": "" if before is None else to_text(before, errors="surrogate_or_replace"),
                    "after": want["content"],
                }
            )
        if changed and self.module.check_mode:
            return True
        if changed:
            self.replace(want, wanted)
        return self.attributes(want, changed)

    def replace(self, want: dict, content: bytes) -> None:
        path = want["path"]
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            os.makedirs(directory)
        handle, temporary = tempfile.mkstemp(prefix=".kubeadm-cluster-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            if want["validate"]:
                if "%s" not in want["validate"]:
                    self.module.fail_json(msg=f"validate of {path} must contain %s, got {want['validate']!r}", written=self.written)
                rc, out, err = self.module.run_command(want["validate"] % temporary)
                if rc != 0:
                    self.module.fail_json(msg=f"{path} was not written: {want['validate']} failed (rc={rc}): {(err or out).strip()}", written=self.written)
            if want["mode"] is None and os.path.exists(path):
                # Keep the mode of the file that is replaced, as ansible.builtin.copy does.
                os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
            self.module.atomic_move(temporary, path, unsafe_writes=False)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def run(self) -> dict:
        for want in self.module.params["files"]:
            try:
                octal_mode(want)
            except ValueError as err:
                self.module.fail_json(msg=str(err), written=self.written)
            state = want["state"]
            changed = self.absent(want["path"]) if state == "absent" else self.directory(want) if state == "directory" else self.file(want)
            if changed:
                self.written.append(want["path"])
        result = {"changed": bool(self.written), "written": self.written}
        if self.diffs:
            result["diff"] = self.diffs
        return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**Writer(module).run())


if __name__ == "__main__":
    main()
