"""Unit tests for the kubeadm.cluster.node_state module: files in tmp_path, run_command mocked with real Debian 12 output."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import node_state
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DPKG_QUERY = "/usr/bin/dpkg-query"
RPM = "/usr/bin/rpm"
SYSTEMCTL = "/usr/bin/systemctl"
DPKG_FORMAT = "--showformat=${Package}\t${Version}\t${Status}\n"
RPM_FORMAT = "%{NAME}\t%{VERSION}-%{RELEASE}\n"
SHOW = [SYSTEMCTL, "show", "--property=LoadState,UnitFileState,ActiveState", "--"]
LIST_SWAP = [SYSTEMCTL, "list-units", "--type=swap", "--all", "--plain", "--no-legend", "--no-pager"]
# The units of systemctl-show.stdout, in the order they were asked for.
SHOWN_UNITS = ["cron.service", "systemd-journald.service", "nosuch.service", "systemd-networkd.service", "console-getty.service"]
JQ_VERSION = "1.6-2.1+deb12u3"
# A line of /proc/swaps for an active swap file, in the columns of the captured header.
SWAP_LINE = "/swapfile                               file\t\t1048572\t\t0\t\t-2\n"
# The drift of a converged run: every list and mapping empty.
NO_DRIFT = {"files": [], "packages": {}, "kernel_modules": [], "sysctls": {}, "swap_areas": [], "fstab_swap_entries": [], "swap_units": []}
# The mount flags of /proc/sys in a container (ro,nosuid,nodev,noexec) and on a host (rw,nosuid,nodev,noexec).
PROC_SYS_RO = os.ST_RDONLY | os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC
PROC_SYS_RW = os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def write(path: Path, text: str = "", mode: int | None = None) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return str(path)


def drift(**differing) -> dict:
    """NO_DRIFT with the given entries replaced."""
    assert set(differing) <= set(NO_DRIFT)
    return {**NO_DRIFT, **differing}


def dpkg_query(names: list[str]) -> tuple[int, str, str]:
    """dpkg-query --show as captured: a line per installed name, a complaint and rc 1 for unknown ones."""
    lines = {line.split("\t")[0]: line for line in fixture("dpkg-query-show.stdout").splitlines(keepends=True)}
    complaint = fixture("dpkg-query-show.stderr")  # about "nosuchpkg"
    out = "".join(lines[name] for name in names if name in lines)
    err = "".join(complaint.replace("nosuchpkg", name) for name in names if name not in lines)
    return (1 if err else 0), out, err


def rpm_query(names: list[str]) -> tuple[int, str, str]:
    """rpm --query as captured: a line per name, installed or not, and the number of missing ones as rc."""
    installed, missing = fixture("rpm-query.stdout").splitlines(keepends=True)  # containerd, then nosuchpkg
    lines = {installed.split("\t")[0]: installed}
    out = "".join(lines.get(name) or missing.replace("nosuchpkg", name) for name in names)
    return sum(name not in lines for name in names), out, ""


def systemctl_show(units: list[str]) -> tuple[int, str, str]:
    """systemctl show as captured: one block per unit, blank lines between; unknown units look like nosuch.service."""
    blocks = [block.strip("\n") + "\n" for block in fixture("systemctl-show.stdout").split("\n\n")]
    assert len(blocks) == len(SHOWN_UNITS)
    by_unit = dict(zip(SHOWN_UNITS, blocks))
    return 0, "\n".join(by_unit.get(unit, by_unit["nosuch.service"]) for unit in units), ""


class FakeNode:
    """Stands in for AnsibleModule.run_command and get_bin_path; records every call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bins: dict[str, str] = {"dpkg-query": DPKG_QUERY, "systemctl": SYSTEMCTL}
        self.calls: list[list[str]] = []
        self.environ: list[dict] = []
        self.swap_units = ""  # what the captured node printed: no swap units
        self.results: dict[str, tuple[int, str, str]] = {}  # by binary, before the emulations
        self.proc_sys_flags: int = PROC_SYS_RW  # what os.statvfs(/proc/sys) gives as f_flag
        self.proc_sys_error: OSError | None = None  # or what it raises
        self.statvfs_calls: list[str] = []

    def get_bin_path(self, module, name, required=False, opt_dirs=None):
        path = self.bins.get(name)
        if path is None and required:
            module.fail_json(msg=f'Failed to find required executable "{name}" in paths: /usr/bin')
        return path

    def __call__(self, args, **kwargs):
        assert isinstance(args, list), "run_command must get an argv list"
        self.calls.append(list(args))
        self.environ.append(kwargs.get("environ_update") or {})
        if args[0] in self.results:
            return self.results[args[0]]
        if args[0] == DPKG_QUERY:
            assert args[1:3] == ["--show", DPKG_FORMAT]
            return dpkg_query(args[3:])
        if args[0] == RPM:
            assert args[1:4] == ["--query", "--queryformat", RPM_FORMAT]
            return rpm_query(args[4:])
        if args[:4] == SHOW:
            return systemctl_show(args[4:])
        if args == LIST_SWAP:
            return 0, self.swap_units, ""
        raise AssertionError(f"unexpected command {args}")

    def path(self, name: str) -> Path:
        return self.root / name

    def statvfs(self, real, path):
        """os.statvfs for the node's /proc/sys; the real one for any other path."""
        if os.fspath(path) != str(self.proc_sys):
            return real(path)
        self.statvfs_calls.append(os.fspath(path))
        if self.proc_sys_error is not None:
            raise self.proc_sys_error
        return SimpleNamespace(f_flag=self.proc_sys_flags)


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node whose /proc, /sys and /etc/fstab live under tmp_path/node; no swap, no modules, no sysctls yet, /proc/sys read-write."""
    fake = FakeNode(tmp_path / "node")
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, args, **kwargs: fake(args, **kwargs))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: fake.get_bin_path(self, name, required))
    fake.proc_swaps = fake.path("proc/swaps")
    fake.fstab = fake.path("etc/fstab")
    fake.proc_sys = fake.path("proc/sys")
    fake.proc_filesystems = fake.path("proc/filesystems")
    fake.sys_module = fake.path("sys/module")
    for constant, path in (
        ("PROC_SWAPS", fake.proc_swaps),
        ("FSTAB", fake.fstab),
        ("PROC_SYS", fake.proc_sys),
        ("PROC_FILESYSTEMS", fake.proc_filesystems),
        ("SYS_MODULE", fake.sys_module),
    ):
        monkeypatch.setattr(node_state, constant, str(path))
    real_statvfs = os.statvfs
    monkeypatch.setattr(node_state.os, "statvfs", lambda path: fake.statvfs(real_statvfs, path))
    fake.proc_sys.mkdir(parents=True)
    fake.sys_module.mkdir(parents=True)
    return fake


def run(capsys, args: dict, check_mode: bool = False) -> dict:
    """Run the module's main() with the real exit_json/fail_json and return its JSON result."""
    result = run_module(node_state.main, capsys, args, check_mode)
    if not result.get("failed"):
        assert result["changed"] is False
        assert result["converged"] is (result["differences"] == [])
        assert sorted(result["drift"]) == sorted(NO_DRIFT)
        if result["converged"]:
            assert result["drift"] == NO_DRIFT
        assert ("proc_sys_read_only" in result) is bool(args.get("sysctls"))
    return result


