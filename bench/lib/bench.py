"""Provisioning benchmark: site.yml on the Docker test bed against a shell "floor".

Stages per repetition (see bench/README.md):
  cold_1_2   fresh 1 control plane + 2 workers, site.yml
  rerun      site.yml again on the same hosts (changed must be 0)
  floor      fresh 1 + 1, the same package installs, kubeadm init and join by docker exec
  cold_1_10  fresh 1 + 10, site.yml (skipped with BENCH_SKIP_10=1)

Standard library only; run with the project venv's python (bench/run.sh does).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
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

PREFIX = "kb-"
LABEL = "kb-bench"  # every node container carries it (run-node.sh --label)
NETWORK = "kb-net"
MIRROR = "kb-mirror"
MIRROR_URL = f"http://{MIRROR}"

KUBE_VERSION = os.environ.get("KUBE_VERSION", "1.30.5")
KUBE_MINOR = "v" + ".".join(KUBE_VERSION.split(".")[:2])
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "1") or 1))
SKIP_10 = os.environ.get("BENCH_SKIP_10", "") not in ("", "0")
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")
# The floor joins one worker (one kubeadm join), as specified; 2 makes it the same node count as cold_1_2.
FLOOR_WORKERS = max(1, int(os.environ.get("BENCH_FLOOR_WORKERS", "1") or 1))
# Extra ansible-playbook arguments, for experiments (e.g. "-e some_var=value"); recorded in the results.
EXTRA_ARGS = shlex.split(os.environ.get("BENCH_ANSIBLE_ARGS", ""))
PLAYBOOK_TIMEOUT = int(os.environ.get("BENCH_PLAYBOOK_TIMEOUT", "900"))
# Roles in site.yml order, for stable tables.
ROLE_ORDER = ["preflight", "node_prep", "containerd", "kube_packages", "control_plane", "cni", "worker", "verify"]
TARGETS = {
    "cold_1_2 / floor": 1.25,
    "rerun / cold_1_2": 0.15,
    "cold_1_10 / cold_1_2": 1.30,
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(args, check=True, capture=True, timeout=None, env=None, input_=None) -> subprocess.CompletedProcess:
    res = subprocess.run(args, capture_output=capture, text=True, timeout=timeout, env=env, input=input_, check=False)
    if check and res.returncode != 0:
        err = (res.stderr or "").strip()[-2000:] if capture else ""
        raise RuntimeError(f"{shlex.join(map(str, args))} exited {res.returncode}: {err}")
    return res


# --------------------------------------------------------------------------- test bed
def our_containers() -> list[str]:
    out = run(["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", "{{.Names}}"]).stdout.split()
    return [n for n in out if n.startswith(PREFIX)]


def remove_nodes(names) -> None:
    names = [n for n in names if n.startswith(PREFIX)]  # never anything but ours
    if not names:
        return
    run(["docker", "rm", "-f", "-v", *names], check=False)
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


def ensure_network_and_mirror() -> None:
    if run(["docker", "network", "inspect", NETWORK], check=False).returncode != 0:
        run(["docker", "network", "create", "--label", LABEL, NETWORK])
    env = dict(os.environ, MIRROR_CONTAINER=MIRROR)
    run([str(TOP / "tests/mirror/serve.sh"), "start", NETWORK], env=env)


def start_nodes(names: list[str]) -> float:
    """Start fresh node containers in parallel; return seconds taken (not part of any measure)."""
    remove_nodes(names)
    t0 = time.monotonic()
    env = dict(os.environ, KUBEADM_TESTBED_LABEL=LABEL)

    def one(name):
        return run([str(TESTBED / "run-node.sh"), name, NETWORK], env=env, check=False)

    # A few at a time: 11 systemd boots at once on 2 cores only slow each other down.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, names))
    bad = [(n, r.stderr.strip()) for n, r in zip(names, results) if r.returncode != 0]
    if bad:
        raise RuntimeError(f"nodes did not start: {bad}")
    return time.monotonic() - t0


def quiesce(seconds: float = 3.0) -> None:
    """Let freshly booted containers settle so boot work is not billed to the next stage."""
    time.sleep(seconds)


# --------------------------------------------------------------------------- site.yml runs
def write_inventory(stage: str, cp: str, workers: list[str]) -> Path:
    inv = WORK / "inventory" / stage
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    lines = [
        "---",
        "all:",
        "  vars: {ansible_connection: community.docker.docker}",
        "  children:",
        f"    control_plane: {{hosts: {{{cp}: {{}}}}}}",
        "    workers:",
        "      hosts:",
        *[f"        {w}: {{}}" for w in workers],
    ]
    (inv / "hosts.yml").write_text("\n".join(lines) + "\n")
    parts = [(TESTBED / "offline/group_vars/all" / name).read_text() for name in ("container.yml", "offline.yml")]
    offline = parts[0] + parts[1].removeprefix("---\n")
    offline = re.sub(r"(?m)^kube_packages_repo_base_url:.*$", f"kube_packages_repo_base_url: {MIRROR_URL}", offline)
    if "KUBE_VERSION" in os.environ:
        offline += f'\nkube_packages_version: "{KUBE_VERSION}"\n'
    (inv / "group_vars" / "all.yml").write_text(offline)
    return inv


def prepare_cp_user(cp: str) -> None:
    # The offline settings give user "kube" a kubeconfig; the user must exist (as in demo.sh).
    run(["docker", "exec", cp, "sh", "-c", "id kube >/dev/null 2>&1 || useradd --create-home --shell /bin/bash kube"])


def run_site(stage: str, inv: Path, tag: str) -> dict:
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
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
    )
    cmd = [str(VENV_BIN / "ansible-playbook"), "site.yml", "-i", str(inv), *EXTRA_ARGS]
    log(f"{stage}: {shlex.join(cmd)}  (log: {out_path.relative_to(TOP)})")
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
    summary = parse_playbook_json(out_path)
    summary.update(stage=stage, rc=rc, wall_s=round(wall, 2), timed_out=timed_out, log=str(out_path.relative_to(TOP)))
    ok = rc == 0 and not timed_out
    summary["ok"] = ok
    log(f"{stage}: {'ok' if ok else 'FAILED'} in {wall:.1f} s, tasks={summary.get('tasks')}, changed={summary.get('changed')}, failed={summary.get('failed')}")
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
        "slowest_tasks": [{"s": round(s, 2), "role": r, "task": n} for s, r, n in slowest[:10]],
        "changed_tasks": changed_tasks[:50],
        "failures": failures[:20],
    }


def _role_key(role: str):
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), role)


# --------------------------------------------------------------------------- the floor
FLOOR_PACKAGES = f"""set -eu
export DEBIAN_FRONTEND=noninteractive
base={MIRROR_URL}/core:/stable:/{KUBE_MINOR}/deb/
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "${{base}}Release.key" -o /etc/apt/keyrings/kubernetes-apt-keyring.asc
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] $base /" > /etc/apt/sources.list.d/kubernetes.list
apt-get update -qq
apt-get install -y -qq --no-install-recommends containerd runc \\
  kubeadm={KUBE_VERSION}-1.1 kubelet={KUBE_VERSION}-1.1 kubectl={KUBE_VERSION}-1.1 >/dev/null
