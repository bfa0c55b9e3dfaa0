#!/usr/bin/env bash
# Unpack the real Kubernetes test inputs (../shared/kube: binaries and image archives, see its
# README) into the ignored .cache/kube, checking their SHA256SUMS. Skipped when up to date.
#   usage: kube-inputs.sh            exit 0: unpacked; exit 3: no source (the caller falls back)
# KUBEADM_TESTBED_KUBE_SOURCE names another folder laid out like ../shared/kube.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
source_dir=${KUBEADM_TESTBED_KUBE_SOURCE:-$top/../shared/kube}
dest=${KUBEADM_TESTBED_KUBE_DIR:-$top/.cache/kube}

log() { printf '[testbed] %s\n' "$*" >&2; }

if [ ! -f "$source_dir/SHA256SUMS" ]; then
  log "no real Kubernetes inputs at $source_dir (KUBEADM_TESTBED_KUBE_SOURCE)"
  exit 3
fi
stamp=$(sha256sum "$source_dir/SHA256SUMS" | cut -d' ' -f1)
if [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
log "unpacking real Kubernetes from $source_dir into $dest"
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$source_dir/." "$dest/"
chmod -R u+w "$dest"
find "$dest" -name '*.xz' -exec xz -d -T2 {} +
(cd "$dest" && sha256sum --quiet -c SHA256SUMS)
chmod 0755 "$dest"/v*/bin/*
# A later patch label ships no crictl of its own: package the one of the same minor with it.
for bin in "$dest"/v*/bin; do
  if [ ! -e "$bin/crictl" ]; then
    crictl=$(find "$dest" -path '*/bin/crictl' | sort | sed -n 1p)
    [ -z "$crictl" ] || cp "$crictl" "$bin/crictl"
  fi
done
printf '%s\n' "$stamp" > "$dest/.stamp"
log "real Kubernetes inputs ready: $(find "$dest" -mindepth 1 -maxdepth 1 -name 'v*' -printf '%f ' | sort)"
