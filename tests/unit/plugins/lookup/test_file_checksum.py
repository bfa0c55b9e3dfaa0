"""Unit tests for the kubeadm.cluster.file_checksum lookup: real files in tmp_path, digests compared with hashlib's."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
import yaml

FQCN = "kubeadm.cluster.file_checksum"


def sha(path: Path, algorithm: str = "sha1") -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def file_checksum():
    """The plugin's Python module, imported here and not when pytest collects this file.

    Importing controller code (the plugin imports ansible.errors and ansible.plugins.lookup) puts
    ansible.module_utils in controller mode for the whole process: AnsibleModule.warn() then prints
    through Display instead of returning the warning in the result, which the module tests check.
    pytest imports every test file before it runs any test, so this imports late and switches back
    when these tests are done.
    """
    try:
        from ansible.module_utils import _internal
    except ImportError:  # before ansible-core 2.19 there is no such mode
        _internal = None
    was_controller = _internal and _internal.is_controller
    from ansible_collections.kubeadm.cluster.plugins.lookup import file_checksum as module

    yield module
    if _internal:
        _internal.is_controller = was_controller


@pytest.fixture
def basedir(tmp_path: Path) -> Path:
    """The play's directory: the DataLoader's basedir, the last place relative terms are looked up."""
    play = tmp_path / "play"
    play.mkdir()
    return play


@pytest.fixture
def lookup(file_checksum, basedir: Path):
    """The plugin as the plugin loader makes it: its options defined from its DOCUMENTATION, a DataLoader with a basedir."""
    from ansible import constants as C
    from ansible.parsing.dataloader import DataLoader

    if not C.config.has_configuration_definition("lookup", FQCN):
        options = yaml.safe_load(file_checksum.DOCUMENTATION)["options"]
        C.config.initialize_plugin_configuration_definitions("lookup", FQCN, options)
    loader = DataLoader()
    loader.set_basedir(str(basedir))
    plugin = file_checksum.LookupModule(loader=loader)
    plugin._load_name = FQCN
    return plugin


@pytest.fixture
def files(file_checksum, tmp_path: Path) -> dict[str, Path]:
    """Files on the 'controller': small, empty, larger than one chunk, and a symlink to the large one."""
    data = tmp_path / "data"
    out = {
        "small": write(data / "small.tar", b"an image archive\n"),
        "empty": write(data / "empty.tar", b""),
        "large": write(data / "large.tar", os.urandom(2 * file_checksum.CHUNK_SIZE + 12345)),
    }
    out["link"] = data / "link.tar"
    out["link"].symlink_to(out["large"])
    return out


@pytest.mark.parametrize("name", ["small", "empty", "large", "link"])
def test_sha1_by_default(lookup, files, name):
    assert lookup.run([str(files[name])], variables={}) == [sha(files[name])]


def test_symlink_gives_the_digest_of_its_target(lookup, files):
    assert lookup.run([str(files["link"])], variables={}) == [sha(files["large"])]


def test_one_digest_per_term_in_order(lookup, files):
    order = ["large", "small", "empty", "small"]
    assert lookup.run([str(files[name]) for name in order], variables={}) == [sha(files[name]) for name in order]


def test_a_list_term_is_expanded(lookup, files):
    # query('kubeadm.cluster.file_checksum', containerd_image_archives_copy) passes the list as one term.
    paths = [str(files["small"]), str(files["large"])]
    assert lookup.run([paths], variables={}) == [sha(files["small"]), sha(files["large"])]
    assert lookup.run([[]], variables={}) == []


@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "md5", "blake2b"])
def test_algorithm_option(lookup, files, algorithm):
    terms = [str(files["small"]), str(files["large"])]
    assert lookup.run(terms, variables={}, algorithm=algorithm) == [sha(files["small"], algorithm), sha(files["large"], algorithm)]


def test_reads_in_chunks(file_checksum, lookup, files, monkeypatch):
    sizes = []

    class Spy(io.FileIO):
        """The file the plugin opens, recording the size of each read."""

        def read(self, size=-1):
            sizes.append(size)
            return super().read(size)

    monkeypatch.setattr(file_checksum, "open", Spy, raising=False)
    assert lookup.run([str(files["large"])], variables={}) == [sha(files["large"])]
    assert sizes == [file_checksum.CHUNK_SIZE] * 4  # two full chunks, a short one, then the end of the file


def test_relative_term_found_in_files_of_the_search_path(lookup, tmp_path, basedir):
    # A role's task file puts the role on ansible_search_path; its files/ comes before the play's.
    role = tmp_path / "roles" / "containerd"
    in_role = write(role / "files" / "images" / "pause.tar", b"from the role")
    write(basedir / "files" / "images" / "pause.tar", b"from the play")
    variables = {"ansible_search_path": [str(role), str(basedir)], "role_path": str(role)}
    assert lookup.run(["images/pause.tar"], variables=variables) == [sha(in_role)]


def test_relative_term_found_in_files_of_the_play(lookup, basedir):
    in_play = write(basedir / "files" / "coredns.tar", b"from the play")
    assert lookup.run(["coredns.tar"], variables={}) == [sha(in_play)]


@pytest.mark.parametrize("term", ["/nonexistent/pause.tar", "missing.tar"])
def test_missing_file(file_checksum, lookup, term):
    with pytest.raises(file_checksum.AnsibleError, match=f"^file_checksum: {re.escape(term)} not found on the controller"):
        lookup.run([term], variables={})


def test_dangling_symlink_is_missing(file_checksum, lookup, tmp_path):
    link = tmp_path / "dangling.tar"
    link.symlink_to(tmp_path / "gone.tar")
    with pytest.raises(file_checksum.AnsibleError, match=f"^file_checksum: {re.escape(str(link))} not found on the controller$"):
        lookup.run([str(link)], variables={})


def test_missing_file_fails_the_whole_lookup(file_checksum, lookup, files):
    # Never a shorter list: the digests would no longer line up with the terms.
    with pytest.raises(file_checksum.AnsibleError, match="missing.tar not found"):
        lookup.run([str(files["small"]), "/nonexistent/missing.tar"], variables={})


def test_directory_is_not_a_regular_file(file_checksum, lookup, tmp_path):
    with pytest.raises(file_checksum.AnsibleError, match=f"^file_checksum: {re.escape(str(tmp_path))} is not a regular file on the controller$"):
        lookup.run([str(tmp_path)], variables={})


def test_device_is_not_a_regular_file(file_checksum, lookup):
    with pytest.raises(file_checksum.AnsibleError, match="^file_checksum: /dev/null is not a regular file on the controller$"):
        lookup.run(["/dev/null"], variables={})


def test_unreadable_file(file_checksum, lookup, files, monkeypatch):
    def denied(path, mode):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(file_checksum, "open", denied, raising=False)
    with pytest.raises(
        file_checksum.AnsibleError, match=f"^file_checksum: {re.escape(str(files['small']))} is unreadable on the controller: Permission denied$"
    ):
        lookup.run([str(files["small"])], variables={})


@pytest.mark.parametrize("algorithm", ["sha1024", "SHA-1", "shake_128", ""])
def test_unknown_algorithm(file_checksum, lookup, files, algorithm):
    with pytest.raises(file_checksum.AnsibleError, match=f"^file_checksum: unknown algorithm '{re.escape(algorithm)}'; allowed: one of .*\\bsha256\\b"):
        lookup.run([str(files["small"])], variables={}, algorithm=algorithm)


def test_allowed_algorithms_all_give_a_hex_digest(file_checksum):
    allowed = file_checksum.allowed_algorithms()
    assert {"sha1", "sha256"} <= set(allowed)
    for name in allowed:  # shake_128 and shake_256 would fail here: their hexdigest() needs a length
        try:
            digest = hashlib.new(name)
        except ValueError:  # listed but disabled, as md5 under FIPS: the plugin reports it
            continue
        assert re.fullmatch("[0-9a-f]+", digest.hexdigest())


@pytest.mark.parametrize("term", [None, 42, {"path": "/x"}])
def test_term_must_be_a_path(file_checksum, lookup, term):
    with pytest.raises(file_checksum.AnsibleError, match="^file_checksum: each term must be a path"):
        lookup.run([term], variables={})
