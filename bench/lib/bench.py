"""Provisioning benchmark: site.yml on real Kubernetes in the Docker test bed against a shell "floor".

For each connection mode (BENCH_MODES, default "docker,ssh") and repetition (see bench/README.md):
  cold_1_2    fresh 1 control plane + 2 workers, site.yml until every node is Ready
  rerun_1_2   site.yml again on the same hosts (changed must be 0)
  floor_1_2   fresh 1 + 2, the same work by shell over the same transport, nodes in parallel
  cold_1_10, rerun_1_10, floor_1_10   the same with 10 workers (skipped with BENCH_SKIP_10=1)

Standard library only; run with the project venv's python (bench/run.sh does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
BENCH = TOP / "bench"
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
TESTBED = TOP / "tests" / "testbed"
VENV_BIN = TOP / ".venv" / "bin"
SSH_DIR = WORK / "ssh"

PREFIX = "kb-"
LABEL = "kb-bench"  # every node container carries it (run-node.sh --label)
NETWORK = "kb-net"
MIRROR = "kb-mirror"
MIRROR_URL = f"http://{MIRROR}"
BASE_IMAGE = "local/bookworm-systemd:latest"
SSH_IMAGE = "local/kb-bookworm-ssh:latest"

# Real Kubernetes from ../shared/kube, as the test bed's offline group_vars pin it.
KUBE_VERSION = os.environ.get("KUBE_VERSION", "1.28.4")
KUBE_MINOR = "v" + ".".join(KUBE_VERSION.split(".")[:2])
KUBE_DIR = Path(os.environ.get("KUBEADM_TESTBED_KUBE_DIR", str(TOP / ".cache/kube")))
# The archives the test bed imports into containerd (offline.yml testbed_real_archives), without
# the smoke test's web image: the bench turns the smoke workload off (the floor runs none).
IMAGE_ARCHIVES = [
    str(KUBE_DIR / "images" / f"{n}.tar")
    for n in (
        "kube-apiserver-v1.28",
        "kube-controller-manager-v1.28",
        "kube-scheduler-v1.28",
        "kube-proxy-v1.28",
        "etcd-3.5.9-0",
        "pause-3.9",
        "coredns-v1.10.1",
    )
]
POD_CIDR = "10.244.0.0/16"

REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "1") or 1))
SKIP_10 = os.environ.get("BENCH_SKIP_10", "") not in ("", "0")
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")
MODES = [m for m in os.environ.get("BENCH_MODES", "docker,ssh").split(",") if m]
# mitogen: SSH nodes, site.yml under Mitogen's mitogen_linear strategy (installed from PyPI into
# bench/.work/mitogen by bench/run.sh; not a dependency of the collection).
SSH_MODES = ("ssh", "mitogen")
MITOGEN_DIR = WORK / "mitogen"
LARGE = max(2, int(os.environ.get("BENCH_LARGE_WORKERS", "10") or 10))
# Extra ansible-playbook arguments, for experiments (e.g. "-e some_var=value"); recorded in the results.
EXTRA_ARGS = shlex.split(os.environ.get("BENCH_ANSIBLE_ARGS", ""))
PLAYBOOK_TIMEOUT = int(os.environ.get("BENCH_PLAYBOOK_TIMEOUT", "900"))
# Roles in site.yml order, for stable tables.
ROLE_ORDER = ["preflight", "node_prep", "kube_packages", "containerd", "control_plane", "worker", "cni", "verify"]
# (numerator, denominator, target): ratios of minimum wall times, per connection mode.
TARGETS = [
    ("cold_1_2", "floor_1_2", 1.5),
    ("rerun_1_2", "cold_1_2", 0.15),
    ("cold_1_L", "floor_1_L", 1.5),
    ("rerun_1_L", "rerun_1_2", 2.0),
]
SSH_BASE_OPTS = [
    "-i",
    str(SSH_DIR / "id_ed25519"),
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "BatchMode=yes",
]


def stage_name(kind: str, workers: int) -> str:
    return f"{kind}_1_{workers}"


def targets() -> list[tuple[str, str, float]]:
    return [(a.replace("_L", f"_{LARGE}"), b.replace("_L", f"_{LARGE}"), t) for a, b, t in TARGETS]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def redact(text: str) -> str:
    return re.sub(r"(--token[ =]+|--discovery-token-ca-cert-hash[ =]+)\S+", r"\1<redacted>", text)


def run(args, check=True, capture=True, timeout=None, env=None, input_=None, stdin=None) -> subprocess.CompletedProcess:
    res = subprocess.run(args, capture_output=capture, text=stdin is None, timeout=timeout, env=env, input=input_, stdin=stdin, check=False)
    if check and res.returncode != 0:
        err = res.stderr if isinstance(res.stderr, str) else (res.stderr or b"").decode(errors="replace")
        # The stderr tail first (what failed), then the command; join tokens never reach a log.
        raise RuntimeError(redact(f"{err.strip()[-1500:]} (from: {shlex.join(map(str, args))[-400:]} exited {res.returncode})"))
    return res


# --------------------------------------------------------------------------- test bed
def our_containers() -> list[str]:
    out = run(["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", "{{.Names}}"]).stdout.split()
    return [n for n in out if n.startswith(PREFIX)]


def thaw(name: str) -> None:
    """Thaw the frozen cgroups under a node container. With cgroup v1, a pod's `runc init` killed
    while runc had its cgroup frozen stays in the freezer, and Docker then cannot kill the node
    ("did not receive an exit event"): its name stays taken and the next stage cannot start."""
    cid = run(["docker", "inspect", "-f", "{{.Id}}", name], check=False).stdout.strip()
    if not cid:
        return
    for root in Path("/sys/fs/cgroup").glob(f"**/*{cid}*"):
        for state in [*root.rglob("freezer.state"), *root.rglob("cgroup.freeze")]:
            try:
                if state.read_text().strip() in ("FROZEN", "FREEZING", "1"):
                    state.write_text("THAWED" if state.name == "freezer.state" else "0")
            except OSError:
                pass


def remove_nodes(names) -> None:
    names = [n for n in names if n.startswith(PREFIX)]  # never anything but ours
    if not names:
        return
    run(["docker", "rm", "-f", "-v", *names], check=False)
    left = [n for n in names if run(["docker", "inspect", n], check=False).returncode == 0]
    if left:
        for name in left:
            thaw(name)
        run(["docker", "rm", "-f", "-v", *left], check=False)
    run(["docker", "volume", "rm", *[f"{n}-var" for n in names]], check=False)


def clean_all() -> None:
    remove_nodes(our_containers())
    # Volumes of nodes whose container is gone already.
    vols = run(["docker", "volume", "ls", "-q", "--filter", f"name=^{PREFIX}"], check=False).stdout.split()
    vols = [v for v in vols if v.startswith(PREFIX) and v.endswith("-var")]
    if vols:
        run(["docker", "volume", "rm", *vols], check=False)
    run(["docker", "rm", "-f", MIRROR], check=False)
    run(["docker", "network", "rm", NETWORK], check=False)
    close_masters(SSH_DIR / "cm")


def close_masters(directory: Path) -> None:
    """Stop the SSH ControlMaster processes whose sockets are in directory (a node's IP is reused
    by the next stage's node: a master left over would talk to a container that is gone)."""
    if not directory.exists():
        return
    for sock in sorted(directory.rglob("*")):
        if sock.is_socket():
            run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "kb-bench"], check=False, timeout=10)
            sock.unlink(missing_ok=True)


