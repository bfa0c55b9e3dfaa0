"""Unit tests for the kubeadm.cluster.image_archives module: real tar files, run_command mocked with real ctr output."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
import yaml
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import image_archives
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CTR = "/usr/bin/ctr"
SOCKET = "/run/containerd/containerd.sock"
PAUSE = "registry.k8s.io/pause:3.9"
COREDNS = "registry.k8s.io/coredns/coredns:v1.11.1"
ALLOWED = 'Allowed: archives from "docker save IMAGE:TAG" or "ctr images export".'
NAMES_NOTHING = "names no image (no RepoTags in manifest.json, no io.containerd.image.name / full org.opencontainers.image.ref.name in index.json)"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def make_tar(path: Path, members: dict, mode: str = "w") -> str:
    """A tar file holding MEMBERS (name -> text, or None for a directory), plus a layer as image archives have."""
    with tarfile.open(path, mode) as archive:
        for name, content in {"blobs/sha256/0123": "layer", **members}.items():
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
                continue
            data = content.encode()
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def docker_manifest(*tag_lists) -> str:
    return json.dumps([{"Config": f"c{i}.json", "RepoTags": tags, "Layers": ["l/layer.tar"]} for i, tags in enumerate(tag_lists)])


def oci_index(*annotation_sets) -> str:
    manifests = [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{i:064x}", "size": 1, "annotations": annotations}
        for i, annotations in enumerate(annotation_sets)
    ]
    return json.dumps({"schemaVersion": 2, "manifests": manifests})


class FakeCtr:
    """Stands in for AnsibleModule.run_command; answers ctr images list/import, records every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.environ: list[dict] = []
        self.list_result = (0, "", "")
        self.import_results: dict[str, tuple[int, str, str]] = {}

    def subcommands(self) -> list[tuple[str, ...]]:
        return [tuple(argv[5:7]) for argv in self.calls]

    def imported(self) -> list[str]:
        return [argv[-1] for argv in self.calls if argv[5:7] == ["images", "import"]]

    def __call__(self, args, **kwargs):
        assert isinstance(args, list), "run_command must get an argv list"
        self.calls.append(list(args))
        self.environ.append(kwargs.get("environ_update") or {})
        if args[5:] == ["images", "list", "--quiet"]:
            return self.list_result
        if args[5:7] == ["images", "import"] and (len(args) == 8 or (len(args) == 9 and args[7] == "--no-unpack")):
            return self.import_results.get(args[-1], (0, fixture("ctr-images-import.stdout"), ""))
        raise AssertionError(f"unexpected command {args}")


@pytest.fixture
def ctr(monkeypatch):
    fake = FakeCtr()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, args, **kwargs: fake(args, **kwargs))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: CTR)
    return fake


@pytest.fixture
def pause(tmp_path):
    """A docker-save archive of pause:3.9 with the manifest.json docker wrote."""
    return make_tar(tmp_path / "pause-3.9.tar", {"manifest.json": fixture("docker-save-manifest.json"), "repositories": "{}"})


@pytest.fixture
def coredns(tmp_path):
    return make_tar(tmp_path / "coredns.tar", {"manifest.json": docker_manifest([COREDNS])})


def run(capsys, args: dict, check_mode: bool = False) -> dict:
    """Run the module's main() with the real exit_json/fail_json and return its JSON result."""
    return run_module(image_archives.main, capsys, args, check_mode)


def list_argv(namespace: str = "k8s.io", address: str = SOCKET) -> list[str]:
    return [CTR, "--address", address, "--namespace", namespace, "images", "list", "--quiet"]


def import_argv(path: str, namespace: str = "k8s.io", address: str = SOCKET, unpack: bool = True) -> list[str]:
    return [CTR, "--address", address, "--namespace", namespace, "images", "import", *([] if unpack else ["--no-unpack"]), path]


# ----------------------------------------------------------------------------- reading names


