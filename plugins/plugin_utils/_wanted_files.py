# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the files a role declares must hold, resolved on the controller.

A role declares each file it manages once, as data such as
``{path: /etc/crictl.yaml, template: crictl.yaml.j2, mode: "0644", owner: root, group: root}``. The node_state
action compares the node with that list (only a checksum of each content goes to the node), and the node_files
action writes the same list (the content goes to the node). Both resolve ``template``, ``content`` and ``src``
here, so that what is compared is exactly what is written: a ``template`` is rendered with the entry as ``item``,
as a task looping over the list with ``ansible.builtin.template`` would render it.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.loader import lookup_loader

SOURCE_KEYS = ("template", "content", "src")


def source_of(entry: object) -> str | None:
    """Which of template, content and src the entry gives, if any; an empty string counts as not given."""
    if not isinstance(entry, dict) or "path" not in entry:
        raise AnsibleActionFail(f"each entry of files must be a mapping with a path, got {entry!r}")
    given = [key for key in SOURCE_KEYS if entry.get(key) not in (None, "")]
    if len(given) > 1 or (given and entry.get("checksum") not in (None, "")):
        raise AnsibleActionFail(f"files entry {entry['path']}: give at most one of checksum, template, content and src")
    return given[0] if given else None


def wanted_bytes(action, entry: dict, task_vars: dict) -> bytes | None:
    """The content the entry's file must hold, or None when the entry gives no template, content or src."""
    key = source_of(entry)
    if key == "template":
        return to_bytes(_render(action, entry, task_vars), errors="surrogate_or_strict")
    if key == "content":
        return to_bytes(entry["content"], errors="surrogate_or_strict")
    if key == "src":
        with open(_find_source(action, entry["src"]), "rb") as handle:
            return handle.read()
    return None


def _render(action, entry: dict, task_vars: dict) -> str:
    lookup = lookup_loader.get("ansible.builtin.template", loader=action._loader, templar=action._templar)
    if lookup is None:
        raise AnsibleActionFail("the ansible.builtin.template lookup cannot be loaded")
    try:
        return lookup.run([entry["template"]], variables=dict(task_vars, item=entry))[0]
    except Exception as err:  # noqa: BLE001 - any rendering error names the entry
        raise AnsibleActionFail(f"files entry {entry['path']}: cannot render template {entry['template']}: {to_text(err)}") from err


def _find_source(action, src: str) -> str:
    try:
        return action._find_needle("files", src)
    except Exception as err:  # noqa: BLE001 - AnsibleError or OSError: the file is not on the controller
        raise AnsibleActionFail(f"{src} not found on the controller (searched the files/ directories of the role and the play)") from err
