# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of kubeadm.cluster.image_archives: copies the archives of ``src`` only where they are needed.

The image names of each ``src`` archive are read here, on the controller. One module run then reports which of
those names containerd lacks (and imports the ``paths`` archives already on the target); only the archives naming a
missing image are transferred, into a temporary directory, imported by a second module run, and removed with the
directory. No checksum of hundreds of MB is computed on either side, and a node that has every image costs one
module run.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.kubeadm.cluster.plugins.module_utils._image_archive import ALLOWED, ArchiveError, read_names

MODULE = "kubeadm.cluster.image_archives"


class ActionModule(ActionBase):
    """Read the names of the src archives, copy those with a missing image, import them."""

    TRANSFERS_FILES = True
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        sources = args.pop("src", None) or []
        if not isinstance(sources, list):
            raise AnsibleActionFail(f"src must be a list of paths, got {type(sources).__name__}")
        local, names = self._read(sources)
        wanted = [name for src in sources for name in names[src]]

        first = self._execute_module(MODULE, module_args=dict(args, images=wanted), task_vars=task_vars)
        result.update(first)
        if first.get("failed"):
            return result
        absent = set(first.get("absent", []))
        needed = [src for src in dict.fromkeys(sources) if any(name in absent for name in names[src])]
        result["images"] = dict(first.get("images", {}), **{src: names[src] for src in sources})
        result["imported"] = list(first.get("imported", [])) + needed
        result["changed"] = bool(first.get("changed") or needed)
        if not needed or self._task.check_mode:
            return result

        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        try:
            remote = []
            for number, src in enumerate(needed):
                # Numbered: two sources may share a base name.
                dest = self._connection._shell.join_path(tmpdir, f"{number}-{os.path.basename(src)}")
                self._transfer_file(local[src], dest)
                remote.append(dest)
            self._fixup_perms2([tmpdir, *remote])
            second = self._execute_module(MODULE, module_args=dict(args, paths=remote, images=[]), task_vars=task_vars)
        finally:
            self._remove_tmp_path(tmpdir)
        # The module names the temporary copies; the user knows each archive by its src.
        src_of = dict(zip(remote, needed))
        imported = [src_of.get(path, path) for path in second.get("imported", [])]
        result["imported"] = list(first.get("imported", [])) + imported
        result["changed"] = bool(first.get("changed") or imported)
        if second.get("failed"):
            msg = second.get("msg", "")
            for dest, src in src_of.items():
                msg = msg.replace(dest, src)
            result.update(failed=True, msg=msg, rc=second.get("rc"), stderr=second.get("stderr", ""))
        return result

    def _read(self, sources: list) -> tuple[dict, dict]:
        """The controller path and the image names of each src archive; every unreadable one is named at once."""
        local, names, problems = {}, {}, []
        for src in sources:
            try:
                local[src] = self._find_needle("files", src)
                names[src] = read_names(local[src])
            except ArchiveError as err:
                problems.append(str(err).replace(local[src], src))
            except Exception:  # noqa: BLE001 - AnsibleError or OSError: the file is not on the controller
                problems.append(f"image archive {src} is not on the controller (searched the files/ directories of the role and the play)")
        if problems:
            msg = "; ".join(problems)
            raise AnsibleActionFail(f"{msg[0].upper()}{msg[1:]}. {ALLOWED}")
        return local, names