def test_docker_save_archive_is_imported_when_missing(capsys, ctr, pause):
    result = run(capsys, {"paths": [pause]})
    assert result["changed"] is True
    assert result["images"] == {pause: [PAUSE]}
    assert result["imported"] == [pause]
    assert "missing" not in result
    assert ctr.calls == [list_argv(), import_argv(pause)]
    assert all(env.get("LC_ALL") == "C" for env in ctr.environ)


def test_present_images_are_not_imported_again(capsys, ctr, pause, coredns):
    ctr.list_result = (0, fixture("ctr-images-list.stdout"), "")
    result = run(capsys, {"paths": [pause, coredns]})
    assert result["changed"] is False
    assert result["imported"] == []
    assert result["images"] == {pause: [PAUSE], coredns: [COREDNS]}
    assert ctr.calls == [list_argv()]


def test_only_archives_with_a_missing_image_are_imported_in_order(capsys, ctr, tmp_path, pause, coredns):
    ctr.list_result = (0, PAUSE + "\n", "")
    both = make_tar(tmp_path / "both.tar", {"manifest.json": docker_manifest([PAUSE], ["busybox:1.36"])})
    result = run(capsys, {"paths": [coredns, pause, both]})
    assert result["changed"] is True
    assert result["images"][both] == [PAUSE, "docker.io/library/busybox:1.36"]
    assert result["imported"] == [coredns, both]
    assert ctr.calls == [list_argv(), import_argv(coredns), import_argv(both)]


def test_duplicate_paths_are_read_and_imported_once(capsys, ctr, pause):
    result = run(capsys, {"paths": [pause, pause]})
    assert result["imported"] == [pause]
    assert ctr.imported() == [pause]


def test_members_stored_with_dot_slash(capsys, ctr, tmp_path):
    docker = make_tar(tmp_path / "docker.tar", {"./": None, "./manifest.json": docker_manifest(["app:1"])})
    oci = make_tar(tmp_path / "oci.tar", {"./": None, "./index.json": oci_index({"io.containerd.image.name": "docker.io/library/app:2"})})
    result = run(capsys, {"paths": [docker, oci]})
    assert result["images"] == {docker: ["docker.io/library/app:1"], oci: ["docker.io/library/app:2"]}
    assert result["imported"] == [docker, oci]


def test_oci_archive_from_ctr_export(capsys, ctr, tmp_path):
    oci = make_tar(tmp_path / "oci.tar", {"oci-layout": '{"imageLayoutVersion":"1.0.0"}', "index.json": fixture("ctr-export-index.json")})
    result = run(capsys, {"paths": [oci]})
    assert result["images"] == {oci: [PAUSE]}  # not the bare tag "3.9" next to it
    assert ctr.calls == [list_argv(), import_argv(oci)]


@pytest.mark.parametrize(
    ("annotations", "names"),
    [
        ({"org.opencontainers.image.ref.name": "quay.io/app/web:2.1"}, ["quay.io/app/web:2.1"]),
        ({"org.opencontainers.image.ref.name": "busybox:1.36"}, ["docker.io/library/busybox:1.36"]),
        ({"org.opencontainers.image.ref.name": "user/app"}, ["docker.io/user/app"]),
        (
            {"io.containerd.image.name": "registry.k8s.io/pause:3.9", "org.opencontainers.image.ref.name": "quay.io/other/name:1"},
            ["registry.k8s.io/pause:3.9"],
        ),
        ({"io.containerd.image.name": "etcd:3.5", "org.opencontainers.image.ref.name": "3.5"}, ["docker.io/library/etcd:3.5"]),
    ],
    ids=["ref-name-full", "ref-name-short", "ref-name-no-tag", "containerd-name-wins", "containerd-name-normalised"],
)
def test_oci_annotations(capsys, ctr, tmp_path, annotations, names):
    oci = make_tar(tmp_path / "oci.tar", {"index.json": oci_index(annotations)})
    assert run(capsys, {"paths": [oci]})["images"] == {oci: names}


