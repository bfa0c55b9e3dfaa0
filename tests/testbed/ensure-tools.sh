#!/usr/bin/env bash
# Install the host tools the test bed needs (Debian packages): the Docker engine, debootstrap for
# the node images, and the packaging tools the offline mirror is built with. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for pair in dockerd:docker.io debootstrap:debootstrap dpkg-scanpackages:dpkg-dev apt-ftparchive:apt-utils \
    gpg:gnupg rsync:rsync xz:xz-utils curl:curl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  printf '[testbed] installing %s\n' "${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
"$(dirname "$0")/ensure-engine.sh"