def ensure_network_and_mirror() -> None:
    if run(["docker", "network", "inspect", NETWORK], check=False).returncode != 0:
        run(["docker", "network", "create", "--label", LABEL, NETWORK])
    env = dict(os.environ, MIRROR_CONTAINER=MIRROR)
    run([str(TOP / "tests/mirror/serve.sh"), "start", NETWORK], env=env)


# --------------------------------------------------------------------------- SSH nodes
SSHD_CONFIG = """# kubeadm.cluster bench: key-only root login, many sessions for ControlMaster multiplexing.
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
MaxSessions 64
MaxStartups 64:30:128
"""


def ensure_ssh_key() -> None:
    SSH_DIR.mkdir(parents=True, exist_ok=True)
    key = SSH_DIR / "id_ed25519"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kb-bench", "-f", str(key)])


def ensure_ssh_image() -> None:
    """local/kb-bookworm-ssh: the test-bed node image plus openssh-server and the bench's key.

    Derived with `docker commit` (the test bed's build-images.sh is left alone); rebuilt when the
    base image, the key or the sshd settings change."""
    ensure_ssh_key()
    pub = (SSH_DIR / "id_ed25519.pub").read_text()
    base_id = run(["docker", "image", "inspect", "-f", "{{.Id}}", BASE_IMAGE]).stdout.strip()
    want = hashlib.sha256(f"{base_id}\n{pub}\n{SSHD_CONFIG}".encode()).hexdigest()[:16]
    have = run(["docker", "image", "inspect", "-f", '{{ index .Config.Labels "kb.ssh.hash" }}', SSH_IMAGE], check=False).stdout.strip()
    if have == want:
        return
    log(f"building {SSH_IMAGE} (openssh-server from Debian's mirror)")
    builder = f"{PREFIX}ssh-build"
    run(["docker", "rm", "-f", builder], check=False)
    run(["docker", "run", "-d", "--name", builder, "--label", LABEL, BASE_IMAGE, "sleep", "infinity"])
    try:
        script = f"""set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
rm -rf /var/lib/apt/lists/*
install -d -m 0700 /root/.ssh
printf '%s' {shlex.quote(pub)} > /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
printf '%s' {shlex.quote(SSHD_CONFIG)} > /etc/ssh/sshd_config.d/kb-bench.conf
systemctl enable ssh >/dev/null 2>&1 || ln -sf /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service
"""
        run(["docker", "exec", "-i", builder, "bash", "-s"], input_=script, timeout=600)
        run(["docker", "commit", "--change", 'CMD ["/usr/local/sbin/node-entrypoint"]', "--change", f"LABEL kb.ssh.hash={want}", builder, SSH_IMAGE])
    finally:
        run(["docker", "rm", "-f", builder], check=False)
    log(f"built {SSH_IMAGE}")


def node_ip(name: str) -> str:
    fmt_ = '{{(index .NetworkSettings.Networks "' + NETWORK + '").IPAddress}}'
    return run(["docker", "inspect", "-f", fmt_, name]).stdout.strip()


def wait_ssh(ip: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while True:
        probe = ["ssh", *SSH_BASE_OPTS, "-o", "ControlMaster=no", "-o", "ControlPath=none", f"root@{ip}", "true"]
        if run(probe, check=False, timeout=30).returncode == 0:
            return
        if time.monotonic() > end:
            raise RuntimeError(f"no SSH to {ip}")
        time.sleep(1)


def start_nodes(names: list[str], mode: str) -> tuple[float, dict[str, str]]:
    """Start fresh node containers in parallel; return seconds taken (not measured) and their IPs."""
    remove_nodes(names)
    t0 = time.monotonic()
    env = dict(os.environ, KUBEADM_TESTBED_LABEL=LABEL)
    image = SSH_IMAGE if mode in SSH_MODES else BASE_IMAGE

    def one(name):
        return run([str(TESTBED / "run-node.sh"), name, NETWORK, image], env=env, check=False)

    # A few at a time: 11 systemd boots at once on 2 cores only slow each other down.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, names))
    bad = [(n, r.stderr.strip()) for n, r in zip(names, results) if r.returncode != 0]
    if bad:
        raise RuntimeError(f"nodes did not start: {bad}")
    ips = {n: node_ip(n) for n in names}
    if mode in SSH_MODES:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(wait_ssh, ips.values()))
    return time.monotonic() - t0, ips


