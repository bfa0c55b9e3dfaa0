# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of kubeadm.cluster.node_state: turns the files a role declares into what the module compares.

The ``template``, ``content`` or ``src`` of each entry is resolved on the controller (plugin_utils/_wanted_files.py,
shared with the node_files action that writes the same list) and only its checksum goes to the node.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.kubeadm.cluster.plugins.plugin_utils._wanted_files import wanted_bytes

# What the module compares for one file; everything else in an entry is for the tasks or the template.
_MODULE_FILE_KEYS = ("path", "state", "checksum", "same_as", "contains", "mode", "owner", "group")


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
        content = wanted_bytes(self, entry, task_vars)
        wanted = {key: entry[key] for key in _MODULE_FILE_KEYS if entry.get(key) not in (None, "")}
        if content is not None:
            wanted["checksum"] = hashlib.sha1(content).hexdigest()
        return wanted
