"""Unit tests for the controller side of node_state: template, content and src entries become checksums."""

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.kubeadm.cluster.plugins.action.node_state import ActionModule


@pytest.fixture
def action(make_action, tmp_path):
    (tmp_path / "templates" / "hosts.toml.j2").write_text('server = "https://{{ item.key }}"\n{{ greeting }}\n')
    (tmp_path / "files" / "pause.tar").write_bytes(b"x" * 1234)
    return make_action(ActionModule)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def test_a_template_is_rendered_with_the_entry_as_item(action, tmp_path):
    entry = {"path": "/etc/containerd/certs.d/docker.io/hosts.toml", "template": "hosts.toml.j2", "key": "docker.io", "mode": "0644"}
    task_vars = {"greeting": "hello", "ansible_search_path": [str(tmp_path)]}
    wanted = action._module_entry(entry, task_vars)
    assert wanted == {"path": entry["path"], "mode": "0644", "checksum": sha1('server = "https://docker.io"\nhello\n')}


def test_content_is_sent_as_its_checksum_only(action):
    wanted = action._module_entry({"path": "/etc/apt/sources.list.d/docker.list", "content": "deb x y\n", "owner": "root"}, {})
    assert wanted == {"path": "/etc/apt/sources.list.d/docker.list", "owner": "root", "checksum": sha1("deb x y\n")}


def test_a_controller_file_is_compared_by_checksum(action, tmp_path):
    task_vars = {"ansible_search_path": [str(tmp_path)]}
    by_checksum = action._module_entry({"path": "/var/lib/images/pause.tar", "src": "pause.tar"}, task_vars)
    assert by_checksum == {"path": "/var/lib/images/pause.tar", "checksum": hashlib.sha1(b"x" * 1234).hexdigest()}


def test_empty_strings_count_as_not_given(action):
    entry = {"path": "/etc/kubernetes/addons/calico.yaml", "src": "", "checksum": "", "content": "", "contains": ["x"]}
    assert action._module_entry(entry, {}) == {"path": entry["path"], "contains": ["x"]}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "/a", "content": "x", "template": "t.j2"}, "give at most one of checksum, template, content and src"),
        ({"path": "/a", "checksum": "abc", "content": "x"}, "give at most one of checksum, template, content and src"),
        ({"mode": "0644"}, "each entry of files must be a mapping with a path"),
        ({"path": "/a", "src": "missing.tar"}, "missing.tar not found on the controller"),
        ({"path": "/a", "template": "missing.j2"}, "files entry /a: cannot render template missing.j2"),
    ],
)
def test_bad_entries_are_named(action, tmp_path, entry, message):
    with pytest.raises(AnsibleActionFail, match=message):
        action._module_entry(entry, {"ansible_search_path": [str(tmp_path)]})
