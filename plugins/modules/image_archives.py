# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_archives
short_description: Import container image archives into containerd when their images are missing
version_added: 0.2.0
description:
  - Reads the image names that each archive in O(paths) holds, without importing it, lists the images containerd
    has in O(namespace), and runs C(ctr images import) only for the archives that name at least one image
    containerd does not have. All of this is one task.
  - Archives from C(docker save IMAGE:TAG) list their images in C(manifest.json) (C(RepoTags)). Archives from
    C(ctr images export) and other OCI layout tarballs list them in C(index.json), as the C(io.containerd.image.name)
    annotation of a manifest or, when that annotation is absent, as an C(org.opencontainers.image.ref.name)
    annotation that is a full reference (it contains a C(/) or a C(:), unlike a bare tag such as C(3.9)).
    When an archive has both files, C(manifest.json) is used. Members may be stored as C(name) or C(./name).
  - Names are compared the way containerd stores them, C(pause:3.9) as C(docker.io/library/pause:3.9) and
    C(user/app:1) as C(docker.io/user/app:1).
  - Archives on the controller, given in O(src), are read there; only those naming an image containerd lacks are
    copied to a temporary directory on the target, imported and removed with it, so that each archive crosses the
    network once, when it is needed, and no copy is left behind. A re-run with every image present transfers nothing.
  - An archive that is missing, is not a readable tar file, or names no image makes the module fail before anything
    is imported, since it could never be checked.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  paths:
    description:
      - Image archives on the target, in the order they are imported.
      - Each must be a tar file from C(docker save IMAGE:TAG) or C(ctr images export) (or an OCI layout tarball
        with image name annotations). The names are read with Python's C(tarfile), which also reads compressed
        archives; C(ctr images import) of containerd 1.6 still rejects gzip-compressed ones.
    type: list
    elements: path
    default: []
  src:
    description:
      - Image archives on the controller, read by the action plugin; relative paths are looked up in the C(files/)
        directories of the role and the playbook, as for M(ansible.builtin.copy).
      - They are imported after those of O(paths), in their order, each only when it names an image containerd lacks.
    type: list
    elements: path
    default: []
  images:
    description:
      - Image names to look up in O(namespace) without reading any archive; RV(absent) lists those containerd lacks.
      - The action plugin passes the names read from the archives of O(src) here, to decide which to copy.
    type: list
    elements: str
    default: []
  namespace:
    description:
      - containerd namespace to list and import into, passed to C(ctr) as C(--namespace).
      - The kubelet (CRI) uses V(k8s.io).
    type: str
    default: k8s.io
  address:
    description:
      - Socket of containerd's GRPC API, passed to C(ctr) as C(--address).
    type: path
    default: /run/containerd/containerd.sock
  unpack:
    description:
      - Whether C(ctr images import) also unpacks each image into the snapshotter.
      - With V(false) it imports with C(--no-unpack), which only stores the content. The kubelet (CRI) unpacks an
        image when the first container on the node uses it, so a node pays only for the images it runs; a worker
        given the control-plane archives never unpacks them. Clients outside CRI (C(ctr run), C(nerdctl)) unpack
        on first use too.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the archives and lists the images, but imports nothing. The task reports a change when an import
        would happen.
      - An archive that is not on the target (yet), for example because the task copying it did not run in check
        mode, is no error then; it is returned in RV(missing) and the task reports a change.
      - If C(ctr) is not installed or containerd is not running (yet), no image counts as present.
      - Archives of O(src) are read on the controller but not copied.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - C(ctr) (shipped with containerd) on the PATH of the target, and a running containerd.
notes:
  - Run it with C(become), to read the archives and talk to containerd's socket.
  - Images are not updated. An archive whose images are all present is not imported again, even if the archive
    holds other content under the same names. Remove the image (C(ctr images rm)) to have it imported again.
seealso:
  - name: Getting started with containerd
    description: Installing containerd and using its C(ctr) client, which this module drives.
    link: https://github.com/containerd/containerd/blob/main/docs/getting-started.md
  - name: docker image save
    description: Writes the archives this module reads from C(manifest.json).
    link: https://docs.docker.com/reference/cli/docker/image/save/
"""

EXAMPLES = r"""
- name: Import the pause and CoreDNS images for an air-gapped cluster
  kubeadm.cluster.image_archives:
    paths:
      - /var/cache/kubeadm-cluster/images/pause-3.9.tar
      - /var/cache/kubeadm-cluster/images/coredns-v1.11.1.tar
  become: true

- name: Copy the archives of the control-plane images from the controller to the nodes that lack them, and import them
  kubeadm.cluster.image_archives:
    src:
      - images/kube-apiserver-v1.30.4.tar
      - images/etcd-3.5.15-0.tar
  become: true