def test_oci_index_with_several_manifests(capsys, ctr, tmp_path):
    index = oci_index(
        {"io.containerd.image.name": "docker.io/library/a:1"},
        {"org.opencontainers.image.ref.name": "latest"},  # a bare tag: no name
        None,
        {"org.opencontainers.image.ref.name": "b:2"},
        {"io.containerd.image.name": "docker.io/library/a:1"},
    )
    oci = make_tar(tmp_path / "oci.tar", {"index.json": index})
    assert run(capsys, {"paths": [oci]})["images"] == {oci: ["docker.io/library/a:1", "docker.io/library/b:2"]}


def test_manifest_json_wins_over_index_json(capsys, ctr, tmp_path):
    both = make_tar(
        tmp_path / "export.tar",
        {"index.json": oci_index({"io.containerd.image.name": "docker.io/library/from-index:1"}), "manifest.json": docker_manifest(["from-manifest:1"])},
    )
    assert run(capsys, {"paths": [both]})["images"] == {both: ["docker.io/library/from-manifest:1"]}


def test_empty_manifest_json_falls_back_to_index_json(capsys, ctr, tmp_path):
    both = make_tar(tmp_path / "export.tar", {"manifest.json": "\n", "index.json": fixture("ctr-export-index.json")})
    assert run(capsys, {"paths": [both]})["images"] == {both: [PAUSE]}


def test_real_ctr_export_layout_uses_manifest_json(capsys, ctr, tmp_path):
    export = make_tar(tmp_path / "export.tar", {"index.json": fixture("ctr-export-index.json"), "manifest.json": fixture("ctr-export-manifest.json")})
    assert run(capsys, {"paths": [export]})["images"] == {export: [PAUSE]}


def test_gzip_compressed_archive_is_read(capsys, ctr, tmp_path):
    gz = make_tar(tmp_path / "pause.tar.gz", {"manifest.json": fixture("docker-save-manifest.json")}, mode="w:gz")
    assert run(capsys, {"paths": [gz]})["images"] == {gz: [PAUSE]}


@pytest.mark.parametrize(
    ("stored", "normalised"),
    [
        ("busybox:1", "docker.io/library/busybox:1"),
        ("busybox", "docker.io/library/busybox"),
        ("user/app:1", "docker.io/user/app:1"),
        ("docker.io/library/busybox:1", "docker.io/library/busybox:1"),
        ("localhost/app:1", "localhost/app:1"),
        ("registry:5000/app:1", "registry:5000/app:1"),
        ("quay.io/org/app:1", "quay.io/org/app:1"),
        ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64),
    ],
)
def test_names_are_normalised_like_containerd(capsys, ctr, tmp_path, stored, normalised):
    archive = make_tar(tmp_path / "a.tar", {"manifest.json": docker_manifest([stored])})
    ctr.list_result = (0, normalised + "\n", "")
    result = run(capsys, {"paths": [archive]})
    assert result["images"] == {archive: [normalised]}
    assert result["changed"] is False


def test_several_tags_one_missing_imports(capsys, ctr, tmp_path):
    archive = make_tar(tmp_path / "a.tar", {"manifest.json": docker_manifest([PAUSE, "registry.k8s.io/pause:latest"], None)})
    ctr.list_result = (0, fixture("ctr-images-list.stdout"), "")
    result = run(capsys, {"paths": [archive]})
    assert result["images"] == {archive: [PAUSE, "registry.k8s.io/pause:latest"]}
    assert result["imported"] == [archive]


# ----------------------------------------------------------------------------- options


def test_namespace_and_address_reach_ctr(capsys, ctr, pause):
    result = run(capsys, {"paths": [pause], "namespace": "default", "address": "/run/alt/containerd.sock"})
    assert result["changed"] is True
    assert ctr.calls == [list_argv("default", "/run/alt/containerd.sock"), import_argv(pause, "default", "/run/alt/containerd.sock")]