def quiesce(seconds: float = 3.0) -> None:
    """Let freshly booted containers settle so boot work is not billed to the next stage."""
    time.sleep(seconds)


class Transport:
    """How the floor reaches a node: the same way as Ansible does in that mode (docker exec, or
    SSH with one ControlMaster connection per node, opened inside the timed part)."""

    def __init__(self, mode: str, ips: dict[str, str], control_dir: Path):
        self.mode, self.ips, self.control_dir = mode, ips, control_dir
        if mode in SSH_MODES:
            control_dir.mkdir(parents=True, exist_ok=True)

    def _ssh(self, node: str, master: bool = False) -> list[str]:
        mux = ["-o", f"ControlPath={self.control_dir}/%C"]
        mux += ["-o", "ControlMaster=yes", "-o", "ControlPersist=600s", "-f", "-N"] if master else ["-o", "ControlMaster=no"]
        return ["ssh", *SSH_BASE_OPTS, *mux, f"root@{self.ips[node]}"]

    def connect(self, node: str) -> None:
        if self.mode in SSH_MODES:
            # -f: backgrounds once authenticated; its stdio must not be our pipes, or we would wait on it.
            subprocess.run(self._ssh(node, master=True), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=60)

    def argv(self, node: str, command: str) -> list[str]:
        if self.mode in SSH_MODES:
            return [*self._ssh(node), command]
        return ["docker", "exec", "-i", node, "bash", "-c", command]

    def script(self, node: str, script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        return run(self.argv(node, "bash -s -- " + shlex.join(args)), input_=script, timeout=timeout)

    def pipe(self, node: str, command: str, data_cmd: list[str], timeout: int = 600) -> None:
        """Run data_cmd locally and stream its stdout into command on the node."""
        src = subprocess.Popen(data_cmd, stdout=subprocess.PIPE)
        try:
            run(self.argv(node, command), stdin=src.stdout, timeout=timeout)
        finally:
            src.stdout.close()
            if src.wait() != 0:
                raise RuntimeError(f"{shlex.join(data_cmd)} exited {src.returncode}")

    def close(self) -> None:
        close_masters(self.control_dir)


# --------------------------------------------------------------------------- site.yml runs
def write_inventory(stage: str, mode: str, cp: str, workers: list[str], ips: dict[str, str]) -> Path:
    inv = WORK / "inventory" / f"{mode}-{stage}"
    if inv.exists():
        shutil.rmtree(inv)
    inv.mkdir(parents=True)
    if mode in SSH_MODES:
        conn = [
            "ansible_connection: ssh",
            "ansible_user: root",
            f"ansible_ssh_private_key_file: {SSH_DIR / 'id_ed25519'}",
            "ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            # Throwaway containers with new host keys each run. Mitogen's own SSH connection for a
            # delegated task reads this, not the SSH arguments above.
            "ansible_host_key_checking: false",
        ]

        def host(h):
            return f"{{ansible_host: {ips[h]}}}"
    else:
        conn = ["ansible_connection: community.docker.docker"]

        def host(_h):
            return "{}"

    lines = [
        "---",
        "all:",
        "  vars:",
        *[f"    {c}" for c in conn],
        "  children:",
        f"    control_plane: {{hosts: {{{cp}: {host(cp)}}}}}",
        "    workers:",
        "      hosts:",
        *[f"        {w}: {host(w)}" for w in workers],
    ]
    (inv / "hosts.yml").write_text("\n".join(lines) + "\n")
    # The real test bed's settings (tests/testbed/offline/group_vars/all), then the bench's own
    # (a later file of group_vars/all/ wins): its mirror container, absolute archive paths
    # (playbook_dir differs between site.yml and playbooks/site.yml), no smoke workload, and
    # kubeadm's CoreDNS add-on skipped, as the floor skips it (the measures stay comparable).
    gv = inv / "group_vars" / "all"
    gv.mkdir(parents=True, exist_ok=True)
    for name in ("container.yml", "offline.yml"):
        text = (TESTBED / "offline/group_vars/all" / name).read_text()
        text = re.sub(r"(?m)^kube_packages_repo_base_url:.*$", f"kube_packages_repo_base_url: {MIRROR_URL}", text)
        (gv / name).write_text(text)
    archives = "".join(f"  - {a}\n" for a in IMAGE_ARCHIVES)
    (gv / "zz-bench.yml").write_text(
        "---\n# Written by bench/lib/bench.py.\n"
        f'testbed_kube: real\ncluster_kubernetes_version: "{KUBE_VERSION}"\n'
        f"containerd_image_archives_copy:\n{archives}verify_smoke_test: false\ncontrol_plane_skip_phases: [addon/coredns]\n"
    )
    return inv


def prepare_cp_user(cp: str, tr: Transport) -> None:
    # The offline settings give user "kube" a kubeconfig; the user must exist (as in the scenarios).
    tr.script(cp, "id kube >/dev/null 2>&1 || useradd --create-home --shell /bin/bash kube\n")


def run_site(stage: str, mode: str, inv: Path, tag: str) -> dict:
    control_dir = SSH_DIR / "cm" / tag.rsplit("-", 1)[-1]  # short: a socket path has about 100 characters
    logdir = WORK / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    out_path = logdir / f"{tag}.json"
    err_path = logdir / f"{tag}.stderr"
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(TOP / ".cache/collections"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_JSON_INDENT="0",
        # As ansible.cfg has it (an empty value crashes ansible); its recap lands around the JSON
        # line, which the parser finds by itself.
        ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.profile_roles",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        KUBEADM_TESTBED_KUBE="real",
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
    )
    if mode in SSH_MODES:
        # Its own masters for each run: a re-run opens its connections as a later run would.
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(control_dir)
    if mode == "mitogen":
        env["ANSIBLE_STRATEGY_PLUGINS"] = str(MITOGEN_DIR / "ansible_mitogen/plugins/strategy")
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    cmd = [str(VENV_BIN / "ansible-playbook"), "site.yml", "-i", str(inv), *EXTRA_ARGS]
    log(f"{mode} {stage}: {shlex.join(cmd)}  (log: {out_path.relative_to(TOP)})")
    t0 = time.monotonic()
    timed_out = False
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=TOP, env=env, stdout=out, stderr=err, text=True)
        try:
            rc = proc.wait(timeout=PLAYBOOK_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            rc, timed_out = -1, True
    wall = time.monotonic() - t0
    close_masters(control_dir)
    summary = parse_playbook_json(out_path)
    summary.update(stage=stage, rc=rc, wall_s=round(wall, 2), timed_out=timed_out, log=str(out_path.relative_to(TOP)))
    ok = rc == 0 and not timed_out
    summary["ok"] = ok
    log(
        f"{mode} {stage}: {'ok' if ok else 'FAILED'} in {wall:.1f} s, tasks={summary.get('tasks')}, "
        f"changed={summary.get('changed')}, failed={summary.get('failed')}"
    )
    for f in summary.get("failures", [])[:5]:
        log(f"  failed: {f['host']}: {f['role']} / {f['task']}: {f['msg'][:300]}")
    if summary.get("parse_error"):
        tail = err_path.read_text()[-1500:]
        log(f"  no playbook JSON ({summary['parse_error']}); stderr tail:\n{tail}")
    return summary


def _ts(s: str) -> float:
    return dt.datetime.fromisoformat(s.rstrip("Z")).replace(tzinfo=dt.timezone.utc).timestamp()


ROLE_RE = re.compile(r"/roles/([^/]+)/(?:tasks|handlers)/")


def _role_of(task: dict, play_name: str) -> str:
    name, path = task.get("name", ""), task.get("path", "") or ""
    m = ROLE_RE.search(path)
    if m:
        return m.group(1)
    if " : " in name:
        return name.split(" : ", 1)[0].split(".")[-1]
    return f"(play) {play_name}"


def _short_msg(res: dict) -> str:
    if res.get("censored"):
        return str(res["censored"])
    parts = []
    for key in ("msg", "stderr", "stdout"):
        v = res.get(key)
        if v:
            parts.append(v if isinstance(v, str) else json.dumps(v))
            if key == "msg" and v != "non-zero return code":
                break
    if parts:
        return ": ".join(p.strip()[-400:] for p in parts[:2])
    return json.dumps({k: res[k] for k in list(res)[:6]}, default=str)


def _json_start(text: str) -> int:
    # The JSON document is one line (ANSIBLE_JSON_INDENT=0) among profile_roles' banners.
    m = re.search(r'(?m)^\{"', text)
    return m.start() if m else -1


def parse_playbook_json(path: Path) -> dict:
    """Task count, changed count and per-role durations from ansible.posix.json output.

    Each task is billed from its start to the start of the next task of the same play (the last one
    to the play's end), so per-role times add up to the plays' time and include the strategy's
    per-task overhead. Play gaps and ansible start-up are "outside plays"."""
    text = path.read_text() if path.exists() else ""
    start = _json_start(text)
    if start < 0:
        return {"parse_error": "no JSON in output"}
    try:
        data, _end = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as exc:
        return {"parse_error": f"bad JSON: {exc}"}
    roles: dict[str, float] = {}
    role_tasks: dict[str, int] = {}
    tasks = results = skipped_results = 0
    changed_tasks, failures = [], []
    last: dict[str, tuple] = {}
    plays_s = package_s = 0.0
    actions_s: dict[str, float] = {}
    slowest = []
    for play in data.get("plays", []):
        pname = play["play"].get("name", "")
        pdur = play["play"].get("duration", {})
        pstart = _ts(pdur["start"]) if pdur.get("start") else None
        pend = _ts(pdur["end"]) if pdur.get("end") else pstart
        if pstart is not None and pend is not None:
            plays_s += pend - pstart
        tlist = play.get("tasks", [])
        starts = [_ts(t["task"]["duration"]["start"]) for t in tlist]
        for i, t in enumerate(tlist):
            task = t["task"]
            hosts = t.get("hosts", {})
            role = _role_of(task, pname)
            nxt = starts[i + 1] if i + 1 < len(tlist) else (pend or starts[i])
            billed = max(0.0, nxt - starts[i])
            roles[role] = roles.get(role, 0.0) + billed
            real = [r for r in hosts.values() if not r.get("skipped")]
            if real:
                tasks += 1
                role_tasks[role] = role_tasks.get(role, 0) + 1
            results += len(hosts)
            skipped_results += len(hosts) - len(real)
            slowest.append((billed, role, task.get("name", "")))
            actions = {str(r.get("action", "")).rsplit(".", 1)[-1] for r in hosts.values()}
            if actions & {"apt", "dnf", "package", "yum"}:
                package_s += billed
            kind = "+".join(sorted(a for a in actions if a)) or "(no host)"
            actions_s[kind] = actions_s.get(kind, 0.0) + billed
            for host, r in hosts.items():
                if r.get("changed") and not r.get("skipped"):
                    changed_tasks.append({"host": host, "role": role, "task": task.get("name", "")})
                if not r.get("skipped"):
                    last[host] = (role, task.get("name", ""), r)
    # A failure that stopped a host is its last result (ignored failures look the same otherwise).
    stats = data.get("stats", {})
    for host, (role, name, r) in sorted(last.items()):
        hs = stats.get(host, {})
        if (r.get("failed") or r.get("unreachable")) and (hs.get("failures") or hs.get("unreachable")):
            failures.append({"host": host, "role": role, "task": name, "msg": _short_msg(r)})
    tot = {k: sum(h.get(k, 0) for h in stats.values()) for k in ("ok", "changed", "failures", "unreachable", "skipped")}
    slowest.sort(reverse=True)
    return {
        "hosts": len(stats),
        "tasks": tasks,
        "task_results": results - skipped_results,
        "skipped_results": skipped_results,
        "changed": tot["changed"],
        "failed": tot["failures"] + tot["unreachable"],
        "plays_s": round(plays_s, 2),
        # Package manager tasks (network and dpkg bound) against everything else, and the mean cost
        # of one non-package task across all hosts (mostly Ansible and connection overhead).
        "package_tasks_s": round(package_s, 2),
        "other_task_mean_s": round((plays_s - package_s) / tasks, 2) if tasks else None,
        "roles_s": {k: round(v, 2) for k, v in sorted(roles.items(), key=lambda kv: _role_key(kv[0]))},
        "role_tasks": role_tasks,
        # Time by module (task kind), billed as above: where Ansible's time goes beyond the roles.
        "actions_s": {k: round(v, 2) for k, v in sorted(actions_s.items(), key=lambda kv: -kv[1])},
        "slowest_tasks": [{"s": round(s, 2), "role": r, "task": n} for s, r, n in slowest[:10]],
        "changed_tasks": changed_tasks[:50],
        "failures": failures[:20],
    }


def _role_key(role: str):
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), role)


