#!/usr/bin/env bash
# Build the local systemd node images the molecule scenarios and the demo run on, with
# debootstrap + docker import, since no registry can be reached. A build is skipped when an
# image built from the same inputs exists already.
#   usage: build-images.sh [suite ...]     (default: bookworm; `make images` builds bookworm and trixie)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mirror=${KUBEADM_TESTBED_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,kmod,curl,gnupg,sudo,bash-completion
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm)

log() { printf '[testbed] %s\n' "$*" >&2; }

"$here/ensure-engine.sh"
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

inputs_hash=$( { cat "$0" "$here/node-entrypoint.sh" "$here/pod_dns_relay.py"; echo "$packages $mirror"; } | sha256sum | cut -c1-16)

build_one() {
  local suite=$1 image="local/$1-systemd:latest" rootfs
  if [ "$(docker image inspect -f '{{ index .Config.Labels "kubeadm.testbed.hash" }}' "$image" 2>/dev/null)" = "$inputs_hash" ]; then
    log "$image is up to date"
    return 0
  fi
  rootfs=$(mktemp -d /var/tmp/kubeadm-testbed-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  log "debootstrapping $suite (about a minute)"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    return 1
  fi
  rm -f "$rootfs.log"
  cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
  install -m 0755 "$here/node-entrypoint.sh" "$rootfs/usr/local/sbin/node-entrypoint"
  # Pods cannot reach Docker's DNS at 127.0.0.11 (their own address there): a relay on the node's
  # address, and the resolv.conf the kubelet gives pods (see pod_dns_relay.py).
  install -D -m 0644 "$here/pod_dns_relay.py" "$rootfs/usr/local/lib/kubeadm-testbed/pod_dns_relay.py"
  cat > "$rootfs/etc/systemd/system/kubeadm-testbed-dns-relay.service" <<'UNIT'
[Unit]
Description=Relay the DNS queries of pods to Docker's embedded DNS (kubeadm.cluster test bed)
Before=kubelet.service
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/bin/python3 /usr/local/lib/kubeadm-testbed/pod_dns_relay.py
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
UNIT
  mkdir -p "$rootfs/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/kubeadm-testbed-dns-relay.service \
    "$rootfs/etc/systemd/system/multi-user.target.wants/kubeadm-testbed-dns-relay.service"
  # Units that make no sense in a container and slow down or break boot.
  for unit in getty.target console-getty.service systemd-firstboot.service \
      systemd-udevd.service systemd-modules-load.service sys-kernel-config.mount \
      apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  # An empty machine ID makes systemd give each node container its own at first boot. dbus's
  # copy made during debootstrap would be taken instead and make every node the same machine
  # (which preflight refuses, as for cloned machines): point it at systemd's, as Debian does.
  : > "$rootfs/etc/machine-id"
  ln -sf /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/usr/local/sbin/node-entrypoint"]' \
    -c "LABEL kubeadm.testbed.hash=$inputs_hash" \
    - "$image" >/dev/null
  log "built $image"
}

for suite in "${suites[@]}"; do
  build_one "$suite"
done