def differences(capsys, args: dict) -> list[str]:
    return run(capsys, args)["differences"]


def outcome(capsys, args: dict) -> tuple[list[str], dict]:
    """The differences and the drift of a run."""
    result = run(capsys, args)
    return result["differences"], result["drift"]


def me() -> SimpleNamespace:
    return SimpleNamespace(
        uid=os.getuid(),
        gid=os.getgid(),
        user=pwd.getpwuid(os.getuid()).pw_name,
        group=grp.getgrgid(os.getgid()).gr_name,
    )


def other_user() -> str:
    return next(entry.pw_name for entry in pwd.getpwall() if entry.pw_uid != os.getuid())


def other_group() -> str:
    return next(entry.gr_name for entry in grp.getgrall() if entry.gr_gid != os.getgid())


def test_nothing_asked_is_converged_and_runs_nothing(capsys, node):
    result = run(capsys, {})
    assert (result["converged"], result["differences"], result["changed"]) == (True, [], False)
    assert result["drift"] == {"files": [], "packages": {}, "kernel_modules": [], "sysctls": {}, "swap_areas": [], "fstab_swap_entries": [], "swap_units": []}
    assert "proc_sys_read_only" not in result
    assert node.calls == []
    assert node.statvfs_calls == []


# ----------------------------------------------------------------------------- files


CONTENT = "[plugins]\n  SystemdCgroup = true\nversion = 2\n"


@pytest.fixture
def config(tmp_path) -> str:
    return write(tmp_path / "etc/containerd/config.toml", CONTENT, 0o644)


def test_file_that_matches_everything(capsys, node, config, tmp_path):
    copy = write(tmp_path / "copy.toml", CONTENT)
    (tmp_path / "etc/containerd").chmod(0o755)
    result = run(
        capsys,
        {
            "files": [
                {
                    "path": config,
                    "checksum": hashlib.sha1(CONTENT.encode()).hexdigest(),
                    "same_as": copy,
                    "contains": [r"^version = 2$", r"SystemdCgroup = true"],
                    "mode": "0644",
                    "owner": me().user,
                    "group": me().group,
                },
                {"path": str(tmp_path / "etc/containerd"), "state": "directory", "mode": "0755"},
                {"path": str(tmp_path / "nothing"), "state": "absent"},
            ]
        },
    )
    assert result["converged"] is True
    assert result["differences"] == []
    assert result["drift"] == NO_DRIFT


def test_file_missing(capsys, node, tmp_path):
    missing = str(tmp_path / "missing.toml")
    assert outcome(capsys, {"files": [{"path": missing}]}) == ([f"{missing}: missing"], drift(files=[missing]))
    assert outcome(capsys, {"files": [{"path": missing, "state": "directory"}]}) == ([f"{missing}: missing"], drift(files=[missing]))
    assert outcome(capsys, {"files": [{"path": missing, "state": "absent"}]}) == ([], NO_DRIFT)


def test_file_below_a_regular_file_is_absent(capsys, node, config):
    below = config + "/child"
    assert differences(capsys, {"files": [{"path": below, "state": "absent"}]}) == []
    assert outcome(capsys, {"files": [{"path": below}]}) == ([f"{below}: missing"], drift(files=[below]))


def test_file_that_cannot_be_looked_at(capsys, node, tmp_path):
    long = str(tmp_path / ("x" * 300))
    assert outcome(capsys, {"files": [{"path": long}]}) == ([f"{long}: cannot be read (File name too long)"], drift(files=[long]))


def test_present_but_wanted_absent(capsys, node, config, tmp_path):
    directory = str(tmp_path / "etc/containerd")
    result = run(capsys, {"files": [{"path": config, "state": "absent"}, {"path": directory, "state": "absent"}]})
    assert result["converged"] is False
    assert result["differences"] == [f"{config}: present, wanted absent", f"{directory}: present, wanted absent"]
    assert result["drift"] == drift(files=[config, directory])


def test_file_of_the_wrong_type(capsys, node, config, tmp_path):
    directory = str(tmp_path / "etc/containerd")
    result = run(capsys, {"files": [{"path": config, "state": "directory", "mode": "0755"}, {"path": directory, "checksum": "0" * 40}]})
    assert result["differences"] == [f"{config}: not a directory", f"{directory}: not a regular file"]
    assert result["drift"] == drift(files=[config, directory])


def test_symbolic_links_are_followed(capsys, node, config, tmp_path):
    link = tmp_path / "link.toml"
    link.symlink_to(config)
    assert differences(capsys, {"files": [{"path": str(link), "mode": "0644", "contains": ["version"]}]}) == []