# --------------------------------------------------------------------------- the floor
# What a skilled operator types, run on every node at once: one apt transaction, the containerd
# config site.yml's settings come down to, the static equivalent of the cni role's bridge
# network (the same conflist, a /24 of the pod network per node, routes to the other nodes' /24).
FLOOR_NODE = f"""set -eu
export DEBIAN_FRONTEND=noninteractive
role=$1 subnet=$2
shift 2
base={MIRROR_URL}/core:/stable:/{KUBE_MINOR}/deb/
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "${{base}}Release.key" -o /etc/apt/keyrings/kubernetes-apt-keyring.asc
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] $base /" > /etc/apt/sources.list.d/kubernetes.list
apt-get update -qq
kube="kubeadm={KUBE_VERSION}-1.1 kubelet={KUBE_VERSION}-1.1"
held="kubeadm kubelet"
if [ "$role" = cp ]; then kube="$kube kubectl={KUBE_VERSION}-1.1"; held="$held kubectl"; fi
apt-get install -y -qq --no-install-recommends containerd runc $kube >/dev/null
apt-mark hold $held >/dev/null
mkdir -p /etc/containerd /etc/cni/net.d
cat > /etc/containerd/config.toml <<'TOML'
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
TOML
systemctl restart containerd
systemctl enable kubelet >/dev/null 2>&1
cat > /etc/cni/net.d/10-kubeadm-bridge.conflist <<JSON
{{"cniVersion": "0.4.0", "name": "kubeadm-bridge", "plugins": [
  {{"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {{"type": "host-local", "ranges": [[{{"subnet": "$subnet"}}]], "routes": [{{"dst": "0.0.0.0/0"}}]}}}},
  {{"type": "portmap", "capabilities": {{"portMappings": true}}}}]}}
JSON
while [ $# -ge 2 ]; do ip route replace "$1" via "$2"; shift 2; done
"""

