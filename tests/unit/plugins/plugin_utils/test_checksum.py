"""Unit tests for plugins/plugin_utils/_checksum.py: digests of real files in tmp_path, compared with hashlib's."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from ansible_collections.kubeadm.cluster.plugins.plugin_utils import _checksum


@pytest.mark.parametrize("size", [0, 17, _checksum.CHUNK_SIZE, 2 * _checksum.CHUNK_SIZE + 12345])
def test_sha1_of_a_file(tmp_path, size):
    data = os.urandom(size)
    (tmp_path / "archive.tar").write_bytes(data)
    assert _checksum.file_sha1(str(tmp_path / "archive.tar")) == hashlib.sha1(data).hexdigest()


def test_a_symlink_gives_the_digest_of_its_target(tmp_path):
    (tmp_path / "archive.tar").write_bytes(b"an image archive\n")
    (tmp_path / "link.tar").symlink_to(tmp_path / "archive.tar")
    assert _checksum.file_sha1(str(tmp_path / "link.tar")) == hashlib.sha1(b"an image archive\n").hexdigest()


def test_reads_in_chunks(tmp_path, monkeypatch):
    sizes = []

    class Spy(io.FileIO):
        """The file the helper opens, recording the size of each read."""

        def read(self, size=-1):
            sizes.append(size)
            return super().read(size)

    (tmp_path / "large.tar").write_bytes(os.urandom(2 * _checksum.CHUNK_SIZE + 12345))
    monkeypatch.setattr(_checksum, "open", Spy, raising=False)
    _checksum.file_sha1(str(tmp_path / "large.tar"))
    assert sizes == [_checksum.CHUNK_SIZE] * 4  # two full chunks, a short one, then the end of the file


def test_a_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        _checksum.file_sha1(str(tmp_path / "missing.tar"))
