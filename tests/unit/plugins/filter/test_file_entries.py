"""Unit tests for the file_entries filter, which turns user lists into the file lists roles declare."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.files import FilterModule

file_entries = FilterModule().filters()["file_entries"]


def test_strings_become_entries_with_a_path_from_their_basename():
    entries = file_entries(["/srv/images/pause.tar", "images/etcd.tar"], "/var/lib/images/{basename}", key="src", mode="0640")
    assert entries == [
        {"src": "/srv/images/pause.tar", "path": "/var/lib/images/pause.tar", "mode": "0640", "state": "file"},
        {"src": "images/etcd.tar", "path": "/var/lib/images/etcd.tar", "mode": "0640", "state": "file"},
    ]


def test_mappings_keep_their_fields_for_the_template():
    mirrors = [{"key": "docker.io", "value": ["https://mirror.example"]}]
    entries = file_entries(mirrors, "/etc/containerd/certs.d/{key}/hosts.toml", template="hosts.toml.j2")
    assert entries == [
        {
            "key": "docker.io",
            "value": ["https://mirror.example"],
            "path": "/etc/containerd/certs.d/docker.io/hosts.toml",
            "template": "hosts.toml.j2",
            "state": "file",
        }
    ]
    assert mirrors == [{"key": "docker.io", "value": ["https://mirror.example"]}], "the input is not changed"


def test_state_can_be_set_and_an_empty_list_gives_no_entries():
    assert file_entries([{"key": "docker.io"}], "/etc/x/{key}", state="directory")[0]["state"] == "directory"
    assert file_entries([], "/x/{item}") == []


@pytest.mark.parametrize(
    ("items", "path", "message"),
    [
        ("a-string", "/x/{item}", "the input must be a list, got str"),
        ({"key": "x"}, "/x/{key}", "the input must be a list, got dict"),
        (["a"], "/x/{missing}", "names a field that 'a' lacks"),
        (["a"], 7, "path must be a string, got int"),
    ],
)
def test_bad_input_is_named(items, path, message):
    with pytest.raises(AnsibleFilterError, match=message):
        file_entries(items, path)