def test_wrong_mode(capsys, node, config, tmp_path):
    directory = str(tmp_path / "etc/containerd")
    os.chmod(directory, 0o750)
    result = run(capsys, {"files": [{"path": config, "mode": "0600"}, {"path": directory, "state": "directory", "mode": "0755"}]})
    assert result["differences"] == [f"{config}: mode 0644, wanted 0600", f"{directory}: mode 0750, wanted 0755"]
    assert result["drift"] == drift(files=[config, directory])
    assert differences(capsys, {"files": [{"path": config, "mode": "644"}]}) == []
    os.chmod(config, 0o1644)
    assert outcome(capsys, {"files": [{"path": config, "mode": "0644"}]}) == ([f"{config}: mode 1644, wanted 0644"], drift(files=[config]))


def test_mode_that_is_not_octal(capsys, node, config):
    result = run(capsys, {"files": [{"path": config, "mode": "u=rw,go=r"}]})
    assert result["failed"] is True
    assert result["msg"] == f"files: mode of {config} must be an octal string such as '0644', got 'u=rw,go=r'"


def test_wrong_owner_and_group_by_name(capsys, node, config):
    user, group = other_user(), other_group()
    result = run(capsys, {"files": [{"path": config, "owner": user, "group": group}]})
    assert result["differences"] == [f"{config}: owner {me().user}, wanted {user}", f"{config}: group {me().group}, wanted {group}"]
    assert result["drift"] == drift(files=[config])


def test_owner_and_group_by_numeric_id(capsys, node, config):
    ids = me()
    assert differences(capsys, {"files": [{"path": config, "owner": str(ids.uid), "group": str(ids.gid)}]}) == []
    wrong_uid, wrong_gid = ids.uid + 1, ids.gid + 1
    result = run(capsys, {"files": [{"path": config, "owner": str(wrong_uid), "group": str(wrong_gid)}]})
    assert result["differences"] == [f"{config}: owner {ids.uid}, wanted {wrong_uid}", f"{config}: group {ids.gid}, wanted {wrong_gid}"]
    assert result["drift"] == drift(files=[config])


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to an unnamed id needs root")
def test_owner_without_a_name_is_shown_as_its_id(capsys, node, config):
    unnamed = next(i for i in range(54321, 60000) if not any(e.pw_uid == i for e in pwd.getpwall()) and not any(e.gr_gid == i for e in grp.getgrall()))
    os.chown(config, unnamed, unnamed)
    result = run(capsys, {"files": [{"path": config, "owner": "root", "group": "root"}]})
    assert result["differences"] == [f"{config}: owner {unnamed}, wanted root", f"{config}: group {unnamed}, wanted root"]
    assert result["drift"] == drift(files=[config])
    assert differences(capsys, {"files": [{"path": config, "owner": str(unnamed), "group": str(unnamed)}]}) == []


@pytest.mark.parametrize("case", [str.lower, str.upper], ids=["lower-hex", "upper-hex"])
def test_checksum_hit(capsys, node, config, case):
    checksum = case(hashlib.sha1(CONTENT.encode()).hexdigest())
    assert differences(capsys, {"files": [{"path": config, "checksum": checksum}]}) == []


def test_checksum_miss(capsys, node, config):
    checksum = hashlib.sha1((CONTENT + "\n").encode()).hexdigest().upper()
    result = run(capsys, {"files": [{"path": config, "checksum": checksum}]})
    assert (result["converged"], result["differences"], result["drift"]) == (False, [f"{config}: content differs"], drift(files=[config]))


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "md5"])
def test_checksum_with_an_algorithm_prefix(capsys, node, config, algorithm):
    digest = hashlib.new(algorithm, CONTENT.encode()).hexdigest()
    assert differences(capsys, {"files": [{"path": config, "checksum": f"{algorithm}:{digest.upper()}"}]}) == []
    assert differences(capsys, {"files": [{"path": config, "checksum": f"{algorithm}: {digest}\n"}]}) == []
    other = hashlib.new(algorithm, b"other").hexdigest()
    assert outcome(capsys, {"files": [{"path": config, "checksum": f"{algorithm}:{other}"}]}) == ([f"{config}: content differs"], drift(files=[config]))


def test_checksum_of_another_algorithm_is_not_sha1(capsys, node, config):
    sha256 = hashlib.sha256(CONTENT.encode()).hexdigest()
    assert outcome(capsys, {"files": [{"path": config, "checksum": sha256}]}) == ([f"{config}: content differs"], drift(files=[config]))
    sha1 = hashlib.sha1(CONTENT.encode()).hexdigest()
    assert outcome(capsys, {"files": [{"path": config, "checksum": f"sha256:{sha1}"}]}) == ([f"{config}: content differs"], drift(files=[config]))


def test_checksum_with_an_unknown_algorithm(capsys, node, config):
    result = run(capsys, {"files": [{"path": config, "checksum": "crc99:0123"}]})
    assert result["failed"] is True
    assert result["msg"] == f"files: unknown checksum algorithm 'crc99' for {config}"


def test_same_as(capsys, node, config, tmp_path):
    equal = write(tmp_path / "equal.toml", CONTENT)
    different = write(tmp_path / "different.toml", CONTENT.replace("true", "false"))
    unreadable = str(tmp_path / "gone.toml")
    assert differences(capsys, {"files": [{"path": config, "same_as": equal}]}) == []
    assert outcome(capsys, {"files": [{"path": config, "same_as": different}]}) == ([f"{config}: content differs from {different}"], drift(files=[config]))
    assert outcome(capsys, {"files": [{"path": config, "same_as": unreadable}]}) == (
        [f"{config}: {unreadable} to compare with cannot be read"],
        drift(files=[config]),
    )


def test_contains(capsys, node, config):
    assert differences(capsys, {"files": [{"path": config, "contains": [r"^version = 2$", r"^  SystemdCgroup = true$"]}]}) == []
    result = run(capsys, {"files": [{"path": config, "contains": [r"^SystemdCgroup = true$", "version = 2", "sandbox_image"]}]})
    assert result["differences"] == [f"{config}: no match for /^SystemdCgroup = true$/", f"{config}: no match for /sandbox_image/"]
    assert result["drift"] == drift(files=[config])


