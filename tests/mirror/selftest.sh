#!/usr/bin/env bash
# End-to-end check of the offline mirror: build it, serve it, install kubeadm/kubelet/kubectl
# in a test-bed node the way pkgs.k8s.io users do, and show that a tampered repository is
# refused. Cleans up every container, volume and network it creates. Exits non-zero on failure.
#   tests/mirror/selftest.sh
# Environment: KUBE_BINARIES_DIR (default: tests/kube-sim/bin when it holds kubeadm, else a
# temporary fake), SELFTEST_MIRROR_DIR (default <repo>/.cache/mirror-selftest).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
start_time=$SECONDS
id=$$
net="kubeadm-mirror-selftest-$id"
server="kubeadm-mirror-selftest-$id"
bad_server="kubeadm-mirror-tampered-$id"
node="kubeadm-mirror-node-$id"
export MIRROR_DIR=${SELFTEST_MIRROR_DIR:-$repo/.cache/mirror-selftest}
failures=()
scratch=$(mktemp -d /tmp/kubeadm-mirror-selftest.XXXXXX)
ctr_pid=

log() { printf '[selftest] %s\n' "$*" >&2; }
pass() { log "ok: $*"; }
fail() { log "FAIL: $*"; failures+=("$*"); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
in_node() { docker exec "$node" bash -c "$1"; }

cleanup() {
  set +e
  [ -z "$ctr_pid" ] || { kill "$ctr_pid"; wait "$ctr_pid"; } 2>/dev/null
  docker rm -f "$node" "$server" "$bad_server" >/dev/null 2>&1
  docker volume rm "$node-var" >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  rm -rf "$scratch"
}
trap cleanup EXIT

"$repo/tests/testbed/ensure-engine.sh"
"$repo/tests/testbed/build-images.sh" bookworm

# ------------------------------------------------------------------ binaries
fake=false
if [ -z "${KUBE_BINARIES_DIR:-}" ]; then
  if [ -f "$repo/tests/kube-sim/bin/kubeadm" ]; then
    KUBE_BINARIES_DIR="$repo/tests/kube-sim/bin"
  else
    fake=true
    KUBE_BINARIES_DIR="$scratch/bin"
    mkdir -p "$KUBE_BINARIES_DIR"
    for b in kubeadm kubelet kubectl crictl; do
      printf '#!/bin/sh\necho "%s fake v@KUBE_VERSION@"\n' "$b" > "$KUBE_BINARIES_DIR/$b"
      chmod 0755 "$KUBE_BINARIES_DIR/$b"
    done
    echo 'kubeadm: python3' > "$KUBE_BINARIES_DIR/package-depends"
  fi
fi
export KUBE_BINARIES_DIR
log "binaries from $KUBE_BINARIES_DIR (fake: $fake); mirror in $MIRROR_DIR"

# ------------------------------------------------------------------ build
t=$SECONDS
KUBE_VERSION=1.30.5 "$here/build-mirror.sh"
log "build 1.30.5: $((SECONDS - t)) s"
deb="$MIRROR_DIR/core:/stable:/v1.30/deb"
before=$(cd "$deb" && sha256sum InRelease Packages amd64/*.deb)
t=$SECONDS
out=$(KUBE_VERSION=1.30.5 "$here/build-mirror.sh" 2>&1)
after=$(cd "$deb" && sha256sum InRelease Packages amd64/*.deb)
check "second build of the same inputs is skipped ($((SECONDS - t)) s)" grep -q 'up to date' <<<"$out"
check "second build leaves the same content" test "$before" = "$after"
rm -f "$deb/.stamp-1.30.5"
t=$SECONDS
KUBE_VERSION=1.30.5 "$here/build-mirror.sh" 2>/dev/null
after=$(cd "$deb" && sha256sum InRelease Packages amd64/*.deb)
check "forced rebuild (stamp removed) gives identical files ($((SECONDS - t)) s)" test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2 || true
check "no key material in the served tree" \
  test -z "$(find "$MIRROR_DIR" \( -name '*.kbx' -o -name '*.key' -path '*private*' -o -name 'trustdb.gpg' \) -print)"
KUBE_VERSION=1.30.6 "$here/build-mirror.sh" 2>/dev/null
KUBE_VERSION=1.31.1 "$here/build-mirror.sh" 2>/dev/null
check "1.30.5 and 1.30.6 side by side in v1.30" \
  test "$(grep -c '^Package: kubeadm$' "$deb/Packages")" -ge 2
check "v1.31 repository exists" test -f "$MIRROR_DIR/core:/stable:/v1.31/deb/InRelease"
check "Release.key is an armored public key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$deb/Release.key"
for img in pause-3.9 coredns-v1.11.1; do
  check "image archive $img.tar exists" test -s "$MIRROR_DIR/images/$img.tar"
done

# Import the image archives into a throwaway containerd (own root, state and socket).
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
  mkdir -p "$scratch/ctrd"
  containerd --root "$scratch/ctrd/root" --state "$scratch/ctrd/state" \
    --address "$scratch/ctrd/sock" >"$scratch/ctrd/log" 2>&1 &
  ctr_pid=$!
  for _ in $(seq 1 20); do [ -S "$scratch/ctrd/sock" ] && break; sleep 0.5; done
  for img in pause-3.9 coredns-v1.11.1; do
    check "ctr -n k8s.io images import $img.tar" \
      ctr --address "$scratch/ctrd/sock" -n k8s.io images import "$MIRROR_DIR/images/$img.tar" >/dev/null
  done
  names=$(ctr --address "$scratch/ctrd/sock" -n k8s.io images ls -q)
  check "containerd knows registry.k8s.io/pause:3.9" grep -qx 'registry.k8s.io/pause:3.9' <<<"$names"
  check "containerd knows registry.k8s.io/coredns/coredns:v1.11.1" \
    grep -qx 'registry.k8s.io/coredns/coredns:v1.11.1' <<<"$names"
  kill "$ctr_pid"; wait "$ctr_pid" 2>/dev/null || true; ctr_pid=
else
  log "skipped: containerd/ctr not on this host, image archives not import-tested"
fi

# ------------------------------------------------------------------ serve and install
t=$SECONDS
MIRROR_CONTAINER=$server "$here/serve.sh" start "$net"
url=$(MIRROR_CONTAINER=$server "$here/serve.sh" url)
"$repo/tests/testbed/run-node.sh" "$node" "$net" >/dev/null
log "server + node up: $((SECONDS - t)) s"

t=$SECONDS
if in_node "set -e
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL '$url/core:/stable:/v1.30/deb/Release.key' -o /etc/apt/keyrings/kubernetes-apt-keyring.asc
  echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] $url/core:/stable:/v1.30/deb/ /' \
    > /etc/apt/sources.list.d/kubernetes.list
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    kubeadm=1.30.5-1.1 kubelet=1.30.5-1.1 kubectl=1.30.5-1.1 >/dev/null"; then
  pass "apt-get install kubeadm=1.30.5-1.1 kubelet=1.30.5-1.1 kubectl=1.30.5-1.1 ($((SECONDS - t)) s)"
else
  fail "apt-get install from the mirror"
fi

check "/usr/bin/kubeadm installed" in_node 'test -x /usr/bin/kubeadm'
check "/usr/bin/kubelet and /usr/bin/kubectl installed" in_node 'test -x /usr/bin/kubelet && test -x /usr/bin/kubectl'
check "kubelet.service installed" in_node 'test -f /usr/lib/systemd/system/kubelet.service'
check "kubeadm drop-in installed" in_node 'grep -q KUBELET_KUBEADM_ARGS /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf'
check "systemd sees the drop-in" in_node 'systemctl cat kubelet | grep 10-kubeadm.conf >/dev/null'
check "kubelet.service is not enabled by the package" in_node '! systemctl is-enabled -q kubelet'
check "/etc/kubernetes/manifests exists" in_node 'test -d /etc/kubernetes/manifests'
check "/opt/cni/bin/bridge installed" in_node 'test -x /opt/cni/bin/bridge'
check "/usr/bin/crictl installed" in_node 'test -x /usr/bin/crictl'
# shellcheck disable=SC2016  # expanded inside the node
check "installed versions are 1.30.5-1.1" in_node \
  'test "$(dpkg-query -W -f "\${Version} " kubeadm kubelet kubectl)" = "1.30.5-1.1 1.30.5-1.1 1.30.5-1.1 "'
check "apt sees 1.30.6 as the candidate" in_node \
  'apt-cache policy kubeadm | grep "Candidate: 1.30.6-1.1" >/dev/null'
if $fake; then
  check "@KUBE_VERSION@ filled in scripts" in_node '/usr/bin/kubeadm | grep "v1.30.5" >/dev/null'
fi

# ------------------------------------------------------------------ tampered repositories
# Two copies of the v1.30 repository served by a second container:
#   sig/:  Release and InRelease edited after signing  -> signature check must fail
#   hash/: Packages(.gz) edited, signed Release intact  -> hash check must fail
bad="$scratch/tampered"
for kind in sig hash; do
  mkdir -p "$bad/$kind/core:/stable:/v1.30"
  cp -a "$deb" "$bad/$kind/core:/stable:/v1.30/"
done
b="$bad/sig/core:/stable:/v1.30/deb"
sed -i 's/^Label: .*/Label: tampered/' "$b/InRelease" "$b/Release"
b="$bad/hash/core:/stable:/v1.30/deb"
sed -i 's/^Description: Command-line utility for administering.*/Description: tampered kubeadm/' "$b/Packages"
gzip -9n < "$b/Packages" > "$b/Packages.gz"
chmod -R a+rX "$bad"
MIRROR_DIR=$bad MIRROR_CONTAINER=$bad_server "$here/serve.sh" start "$net"

tamper_case() {  # tamper_case KIND EXPECTED-ERROR-REGEX
  local kind=$1 pattern=$2 output
  output=$(in_node "
    mkdir -p /etc/apt/empty.d
    echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] http://$bad_server/$kind/core:/stable:/v1.30/deb/ /' \
      > /etc/apt/tampered-$kind.list
    apt-get update -o Dir::Etc::SourceList=/etc/apt/tampered-$kind.list \
      -o Dir::Etc::SourceParts=/etc/apt/empty.d 2>&1
    echo \"apt-get-rc=\$?\"") || true
  if grep -q '^apt-get-rc=0$' <<<"$output"; then
    fail "apt-get update accepted the $kind-tampered repository"
    printf '%s\n' "$output" | tail -n 8 >&2
  elif grep -Eq "$pattern" <<<"$output"; then
    pass "apt-get update refuses the $kind-tampered repository: $(grep -Em1 "$pattern" <<<"$output")"
  else
    fail "apt-get update failed on the $kind-tampered repository, but not with /$pattern/"
    printf '%s\n' "$output" | tail -n 8 >&2
  fi
  check "no package list of the $kind-tampered repository was kept" in_node \
    "! ls /var/lib/apt/lists/ | grep '${bad_server}_${kind}_.*Packages' >/dev/null"
}
tamper_case sig 'BADSIG|signatures were invalid|is not signed'
tamper_case hash 'Hash Sum mismatch|unexpected size'

# ------------------------------------------------------------------ result
log "total: $((SECONDS - start_time)) s"
if [ ${#failures[@]} -gt 0 ]; then
  log "${#failures[@]} check(s) failed:"
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
log "all checks passed"
