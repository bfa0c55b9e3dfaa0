# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def file_entries(items, path, key="item", **fields):
    """One file entry per item: the item's fields (or {key: item}), a path made from them, and the given fields."""
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
        raise AnsibleFilterError(f"file_entries: the input must be a list, got {type(items).__name__}")
    if not isinstance(path, str):
        raise AnsibleFilterError(f"file_entries: path must be a string, got {type(path).__name__}")
    entries = []
    for item in items:
        entry = dict(item) if isinstance(item, Mapping) else {key: item}
        names = dict(entry)
        if isinstance(entry.get(key), str):
            names["basename"] = posixpath.basename(entry[key])
        try:
            entry["path"] = path.format(**names)
        except (KeyError, IndexError, ValueError) as err:
            raise AnsibleFilterError(f"file_entries: path {path!r} names a field that {item!r} lacks, or is not a format string: {err!r}") from err
        entry.update(fields)
        entry.setdefault("state", "file")
        entries.append(entry)
    return entries


class FilterModule:
    """Build the file lists that roles declare from the lists users give."""

    def filters(self):
        return {"file_entries": file_entries}