def test_without_unpack_only_the_content_is_imported(capsys, ctr, pause, coredns):
    ctr.list_result = (0, f"{PAUSE}\n", "")
    result = run(capsys, {"paths": [pause, coredns], "unpack": False})
    assert (result["changed"], result["imported"]) == (True, [coredns])
    assert ctr.calls == [list_argv(), import_argv(coredns, unpack=False)]


def test_no_paths_does_nothing(capsys, ctr):
    result = run(capsys, {"paths": []})
    assert (result["changed"], result["images"], result["imported"]) == (False, {}, [])
    assert ctr.calls == []


def test_images_are_looked_up_without_any_archive(capsys, ctr):
    ctr.list_result = (0, fixture("ctr-images-list.stdout"), "")
    result = run(capsys, {"images": [PAUSE, "registry.k8s.io/etcd:3.5.9-0", PAUSE]})
    assert (result["changed"], result["imported"], result["absent"]) == (False, [], ["registry.k8s.io/etcd:3.5.9-0"])
    assert ctr.calls == [list_argv()]


def test_images_and_paths_share_one_listing(capsys, ctr, pause):
    result = run(capsys, {"paths": [pause], "images": [COREDNS]})
    assert (result["imported"], result["absent"]) == ([pause], [COREDNS])
    assert ctr.calls == [list_argv(), import_argv(pause)]


def test_images_are_absent_in_check_mode_without_containerd(capsys, ctr):
    ctr.list_result = (1, "", fixture("ctr-images-list-nosock.stderr"))
    result = run(capsys, {"images": [PAUSE]}, check_mode=True)
    assert (result["changed"], result["absent"]) == (False, [PAUSE])


def test_nothing_given_does_nothing(capsys, ctr):
    result = run(capsys, {})
    assert (result["changed"], result["imported"], result["absent"]) == (False, [], [])
    assert ctr.calls == []


def test_argument_spec():
    assert image_archives.argument_spec() == {
        "paths": {"type": "list", "elements": "path", "default": []},
        "src": {"type": "list", "elements": "path", "default": []},
        "images": {"type": "list", "elements": "str", "default": []},
        "namespace": {"type": "str", "default": "k8s.io"},
        "address": {"type": "path", "default": SOCKET},
        "unpack": {"type": "bool", "default": True},
    }


def test_documentation_matches_argument_spec():
    options = yaml.safe_load(image_archives.DOCUMENTATION)["options"]
    spec = image_archives.argument_spec()
    assert set(options) == set(spec)
    for name, entry in spec.items():
        assert options[name]["type"] == entry["type"]
        assert options[name].get("default") == entry.get("default")
        assert options[name].get("required", False) == entry.get("required", False)
    assert set(yaml.safe_load(image_archives.RETURN)) == {"images", "imported", "absent", "missing"}


# ----------------------------------------------------------------------------- archive errors


def test_missing_archive_fails(capsys, ctr, tmp_path):
    path = str(tmp_path / "nosuch.tar")
    result = run(capsys, {"paths": [path]})
    assert result["failed"] is True
    assert result["msg"] == f"Image archive {path} is missing. {ALLOWED}"
    assert ctr.calls == []


def test_non_tar_file_fails(capsys, ctr, tmp_path):
    path = tmp_path / "notatar.tar"
    path.write_text("garbage\n")
    result = run(capsys, {"paths": [str(path)]})
    assert result["msg"] == f"Image archive {path} is unreadable: not a tar file, or a damaged one. {ALLOWED}"
    assert ctr.calls == []


def test_truncated_archive_fails(capsys, ctr, tmp_path, pause):
    data = Path(pause).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(data)[:200])
    result = run(capsys, {"paths": [str(cut)]})
    assert result["msg"] == f"Image archive {cut} is unreadable: not a tar file, or a damaged one. {ALLOWED}"