apt-mark hold kubeadm kubelet kubectl >/dev/null
mkdir -p /etc/containerd
cat > /etc/containerd/config.toml <<'TOML'
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
TOML
systemctl restart containerd
systemctl enable --now kubelet 2>/dev/null || systemctl enable kubelet
"""

FLOOR_KUBEADM_CONFIG = f"""apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
  ignorePreflightErrors: [SystemVerification]
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v{KUBE_VERSION}
networking:
  podSubnet: 10.244.0.0/16
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
"""

FLOOR_JOIN_DATA = """set -eu
token=$(kubeadm token create)
hash=$(openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed 's/^.* //')
echo "$token sha256:$hash"
"""

FLOOR_JOIN = """set -eu
kubeadm join "$1:6443" --token "$2" --discovery-token-ca-cert-hash "$3" \\
  --cri-socket unix:///run/containerd/containerd.sock --ignore-preflight-errors=SystemVerification \\
  >/root/kubeadm-join.log 2>&1 || { tail -n 30 /root/kubeadm-join.log >&2; exit 1; }
"""


def dexec(node: str, script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return run(["docker", "exec", "-i", node, "bash", "-s", "--", *args], input_=script, timeout=timeout)


def run_floor(tag: str, cp: str, workers: list[str]) -> dict:
    nodes = [cp, *workers]
    phases = {}
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        list(pool.map(lambda n: dexec(n, FLOOR_PACKAGES), nodes))
    phases["packages"] = time.monotonic() - t0
    t = time.monotonic()
    dexec(cp, FLOOR_INIT)
    phases["kubeadm_init"] = time.monotonic() - t
    t = time.monotonic()
    token, ca_hash = dexec(cp, FLOOR_JOIN_DATA).stdout.split()
    phases["join_token"] = time.monotonic() - t
    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        list(pool.map(lambda w: dexec(w, FLOOR_JOIN, cp, token, ca_hash), workers))
    phases["kubeadm_join"] = time.monotonic() - t
    wall = time.monotonic() - t0
    # Not timed: the floor must have built a cluster, or its time means nothing.
    names = dexec(cp, "kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o name").stdout.split()
    if len(names) != len(nodes):
        raise RuntimeError(f"floor cluster has nodes {names}, expected {len(nodes)}")
    res = {
        "stage": "floor",
        "ok": True,
        "wall_s": round(wall, 2),
        "nodes": len(nodes),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
    }
    log(f"floor: ok in {wall:.1f} s " + ", ".join(f"{k}={v:.1f}" for k, v in phases.items()))
    return res


# --------------------------------------------------------------------------- stages
def stage_cold(tag: str, n_workers: int, rerun: bool) -> list[dict]:
    stage = f"cold_1_{n_workers}"
    cp = f"{PREFIX}cp1"
    workers = [f"{PREFIX}w{i}" for i in range(1, n_workers + 1)]
    log(f"{stage}: starting {1 + n_workers} fresh nodes")
    boot = start_nodes([cp, *workers])
    prepare_cp_user(cp)
    inv = write_inventory(stage, cp, workers)
    quiesce()
    log(f"{stage}: nodes up in {boot:.1f} s (not measured)")
    out = [run_site(stage, inv, f"{tag}-{stage}")]
    if rerun:
        if out[0]["ok"]:
            out.append(run_site("rerun", inv, f"{tag}-rerun"))
            for c in out[-1].get("changed_tasks", [])[:10]:
                log(f"  rerun changed: {c['host']}: {c['role']} / {c['task']}")
        else:
            out.append({"stage": "rerun", "ok": False, "skipped": "cold run failed"})
    if not KEEP:
        remove_nodes([cp, *workers])
    return out


def stage_floor(tag: str) -> dict:
    cp = f"{PREFIX}floor-cp"
    workers = [f"{PREFIX}floor-w{i}" for i in range(1, FLOOR_WORKERS + 1)]
    log(f"floor: starting {1 + FLOOR_WORKERS} fresh nodes")
    start_nodes([cp, *workers])
    quiesce()
    try:
        return run_floor(tag, cp, workers)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        log(f"floor: FAILED: {exc}")
        return {"stage": "floor", "ok": False, "error": str(exc)[-2000:]}
    finally:
        if not KEEP:
            remove_nodes([cp, *workers])


# --------------------------------------------------------------------------- report
def agg(values: list[float]) -> dict:
    if not values:
        return {}
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2), "n": len(values)}


def summarize(reps: list[dict]) -> dict:
    stages: dict[str, dict] = {}
    names = ["floor", "cold_1_2", "rerun", "cold_1_10"]
    for name in names:
        runs = [r[name] for r in reps if name in r]
        good = [r for r in runs if r.get("ok")]
        if not runs:
            continue
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
            roles = {}
            for r in good:
                for k, v in r.get("roles_s", {}).items():
                    roles.setdefault(k, []).append(v)
            s["roles_s"] = {k: agg(v) for k, v in sorted(roles.items(), key=lambda kv: _role_key(kv[0]))}
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
            phases = {}
            for r in good:
                for k, v in r["phases_s"].items():
                    phases.setdefault(k, []).append(v)
            s["phases_s"] = {k: agg(v) for k, v in phases.items()}
        stages[name] = s

    def wmin(n):
        return stages.get(n, {}).get("wall_s", {}).get("min")

    ratios = {}
    for key, target in TARGETS.items():
        a, b = key.split(" / ")
        if wmin(a) and wmin(b):
            val = wmin(a) / wmin(b)
            ratios[key] = {"value": round(val, 3), "target": target, "met": val <= target}
        else:
            ratios[key] = {"value": None, "target": target, "met": None}
    return {"stages": stages, "ratios": ratios}


def fmt(v, unit=" s"):
    return "—" if v is None else f"{v:.1f}{unit}"


def table(summary: dict, meta: dict) -> str:
    st = summary["stages"]
    multi = meta["repeat"] > 1
    lines = [
        f"# kubeadm.cluster provisioning benchmark — {meta['date']} on {meta['host']}",
        "",
        f"{meta['cpus']} CPUs, {meta['mem_gib']} GiB, Kubernetes packages {KUBE_VERSION} from the offline mirror, "
        f"BENCH_REPEAT={meta['repeat']}" + (" (times: min / median)" if multi else "") + ".",
        "",
        "| stage | wall | tasks | changed | ok runs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        "floor": f"floor (shell: packages, init, join; 1+{FLOOR_WORKERS})",
        "cold_1_2": "cold 1+2 (site.yml)",
        "rerun": "re-run 1+2 (site.yml)",
        "cold_1_10": "cold 1+10 (site.yml)",
    }
    for name in ["floor", "cold_1_2", "rerun", "cold_1_10"]:
        if name not in st:
            continue
        s = st[name]
        w = s["wall_s"]
        f = s.get("failure")
        failed = ""
        if f:
            failed = "skipped" if f.get("after_s") is None and not f.get("role") else "failed"
            failed += f" after {f['after_s']:.0f} s" if f.get("after_s") else ""
            failed += f" in {f['role']}" if f.get("role") else ""
            failed += f" ({f['reason'][:60]})" if f.get("reason") and not f.get("role") else ""
        wall = failed if not w else (f"{w['min']:.1f} / {w['median']:.1f} s" if multi else f"{w['min']:.1f} s")
        ch = s.get("changed", {})
        changed = "" if not ch else (f"{ch['min']} / {ch['median']}" if multi else f"{ch['min']}")
        lines.append(f"| {labels[name]} | {wall} | {s.get('tasks', '')} | {changed} | {s['ok_runs']}/{s['runs']} |")
    lines += ["", "| ratio | value | target | |", "| --- | ---: | ---: | --- |"]
    for key, r in summary["ratios"].items():
        mark = "n/a" if r["met"] is None else ("met" if r["met"] else "MISSED")
        val = "—" if r["value"] is None else f"{r['value']:.2f}"
        lines.append(f"| {key} | {val} | ≤ {r['target']:.2f} | {mark} |")
    roles_by_stage = {n: st[n].get("roles_s", {}) for n in ("cold_1_2", "rerun", "cold_1_10") if n in st}
    if any(roles_by_stage.values()):
        cols = [n for n in roles_by_stage if roles_by_stage[n]]
        all_roles = sorted({r for n in cols for r in roles_by_stage[n]}, key=_role_key)
        lines += ["", "Time per role (s, min; each task billed until the next task starts):", ""]
        heads = [n + (" (until failure)" if st[n].get("roles_partial") else "") for n in cols]
        lines.append("| role | " + " | ".join(heads) + " |")
        lines.append("| --- |" + " ---: |" * len(cols))
        for role in all_roles:
            vals = [roles_by_stage[n].get(role, {}).get("min") for n in cols]
            lines.append(f"| {role} | " + " | ".join(fmt(v, "") for v in vals) + " |")
    split = [n for n in cols if st[n].get("package_tasks_s")] if any(roles_by_stage.values()) else []
    if split:
        lines += ["", "Where the plays' time goes (s, min): package-manager tasks vs the rest:", ""]
        lines += ["| stage | in plays | apt/dnf tasks | other tasks | mean per other task |", "| --- | ---: | ---: | ---: | ---: |"]
        for n in split:
            p, k = st[n]["plays_s"]["min"], st[n]["package_tasks_s"]["min"]
            mean = st[n].get("other_task_mean_s", {}).get("min")
            ntasks = st[n].get("tasks") or st[n].get("tasks_until_failure")
            lines.append(f"| {n} | {p:.1f} | {k:.1f} | {p - k:.1f} ({ntasks} tasks) | {fmt(mean)} |")
    if "floor" in st and st["floor"].get("phases_s"):
        ph = st["floor"]["phases_s"]
        lines += ["", "Floor phases (s, min): " + ", ".join(f"{k} {v['min']:.1f}" for k, v in ph.items())]
    return "\n".join(lines) + "\n"


def maybe_chart(summary: dict, path: Path) -> None:
    try:
        import matplotlib  # noqa: PLC0415 - optional, only if the venv happens to have it

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except Exception:  # noqa: BLE001 - no matplotlib: no chart, silently
        return
    st = summary["stages"]
    names = [n for n in ("floor", "cold_1_2", "rerun", "cold_1_10") if st.get(n, {}).get("wall_s")]
    vals = [st[n]["wall_s"]["min"] for n in names]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(names, vals)
    ax.set_ylabel("wall time (s)")
    ax.set_title("kubeadm.cluster provisioning")
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "clean":
        clean_all()
        log("removed kb-* bench containers, volumes, mirror and network")
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "parse":  # debugging: summarize a saved playbook JSON log
        print(json.dumps(parse_playbook_json(Path(sys.argv[2])), indent=2))
        return 0
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]  # floor,cold_1_2,cold_1_10
    now = dt.datetime.now()
    meta = {
        "date": now.strftime("%Y-%m-%d %H:%M"),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "repeat": REPEAT,
        "skip_10": SKIP_10,
        "floor_workers": FLOOR_WORKERS,
        "ansible_args": EXTRA_ARGS,
        "ansible_env": {k: v for k, v in os.environ.items() if k.startswith("ANSIBLE_")},
        "kube_version": KUBE_VERSION,
        "git": run(["git", "-C", str(TOP), "rev-parse", "--short", "HEAD"], check=False).stdout.strip(),
    }
    clean_all()
    ensure_network_and_mirror()
    reps = []
    t_all = time.monotonic()
    try:
        for i in range(REPEAT):
            tag = f"{now.strftime('%Y%m%d-%H%M%S')}-r{i + 1}"
            log(f"repetition {i + 1}/{REPEAT}")
            rep = {}
            if not only or "cold_1_2" in only:
                for r in stage_cold(tag, 2, rerun=True):
                    rep[r["stage"]] = r
            if not only or "floor" in only:
                rep["floor"] = stage_floor(tag)
            if (not only and not SKIP_10) or "cold_1_10" in only:
                rep["cold_1_10"] = stage_cold(tag, 10, rerun=False)[0]
            reps.append(rep)
    finally:
        if not KEEP:
            clean_all()
    meta["bench_wall_s"] = round(time.monotonic() - t_all, 1)
    summary = summarize(reps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "summary": summary, "runs": reps}
    out = RESULTS / f"{now.strftime('%Y-%m-%d-%H%M%S')}-{meta['host']}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    md = table(summary, meta)
    (RESULTS / "latest.md").write_text(md)
    maybe_chart(summary, RESULTS / "latest.png")
    print(md)
    log(f"results: {out.relative_to(TOP)}, bench/results/latest.md (whole benchmark {meta['bench_wall_s']:.0f} s)")
    failed = [n for r in reps for n, s in r.items() if not s.get("ok")]
    if failed:
        log(f"stages that failed: {', '.join(sorted(set(failed)))} (logs in bench/.work/logs)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