def test_every_content_check_is_reported(capsys, node, config, tmp_path):
    other = write(tmp_path / "other.toml", "")
    result = run(capsys, {"files": [{"path": config, "checksum": "0" * 40, "same_as": other, "contains": ["nope"], "mode": "0600"}]})
    assert result["differences"] == [
        f"{config}: mode 0644, wanted 0600",
        f"{config}: content differs",
        f"{config}: content differs from {other}",
        f"{config}: no match for /nope/",
    ]
    assert result["drift"] == drift(files=[config])  # once for four differences


def test_drift_names_each_differing_file_once(capsys, node, config, tmp_path):
    missing = str(tmp_path / "missing.toml")
    files = [
        {"path": config, "mode": "0600"},
        {"path": str(tmp_path / "etc/containerd"), "state": "directory"},  # matches
        {"path": missing},
        {"path": config, "checksum": "0" * 40},  # the same path again
    ]
    result = run(capsys, {"files": files})
    assert result["differences"] == [f"{config}: mode 0644, wanted 0600", f"{missing}: missing", f"{config}: content differs"]
    assert result["drift"] == drift(files=[config, missing])


# ----------------------------------------------------------------------------- stray files


MARKER = "# Managed by kubeadm.cluster"


@pytest.fixture
def certs_d(tmp_path) -> Path:
    """/etc/containerd/certs.d: hosts.toml files at depth 1, 2 and 3, with and without the marker."""
    top = tmp_path / "certs.d"
    write(top / "hosts.toml", MARKER + "\nserver = 'https://mirror'\n")
    write(top / "registry.k8s.io/hosts.toml", "server = 'https://registry.k8s.io'\n" + MARKER + "\n")
    write(top / "docker.io/hosts.toml", MARKER + "\n")
    write(top / "quay.io/hosts.toml", "# written by hand\n")
    write(top / "ghcr.io/nested/hosts.toml", MARKER + "\n")
    write(top / "docker.io/other.toml", MARKER + "\n")
    return top


def stray(top: Path, allowed: list[str], path: str | None = None) -> dict:
    return {"stray_files": [{"path": path or str(top), "name": "hosts.toml", "marker": "^# Managed by kubeadm", "allowed": allowed}]}


def test_stray_files_outside_allowed(capsys, node, certs_d):
    result = run(capsys, stray(certs_d, [str(certs_d / "registry.k8s.io/hosts.toml")]))
    assert result["converged"] is False
    assert sorted(result["differences"]) == [
        f"{certs_d}/docker.io/hosts.toml: left from an earlier run, wanted absent",
        f"{certs_d}/hosts.toml: left from an earlier run, wanted absent",
    ]
    assert {**result["drift"], "files": sorted(result["drift"]["files"])} == drift(files=[f"{certs_d}/docker.io/hosts.toml", f"{certs_d}/hosts.toml"])


def test_stray_files_all_allowed(capsys, node, certs_d):
    allowed = [str(certs_d / "hosts.toml"), f"{certs_d}/registry.k8s.io/./hosts.toml", f"{certs_d}//docker.io/hosts.toml"]
    assert differences(capsys, stray(certs_d, allowed)) == []
    assert differences(capsys, stray(certs_d, allowed, path=f"{certs_d}/")) == []


def test_stray_file_at_depth_two_only(capsys, node, tmp_path):
    top = tmp_path / "certs.d"
    write(top / "docker.io/hosts.toml", MARKER + "\n")
    assert outcome(capsys, stray(top, [])) == (
        [f"{top}/docker.io/hosts.toml: left from an earlier run, wanted absent"],
        drift(files=[f"{top}/docker.io/hosts.toml"]),
    )


def test_stray_files_deeper_than_two_levels_or_unmarked_are_ignored(capsys, node, tmp_path):
    top = tmp_path / "certs.d"
    write(top / "ghcr.io/nested/hosts.toml", MARKER + "\n")
    write(top / "ghcr.io/nested/deeper/hosts.toml", MARKER + "\n")
    write(top / "quay.io/hosts.toml", "# written by hand\n")
    write(top / "hosts.toml", "server = 'x'  " + MARKER + "\n")  # the marker is anchored at a line start
    assert differences(capsys, stray(top, [])) == []


def test_stray_files_in_a_missing_directory(capsys, node, tmp_path):
    assert differences(capsys, stray(tmp_path / "nowhere", [])) == []


# ----------------------------------------------------------------------------- packages


def test_packages_installed_and_held(capsys, node):
    result = run(capsys, {"packages": {"jq": "1.6-*", "libjq1": ""}, "held_packages": ["jq"]})
    assert (result["converged"], result["differences"]) == (True, [])
    assert node.calls == [[DPKG_QUERY, "--show", DPKG_FORMAT, "jq", "libjq1"]]
    assert node.environ == [{"LC_ALL": "C"}]


def test_package_version_pattern_miss(capsys, node):
    result = run(capsys, {"packages": {"jq": "1.7*", "libjq1": JQ_VERSION}})
    assert result["differences"] == [f"package jq: {JQ_VERSION} installed, wanted 1.7*"]
    assert result["drift"] == drift(packages={"jq": JQ_VERSION})


def test_package_version_pattern_is_case_sensitive_and_whole(capsys, node):
    assert outcome(capsys, {"packages": {"jq": "1.6"}}) == ([f"package jq: {JQ_VERSION} installed, wanted 1.6"], drift(packages={"jq": JQ_VERSION}))
    assert outcome(capsys, {"packages": {"jq": "1.6-2.1+DEB12U3"}}) == (
        [f"package jq: {JQ_VERSION} installed, wanted 1.6-2.1+DEB12U3"],
        drift(packages={"jq": JQ_VERSION}),
    )


def test_empty_or_null_pattern_accepts_any_version(capsys, node):
    assert differences(capsys, {"packages": {"jq": "", "libjq1": None}}) == []