def test_directory_fails(capsys, ctr, tmp_path):
    result = run(capsys, {"paths": [str(tmp_path)]})
    assert result["msg"].startswith(f"Image archive {tmp_path} is unreadable: [Errno 21] Is a directory")
    assert ctr.calls == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_fails(capsys, ctr, pause):
    os.chmod(pause, 0)
    result = run(capsys, {"paths": [pause]})
    assert result["msg"].startswith(f"Image archive {pause} is unreadable: [Errno 13] Permission denied")


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"manifest.json": docker_manifest(None)},
        {"manifest.json": docker_manifest([])},
        {"manifest.json": "{}"},
        {"index.json": oci_index({"org.opencontainers.image.ref.name": "3.9"})},
        {"index.json": oci_index({"io.containerd.image.name": "", "org.opencontainers.image.ref.name": "quay.io/a/b:1"})},
        {"index.json": oci_index(None)},
        {"index.json": '{"schemaVersion": 2, "manifests": []}'},
        {"manifest.json": None, "index.json": None},
    ],
    ids=[
        "no-json",
        "repotags-null",
        "repotags-empty",
        "manifest-not-list",
        "bare-tag",
        "empty-containerd-name",
        "no-annotations",
        "no-manifests",
        "directories",
    ],
)
def test_archive_naming_no_image_fails(capsys, ctr, tmp_path, members):
    path = make_tar(tmp_path / "noname.tar", members)
    result = run(capsys, {"paths": [path]})
    assert result["failed"] is True
    assert result["msg"] == f"Image archive {path} {NAMES_NOTHING}. {ALLOWED}"
    assert ctr.calls == []


@pytest.mark.parametrize("member", ["manifest.json", "index.json"])
def test_invalid_json_fails(capsys, ctr, tmp_path, member):
    path = make_tar(tmp_path / "bad.tar", {member: "[{not json"})
    result = run(capsys, {"paths": [path]})
    assert result["msg"].startswith(f"Image archive {path} is unreadable: {member} is not valid JSON: ")
    assert result["msg"].endswith(ALLOWED)


def test_every_bad_archive_is_named_and_nothing_imported(capsys, ctr, tmp_path, pause):
    missing = str(tmp_path / "nosuch.tar")
    noname = make_tar(tmp_path / "noname.tar", {"manifest.json": "[]"})
    result = run(capsys, {"paths": [pause, missing, noname]})
    assert result["failed"] is True
    assert result["msg"] == f"Image archive {missing} is missing; image archive {noname} {NAMES_NOTHING}. {ALLOWED}"
    assert ctr.calls == []


# ----------------------------------------------------------------------------- ctr errors


