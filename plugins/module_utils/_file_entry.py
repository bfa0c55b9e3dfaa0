# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The file entries that roles declare, as the node_state module compares them and the node_files module writes them.

Standard library only: this file is shipped to the target together with those modules.
"""

from __future__ import annotations


def file_entry_options(**extra: dict) -> dict:
    """The argument spec of one entry of ``files``: path, state, mode, owner and group, plus the module's own keys."""
    return dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["file", "directory", "absent"], default="file"),
        **extra,
        mode=dict(type="str"),
        owner=dict(type="str"),
        group=dict(type="str"),
    )


def octal_mode(want: dict) -> int | None:
    """The entry's mode as a number; ValueError with the message to fail with when it is not an octal string."""
    if want["mode"] is None:
        return None
    try:
        return int(str(want["mode"]), 8)
    except ValueError:
        raise ValueError(f"files: mode of {want['path']} must be an octal string such as '0644', got {want['mode']!r}") from None
