"""Unit tests for node_files: real files in tmp_path, written, left alone, removed and validated."""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.kubeadm.cluster.plugins.modules import node_files
from module_runner import run_module

CONFIG = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n'


def run(capsys, files: list, check_mode: bool = False, diff: bool = False) -> dict:
    args = {"files": files}
    if diff:
        args["_ansible_diff"] = True
    return run_module(node_files.main, capsys, args, check_mode)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_directory_and_a_file_are_created_then_left_alone(capsys, tmp_path):
    directory, config = tmp_path / "containerd", tmp_path / "containerd" / "config.toml"
    files = [{"path": str(directory), "state": "directory", "mode": "0750"}, {"path": str(config), "content": CONFIG, "mode": "0640"}]
    result = run(capsys, files)
    assert (result["changed"], result["written"]) == (True, [str(directory), str(config)])
    assert (config.read_text(), mode(directory), mode(config)) == (CONFIG, 0o750, 0o640)
    result = run(capsys, files)
    assert (result["changed"], result["written"]) == (False, [])


def test_only_the_file_whose_content_or_mode_drifted_is_written(capsys, tmp_path):
    first, second = tmp_path / "modules.conf", tmp_path / "sysctl.conf"
    files = [{"path": str(first), "content": "overlay\n", "mode": "0644"}, {"path": str(second), "content": "a = 1\n", "mode": "0644"}]
    run(capsys, files)
    second.chmod(0o600)
    first.write_text("drifted\n")
    inode = second.stat().st_ino
    assert run(capsys, files)["written"] == [str(first), str(second)]
    assert (first.read_text(), mode(second), second.stat().st_ino) == ("overlay\n", 0o644, inode)


def test_absent_removes_a_file_and_a_directory_tree(capsys, tmp_path):
    old = tmp_path / "images"
    (old / "sub").mkdir(parents=True)
    (old / "sub" / "pause.tar").write_text("x")
    stray = tmp_path / "hosts.toml"
    stray.write_text("x")
    files = [{"path": str(old), "state": "absent"}, {"path": str(stray), "state": "absent"}, {"path": str(tmp_path / "never"), "state": "absent"}]
    assert run(capsys, files)["written"] == [str(old), str(stray)]
    assert not old.exists() and not stray.exists()


def test_check_mode_reports_without_writing_and_diff_shows_the_content(capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("old\n")
    files = [{"path": str(config), "content": CONFIG}, {"path": str(tmp_path / "new"), "state": "directory"}]
    result = run(capsys, files, check_mode=True, diff=True)
    assert result["written"] == [str(config), str(tmp_path / "new")]
    assert result["diff"] == [{"before_header": str(config), "after_header": str(config), "before": "old\n", "after": CONFIG}]
    assert config.read_text() == "old\n" and not (tmp_path / "new").exists()


def test_a_failed_validation_leaves_the_file_as_it_was(capsys, tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text("good\n")
    result = run(capsys, [{"path": str(cfg), "content": "bad\n", "validate": "grep -q good %s"}])
    assert result["failed"] is True
    assert result["msg"].startswith(f"{cfg} was not written: grep -q good %s failed (rc=1)")
    assert cfg.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["haproxy.cfg"]


def test_a_passing_validation_writes(capsys, tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    assert run(capsys, [{"path": str(cfg), "content": "good\n", "validate": "grep -q good %s"}])["written"] == [str(cfg)]
    assert cfg.read_text() == "good\n"


def test_replacing_a_file_keeps_its_mode_when_none_is_wanted(capsys, tmp_path):
    script = tmp_path / "sync.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    run(capsys, [{"path": str(script), "content": "new\n"}])
    assert (script.read_text(), mode(script)) == ("new\n", 0o755)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"state": "directory"}, "should be a directory but is a file"),
        ({"mode": "rw-r--r--", "content": "x"}, "must be an octal string such as '0644', got 'rw-r--r--'"),
    ],
)
def test_bad_entries_fail_naming_the_path(capsys, tmp_path, entry, message):
    path = tmp_path / "file"
    path.write_text("x")
    result = run(capsys, [{"path": str(path), **entry}])
    assert result["failed"] is True
    assert message in result["msg"] and str(path) in result["msg"]


def test_a_missing_file_without_content_fails(capsys, tmp_path):
    result = run(capsys, [{"path": str(tmp_path / "key.asc"), "mode": "0644"}])
    assert result["msg"] == f"{tmp_path / 'key.asc'} is missing and its entry gives no content to write"