FLOOR_IMPORT = 'set -eu; d=/var/cache/kubeadm-floor/images; mkdir -p $d; tar -C $d -x; for f in $d/*.tar; do ctr -n k8s.io images import "$f" >/dev/null; done'

FLOOR_KUBEADM_CONFIG = f"""apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
  ignorePreflightErrors: [SystemVerification]
skipPhases: [addon/coredns]
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v{KUBE_VERSION}
networking:
  podSubnet: {POD_CIDR}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack:
  maxPerCore: 0
"""

FLOOR_INIT = f"""set -eu
cat > /root/kubeadm.yaml <<'YAML'
{FLOOR_KUBEADM_CONFIG}YAML
kubeadm init --config /root/kubeadm.yaml >/root/kubeadm-init.log 2>&1 || {{ tail -n 30 /root/kubeadm-init.log >&2; exit 1; }}
install -d -o kube -g kube -m 0700 /home/kube/.kube
install -o kube -g kube -m 0600 /etc/kubernetes/admin.conf /home/kube/.kube/config
kubeadm token create --print-join-command
"""

FLOOR_JOIN = """set -eu
$1 --cri-socket unix:///run/containerd/containerd.sock --ignore-preflight-errors=SystemVerification \\
  >/root/kubeadm-join.log 2>&1 || { tail -n 30 /root/kubeadm-join.log >&2; exit 1; }
"""

FLOOR_READY = """set -eu
kubectl --kubeconfig /etc/kubernetes/admin.conf wait --for=condition=Ready node --all --timeout=300s >/dev/null
kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers | wc -l
"""