def test_package_not_installed(capsys, node):
    result = run(capsys, {"packages": {"nosuchpkg": "", "jq": ""}})
    assert result["differences"] == ["package nosuchpkg: not installed"]
    assert result["drift"] == drift(packages={"nosuchpkg": None})
    assert node.calls == [[DPKG_QUERY, "--show", DPKG_FORMAT, "nosuchpkg", "jq"]]


def test_package_not_held(capsys, node):
    result = run(capsys, {"packages": {"libjq1": ""}, "held_packages": ["libjq1", "jq"]})
    assert result["differences"] == ["package libjq1: not held"]
    assert result["drift"] == drift(packages={"libjq1": JQ_VERSION})
    assert node.calls == [[DPKG_QUERY, "--show", DPKG_FORMAT, "libjq1", "jq"]]  # each name once


def test_package_at_another_version_and_not_held(capsys, node):
    result = run(capsys, {"packages": {"libjq1": "1.7*"}, "held_packages": ["libjq1"]})
    assert result["differences"] == [f"package libjq1: {JQ_VERSION} installed, wanted 1.7*", "package libjq1: not held"]
    assert result["drift"] == drift(packages={"libjq1": JQ_VERSION})


def test_held_package_not_installed(capsys, node):
    assert outcome(capsys, {"held_packages": ["nosuchpkg"]}) == (["package nosuchpkg: not installed, so not held"], drift(packages={"nosuchpkg": None}))
    assert outcome(capsys, {"packages": {"nosuchpkg": ""}, "held_packages": ["nosuchpkg"]}) == (
        ["package nosuchpkg: not installed"],
        drift(packages={"nosuchpkg": None}),
    )


def test_package_known_to_dpkg_but_not_installed(capsys, node):
    node.results[DPKG_QUERY] = (0, "containerd\t\tdeinstall ok config-files\nkubeadm\t\thold ok not-installed\n", "")
    result = run(capsys, {"packages": {"containerd": ""}, "held_packages": ["kubeadm"]})
    assert result["differences"] == ["package containerd: not installed", "package kubeadm: not installed, so not held"]
    assert result["drift"] == drift(packages={"containerd": None, "kubeadm": None})


def test_dpkg_query_failure(capsys, node):
    node.results[DPKG_QUERY] = (2, "", "dpkg-query: error: cannot access the database\n")
    result = run(capsys, {"packages": {"jq": ""}})
    assert result["failed"] is True
    assert (result["msg"], result["rc"]) == ("dpkg-query failed: dpkg-query: error: cannot access the database", 2)


def test_rpm_when_dpkg_query_is_absent(capsys, node):
    node.bins = {"rpm": RPM}
    result = run(capsys, {"packages": {"containerd": "1.6.*", "nosuchpkg": ""}})
    assert result["differences"] == ["package nosuchpkg: not installed"]
    assert result["drift"] == drift(packages={"nosuchpkg": None})
    assert node.calls == [[RPM, "--query", "--queryformat", RPM_FORMAT, "containerd", "nosuchpkg"]]
    assert node.environ == [{"LC_ALL": "C"}]
    assert differences(capsys, {"packages": {"containerd": "1.6.28-3.1.el9"}}) == []
    assert outcome(capsys, {"packages": {"containerd": "1.7.*"}}) == (
        ["package containerd: 1.6.28-3.1.el9 installed, wanted 1.7.*"],
        drift(packages={"containerd": "1.6.28-3.1.el9"}),
    )


def test_rpm_failure(capsys, node):
    node.bins = {"rpm": RPM}
    node.results[RPM] = (1, "", "error: rpmdb: BDB0113 Thread/process failed\n")
    result = run(capsys, {"packages": {"containerd": ""}})
    assert result["failed"] is True
    assert result["msg"] == "rpm failed: error: rpmdb: BDB0113 Thread/process failed"


def test_held_packages_need_dpkg_query(capsys, node):
    node.bins = {"rpm": RPM, "systemctl": SYSTEMCTL}
    for option in ("held_packages", "unheld_packages"):
        result = run(capsys, {"packages": {"containerd": ""}, option: ["containerd"]})
        assert result["failed"] is True
        assert result["msg"] == "held_packages and unheld_packages need dpkg-query, which this node does not have"
    assert node.calls == []


def test_unheld_packages(capsys, node):
    # jq is held in the captured output, libjq1 is not, nosuchpkg is not installed (so not held).
    result = run(capsys, {"unheld_packages": ["jq", "libjq1", "nosuchpkg"]})
    assert result["differences"] == ["package jq: held, wanted not held"]
    assert result["drift"] == drift(packages={"jq": JQ_VERSION})
    assert node.calls == [[DPKG_QUERY, "--show", DPKG_FORMAT, "jq", "libjq1", "nosuchpkg"]]
    assert outcome(capsys, {"packages": {"libjq1": ""}, "unheld_packages": ["libjq1"]}) == ([], NO_DRIFT)


def test_packages_need_a_package_manager(capsys, node):
    node.bins = {}
    result = run(capsys, {"packages": {"containerd": ""}})
    assert result["failed"] is True
    assert result["msg"] == "packages needs dpkg-query or rpm, and this node has neither"


# ----------------------------------------------------------------------------- services


def test_services_that_match(capsys, node):
    services = [
        {"name": "cron", "enabled": True, "active": True},
        {"name": "systemd-journald.service", "active": True},
        {"name": "systemd-networkd.service", "enabled": False, "active": False},
        {"name": "systemd-journald"},  # neither compared
    ]
    result = run(capsys, {"services": services})
    assert (result["converged"], result["differences"]) == (True, [])
    assert node.calls == [SHOW + ["cron.service", "systemd-journald.service", "systemd-networkd.service", "systemd-journald.service"]]
    assert node.environ == [{"LC_ALL": "C"}]


