"""Make ``ansible_collections.kubeadm.cluster`` importable for plain pytest runs.

The unit tests import the collection the way Ansible does, as
``ansible_collections.kubeadm.cluster.plugins...``. That works as is when the checkout lives at
``.../ansible_collections/kubeadm/cluster`` (as under ``ansible-test units``). Otherwise this
links the checkout into a temporary ``ansible_collections/kubeadm/cluster`` tree and puts that
tree first on ``sys.path``, for the whole session. Nothing else changes, so tests that do not
import the collection (such as tests/unit/kube_sim/) are not affected.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

NAMESPACE = "kubeadm"
NAME = "cluster"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _collections_root() -> Path:
    """A directory holding ``ansible_collections/kubeadm/cluster`` that is this checkout."""
    parents = REPO_ROOT.parents
    if REPO_ROOT.name == NAME and parents[0].name == NAMESPACE and parents[1].name == "ansible_collections":
        return parents[2]
    tmp = Path(tempfile.mkdtemp(prefix="kubeadm-cluster-units-"))
    atexit.register(shutil.rmtree, tmp, True)
    link = tmp / "ansible_collections" / NAMESPACE / NAME
    link.parent.mkdir(parents=True)
    os.symlink(REPO_ROOT, link, target_is_directory=True)
    return tmp


def _already_importable() -> bool:
    for entry in sys.path:
        candidate = Path(entry or ".") / "ansible_collections" / NAMESPACE / NAME
        if candidate.is_dir() and candidate.resolve() == REPO_ROOT:
            return True
    return False


if not _already_importable():
    # ansible_collections is a namespace package: one already imported (from the ansible
    # package in site-packages) also finds the new entry.
    sys.path.insert(0, str(_collections_root()))
