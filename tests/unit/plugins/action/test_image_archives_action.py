"""Unit tests for the controller side of image_archives: archives of src are read on the controller and copied
only where one of their images is missing, into a temporary directory removed after the import."""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.kubeadm.cluster.plugins.action.image_archives import ActionModule

PAUSE = "registry.k8s.io/pause:3.9"
ETCD = "registry.k8s.io/etcd:3.5.9-0"
TMP = "/root/.ansible/tmp/ansible-tmp-1-2"


def docker_save(path: Path, *tags: str) -> str:
    """An archive as `docker save` writes it: manifest.json with RepoTags, and a layer."""
    with tarfile.open(path, "w") as archive:
        for name, text in {"blobs/sha256/0123": "layer", "manifest.json": json.dumps([{"RepoTags": list(tags)}])}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path.name


class Node:
    """Stands in for the connection and the module on the node: records transfers and module runs."""

    def __init__(self, present: set) -> None:
        self.present = present
        self.transfers: list[tuple[str, str]] = []
        self.runs: list[dict] = []
        self.removed: list[str] = []
        self.import_failure = ""

    def module(self, module_name, module_args, task_vars):
        assert module_name == "kubeadm.cluster.image_archives"
        assert "src" not in module_args
        self.runs.append(module_args)
        imported = [] if self.import_failure else list(module_args.get("paths", []))
        result = {
            "changed": bool(imported),
            "images": {},
            "imported": imported,
            "absent": [name for name in module_args.get("images", []) if name not in self.present],
        }
        if self.import_failure and imported == [] and module_args.get("paths"):
            result.update(failed=True, msg=f"ctr images import {module_args['paths'][0]} failed (rc=1): {self.import_failure}", rc=1)
        return result


@pytest.fixture
def files(tmp_path):
    (tmp_path / "files").mkdir()
    return tmp_path / "files"


def find_needle(files: Path):
    def find(dirname, needle):
        if not (files / needle).exists():
            raise AnsibleError(f"Could not find or access '{needle}'")
        return str(files / needle)

    return find


def action(files: Path, node: Node, args: dict, check_mode: bool = False, monkeypatch=None) -> ActionModule:
    plugin = object.__new__(ActionModule)
    plugin._task = SimpleNamespace(args=args, check_mode=check_mode)
    shell = SimpleNamespace(tmpdir=None, join_path=posixpath.join)
    plugin._connection = SimpleNamespace(_shell=shell)
    plugin._execute_module = node.module
    plugin._find_needle = find_needle(files)

    def make_tmp_path():
        shell.tmpdir = TMP
        return TMP

    plugin._make_tmp_path = make_tmp_path
    plugin._transfer_file = lambda local, remote: node.transfers.append((local, remote)) or remote
    plugin._fixup_perms2 = lambda paths: None
    plugin._remove_tmp_path = node.removed.append
    return plugin


@pytest.fixture(autouse=True)
def no_base_run(monkeypatch):
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})


def test_only_archives_with_a_missing_image_are_copied_imported_and_removed(files):
    pause, etcd = docker_save(files / "pause.tar", PAUSE), docker_save(files / "etcd.tar", ETCD)
    node = Node(present={PAUSE})
    result = action(files, node, {"src": [pause, etcd], "namespace": "k8s.io"}).run(task_vars={})
    assert node.runs[0] == {"namespace": "k8s.io", "images": [PAUSE, ETCD]}
    assert node.transfers == [(str(files / etcd), f"{TMP}/0-etcd.tar")]
    assert node.runs[1] == {"namespace": "k8s.io", "paths": [f"{TMP}/0-etcd.tar"], "images": []}
    assert node.removed == [TMP]
    assert (result["changed"], result["imported"]) == (True, [etcd])
    assert result["images"] == {pause: [PAUSE], etcd: [ETCD]}


def test_a_node_with_every_image_costs_one_module_run_and_no_transfer(files):
    pause = docker_save(files / "pause.tar", PAUSE)
    node = Node(present={PAUSE})
    result = action(files, node, {"src": [pause]}).run(task_vars={})
    assert (result["changed"], result["imported"], len(node.runs), node.transfers) == (False, [], 1, [])


def test_archives_on_the_target_are_handled_by_the_first_run(files):
    node = Node(present=set())
    result = action(files, node, {"paths": ["/srv/images/app.tar"]}).run(task_vars={})
    assert node.runs == [{"paths": ["/srv/images/app.tar"], "images": []}]
    assert (result["changed"], result["imported"]) == (True, ["/srv/images/app.tar"])


def test_check_mode_reports_the_copies_without_making_them(files):
    etcd = docker_save(files / "etcd.tar", ETCD)
    node = Node(present=set())
    result = action(files, node, {"src": [etcd]}, check_mode=True).run(task_vars={})
    assert (result["changed"], result["imported"], node.transfers, len(node.runs)) == (True, [etcd], [], 1)


def test_sources_with_the_same_base_name_do_not_overwrite_each_other(files):
    (files / "a").mkdir()
    (files / "b").mkdir()
    first, second = docker_save(files / "a" / "img.tar", PAUSE), docker_save(files / "b" / "img.tar", ETCD)
    node = Node(present=set())
    action(files, node, {"src": [f"a/{first}", f"b/{second}"]}).run(task_vars={})
    assert [remote for _local, remote in node.transfers] == [f"{TMP}/0-img.tar", f"{TMP}/1-img.tar"]


def test_a_failed_import_names_the_archive_by_its_src_and_still_removes_the_copy(files):
    etcd = docker_save(files / "etcd.tar", ETCD)
    node = Node(present=set())
    node.import_failure = "unexpected EOF"
    result = action(files, node, {"src": [etcd]}).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "ctr images import etcd.tar failed (rc=1): unexpected EOF"
    assert (result["changed"], result["imported"], node.removed) == (False, [], [TMP])


def test_every_unreadable_or_absent_source_is_named_before_anything_runs(files):
    (files / "junk.tar").write_text("not a tar file")
    node = Node(present=set())
    with pytest.raises(AnsibleActionFail) as err:
        action(files, node, {"src": ["junk.tar", "gone.tar"]}).run(task_vars={})
    assert str(err.value) == (
        "Image archive junk.tar is unreadable: not a tar file, or a damaged one; image archive gone.tar is not on the controller"
        ' (searched the files/ directories of the role and the play). Allowed: archives from "docker save IMAGE:TAG" or "ctr images export".'
    )
    assert node.runs == []
