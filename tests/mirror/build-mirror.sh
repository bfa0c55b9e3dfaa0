#!/usr/bin/env bash
# Build an offline apt repository laid out like pkgs.k8s.io from a directory of binaries, plus
# a few tiny container image archives. See README.md beside this file for the variables.
#
#   KUBE_BINARIES_DIR=... KUBE_VERSION=1.30.5 tests/mirror/build-mirror.sh
#
# Result (one flat repository per minor, as pkgs.k8s.io serves them):
#   $MIRROR_DIR/core:/stable:/v1.30/deb/{Packages,Packages.gz,Release,Release.gpg,InRelease,Release.key}
#   $MIRROR_DIR/core:/stable:/v1.30/deb/amd64/{kubeadm,kubelet,kubectl,cri-tools,kubernetes-cni}_*.deb
#   $MIRROR_DIR/images/{pause-3.9,coredns-v1.11.1}.tar
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
script="$here/$(basename "$0")"

KUBE_BINARIES_DIR=${KUBE_BINARIES_DIR:-$repo/tests/kube-sim/bin}
KUBE_VERSION=${KUBE_VERSION:-1.30.5}
MIRROR_DIR=${MIRROR_DIR:-$repo/.cache/mirror}
MIRROR_DIR=$(realpath -m "$MIRROR_DIR")
MIRROR_GPG_HOME=${MIRROR_GPG_HOME:-$(dirname "$MIRROR_DIR")/mirror-gnupg}
# Scratch space and downloads, outside the served tree.
MIRROR_WORK_DIR=${MIRROR_WORK_DIR:-$(dirname "$MIRROR_DIR")/mirror-work}
CRI_TOOLS_VERSION=${CRI_TOOLS_VERSION:-1.30.0}
KUBERNETES_CNI_VERSION=${KUBERNETES_CNI_VERSION:-1.4.0}
MIRROR_IMAGES=${MIRROR_IMAGES-registry.k8s.io/pause:3.9 registry.k8s.io/coredns/coredns:v1.11.1}
# Fixed timestamp for everything inside the .debs, so identical inputs give identical files.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
export LC_ALL=C TZ=UTC

