#!/usr/bin/env bash
# Serve the offline mirror over HTTP to node containers on a docker network.
#   serve.sh start [NETWORK]   run (or keep) the server container on NETWORK, wait until it answers
#   serve.sh stop              remove the server container
#   serve.sh url               print the base URL nodes use (http://<container name>)
# Environment: MIRROR_DIR (default <repo>/.cache/mirror), MIRROR_NETWORK (default kubeadm-test),
# MIRROR_CONTAINER (default kubeadm-mirror), MIRROR_SERVER_IMAGE (default local/bookworm-systemd:latest).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
MIRROR_DIR=${MIRROR_DIR:-$repo/.cache/mirror}
MIRROR_CONTAINER=${MIRROR_CONTAINER:-kubeadm-mirror}
MIRROR_SERVER_IMAGE=${MIRROR_SERVER_IMAGE:-local/bookworm-systemd:latest}
cmd=${1:-}
network=${2:-${MIRROR_NETWORK:-kubeadm-test}}

log() { printf '[mirror] %s\n' "$*" >&2; }

answers() {
  docker exec "$MIRROR_CONTAINER" curl -fsS -o /dev/null --max-time 2 \
    'http://127.0.0.1/core:/stable:/' >/dev/null 2>&1 ||
  docker exec "$MIRROR_CONTAINER" curl -fsS -o /dev/null --max-time 2 'http://127.0.0.1/' >/dev/null 2>&1
}

start() {
  [ -d "$MIRROR_DIR" ] || { log "MIRROR_DIR $MIRROR_DIR does not exist: run build-mirror.sh first"; exit 1; }
  local dir mounted running
  dir=$(cd "$MIRROR_DIR" && pwd)
  docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null
  running=$(docker inspect -f '{{.State.Running}}' "$MIRROR_CONTAINER" 2>/dev/null || true)
  mounted=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/srv/mirror"}}{{.Source}}{{end}}{{end}}' \
    "$MIRROR_CONTAINER" 2>/dev/null || true)
  if [ "$running" = true ] && [ "$mounted" = "$dir" ] && answers; then
    # Healthy and serving the same tree: keep it, just make sure it is on this network too.
    if ! docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$MIRROR_CONTAINER" |
        tr ' ' '\n' | grep -xF "$network" >/dev/null; then
      docker network connect "$network" "$MIRROR_CONTAINER"
    fi
  else
    [ -z "$running" ] || docker rm -f "$MIRROR_CONTAINER" >/dev/null
    docker run -d --name "$MIRROR_CONTAINER" --hostname "$MIRROR_CONTAINER" --network "$network" \
      --label kubeadm.cluster.mirror=true \
      -v "$dir:/srv/mirror:ro" --workdir /srv/mirror \
      "$MIRROR_SERVER_IMAGE" python3 -m http.server 80 --bind 0.0.0.0 --directory /srv/mirror >/dev/null
  fi
  for _ in $(seq 1 30); do
    if answers; then
      log "$MIRROR_CONTAINER serves $dir on network $network as http://$MIRROR_CONTAINER"
      return 0
    fi
    if [ "$(docker inspect -f '{{.State.Running}}' "$MIRROR_CONTAINER" 2>/dev/null)" != true ]; then
      break
    fi
    sleep 0.5
  done
  log "$MIRROR_CONTAINER did not answer; its log:"
  docker logs --tail 20 "$MIRROR_CONTAINER" >&2 || true
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) docker rm -f "$MIRROR_CONTAINER" >/dev/null 2>&1 || true ;;
  url) printf 'http://%s\n' "$MIRROR_CONTAINER" ;;
  *) echo "usage: $0 start [NETWORK] | stop | url" >&2; exit 2 ;;
esac
