"""Unit tests for the controller side of node_files: entries become what the module writes, with their text."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.kubeadm.cluster.plugins.action.node_files import ActionModule


@pytest.fixture
def action(make_action, tmp_path):
    (tmp_path / "templates" / "hosts.toml.j2").write_text('server = "https://{{ item.key }}"\n')
    (tmp_path / "files" / "sync.timer").write_text("[Timer]\nOnUnitActiveSec=60\n")
    (tmp_path / "files" / "blob").write_bytes(b"\xff\xfe")
    return make_action(ActionModule)


def test_template_content_and_src_become_text_and_other_keys_stay_behind(action, tmp_path):
    task_vars = {"ansible_search_path": [str(tmp_path)]}
    entries = [
        {"path": "/etc/containerd/certs.d/docker.io/hosts.toml", "template": "hosts.toml.j2", "key": "docker.io", "mode": "0644", "restart": True},
        {"path": "/etc/crictl.yaml", "content": "timeout: 10\n", "owner": "root"},
        {"path": "/etc/systemd/system/sync.timer", "src": "sync.timer", "group": "root"},
        {"path": "/etc/haproxy/haproxy.cfg", "content": "x\n", "validate": "haproxy -c -f %s"},
        {"path": "/etc/apt/keyrings", "state": "directory", "mode": "0755"},
    ]
    assert [action._module_entry(entry, task_vars) for entry in entries] == [
        {"path": entries[0]["path"], "mode": "0644", "content": 'server = "https://docker.io"\n'},
        {"path": "/etc/crictl.yaml", "owner": "root", "content": "timeout: 10\n"},
        {"path": "/etc/systemd/system/sync.timer", "group": "root", "content": "[Timer]\nOnUnitActiveSec=60\n"},
        {"path": "/etc/haproxy/haproxy.cfg", "validate": "haproxy -c -f %s", "content": "x\n"},
        {"path": "/etc/apt/keyrings", "state": "directory", "mode": "0755"},
    ]


def test_a_binary_src_is_refused_naming_the_entry(action, tmp_path):
    with pytest.raises(AnsibleActionFail, match="files entry /usr/local/bin/blob: its content is not UTF-8 text"):
        action._module_entry({"path": "/usr/local/bin/blob", "src": "blob"}, {"ansible_search_path": [str(tmp_path)]})


def test_two_sources_in_one_entry_are_refused(action):
    with pytest.raises(AnsibleActionFail, match="give at most one of checksum, template, content and src"):
        action._module_entry({"path": "/etc/x", "content": "a", "src": "b"}, {})
