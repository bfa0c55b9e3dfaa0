# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of kubeadm.cluster.node_state: turns the files a role declares into what the module compares.

A role declares each file it manages once, as data such as
``{path: /etc/crictl.yaml, template: crictl.yaml.j2, mode: "0644", owner: root, group: root}``. Its repair
tasks loop over that list (``ansible.builtin.template`` with ``src: "{{ item.template }}"``), and the
comparison reads the same list here: a ``template`` is rendered on the controller with the entry as
``item``, exactly as the looping template task renders it, and only its checksum goes to the node.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader
from ansible_collections.kubeadm.cluster.plugins.plugin_utils._checksum import file_sha1

# What the module compares for one file; everything else in an entry is for the tasks or the template.
_MODULE_FILE_KEYS = ("path", "state", "checksum", "same_as", "contains", "mode", "owner", "group")
_CONTROLLER_KEYS = ("template", "content", "src")


class ActionModule(ActionBase):
    """Resolve ``template``, ``content`` and ``src`` of each file, then run the node_state module."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        files = args.get("files") or []
        if not isinstance(files, list):
            raise AnsibleActionFail(f"files must be a list of mappings, got {type(files).__name__}")
        args["files"] = [self._module_entry(entry, task_vars) for entry in files]
        result.update(self._execute_module(module_name="kubeadm.cluster.node_state", module_args=args, task_vars=task_vars))
        return result

    def _module_entry(self, entry: object, task_vars: dict) -> dict:
        if not isinstance(entry, dict) or "path" not in entry:
            raise AnsibleActionFail(f"each entry of files must be a mapping with a path, got {entry!r}")
        # An empty string counts as not given, so that data can switch a key off with a short expression.
        given = [key for key in _CONTROLLER_KEYS if entry.get(key) not in (None, "")]
        if len(given) > 1 or (given and entry.get("checksum") not in (None, "")):
            raise AnsibleActionFail(f"files entry {entry['path']}: give at most one of checksum, template, content and src")
        wanted = {key: entry[key] for key in _MODULE_FILE_KEYS if entry.get(key) not in (None, "")}
        if "template" in given:
            wanted["checksum"] = _sha1(self._render(entry, task_vars))
        elif "content" in given:
            wanted["checksum"] = _sha1(entry["content"])
        elif "src" in given:
            wanted["checksum"] = file_sha1(self._find_source(entry["src"]))
        return wanted

    def _render(self, entry: dict, task_vars: dict) -> str:
        """Render the entry's template as a looping ansible.builtin.template task does, with item set to the entry."""
        lookup = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
        if lookup is None:
            raise AnsibleActionFail("the ansible.builtin.template lookup cannot be loaded")
        try:
            return lookup.run([entry["template"]], variables=dict(task_vars, item=entry))[0]
        except Exception as err:  # noqa: BLE001 - any rendering error names the entry
            raise AnsibleActionFail(f"files entry {entry['path']}: cannot render template {entry['template']}: {to_text(err)}") from err

    def _find_source(self, src: str) -> str:
        try:
            return self._find_needle("files", src)
        except Exception as err:  # noqa: BLE001 - AnsibleError or OSError: the file is not on the controller
            raise AnsibleActionFail(f"{src} not found on the controller (searched the files/ directories of the role and the play)") from err


def _sha1(text: object) -> str:
    return hashlib.sha1(to_bytes(text, errors="surrogate_or_strict")).hexdigest()
