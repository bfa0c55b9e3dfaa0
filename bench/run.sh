#!/usr/bin/env bash
# Provisioning benchmark of site.yml against the bare-minimum shell "floor", on the local Docker
# test bed with the offline mirror. `make bench` runs this. See bench/README.md.
#   BENCH_REPEAT=N   repetitions (default 1); min and median are reported when N > 1
#   BENCH_SKIP_10=1  skip the cold 1 + 10 workers run
#   BENCH_KEEP=1     keep the containers (and mirror, network) of the last stage afterwards
#   bench/run.sh clean   remove everything the benchmark created (kb-* containers, volumes, network)
#   bench/run.sh parse LOG.json   summarise one saved site.yml log of bench/.work/logs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
py=$top/.venv/bin/python
[ -x "$py" ] || { echo "[bench] $py missing: run 'make setup' first" >&2; exit 1; }

case "${1:-}" in clean|parse) ;; *)
  "$top/tests/testbed/build-images.sh" bookworm
  if [ ! -f "${KUBE_BINARIES_DIR:-$top/tests/kube-sim/bin}/kubeadm" ]; then
    echo "[bench] no kubeadm in ${KUBE_BINARIES_DIR:-$top/tests/kube-sim/bin}: the mirror cannot be built" >&2
    exit 1
  fi
  "$top/tests/mirror/build-mirror.sh" ;;
esac
exec "$py" "$here/lib/bench.py" "$@"
