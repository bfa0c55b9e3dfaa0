# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checksums of files on the controller, for the node_state action."""

from __future__ import annotations

import hashlib

# Bytes read at a time: bounds the memory used whatever the size of the file (image archives of hundreds of MB).
CHUNK_SIZE = 1024 * 1024


def file_sha1(path: str | bytes) -> str:
    """Hex SHA-1 of the file at PATH, read CHUNK_SIZE bytes at a time: the ``checksum`` of ansible.builtin.stat."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