log() { printf '[mirror] %s\n' "$*" >&2; }
die() { printf '[mirror] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $KUBE_VERSION =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] ||
  die "KUBE_VERSION must be a full patch version like 1.30.5 (got '$KUBE_VERSION')"
minor="v${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
revision=1.1
arch=$(dpkg --print-architecture)
[ -d "$KUBE_BINARIES_DIR" ] || die "KUBE_BINARIES_DIR $KUBE_BINARIES_DIR does not exist"
KUBE_BINARIES_DIR=$(cd "$KUBE_BINARIES_DIR" && pwd)
for b in kubeadm kubelet kubectl; do
  [ -f "$KUBE_BINARIES_DIR/$b" ] || die "$KUBE_BINARIES_DIR/$b is missing"
done

debroot="$MIRROR_DIR/core:/stable:/$minor/deb"
pooldir="$debroot/$arch"
mkdir -p "$pooldir" "$MIRROR_WORK_DIR"
# One build at a time per work dir (parallel scenarios may all call this script).
exec 9>"$MIRROR_WORK_DIR/.lock"
flock -w 600 9 || die "another build holds $MIRROR_WORK_DIR/.lock"

# ---------------------------------------------------------------- throwaway signing key
gpg_() { gpg --homedir "$MIRROR_GPG_HOME" --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
cleanup() {
  if [ -n "${tmp:-}" ]; then rm -rf "$tmp"; fi
  gpgconf --homedir "$MIRROR_GPG_HOME" --kill gpg-agent >/dev/null 2>&1 || true
}
trap cleanup EXIT
tmp=$(mktemp -d "$MIRROR_WORK_DIR/build.XXXXXX")

if ! gpg_ --list-secret-keys --with-colons 2>/dev/null | grep '^sec' >/dev/null; then
  log "generating throwaway signing key in $MIRROR_GPG_HOME"
  mkdir -p "$MIRROR_GPG_HOME"
  chmod 700 "$MIRROR_GPG_HOME"
  gpg_ --quick-generate-key "kubeadm.cluster test mirror <test-mirror@kubeadm-cluster.invalid>" \
    ed25519 sign never
fi
keyid=$(gpg_ --list-secret-keys --with-colons | awk -F: '$1 == "fpr" { print $10; exit }')

# ---------------------------------------------------------------- inputs and stamp
binaries_digest() {
  # Names and contents of everything in the binaries dir, symlinks followed.
  (cd "$KUBE_BINARIES_DIR" && find -L . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
cni_from_debian=false
[ -d "$KUBE_BINARIES_DIR/cni" ] || cni_from_debian=true

fetch_debian_cni() {
  local deb
  deb=$(find "$MIRROR_WORK_DIR" -maxdepth 1 -name 'containernetworking-plugins_*.deb' | sort | tail -n 1)
  if [ -z "$deb" ]; then
    log "downloading Debian's containernetworking-plugins for kubernetes-cni"
    if ! (cd "$MIRROR_WORK_DIR" && apt-get download -qq containernetworking-plugins) >/dev/null 2>&1; then
      apt-get update -qq >/dev/null
      (cd "$MIRROR_WORK_DIR" && apt-get download -qq containernetworking-plugins) >/dev/null
    fi
    deb=$(find "$MIRROR_WORK_DIR" -maxdepth 1 -name 'containernetworking-plugins_*.deb' | sort | tail -n 1)
  fi
  [ -n "$deb" ] || die "could not download containernetworking-plugins"
  printf '%s\n' "$deb"
}
cni_deb=
$cni_from_debian && cni_deb=$(fetch_debian_cni)

stamp_file="$debroot/.stamp-$KUBE_VERSION"
stamp=$( {
  binaries_digest
  echo "$KUBE_VERSION $revision $arch $CRI_TOOLS_VERSION $KUBERNETES_CNI_VERSION $SOURCE_DATE_EPOCH $keyid"
  [ -z "$cni_deb" ] || sha256sum "$cni_deb" | cut -d' ' -f1
  cat "$script"
} | sha256sum | cut -d' ' -f1)

debs=(
  "kubeadm_${KUBE_VERSION}-${revision}_${arch}.deb"
  "kubelet_${KUBE_VERSION}-${revision}_${arch}.deb"
  "kubectl_${KUBE_VERSION}-${revision}_${arch}.deb"
  "cri-tools_${CRI_TOOLS_VERSION}-${revision}_${arch}.deb"
  "kubernetes-cni_${KUBERNETES_CNI_VERSION}-${revision}_${arch}.deb"
)
up_to_date=true
[ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ] || up_to_date=false
for d in "${debs[@]}"; do [ -f "$pooldir/$d" ] || up_to_date=false; done
for f in Packages Packages.gz Release Release.gpg InRelease Release.key; do
  [ -f "$debroot/$f" ] || up_to_date=false
done

# ---------------------------------------------------------------- packaging helpers
extra_depends() {  # extra_depends PACKAGE -> comma list from package-depends, or nothing
  local f="$KUBE_BINARIES_DIR/package-depends"
  [ -f "$f" ] || return 0
  awk -v pkg="$1" -F: '
    /^[[:space:]]*(#|$)/ { next }
    { name = $1; gsub(/[[:space:]]/, "", name) }
    name == pkg { sub(/^[^:]*:[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); if ($0 != "") out = out (out ? ", " : "") $0 }
    END { print out }' "$f"
}

install_bin() {  # install_bin SRC DEST [VERSION]: copy dereferencing symlinks; in scripts
  # (#! first) replace @KUBE_VERSION@ with VERSION (default KUBE_VERSION). ELF files untouched.
  local src=$1 dest=$2 version=${3:-$KUBE_VERSION}
  mkdir -p "$(dirname "$dest")"
  cp -L "$src" "$dest"
  if [ "$(head -c 2 "$dest")" = '#!' ]; then
    sed -i "s/@KUBE_VERSION@/$version/g" "$dest"
  fi
  chmod 0755 "$dest"
}

build_deb() {  # build_deb NAME VERSION DEPENDS DESCRIPTION ROOTDIR
  local name=$1 version=$2 depends=$3 description=$4 root=$5 extra size out
  extra=$(extra_depends "$name")
  if [ -n "$extra" ]; then depends=${depends:+$depends, }$extra; fi
  size=$(find "$root" -path "$root/DEBIAN" -prune -o -type f -printf '%s\n' |
    awk '{ s += $1 } END { printf "%d\n", (s + 1023) / 1024 }')
  mkdir -p "$root/DEBIAN"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: Kubernetes Authors <dev@kubernetes.io>"
    echo "Installed-Size: $size"
    [ -z "$depends" ] || echo "Depends: $depends"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: https://kubernetes.io"
    echo "Description: $description"
  } > "$root/DEBIAN/control"
  # Configuration files under /etc are conffiles, as in any Debian package.
  if [ -d "$root/etc" ]; then
    (cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
    [ -s "$root/DEBIAN/conffiles" ] || rm -f "$root/DEBIAN/conffiles"
  fi
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  out="$tmp/${name}_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$out" >/dev/null
  # Replace only when the content differs, so an unchanged package keeps its bytes and mtime.
  if ! cmp -s "$out" "$pooldir/$(basename "$out")"; then
    mv "$out" "$pooldir/$(basename "$out")"
    log "built $(basename "$out")"
  fi
}

build_packages() {
  local r
  # kubeadm: the binary and the systemd drop-in that wires the kubelet to kubeadm's files.
  r="$tmp/kubeadm"
  install_bin "$KUBE_BINARIES_DIR/kubeadm" "$r/usr/bin/kubeadm"
  mkdir -p "$r/usr/lib/systemd/system/kubelet.service.d"
  cat > "$r/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf" <<'EOF'
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# Written by "kubeadm init" and "kubeadm join": sets KUBELET_KUBEADM_ARGS.
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# Last-resort overrides of the kubelet flags (KUBELET_EXTRA_ARGS); prefer
# nodeRegistration.kubeletExtraArgs in the kubeadm configuration.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
EOF
  chmod 0644 "$r/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
  build_deb kubeadm "$KUBE_VERSION-$revision" "cri-tools (>= $CRI_TOOLS_VERSION)" \
    "Command-line utility for administering a Kubernetes cluster" "$r"

  # kubelet: the binary, its unit (not enabled: kubeadm's flow enables it) and the static pod dir.
  r="$tmp/kubelet"
  install_bin "$KUBE_BINARIES_DIR/kubelet" "$r/usr/bin/kubelet"
  mkdir -p "$r/usr/lib/systemd/system" "$r/etc/kubernetes/manifests"
  cat > "$r/usr/lib/systemd/system/kubelet.service" <<'EOF'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
  chmod 0644 "$r/usr/lib/systemd/system/kubelet.service"
  build_deb kubelet "$KUBE_VERSION-$revision" \
    "iptables (>= 1.4.21), kubernetes-cni (>= 1.2.0), iproute2, socat, util-linux, mount, ebtables, ethtool, conntrack" \
    "Node agent for Kubernetes clusters" "$r"

  r="$tmp/kubectl"
  install_bin "$KUBE_BINARIES_DIR/kubectl" "$r/usr/bin/kubectl"
  build_deb kubectl "$KUBE_VERSION-$revision" "" \
    "Command-line utility for interacting with a Kubernetes cluster" "$r"

  r="$tmp/cri-tools"
  if [ -f "$KUBE_BINARIES_DIR/crictl" ]; then
    # cri-tools and kubernetes-cni are versioned on their own and shared by every patch
    # release of the minor: their content must not depend on KUBE_VERSION, or each build
    # would replace them with different bytes under the same version.
    install_bin "$KUBE_BINARIES_DIR/crictl" "$r/usr/bin/crictl" "$CRI_TOOLS_VERSION"
  else
    log "WARNING: no crictl in $KUBE_BINARIES_DIR: cri-tools gets a stub that fails when run"
    mkdir -p "$r/usr/bin"
    printf '#!/bin/sh\necho "crictl: stub from the kubeadm.cluster test mirror (no crictl in KUBE_BINARIES_DIR)" >&2\nexit 1\n' \
      > "$r/usr/bin/crictl"
    chmod 0755 "$r/usr/bin/crictl"
  fi
  build_deb cri-tools "$CRI_TOOLS_VERSION-$revision" "" \
    "Command-line utility for interacting with a container runtime" "$r"

  r="$tmp/kubernetes-cni"
  mkdir -p "$r/opt/cni/bin"
  if $cni_from_debian; then
    mkdir -p "$tmp/cni-extract"
    dpkg-deb -x "$cni_deb" "$tmp/cni-extract"
    local f
    for f in "$tmp/cni-extract"/usr/lib/cni/*; do
      [ -f "$f" ] && install_bin "$f" "$r/opt/cni/bin/$(basename "$f")" "$KUBERNETES_CNI_VERSION"
    done
  else
    local f
    for f in "$KUBE_BINARIES_DIR"/cni/*; do
      [ -f "$f" ] && install_bin "$f" "$r/opt/cni/bin/$(basename "$f")" "$KUBERNETES_CNI_VERSION"
    done
  fi
  build_deb kubernetes-cni "$KUBERNETES_CNI_VERSION-$revision" "" \
    "Binaries required to provision kubernetes container networking" "$r"
}

# ---------------------------------------------------------------- indices
sort_stanzas() {  # deterministic order: by Package, then Version, then Filename
  python3 -c '
import sys
text = sys.stdin.read().strip()
stanzas = [s for s in text.split("\n\n") if s.strip()]
def key(s):
    f = dict(l.split(": ", 1) for l in s.splitlines() if ": " in l and not l.startswith(" "))
    return (f.get("Package", ""), f.get("Version", ""), f.get("Filename", ""))
sys.stdout.write("".join(s.strip() + "\n\n" for s in sorted(stanzas, key=key)))
'
}

build_indices() {
  local idx="$tmp/index" label="isv:kubernetes:core:stable:$minor"
  mkdir -p "$idx"
  (cd "$debroot" && apt-ftparchive packages "$arch") | sort_stanzas > "$idx/Packages"
  gzip -9n < "$idx/Packages" > "$idx/Packages.gz"
  gpg_ --armor --export "$keyid" > "$idx/Release.key"
  if cmp -s "$idx/Packages" "$debroot/Packages" && cmp -s "$idx/Release.key" "$debroot/Release.key" &&
     [ -f "$debroot/InRelease" ] && [ -f "$debroot/Release.gpg" ] &&
     gpg_ --verify "$debroot/InRelease" >/dev/null 2>&1 &&
     gpg_ --verify "$debroot/Release.gpg" "$debroot/Release" >/dev/null 2>&1; then
    log "indices of $minor unchanged"
    return 0
  fi
  (cd "$idx" && apt-ftparchive \
    -o "APT::FTPArchive::Release::Origin=obs://build.opensuse.org/isv:kubernetes:core:stable:$minor/deb" \
    -o "APT::FTPArchive::Release::Label=$label" \
    -o "APT::FTPArchive::Release::Architectures=$arch" \
    -o "APT::FTPArchive::Release::Description=Kubernetes $minor packages (offline test mirror of kubeadm.cluster)" \
    release .) > "$tmp/Release"
  mv "$tmp/Release" "$idx/Release"
  gpg_ --local-user "$keyid" --digest-algo SHA256 --clearsign -o "$idx/InRelease" "$idx/Release"
  gpg_ --local-user "$keyid" --digest-algo SHA256 --armor --detach-sign -o "$idx/Release.gpg" "$idx/Release"
  # Indices first, signatures last, so a reader never sees a signature over a missing file.
  local f
  for f in Packages Packages.gz Release.key Release Release.gpg InRelease; do
    mv -f "$idx/$f" "$debroot/$f"
  done
  log "signed indices of $minor ($(grep -c '^Package:' "$debroot/Packages") packages)"
}

# ---------------------------------------------------------------- container image archives
build_images() {
  local images_dir="$MIRROR_DIR/images" ref name tag file existed rootfs
  mkdir -p "$images_dir"
  for ref in $MIRROR_IMAGES; do
    name=${ref##*/}; tag=${name##*:}; name=${name%%:*}
    file="$images_dir/$name-$tag.tar"
    [ -s "$file" ] && continue
    if ! docker info >/dev/null 2>&1; then
      "$repo/tests/testbed/ensure-engine.sh"
    fi
    existed=false
    docker image inspect "$ref" >/dev/null 2>&1 && existed=true
    if ! $existed; then
      rootfs="$tmp/image-$name"
      mkdir -p "$rootfs"
      printf 'placeholder %s for the kubeadm.cluster offline test mirror\n' "$ref" > "$rootfs/$name"
      touch -d "@$SOURCE_DATE_EPOCH" "$rootfs/$name"
      tar --sort=name --owner=0 --group=0 --numeric-owner -C "$rootfs" -c "$name" |
        docker import -c "CMD [\"/$name\"]" - "$ref" >/dev/null
    fi
    docker save -o "$file.tmp" "$ref"
    mv "$file.tmp" "$file"
    $existed || docker rmi "$ref" >/dev/null
    log "saved $ref to images/$(basename "$file")"
  done
}

if $up_to_date; then
  log "$KUBE_VERSION packages are up to date in $debroot"
else
  log "building $KUBE_VERSION ($minor) from $KUBE_BINARIES_DIR"
  build_packages
fi
build_indices
build_images
printf '%s\n' "$stamp" > "$stamp_file"
log "done: $debroot"
