# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: file_checksum
short_description: Checksum files on the controller
version_added: 0.2.0
description:
  - Returns the hex digest of each file named in O(_terms), one per term and in the same order, computed in the
    controller process. No module runs, so this is much cheaper than M(ansible.builtin.stat) delegated to
    C(localhost) in a loop.
  - Files are read in chunks of 1 MiB, so a large file (an image archive of several hundred MB) is never held in
    memory as a whole.
  - A relative path is looked up the way the P(ansible.builtin.file#lookup) lookup and the C(src) of
    M(ansible.builtin.copy) look it up, first in the C(files/) directory of the role, last in that of the play
    (see the search paths below).
  - Symbolic links are followed; the digest is that of the file they point to.
  - The digest is taken over the bytes on disk. A file encrypted with Ansible Vault is not decrypted.
  - Fails when a file is missing on the controller, is not a regular file, or cannot be read.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  _terms:
    description:
      - Paths of files on the controller, absolute or relative to the search path.
      - A list given as one term is expanded, so V(query('kubeadm.cluster.file_checksum', my_list\)) works.
    type: list
    elements: path
    required: true
  algorithm:
    description:
      - Name of the hash algorithm, as Python's C(hashlib) spells it.
      - Any name in C(hashlib.algorithms_available) on the controller except the variable-length C(shake_*) ones,
        for example V(sha1), V(sha256), V(sha512), V(md5) or V(blake2b).
      - The default V(sha1) gives the same value as C(checksum) of M(ansible.builtin.stat) and M(ansible.builtin.copy).
    type: str
    default: sha1
notes:
  - Like all lookups, it runs on the controller, once each time the expression is templated. A variable holding
    the lookup (in C(vars/) or C(defaults/)) is templated again every time it is used and for every host; store
    the result once with M(ansible.builtin.set_fact) and C(run_once) when it is used often.
  - Use C(query) (or C(lookup) with C(wantlist=true)) to always get a list; C(lookup) returns a single digest as
    a string and several joined by commas.
seealso:
  - plugin: ansible.builtin.file
    plugin_type: lookup
    description: Read the contents of a file on the controller, with the same search path.
  - module: ansible.builtin.stat
    description: The checksum of a file on a managed node.
  - ref: playbook_task_paths
    description: Search paths used for relative files.
"""

EXAMPLES = r"""
- name: Show the SHA-1 digest of a file in the role's or play's files/ directory
  ansible.builtin.debug:
    msg: "{{ lookup('kubeadm.cluster.file_checksum', 'images/pause.tar') }}"

- name: Get one SHA-256 digest per archive, in the order of the list
  ansible.builtin.set_fact:
    __archive_checksums: "{{ query('kubeadm.cluster.file_checksum', archives, algorithm='sha256') }}"
  run_once: true
  vars:
    archives:
      - /srv/images/pause.tar
      - /srv/images/coredns.tar

- name: Map each archive to its SHA-1 digest
  ansible.builtin.set_fact:
    __archive_sha1: "{{ dict(archives | zip(query('kubeadm.cluster.file_checksum', archives))) }}"
  run_once: true
  vars:
    archives:
      - /srv/images/pause.tar
      - /srv/images/coredns.tar
"""

RETURN = r"""
_raw:
  description:
    - One lower-case hex digest per term, in the order of the terms.
  type: list
  elements: str
  sample:
    - da39a3ee5e6b4b0d3255bfef95601890afd80709
    - 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12
"""

import hashlib
import os
import stat

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

display = Display()

# Bytes read at a time: bounds the memory used whatever the size of the file.
CHUNK_SIZE = 1024 * 1024


def allowed_algorithms() -> list[str]:
    """Names the algorithm option accepts: those of hashlib.algorithms_available with a fixed-length digest."""
    return sorted(name for name in hashlib.algorithms_available if not name.startswith("shake_"))


def file_digest(path: str | bytes, algorithm: str) -> str:
    """Hex digest of the file at PATH, read CHUNK_SIZE bytes at a time."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        algorithm = self.get_option("algorithm")
        allowed = allowed_algorithms()
        if algorithm not in allowed:
            raise AnsibleError(f"file_checksum: unknown algorithm '{algorithm}'; allowed: one of {', '.join(allowed)}")
        try:
            hashlib.new(algorithm)
        except ValueError as e:  # listed but disabled, as md5 under FIPS
            raise AnsibleError(f"file_checksum: algorithm '{algorithm}' is not usable on this controller: {e}") from None

        variables = variables if variables is not None else {}
        return [self._checksum(variables, term, algorithm) for term in self._flatten(terms)]

    def _checksum(self, variables: dict, term: object, algorithm: str) -> str:
        if not isinstance(term, str):
            raise AnsibleError(f"file_checksum: each term must be a path (a string), got {type(term).__name__} {term!r}")

        path = self.find_file_in_search_path(variables, "files", term, ignore_missing=True)
        if path is None:  # also a symbolic link whose target does not exist
            raise AnsibleError(self._not_found(term))
        display.vvvv(f"file_checksum: {term} is {path}")
        where = term if path == term else f"{term} ({path})"

        b_path = to_bytes(path, errors="surrogate_or_strict")
        try:
            if not stat.S_ISREG(os.stat(b_path).st_mode):
                raise AnsibleError(f"file_checksum: {where} is not a regular file on the controller")
            return file_digest(b_path, algorithm)
        # `from None`: AnsibleError would append the OSError again, with the path as bytes.
        except FileNotFoundError:  # removed since the search
            raise AnsibleError(self._not_found(term)) from None
        except OSError as e:
            raise AnsibleError(f"file_checksum: {where} is unreadable on the controller: {e.strerror or e}") from None

    @staticmethod
    def _not_found(term: str) -> str:
        hint = "" if term.startswith(("/", "~")) else " (searched the files/ directories of the role and the play)"
        return f"file_checksum: {term} not found on the controller{hint}"