def run_floor(stage: str, tr: Transport, cp: str, workers: list[str]) -> dict:
    nodes = [cp, *workers]
    subnets = {n: f"10.244.{i}.0/24" for i, n in enumerate(nodes)}
    archives = [Path(a) for a in IMAGE_ARCHIVES]
    phases: dict[str, float] = {}
    per_node: dict[str, dict[str, float]] = {}

    def prepare(node):
        t = {"t0": time.monotonic()}
        tr.connect(node)
        routes = [x for o in nodes if o != node for x in (subnets[o], tr.ips[o])]
        tr.script(node, FLOOR_NODE, "cp" if node == cp else "worker", subnets[node], *routes)
        t["packages"] = time.monotonic()
        tr.pipe(node, FLOOR_IMPORT, ["tar", "-C", str(archives[0].parent), "-c", *[a.name for a in archives]])
        t["images"] = time.monotonic()
        per_node[node] = {"packages": t["packages"] - t["t0"], "images": t["images"] - t["packages"]}

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        list(pool.map(prepare, nodes))
    phases["nodes_prepared"] = time.monotonic() - t0
    t = time.monotonic()
    join_cmd = tr.script(cp, FLOOR_INIT).stdout.strip().splitlines()[-1]
    phases["kubeadm_init"] = time.monotonic() - t
    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        list(pool.map(lambda w: tr.script(w, FLOOR_JOIN, join_cmd), workers))
    phases["kubeadm_join"] = time.monotonic() - t
    t = time.monotonic()
    count = int(tr.script(cp, FLOOR_READY).stdout.split()[-1])
    phases["until_ready"] = time.monotonic() - t
    wall = time.monotonic() - t0
    if count != len(nodes):
        raise RuntimeError(f"floor cluster has {count} nodes, expected {len(nodes)}")
    res = {
        "stage": stage,
        "ok": True,
        "wall_s": round(wall, 2),
        "nodes": len(nodes),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        # Slowest node's apt+config and image import, within nodes_prepared.
        "node_max_s": {k: round(max(v[k] for v in per_node.values()), 2) for k in ("packages", "images")},
    }
    log(f"{tr.mode} {stage}: ok in {wall:.1f} s " + ", ".join(f"{k}={v:.1f}" for k, v in phases.items()))
    return res


# --------------------------------------------------------------------------- stages
def stage_cold(mode: str, tag: str, n_workers: int) -> list[dict]:
    stage = stage_name("cold", n_workers)
    cp = f"{PREFIX}cp1"
    workers = [f"{PREFIX}w{i}" for i in range(1, n_workers + 1)]
    log(f"{mode} {stage}: starting {1 + n_workers} fresh nodes")
    out = []
    try:
        boot, ips = start_nodes([cp, *workers], mode)
        tr = Transport(mode, ips, SSH_DIR / "cm" / "prep")
        prepare_cp_user(cp, tr)
        inv = write_inventory(stage, mode, cp, workers, ips)
        quiesce()
        log(f"{mode} {stage}: nodes up in {boot:.1f} s (not measured)")
        out.append(run_site(stage, mode, inv, f"{tag}-{stage}"))
        rerun = stage_name("rerun", n_workers)
        if out[0]["ok"]:
            out.append(run_site(rerun, mode, inv, f"{tag}-{rerun}"))
            for c in out[-1].get("changed_tasks", [])[:10]:
                log(f"  {rerun} changed: {c['host']}: {c['role']} / {c['task']}")
        else:
            out.append({"stage": rerun, "ok": False, "skipped": "cold run failed"})
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        log(f"{mode} {stage}: FAILED: {exc}")
        out.append({"stage": stage, "ok": False, "error": str(exc)[-2000:]})
    finally:
        if not KEEP:
            remove_nodes([cp, *workers])
    return out


def stage_floor(mode: str, n_workers: int) -> dict:
    stage = stage_name("floor", n_workers)
    cp = f"{PREFIX}floor-cp"
    workers = [f"{PREFIX}floor-w{i}" for i in range(1, n_workers + 1)]
    log(f"{mode} {stage}: starting {1 + n_workers} fresh nodes")
    tr = None
    try:
        _boot, ips = start_nodes([cp, *workers], mode)
        tr = Transport(mode, ips, SSH_DIR / "cm" / "floor")
        prepare_cp_user(cp, tr)  # as for site.yml: the kube user who gets a kubeconfig
        quiesce()
        return run_floor(stage, tr, cp, workers)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        log(f"{mode} {stage}: FAILED: {exc}")
        return {"stage": stage, "ok": False, "error": str(exc)[-2000:]}
    finally:
        if tr:
            tr.close()
        if not KEEP:
            remove_nodes([cp, *workers])


# --------------------------------------------------------------------------- report
def agg(values: list[float]) -> dict:
    if not values:
        return {}
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2), "n": len(values)}


