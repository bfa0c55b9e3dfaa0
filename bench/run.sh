#!/usr/bin/env bash
# Provisioning benchmark of site.yml on real Kubernetes against a shell "floor", on the local
# Docker test bed with the offline mirror, over docker exec and over SSH. `make bench` runs this.
# See bench/README.md.
#   BENCH_REPEAT=N       repetitions (default 1); min and median are reported when N > 1
#   BENCH_MODES=LIST     connection modes: docker, ssh, mitogen (SSH + Mitogen) (default docker,ssh)
#   BENCH_SKIP_10=1      skip the 1 + 10 stages (cold, re-run, floor)
#   BENCH_KEEP=1         keep the containers (and mirror, network) of the last stage afterwards
#   bench/run.sh clean   remove everything the benchmark created (kb-* containers, volumes, network)
#   bench/run.sh parse LOG.json   summarise one saved site.yml log of bench/.work/logs
#   bench/run.sh report RESULT.json   the tables of a saved result (also one a stopped run left)
# Node containers start here: on a shared machine run it under the test bed's lock, e.g.
#   flock /tmp/kubeadm-molecule.lock bench/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
py=$top/.venv/bin/python
[ -x "$py" ] || { echo "[bench] $py missing: run 'make setup' first" >&2; exit 1; }

case "${1:-}" in clean|parse|report) ;; *)
  "$top/tests/testbed/build-images.sh" bookworm
  # The real v1.28.4 binaries and image archives of ../shared/kube, unpacked into .cache/kube,
  # and the offline mirror built from them: what the molecule scenarios use.
  rc=0
  "$top/tests/testbed/kube-inputs.sh" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "[bench] the benchmark needs the real Kubernetes inputs: ../shared/kube (or KUBEADM_TESTBED_KUBE_SOURCE)" >&2
    exit 1
  fi
  KUBEADM_TESTBED_KUBE=real "$top/tests/testbed/prepare-kube.sh"
  # Every node container's systemd, containerd and kubelet take inotify instances from the host's
  # per-user limit (128 on Debian): with 11 nodes the kubelets die at start ("too many open
  # files") and kubeadm join times out, for site.yml and the floor alike. Raise it, as kind does.
  if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt 1024 ]; then
    echo "[bench] raising fs.inotify.max_user_instances to 1024 for the node containers" >&2
    sysctl -q -w fs.inotify.max_user_instances=1024 ||
      echo "[bench] could not raise fs.inotify.max_user_instances (not root?): the 1 + 10 joins may fail" >&2
  fi
  # Mitogen, only when asked for, beside the venv rather than in it.
  case ",${BENCH_MODES:-}," in *,mitogen,*)
    [ -d "$here/.work/mitogen/ansible_mitogen" ] ||
      "$top/.venv/bin/pip" install -q --target "$here/.work/mitogen" "mitogen==${BENCH_MITOGEN_VERSION:-0.3.54}" ;;
  esac ;;
esac
exec "$py" "$here/lib/bench.py" "$@"
