# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Image names of a container image archive, read without importing it.

Shared by the image_archives module, which reads archives on the target, and its action plugin, which
reads the archives of its src option on the controller to decide which to copy. Standard library only:
this file is shipped to the target together with the module.
"""

from __future__ import annotations

import json
import os
import tarfile

ALLOWED = 'Allowed: archives from "docker save IMAGE:TAG" or "ctr images export".'
NAMES_NOTHING = "names no image (no RepoTags in manifest.json, no io.containerd.image.name / full org.opencontainers.image.ref.name in index.json)"
CONTAINERD_NAME = "io.containerd.image.name"
OCI_REF_NAME = "org.opencontainers.image.ref.name"


class ArchiveError(Exception):
    """An archive that cannot be checked; the message names it."""


def normalise(name: str) -> str:
    """The name as containerd stores it: busybox:1 -> docker.io/library/busybox:1, user/app:1 -> docker.io/user/app:1."""
    if "/" not in name:
        return "docker.io/library/" + name
    first = name.split("/", 1)[0]
    if "." in first or ":" in first or first == "localhost":
        return name
    return "docker.io/" + name


def unique(items: list) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def names_from_manifest(manifest) -> list[str]:
    """Names in a docker-save manifest.json: the RepoTags of each entry."""
    names = []
    for entry in manifest if isinstance(manifest, list) else []:
        tags = entry.get("RepoTags") if isinstance(entry, dict) else None
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and tag:
                names.append(normalise(tag))
    return unique(names)


def names_from_index(index) -> list[str]:
    """Names in an OCI index.json: io.containerd.image.name, else a full org.opencontainers.image.ref.name."""
    names = []
    manifests = index.get("manifests") if isinstance(index, dict) else None
    for manifest in manifests if isinstance(manifests, list) else []:
        annotations = manifest.get("annotations") if isinstance(manifest, dict) else None
        if not isinstance(annotations, dict):
            continue
        ref = annotations[CONTAINERD_NAME] if CONTAINERD_NAME in annotations else annotations.get(OCI_REF_NAME, "")
        # A bare tag ("3.9", "latest") names no image.
        if isinstance(ref, str) and ("/" in ref or ":" in ref):
            names.append(normalise(ref))
    return unique(names)


def _read_member(archive: tarfile.TarFile, members: dict, name: str) -> bytes | None:
    """Content of NAME or ./NAME; None when absent or not a regular file."""
    for spelling in (name, "./" + name):
        member = members.get(spelling)
        if member is None:
            continue
        handle = archive.extractfile(member)
        if handle is not None:
            with handle:
                return handle.read()
    return None


def _parse(path: str, name: str, data: bytes):
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ArchiveError(f"image archive {path} is unreadable: {name} is not valid JSON: {exc}") from None


def read_names(path: str) -> list[str]:
    """Image names an archive holds, read without importing it."""
    if not os.path.exists(path):
        raise ArchiveError(f"image archive {path} is missing")
    try:
        with tarfile.open(path, "r:*") as archive:
            # A name stored twice: the later member wins, as when tar extracts the archive.
            members = {member.name: member for member in archive.getmembers()}
            manifest = _read_member(archive, members, "manifest.json")
            index = None if manifest and manifest.strip() else _read_member(archive, members, "index.json")
    except (tarfile.TarError, EOFError):
        # tarfile's own message lists every compression it tried; this is what it means.
        raise ArchiveError(f"image archive {path} is unreadable: not a tar file, or a damaged one") from None
    except OSError as exc:
        raise ArchiveError(f"image archive {path} is unreadable: {exc}") from None

    if manifest and manifest.strip():
        names = names_from_manifest(_parse(path, "manifest.json", manifest))
    elif index and index.strip():
        names = names_from_index(_parse(path, "index.json", index))
    else:
        names = []
    if not names:
        raise ArchiveError(f"image archive {path} {NAMES_NOTHING}")
    return names