def summarize_stage(runs: list[dict]) -> dict:
    good = [r for r in runs if r.get("ok")]
    s = {"wall_s": agg([r["wall_s"] for r in good]), "ok_runs": len(good), "runs": len(runs)}
    bad = [r for r in runs if not r.get("ok")]
    if bad:
        r = bad[-1]
        where = r.get("failures", [{}])[0] if r.get("failures") else {}
        s["failure"] = {
            "after_s": r.get("wall_s"),
            "role": where.get("role"),
            "task": where.get("task"),
            "hosts": len(r.get("failures", [])),
            "reason": r.get("skipped") or r.get("error") or where.get("msg") or r.get("parse_error"),
        }
    if good and "tasks" in good[0]:
        s["tasks"] = good[-1]["tasks"]
        s["changed"] = agg([r["changed"] for r in good])
        for key in ("roles_s", "actions_s"):
            acc: dict[str, list] = {}
            for r in good:
                for k, v in r.get(key, {}).items():
                    acc.setdefault(k, []).append(v)
            s[key] = {k: agg(v) for k, v in acc.items()}
        s["roles_s"] = dict(sorted(s["roles_s"].items(), key=lambda kv: _role_key(kv[0])))
        s["actions_s"] = dict(sorted(s["actions_s"].items(), key=lambda kv: -kv[1]["min"]))
        s["package_tasks_s"] = agg([r["package_tasks_s"] for r in good])
        s["other_task_mean_s"] = agg([r["other_task_mean_s"] for r in good if r.get("other_task_mean_s")])
        s["plays_s"] = agg([r["plays_s"] for r in good])
    elif bad and bad[-1].get("roles_s"):
        # No successful run: still show where the time went until the failure.
        s["roles_s"] = {k: agg([v]) for k, v in bad[-1]["roles_s"].items()}
        s["roles_partial"] = True
        for k in ("package_tasks_s", "other_task_mean_s", "plays_s"):
            if bad[-1].get(k) is not None:
                s[k] = agg([bad[-1][k]])
        s["tasks_until_failure"] = bad[-1].get("tasks")
    if good and "phases_s" in good[0]:
        for key in ("phases_s", "node_max_s"):
            acc = {}
            for r in good:
                for k, v in r.get(key, {}).items():
                    acc.setdefault(k, []).append(v)
            s[key] = {k: agg(v) for k, v in acc.items()}
    return s


def summarize(reps: dict[str, list[dict]]) -> dict:
    """reps: mode -> list of repetitions, each stage name -> run."""
    out = {}
    for mode, mode_reps in reps.items():
        names = sorted({n for r in mode_reps for n in r}, key=_stage_key)
        stages = {n: summarize_stage([r[n] for r in mode_reps if n in r]) for n in names}

        def wmin(n, stages=stages):
            return stages.get(n, {}).get("wall_s", {}).get("min")

        ratios = {}
        for a, b, target in targets():
            key = f"{a} / {b}"
            if wmin(a) and wmin(b):
                val = wmin(a) / wmin(b)
                ratios[key] = {"value": round(val, 3), "target": target, "met": val <= target}
            else:
                ratios[key] = {"value": None, "target": target, "met": None}
        out[mode] = {"stages": stages, "ratios": ratios}
    return out


def _stage_key(name: str):
    kind, _one, workers = name.split("_")
    kinds = ["cold", "rerun", "floor"]
    return (int(workers), kinds.index(kind) if kind in kinds else 9)


def fmt(v, unit=" s"):
    return "—" if v is None else f"{v:.1f}{unit}"


STAGE_LABELS = {
    "cold": "cold 1+{n} (site.yml)",
    "rerun": "re-run 1+{n} (site.yml)",
    "floor": "floor 1+{n} (shell, nodes in parallel)",
}


def _min_table(title: str, label: str, heads: list[str], keys: list[str], columns: list[dict]) -> list[str]:
    """Markdown lines: one row per key, one column per stage, each cell the minimum seconds of that key there."""
    lines = ["", title, "", f"| {label} | " + " | ".join(heads) + " |", "| --- |" + " ---: |" * len(heads)]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(fmt(column.get(key, {}).get("min"), "") for column in columns) + " |")
    return lines