def test_ctr_missing_fails(capsys, monkeypatch, tmp_path, pause):
    if any(os.path.exists(os.path.join(d, "ctr")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin")):
        pytest.skip("ctr is installed in an sbin directory on this machine")
    monkeypatch.setenv("PATH", str(tmp_path))
    calls = []
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda *a, **kw: calls.append(a) or (0, "", ""))
    result = run(capsys, {"paths": [pause]})
    assert result["failed"] is True
    assert 'Failed to find required executable "ctr"' in result["msg"]
    assert calls == []


def test_list_failure_fails(capsys, ctr, pause):
    stderr = fixture("ctr-images-list-nosock.stderr")
    ctr.list_result = (1, "", stderr)
    result = run(capsys, {"paths": [pause]})
    assert result["failed"] is True
    assert result["msg"] == f"ctr images list failed (rc=1): {stderr.strip()}"
    assert (result["rc"], result["stderr"]) == (1, stderr)
    assert ctr.calls == [list_argv()]


def test_import_failure_reports_stderr_and_what_was_imported(capsys, ctr, tmp_path, pause, coredns):
    stderr = fixture("ctr-images-import-eof.stderr")
    ctr.import_results[coredns] = (1, "", stderr)
    other = make_tar(tmp_path / "other.tar", {"manifest.json": docker_manifest(["other:1"])})
    result = run(capsys, {"paths": [pause, coredns, other]})
    assert result["failed"] is True
    assert result["msg"] == f"ctr images import {coredns} failed (rc=1): ctr: unexpected EOF"
    assert (result["rc"], result["stderr"]) == (1, stderr)
    assert result["changed"] is True
    assert result["imported"] == [pause]
    assert ctr.imported() == [pause, coredns]  # stopped at the failure


def test_first_import_failing_changes_nothing(capsys, ctr, pause):
    ctr.import_results[pause] = (1, "", fixture("ctr-images-import-eof.stderr"))
    result = run(capsys, {"paths": [pause]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["imported"] == []


# ----------------------------------------------------------------------------- check mode


def test_check_mode_imports_nothing(capsys, ctr, pause, coredns):
    ctr.list_result = (0, COREDNS + "\n", "")
    result = run(capsys, {"paths": [pause, coredns]}, check_mode=True)
    assert result["changed"] is True
    assert result["imported"] == [pause]
    assert result["missing"] == []
    assert ctr.calls == [list_argv()]


def test_check_mode_without_changes(capsys, ctr, pause, coredns):
    ctr.list_result = (0, fixture("ctr-images-list.stdout"), "")
    result = run(capsys, {"paths": [pause, coredns]}, check_mode=True)
    assert (result["changed"], result["imported"], result["missing"]) == (False, [], [])


def test_check_mode_archive_not_copied_yet(capsys, ctr, tmp_path, pause):
    ctr.list_result = (0, fixture("ctr-images-list.stdout"), "")
    copied = str(tmp_path / "not-copied-yet.tar")
    result = run(capsys, {"paths": [pause, copied]}, check_mode=True)
    assert "failed" not in result
    assert result["changed"] is True
    assert result["missing"] == [copied]
    assert result["imported"] == []
    assert result["images"] == {pause: [PAUSE]}
    assert ctr.calls == [list_argv()]


def test_check_mode_only_missing_archives_needs_no_ctr(capsys, ctr, tmp_path):
    result = run(capsys, {"paths": [str(tmp_path / "a.tar"), str(tmp_path / "b.tar"), str(tmp_path / "a.tar")]}, check_mode=True)
    assert result["changed"] is True
    assert result["missing"] == [str(tmp_path / "a.tar"), str(tmp_path / "b.tar")]
    assert ctr.calls == []


def test_check_mode_still_fails_on_a_bad_archive(capsys, ctr, tmp_path):
    noname = make_tar(tmp_path / "noname.tar", {"manifest.json": "[]"})
    result = run(capsys, {"paths": [noname]}, check_mode=True)
    assert result["failed"] is True
    assert result["msg"] == f"Image archive {noname} {NAMES_NOTHING}. {ALLOWED}"


def test_check_mode_containerd_not_running(capsys, ctr, pause):
    ctr.list_result = (1, "", fixture("ctr-images-list-nosock.stderr"))
    result = run(capsys, {"paths": [pause]}, check_mode=True)
    assert "failed" not in result
    assert (result["changed"], result["imported"]) == (True, [pause])


def test_check_mode_ctr_not_installed(capsys, monkeypatch, tmp_path, pause):
    if any(os.path.exists(os.path.join(d, "ctr")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin")):
        pytest.skip("ctr is installed in an sbin directory on this machine")
    monkeypatch.setenv("PATH", str(tmp_path))
    calls = []
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda *a, **kw: calls.append(a) or (0, "", ""))
    result = run(capsys, {"paths": [pause]}, check_mode=True)
    assert "failed" not in result
    assert (result["changed"], result["imported"]) == (True, [pause])
    assert calls == []
