# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of kubeadm.cluster.node_files: resolves each entry's template, content or src into its text.

The same resolution as the node_state action's (plugin_utils/_wanted_files.py), so that what node_state compares is
what node_files writes.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.kubeadm.cluster.plugins.plugin_utils._wanted_files import wanted_bytes

_MODULE_FILE_KEYS = ("path", "state", "validate", "mode", "owner", "group")


class ActionModule(ActionBase):
    """Resolve the text of each file entry, then run the node_files module."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        files = self._task.args.get("files") or []
        if not isinstance(files, list):
            raise AnsibleActionFail(f"files must be a list of mappings, got {type(files).__name__}")
        args = dict(self._task.args, files=[self._module_entry(entry, task_vars) for entry in files])
        result.update(self._execute_module(module_name="kubeadm.cluster.node_files", module_args=args, task_vars=task_vars))
        return result

    def _module_entry(self, entry: object, task_vars: dict) -> dict:
        content = wanted_bytes(self, entry, task_vars)
        wanted = {key: entry[key] for key in _MODULE_FILE_KEYS if entry.get(key) not in (None, "")}
        if content is not None:
            try:
                wanted["content"] = content.decode("utf-8")
            except UnicodeDecodeError as err:
                raise AnsibleActionFail(f"files entry {entry['path']}: its content is not UTF-8 text ({err})") from err
        return wanted