def table(summary: dict, meta: dict) -> str:
    multi = meta["repeat"] > 1
    lines = [
        f"# kubeadm.cluster provisioning benchmark — {meta['date']} on {meta['host']}",
        "",
        f"{meta['cpus']} CPUs, {meta['mem_gib']} GiB, real Kubernetes {KUBE_VERSION} (../shared/kube) from the offline "
        f"mirror, BENCH_REPEAT={meta['repeat']}" + (" (times: min / median)" if multi else " (one run per figure)") + ".",
    ]
    if meta.get("complete") is False:
        lines += ["", "**Incomplete**: the run was stopped part-way; these are the repetitions it finished."]
    for mode, ms in summary.items():
        st = ms["stages"]
        lines += ["", f"## Connection: {mode}", "", "| stage | wall | tasks | changed | ok runs |", "| --- | ---: | ---: | ---: | ---: |"]
        for name, s in st.items():
            kind, _one, n = name.split("_")
            w = s["wall_s"]
            f = s.get("failure")
            failed = ""
            if f:
                failed = "failed"
                failed += f" after {f['after_s']:.0f} s" if f.get("after_s") else ""
                failed += f" in {f['role']}" if f.get("role") else ""
                failed += f" ({' '.join(str(f['reason']).split())[-80:]})" if f.get("reason") and not f.get("role") else ""
            wall = failed if not w else (f"{w['min']:.1f} / {w['median']:.1f} s" if multi else f"{w['min']:.1f} s")
            ch = s.get("changed", {})
            changed = "" if not ch else (f"{ch['min']} / {ch['median']}" if multi else f"{ch['min']}")
            lines.append(f"| {STAGE_LABELS.get(kind, name).format(n=n)} | {wall} | {s.get('tasks', '')} | {changed} | {s['ok_runs']}/{s['runs']} |")
        lines += ["", "| ratio | value | target | |", "| --- | ---: | ---: | --- |"]
        for key, r in ms["ratios"].items():
            mark = "n/a" if r["met"] is None else ("met" if r["met"] else "MISSED")
            val = "—" if r["value"] is None else f"{r['value']:.3f}"
            lines.append(f"| {key} | {val} | ≤ {r['target']:.2f} | {mark} |")
        cols = [n for n, s in st.items() if s.get("roles_s")]
        if cols:
            all_roles = sorted({r for n in cols for r in st[n]["roles_s"]}, key=_role_key)
            heads = [n + (" (until failure)" if st[n].get("roles_partial") else "") for n in cols]
            lines += _min_table(
                "Time per role (s, min; each task billed until the next task starts):", "role", heads, all_roles, [st[n]["roles_s"] for n in cols]
            )
        acols = [n for n in cols if st[n].get("actions_s")]
        if acols:
            kinds = []
            for n in acols:
                kinds += [k for k in list(st[n]["actions_s"])[:8] if k not in kinds]
            lines += _min_table(
                "Time per task kind (module; s, min; the eight largest of each stage):", "module", acols, kinds, [st[n]["actions_s"] for n in acols]
            )
        split = [n for n in cols if st[n].get("package_tasks_s")]
        if split:
            lines += ["", "Where the plays' time goes (s, min): package-manager tasks vs the rest:", ""]
            lines += ["| stage | in plays | apt/dnf tasks | other tasks | mean per other task |", "| --- | ---: | ---: | ---: | ---: |"]
            for n in split:
                p, k = st[n]["plays_s"]["min"], st[n]["package_tasks_s"]["min"]
                mean = st[n].get("other_task_mean_s", {}).get("min")
                ntasks = st[n].get("tasks") or st[n].get("tasks_until_failure")
                lines.append(f"| {n} | {p:.1f} | {k:.1f} | {p - k:.1f} ({ntasks} tasks) | {fmt(mean)} |")
        for n, s in st.items():
            if s.get("phases_s"):
                ph = ", ".join(f"{k} {v['min']:.1f}" for k, v in s["phases_s"].items())
                nm = ", ".join(f"{k} {v['min']:.1f}" for k, v in s.get("node_max_s", {}).items())
                lines += ["", f"{n} phases (s, min): {ph}; slowest node within nodes_prepared: {nm}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "clean":
        clean_all()
        log("removed kb-* bench containers, volumes, mirror and network")
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "parse":  # debugging: summarize a saved playbook JSON log
        print(json.dumps(parse_playbook_json(Path(sys.argv[2])), indent=2))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "report":  # the tables of a saved result, complete or not
        doc = json.loads(Path(sys.argv[2]).read_text())
        print(table(doc["summary"], doc["meta"]), end="")
        return 0
    bad_modes = [m for m in MODES if m not in ("docker", *SSH_MODES)]
    if bad_modes or not MODES:
        log(f"BENCH_MODES must list docker, ssh and/or mitogen, not {os.environ.get('BENCH_MODES')!r}")
        return 2
    missing = [a for a in IMAGE_ARCHIVES if not Path(a).is_file()]
    if missing:
        log(f"image archives missing (run tests/testbed/kube-inputs.sh): {', '.join(missing)}")
        return 1
    # BENCH_ONLY: comma list of stage kinds (cold, floor) or sizes (1_2, 1_10) to run, for development.
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    now = dt.datetime.now()
    meta = {
        "date": now.strftime("%Y-%m-%d %H:%M"),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "repeat": REPEAT,
        "modes": MODES,
        "skip_large": SKIP_10,
        "large_workers": LARGE,
        "only": only,
        "ansible_args": EXTRA_ARGS,
        "ansible_env": {k: v for k, v in os.environ.items() if k.startswith("ANSIBLE_")},
        "kube_version": KUBE_VERSION,
        "git": run(["git", "-C", str(TOP), "rev-parse", "--short", "HEAD"], check=False).stdout.strip(),
    }

    kinds = {o for o in only if o in ("cold", "floor")}
    sizes_only = {o for o in only if o.startswith("1_")}

    def wanted(kind: str, n: int) -> bool:
        return (not kinds or kind in kinds) and (not sizes_only or f"1_{n}" in sizes_only)

    clean_all()
    if set(MODES) & set(SSH_MODES):
        ensure_ssh_image()
    ensure_network_and_mirror()
    reps: dict[str, list[dict]] = {m: [] for m in MODES}
    t_all = time.monotonic()
    sizes = [2] + ([] if SKIP_10 and f"1_{LARGE}" not in sizes_only else [LARGE])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{now.strftime('%Y-%m-%d-%H%M%S')}-{meta['host']}.json"

    def save(done: bool) -> dict:
        # Written after every repetition too (meta.complete false), so a run stopped part-way
        # keeps what it measured; the final write replaces it.
        meta["complete"] = done
        meta["bench_wall_s"] = round(time.monotonic() - t_all, 1)
        summary = summarize(reps)
        out.write_text(json.dumps({"meta": meta, "summary": summary, "runs": reps}, indent=2) + "\n")
        return summary

    try:
        for i in range(REPEAT):
            for mode in MODES:
                tag = f"{now.strftime('%Y%m%d-%H%M%S')}-{mode}-r{i + 1}"
                log(f"{mode}: repetition {i + 1}/{REPEAT}")
                rep = {}
                for n in sizes:
                    if wanted("cold", n):
                        for r in stage_cold(mode, tag, n):
                            rep[r["stage"]] = r
                    if wanted("floor", n):
                        rep[stage_name("floor", n)] = stage_floor(mode, n)
                reps[mode].append(rep)
                save(done=False)
    finally:
        if not KEEP:
            clean_all()
    summary = save(done=True)
    md = table(summary, meta)
    (RESULTS / "latest.md").write_text(md)
    print(md)
    log(f"results: {out.relative_to(TOP)}, bench/results/latest.md (whole benchmark {meta['bench_wall_s']:.0f} s)")
    failed = [f"{m}:{n}" for m, rs in reps.items() for r in rs for n, s in r.items() if not s.get("ok")]
    if failed:
        log(f"stages that failed: {', '.join(sorted(set(failed)))} (logs in bench/.work/logs)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
