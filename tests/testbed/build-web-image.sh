#!/usr/bin/env bash
# Build, without a registry, the tiny web server image the verify role's smoke workload can run
# offline (verify_smoke_image: local.test/kubeadm-smoke-web:1): Debian's busybox-static, serving
# /www/index.html with `busybox httpd` on port 80. Saved as a docker archive that
# `ctr -n k8s.io images import` (containerd 1.6+) accepts, e.g. through the containerd role's
# containerd_image_archives_copy. Skipped when the archive was built from the same inputs
# (the script, the image name and the busybox-static version), as recorded in a stamp file.
#   usage: build-web-image.sh OUT_DIR      -> OUT_DIR/kubeadm-smoke-web.tar
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: $(basename "$0") OUT_DIR"
[ $# -eq 1 ] || { printf '%s\n' "$usage" >&2; exit 2; }
out_dir=$1
image=${KUBEADM_SMOKE_WEB_IMAGE:-local.test/kubeadm-smoke-web:1}
archive=$out_dir/kubeadm-smoke-web.tar
stamp=$out_dir/kubeadm-smoke-web.stamp
page='kubeadm.cluster smoke test'

log() { printf '[testbed] %s\n' "$*" >&2; }

candidate() { apt-cache policy busybox-static 2>/dev/null | awk '/Candidate:/ { print $2 }'; }

version=$(candidate)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  log "refreshing the apt lists to find busybox-static"
  apt-get update -qq
  version=$(candidate)
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  log "no busybox-static package in the configured apt sources"
  exit 1
fi

inputs_hash=$( { cat "$0"; printf '%s\n' "$image" "$version" "$page"; } | sha256sum | cut -c1-16)
if [ -s "$archive" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs_hash" ]; then
  log "$archive is up to date ($image, busybox-static $version)"
  exit 0
fi

"$here/ensure-engine.sh"
mkdir -p "$out_dir"
work=$(mktemp -d /var/tmp/kubeadm-smoke-web.XXXXXX)
trap 'rm -rf "$work"' EXIT
# apt-get download drops privileges to _apt, which must be able to write here.
chmod 0755 "$work"
chown _apt "$work" 2>/dev/null || true

log "downloading busybox-static $version"
(cd "$work" && apt-get download -qq "busybox-static=$version")
dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"

root=$work/root
install -d -m 0755 "$root/bin" "$root/www"
install -m 0755 "$work/deb/bin/busybox" "$root/bin/busybox"
printf '<!DOCTYPE html>\n<html><body><h1>%s</h1></body></html>\n' "$page" > "$root/www/index.html"
chmod 0644 "$root/www/index.html"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . | docker import \
  -c 'CMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]' \
  -c 'EXPOSE 80' \
  -c "LABEL kubeadm.testbed.hash=$inputs_hash" \
  - "$image" >/dev/null

docker save -o "$work/image.tar" "$image"
# containerd's importer reads the docker archive through its manifest.json. grep reads all of
# tar's output: with -q it would stop at the match, tar would die of SIGPIPE, and pipefail would
# fail the check at random.
if ! tar -tf "$work/image.tar" | grep -x 'manifest.json' >/dev/null; then
  log "docker save wrote no manifest.json; ctr images import would refuse $work/image.tar"
  exit 1
fi
chmod 0644 "$work/image.tar"
mv -f "$work/image.tar" "$archive"
printf '%s\n' "$inputs_hash" > "$stamp"
log "saved $image to $archive"