def test_services_that_differ(capsys, node):
    services = [
        {"name": "cron", "enabled": False, "active": False},
        {"name": "systemd-networkd", "enabled": True, "active": True},
        {"name": "systemd-journald", "enabled": True, "active": True},  # a static unit is not enabled
    ]
    result = run(capsys, {"services": services})
    assert result["converged"] is False
    assert result["differences"] == [
        "service cron.service: unit file enabled, wanted disabled",
        "service cron.service: active, wanted inactive",
        "service systemd-networkd.service: unit file disabled, wanted enabled",
        "service systemd-networkd.service: inactive, wanted active",
        "service systemd-journald.service: unit file static, wanted enabled",
    ]
    assert result["drift"] == NO_DRIFT  # services have no drift of their own


def test_services_not_found_or_masked(capsys, node):
    services = [{"name": "nosuch"}, {"name": "console-getty.service", "active": False}, {"name": "containerd", "enabled": False}]
    result = run(capsys, {"services": services})
    assert result["differences"] == [
        "service nosuch.service: not-found",
        "service console-getty.service: masked",
        "service containerd.service: not-found",
    ]
    assert result["drift"] == NO_DRIFT
    assert node.calls == [SHOW + ["nosuch.service", "console-getty.service", "containerd.service"]]


def test_unit_names_with_a_suffix_are_kept(capsys, node):
    run(capsys, {"services": [{"name": "containerd.socket"}, {"name": "getty@tty1.service"}, {"name": "getty@tty2"}]})
    assert node.calls == [SHOW + ["containerd.socket", "getty@tty1.service", "getty@tty2.service"]]


def test_services_need_systemctl(capsys, node):
    node.bins = {"dpkg-query": DPKG_QUERY}
    result = run(capsys, {"services": [{"name": "cron"}]})
    assert result["failed"] is True
    assert 'Failed to find required executable "systemctl"' in result["msg"]
    assert node.calls == []


