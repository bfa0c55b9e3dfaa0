#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io when the daemon is missing and
# start dockerd in the background when nothing listens. Bounded wait, idempotent.
set -euo pipefail

log() { printf '[testbed] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

log "starting dockerd"
nohup dockerd >/var/log/kubeadm-testbed-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "docker engine is up"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/kubeadm-testbed-dockerd.log"
exit 1