- name: Import archives into another namespace of a containerd on a non-default socket
  kubeadm.cluster.image_archives:
    paths: "{{ my_archives }}"
    namespace: default
    address: /run/containerd-alt/containerd.sock
  become: true
  register: __import

- name: Show what was imported
  ansible.builtin.debug:
    msg: "{{ __import.imported | map('extract', __import.images) | flatten }}"
"""

RETURN = r"""
images:
  description:
    - Image names of each archive that was read, normalised the way containerd stores them.
    - Archives returned in RV(missing) are not listed.
  returned: success
  type: dict
  sample:
    /var/cache/kubeadm-cluster/images/pause-3.9.tar:
      - registry.k8s.io/pause:3.9
    /var/cache/kubeadm-cluster/images/busybox.tar:
      - docker.io/library/busybox:1.36
imported:
  description:
    - Archives imported (in check mode, that would be imported), in the order of O(paths).
  returned: success
  type: list
  elements: path
  sample: [/var/cache/kubeadm-cluster/images/pause-3.9.tar]
absent:
  description:
    - The names of O(images) that containerd does not have.
  returned: success
  type: list
  elements: str
  sample: [registry.k8s.io/etcd:3.5.9-0]
missing:
  description:
    - Archives that are not on the target. They are only tolerated in check mode.
  returned: in check mode
  type: list
  elements: path
  sample: [/var/cache/kubeadm-cluster/images/coredns-v1.11.1.tar]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm.cluster.plugins.module_utils._image_archive import (
    ALLOWED,
    ArchiveError,
    read_names,
    unique,
)

ENVIRON = {"LC_ALL": "C", "LANG": "C", "LC_MESSAGES": "C"}


def argument_spec() -> dict:
    return {
        "paths": {"type": "list", "elements": "path", "default": []},
        "src": {"type": "list", "elements": "path", "default": []},
        "images": {"type": "list", "elements": "str", "default": []},
        "namespace": {"type": "str", "default": "k8s.io"},
        "address": {"type": "path", "default": "/run/containerd/containerd.sock"},
        "unpack": {"type": "bool", "default": True},
    }


class CommandError(Exception):
    """A ctr command failed; carries rc and stderr."""

    def __init__(self, msg: str, rc: int, stderr: str, result: dict | None = None) -> None:
        super().__init__(msg)
        self.rc = rc
        self.stderr = stderr
        self.result = result or {}


class ImageArchives:
    """The work of the module; every failure is raised as ArchiveError or CommandError and reported by main()."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.ctr: str | None = None

    def ctr_run(self, args: list[str]) -> tuple[int, str, str]:
        argv = [self.ctr, "--address", self.params["address"], "--namespace", self.params["namespace"]] + args
        return self.module.run_command(argv, environ_update=ENVIRON)

    def present_images(self) -> set[str]:
        check_mode = self.module.check_mode
        # In check mode containerd may not be installed or running yet: then nothing is present.
        self.ctr = self.module.get_bin_path("ctr", required=not check_mode)
        if self.ctr is None:
            return set()
        rc, out, err = self.ctr_run(["images", "list", "--quiet"])
        if rc != 0:
            if check_mode:
                return set()
            raise CommandError(f"ctr images list failed (rc={rc}): {err.strip() or '(no error output)'}", rc, err)
        return {line.strip() for line in out.splitlines() if line.strip()}

    def run(self) -> dict:
        check_mode = self.module.check_mode
        images: dict[str, list[str]] = {}
        missing: list[str] = []
        problems: list[str] = []
        for path in unique(self.params["paths"]):
            if check_mode and not os.path.lexists(path):
                missing.append(path)
                continue
            try:
                images[path] = read_names(path)
            except ArchiveError as exc:
                problems.append(str(exc))
        if problems:
            msg = "; ".join(problems)
            raise ArchiveError(f"{msg[0].upper()}{msg[1:]}. {ALLOWED}")

        lookups = unique(self.params["images"])
        present = self.present_images() if images or lookups else set()
        wanted = [path for path, names in images.items() if any(name not in present for name in names)]
        absent = [name for name in lookups if name not in present]
        result = {"changed": bool(wanted or missing), "images": images, "imported": [], "absent": absent}
        if check_mode:
            result["imported"] = wanted
            result["missing"] = missing
            return result
        for path in wanted:
            rc, out, err = self.ctr_run(["images", "import", *([] if self.params["unpack"] else ["--no-unpack"]), path])
            if rc != 0:
                result["changed"] = bool(result["imported"])
                raise CommandError(
                    f"ctr images import {path} failed (rc={rc}): {err.strip() or out.strip() or '(no output)'}",
                    rc,
                    err,
                    result,
                )
            result["imported"].append(path)
        return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        module.exit_json(**ImageArchives(module).run())
    except CommandError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr, **exc.result)
    except ArchiveError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
