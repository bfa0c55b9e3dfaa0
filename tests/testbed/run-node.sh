#!/usr/bin/env bash
# Start one test-bed node container: run-node.sh NAME [NETWORK] [IMAGE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=node-options.sh
. "$here/node-options.sh"
name=$1 network=${2:-bridge} image=${3:-local/bookworm-systemd:latest}
mapfile -t opts < <(kubeadm_testbed_node_options "$name")
docker run -d --name "$name" --hostname "$name" --network "$network" --label "${KUBEADM_TESTBED_LABEL:-kubeadm-testbed}" "${opts[@]}" "$image" >/dev/null
for _ in $(seq 1 30); do
  state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) echo "$name: $state"; exit 0 ;; esac
  sleep 1
done
echo "$name: systemd did not come up (state: ${state:-none})" >&2
exit 1