def test_systemctl_show_failure(capsys, node):
    node.results[SYSTEMCTL] = (1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n")
    result = run(capsys, {"services": [{"name": "cron"}]})
    assert result["failed"] is True
    assert result["msg"] == "systemctl show failed: System has not been booted with systemd as init system (PID 1). Can't operate."


def test_systemctl_show_with_too_few_blocks(capsys, node):
    node.results[SYSTEMCTL] = systemctl_show(["cron.service"])
    result = run(capsys, {"services": [{"name": "cron"}, {"name": "systemd-journald"}]})
    assert result["failed"] is True
    assert result["msg"] == "systemctl show returned 1 blocks for 2 units"


def test_no_services_no_systemctl(capsys, node):
    node.bins = {}
    assert run(capsys, {"services": []})["converged"] is True
    assert node.calls == []


# ----------------------------------------------------------------------------- kernel modules


def test_kernel_module_in_sys_module(capsys, node):
    (node.sys_module / "overlay").mkdir()
    assert differences(capsys, {"kernel_modules": ["overlay"]}) == []
    assert outcome(capsys, {"kernel_modules": ["overlay", "br_netfilter"]}) == (
        ["kernel module br_netfilter: not loaded"],
        drift(kernel_modules=["br_netfilter"]),
    )


def test_kernel_module_by_evidence_path(capsys, node):
    # Built into the test-bed kernel: no /sys/module/br_netfilter, but /proc/sys/net/bridge.
    bridge = node.proc_sys / "net/bridge"
    args = {"kernel_modules": ["br_netfilter"], "kernel_module_evidence": {"br_netfilter": str(bridge)}}
    assert outcome(capsys, args) == (["kernel module br_netfilter: not loaded"], drift(kernel_modules=["br_netfilter"]))
    bridge.mkdir(parents=True)
    assert differences(capsys, args) == []


def test_evidence_of_another_module_does_not_count(capsys, node):
    (node.proc_sys / "net/bridge").mkdir(parents=True)
    args = {"kernel_modules": ["overlay"], "kernel_module_evidence": {"br_netfilter": str(node.proc_sys / "net/bridge")}}
    assert outcome(capsys, args) == (["kernel module overlay: not loaded"], drift(kernel_modules=["overlay"]))


def test_kernel_module_in_proc_filesystems(capsys, node):
    write(node.proc_filesystems, fixture("proc-filesystems"))
    assert differences(capsys, {"kernel_modules": ["overlay", "ext4", "fuse"]}) == []
    assert outcome(capsys, {"kernel_modules": ["nodev", "zfs"]}) == (
        ["kernel module nodev: not loaded", "kernel module zfs: not loaded"],
        drift(kernel_modules=["nodev", "zfs"]),
    )


# ----------------------------------------------------------------------------- sysctls


@pytest.fixture
def sysctls(node):
    write(node.proc_sys / "net/ipv4/ip_forward", "1\n")
    write(node.proc_sys / "net/ipv4/ip_local_port_range", "32768\t60999\n")  # as the test-bed kernel prints it
    write(node.proc_sys / "vm/overcommit_memory", "0\n")
    return node


def test_sysctls_that_match(capsys, sysctls):
    wanted = {"net.ipv4.ip_forward": 1, "net.ipv4.ip_local_port_range": "32768 60999", "vm.overcommit_memory": "0"}
    assert differences(capsys, {"sysctls": wanted}) == []
    assert differences(capsys, {"sysctls": {"net.ipv4.ip_local_port_range": " 32768   60999 "}}) == []


def test_sysctls_that_differ(capsys, sysctls):
    wanted = {"net.ipv4.ip_forward": "0", "net.ipv4.ip_local_port_range": "1024\t65535", "vm.overcommit_memory": 1}
    result = run(capsys, {"sysctls": wanted})
    assert result["differences"] == [
        "sysctl net.ipv4.ip_forward: 1, wanted 0",
        "sysctl net.ipv4.ip_local_port_range: 32768 60999, wanted 1024 65535",
        "sysctl vm.overcommit_memory: 0, wanted 1",
    ]
    # The live values, white space collapsed as compared.
    assert result["drift"] == drift(sysctls={"net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "32768 60999", "vm.overcommit_memory": "0"})


def test_sysctl_not_available(capsys, sysctls):
    result = run(capsys, {"sysctls": {"net.bridge.bridge-nf-call-iptables": 1, "net.ipv4.ip_forward": 1}})
    assert result["differences"] == ["sysctl net.bridge.bridge-nf-call-iptables: not available"]
    assert result["drift"] == drift(sysctls={"net.bridge.bridge-nf-call-iptables": None})


@pytest.mark.parametrize(
    ("flags", "read_only"), [(PROC_SYS_RO, True), (os.ST_RDONLY, True), (PROC_SYS_RW, False), (0, False)], ids=["container", "ro", "host", "none"]
)
def test_proc_sys_read_only(capsys, sysctls, flags, read_only):
    sysctls.proc_sys_flags = flags
    result = run(capsys, {"sysctls": {"net.ipv4.ip_forward": 1}})
    assert (result["converged"], result["proc_sys_read_only"]) == (True, read_only)
    result = run(capsys, {"sysctls": {"net.ipv4.ip_forward": 0}})
    assert (result["converged"], result["proc_sys_read_only"]) == (False, read_only)
    assert sysctls.statvfs_calls == [str(sysctls.proc_sys)] * 2


def test_proc_sys_that_cannot_be_looked_at_is_not_read_only(capsys, sysctls):
    sysctls.proc_sys_error = PermissionError(13, "Permission denied")
    result = run(capsys, {"sysctls": {"net.ipv4.ip_forward": 0}})
    assert (result["differences"], result["proc_sys_read_only"]) == (["sysctl net.ipv4.ip_forward: 1, wanted 0"], False)
    assert sysctls.statvfs_calls == [str(sysctls.proc_sys)]


@pytest.mark.parametrize(
    "args", [{}, {"sysctls": {}}, {"kernel_modules": ["overlay"], "files": [{"path": "/nonexistent/node_state"}]}], ids=["nothing", "empty", "others"]
)
def test_proc_sys_read_only_only_with_sysctls(capsys, sysctls, args):
    sysctls.proc_sys_flags = PROC_SYS_RO
    assert "proc_sys_read_only" not in run(capsys, args)
    assert sysctls.statvfs_calls == []


# ----------------------------------------------------------------------------- swap


FSTAB_OK = """# /etc/fstab: static file system information.
UUID=0a1b2c3d / ext4 errors=remount-ro 0 1
/dev/sdc1 /swap ext4 defaults 0 2
#/swapfile none swap sw 0 0
  # UUID=4e5f6a7b none swap sw 0 0
"""


@pytest.fixture
def no_swap(node):
    write(node.proc_swaps, fixture("proc-swaps"))
    write(node.fstab, FSTAB_OK)
    return node


def test_swap_off(capsys, no_swap):
    result = run(capsys, {"swap_off": True})
    assert (result["converged"], result["differences"]) == (True, [])
    assert no_swap.calls == [LIST_SWAP]
    assert no_swap.environ == [{"LC_ALL": "C"}]


def test_swap_active(capsys, no_swap):
    write(no_swap.proc_swaps, fixture("proc-swaps") + SWAP_LINE)
    assert outcome(capsys, {"swap_off": True}) == (["swap: /swapfile is active"], drift(swap_areas=["/swapfile"]))


def test_swap_in_fstab(capsys, no_swap):
    write(no_swap.fstab, FSTAB_OK + "/swapfile none swap sw 0 0\n\tUUID=4e5f6a7b\tnone\tswap\tsw\t0\t0\n")
    result = run(capsys, {"swap_off": True})
    assert result["differences"] == [
        f"{no_swap.fstab}: swap entry '/swapfile' is not commented out",
        f"{no_swap.fstab}: swap entry 'UUID=4e5f6a7b' is not commented out",
    ]
    assert result["drift"] == drift(fstab_swap_entries=["/swapfile", "UUID=4e5f6a7b"])


def test_swap_unit_not_masked(capsys, no_swap):
    no_swap.swap_units = fixture("systemctl-list-units-swap.stdout")  # dev-sdb2.swap masked, swapfile.swap loaded
    assert outcome(capsys, {"swap_off": True}) == (["swap unit swapfile.swap: not masked"], drift(swap_units=["swapfile.swap"]))


def test_swap_everything_at_once(capsys, no_swap):
    write(no_swap.proc_swaps, fixture("proc-swaps") + SWAP_LINE)
    write(no_swap.fstab, "/swapfile none swap sw 0 0\n")
    no_swap.swap_units = fixture("systemctl-list-units-swap.stdout")
    result = run(capsys, {"swap_off": True})
    assert result["differences"] == [
        "swap: /swapfile is active",
        f"{no_swap.fstab}: swap entry '/swapfile' is not commented out",
        "swap unit swapfile.swap: not masked",
    ]
    assert result["drift"] == drift(swap_areas=["/swapfile"], fstab_swap_entries=["/swapfile"], swap_units=["swapfile.swap"])


def test_swap_without_systemctl_or_files(capsys, node):
    node.bins = {}
    assert differences(capsys, {"swap_off": True}) == []
    assert node.calls == []


def test_swap_not_compared_unless_asked(capsys, no_swap):
    write(no_swap.proc_swaps, fixture("proc-swaps") + SWAP_LINE)
    assert differences(capsys, {"swap_off": False}) == []
    assert no_swap.calls == []


def test_swap_units_failure(capsys, no_swap):
    no_swap.results[SYSTEMCTL] = (1, "", "Failed to connect to bus: No such file or directory\n")
    result = run(capsys, {"swap_off": True})
    assert result["failed"] is True
    assert result["msg"] == "systemctl list-units failed: Failed to connect to bus: No such file or directory"


# ----------------------------------------------------------------------------- commands


JQ_SHOW = ["dpkg-query", "--show", DPKG_FORMAT, "jq"]


def test_command_that_matches(capsys, node):
    result = run(capsys, {"commands": [{"argv": JQ_SHOW, "stdout_regex": [r"^jq\t1\.6-", r"\thold ok installed$"]}]})
    assert (result["converged"], result["differences"]) == (True, [])
    assert node.calls == [[DPKG_QUERY, *JQ_SHOW[1:]]]
    assert node.environ == [{"LC_ALL": "C"}]


def test_command_exit_code(capsys, node):
    argv = ["dpkg-query", "--show", DPKG_FORMAT, "nosuchpkg"]
    shown = " ".join(argv)
    assert differences(capsys, {"commands": [{"argv": argv, "stdout_regex": ["never compared"]}]}) == [f"command {shown}: exit code 1, wanted 0"]
    assert differences(capsys, {"commands": [{"argv": argv, "rc": 1}]}) == []


def test_command_output_miss(capsys, node):
    result = run(capsys, {"commands": [{"argv": JQ_SHOW, "stdout_regex": [r"^jq\t1\.6-", r"^jq\t1\.7-"]}]})
    assert result["differences"] == [f"command {' '.join(JQ_SHOW)}: no match for /^jq\\t1\\.7-/"]
    assert result["drift"] == NO_DRIFT  # commands have no drift of their own


def test_command_not_installed(capsys, node, tmp_path):
    missing = str(tmp_path / "bin/crictl")
    result = run(capsys, {"commands": [{"argv": ["kubectl", "version", "--client"]}, {"argv": [missing, "info"]}]})
    assert result["differences"] == ["command kubectl version --client: kubectl is not installed", f"command {missing} info: {missing} is not installed"]
    assert result["drift"] == NO_DRIFT
    assert node.calls == []


def test_command_by_absolute_path(capsys, node, tmp_path):
    crictl = write(tmp_path / "bin/crictl", "#!/bin/sh\n", 0o755)
    node.results[crictl] = (0, "RuntimeReady true\n", "")
    assert differences(capsys, {"commands": [{"argv": [crictl, "info"], "stdout_regex": ["RuntimeReady true"]}]}) == []
    assert node.calls == [[crictl, "info"]]
    assert node.environ == [{"LC_ALL": "C"}]


def test_commands_run_one_after_another(capsys, node):
    result = run(
        capsys,
        {
            "commands": [
                {"argv": ["kubeadm", "version"]},
                {
                    "argv": ["systemctl", "show", "--property=LoadState,UnitFileState,ActiveState", "--", "cron.service"],
                    "stdout_regex": ["^UnitFileState=enabled$"],
                },
            ]
        },
    )
    assert result["differences"] == ["command kubeadm version: kubeadm is not installed"]
    assert node.calls == [SHOW + ["cron.service"]]


# ----------------------------------------------------------------------------- everything, check mode


@pytest.fixture
def everything(node, config, tmp_path):
    (node.sys_module / "overlay").mkdir()
    write(node.proc_sys / "net/ipv4/ip_forward", "0\n")
    write(node.proc_swaps, fixture("proc-swaps") + SWAP_LINE)
    write(node.fstab, FSTAB_OK)
    node.swap_units = fixture("systemctl-list-units-swap.stdout")
    write(tmp_path / "certs.d/docker.io/hosts.toml", MARKER + "\n")
    return {
        "files": [{"path": config, "mode": "0600"}],
        "stray_files": [{"path": str(tmp_path / "certs.d"), "name": "hosts.toml", "marker": MARKER}],
        "packages": {"jq": "1.6-*", "libjq1": ""},
        "held_packages": ["libjq1"],
        "services": [{"name": "cron", "enabled": True, "active": True}, {"name": "systemd-networkd", "active": True}],
        "kernel_modules": ["overlay", "br_netfilter"],
        "sysctls": {"net.ipv4.ip_forward": 1},
        "swap_off": True,
        "commands": [{"argv": JQ_SHOW, "rc": 0, "stdout_regex": ["deb12u3"]}],
    }


def test_all_checks_in_order(capsys, node, everything, config, tmp_path):
    result = run(capsys, everything)
    assert result["converged"] is False
    assert result["changed"] is False
    assert result["differences"] == [
        f"{config}: mode 0644, wanted 0600",
        f"{tmp_path}/certs.d/docker.io/hosts.toml: left from an earlier run, wanted absent",
        "package libjq1: not held",
        "service systemd-networkd.service: inactive, wanted active",
        "kernel module br_netfilter: not loaded",
        "sysctl net.ipv4.ip_forward: 0, wanted 1",
        "swap: /swapfile is active",
        "swap unit swapfile.swap: not masked",
    ]
    assert result["drift"] == {
        "files": [config, f"{tmp_path}/certs.d/docker.io/hosts.toml"],
        "packages": {"libjq1": JQ_VERSION},
        "kernel_modules": ["br_netfilter"],
        "sysctls": {"net.ipv4.ip_forward": "0"},
        "swap_areas": ["/swapfile"],
        "fstab_swap_entries": [],
        "swap_units": ["swapfile.swap"],
    }
    assert result["proc_sys_read_only"] is False
    assert [argv[0] for argv in node.calls] == [DPKG_QUERY, SYSTEMCTL, SYSTEMCTL, DPKG_QUERY]
    assert all(env == {"LC_ALL": "C"} for env in node.environ)


def test_check_mode_gives_the_same_result(capsys, node, everything):
    normal = run(capsys, everything)
    calls = list(node.calls)
    checked = run(capsys, everything, check_mode=True)
    assert checked == normal
    assert checked["changed"] is False
    assert node.calls == calls + calls


def test_check_mode_when_converged(capsys, node, config):
    result = run(capsys, {"files": [{"path": config, "mode": "0644"}], "packages": {"jq": ""}, "services": [{"name": "cron", "active": True}]}, check_mode=True)
    assert (result["changed"], result["converged"], result["differences"], result["drift"]) == (False, True, [], NO_DRIFT)


def test_argument_spec_defaults():
    spec = node_state.argument_spec()
    assert spec["swap_off"] == {"type": "bool", "default": False}
    assert spec["files"]["options"]["state"] == {"type": "str", "choices": ["file", "directory", "absent"], "default": "file"}
    assert spec["commands"]["options"]["rc"] == {"type": "int", "default": 0}
    assert all(spec[name]["default"] == {} for name in ("packages", "kernel_module_evidence", "sysctls"))
