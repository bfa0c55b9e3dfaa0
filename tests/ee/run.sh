#!/usr/bin/env bash
# The execution environment test: build an EE image on this machine from this checkout's collection
# tarball, installed offline next to the `ansible` package (execution-environment.yml here), and
# bring a demo cluster (1 control plane + 1 worker, nodes ke-*: the worker's join runs the
# collection's join module inside the image; KUBEADM_DEMO_WORKERS=N for more) to Ready with the
# collection's site playbook run inside that image. Nothing reaches a registry or Galaxy: the base image is
# built from the test bed's debootstrapped Debian 13 (base.Containerfile), pip reaches PyPI.
#   tests/ee/run.sh                       build (cached layers are reused), run, remove the nodes
#   KUBEADM_EE_KEEP=1 tests/ee/run.sh     keep the nodes (KUBEADM_DEMO_NAME=ke tests/testbed/demo.sh down)
#   KUBEADM_EE_NO_CACHE=1 tests/ee/run.sh build both images without docker's layer cache
# KUBEADM_TESTBED_KUBE=real|sim is read as by tests/testbed/demo.sh. ansible-galaxy and
# ansible-builder come from PATH (`make ee` puts the pinned ones of .venv first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$top/.cache/ee
base_image=local/kubeadm-ee-base:latest
image=${KUBEADM_EE_IMAGE:-local/kubeadm-cluster-ee:test}
name=ke
export KUBEADM_DEMO_NAME=$name
no_cache=()
[ -z "${KUBEADM_EE_NO_CACHE:-}" ] || no_cache=(--no-cache)

log() { printf '[ee] %s\n' "$*" >&2; }
started=$SECONDS
elapsed() { echo "$((SECONDS - started)) s"; }

# The collection tarball, as `ansible-galaxy collection build` makes it for Galaxy, under the
# fixed name the test definition installs from.
collection_tarball() {
  rm -rf "$work/dist"
  ansible-galaxy collection build --output-path "$work/dist" "$top" >/dev/null
  cp "$work/dist"/kubeadm-cluster-*.tar.gz "$work/kubeadm-cluster.tar.gz"
}

# What ansible-builder reads from the tarball's meta/execution-environment.yml: the system
# packages, and PyYAML, which it leaves out since ansible-core brings it.
check_introspect() {
  local coll=$work/introspect/ansible_collections/kubeadm/cluster out
  rm -rf "$work/introspect"
  mkdir -p "$coll"
  tar -xzf "$work/kubeadm-cluster.tar.gz" -C "$coll"
  out=$(ansible-builder introspect -v 3 "$work/introspect" 2>&1)
  printf '%s\n' "$out" | sed -n '/^system:/,$p;/PyYAML/p' >&2
  grep -q "openssh-client \[platform:dpkg\]  # from collection kubeadm.cluster" <<<"$out"
  grep -q "Excluding requirement 'PyYAML' from 'kubeadm.cluster'" <<<"$out"
}

build_base_image() {
  rm -rf "$work/base"
  mkdir -p "$work/base/ca"
  cp "$here/base.Containerfile" "$here/ee-apt-get" "$work/base/"
  # The machine's own certificate authorities, if any (this machine reaches PyPI through a
  # TLS-inspecting proxy); the build copies nothing else of the host's pip settings, whose
  # constraints and find-links name files that do not exist inside a container.
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$work/base/ca/" \; 2>/dev/null || true
  docker build -q "${no_cache[@]}" -t "$base_image" -f "$work/base/base.Containerfile" "$work/base" >/dev/null
}

build_ee() {
  ansible-builder build --container-runtime docker "${no_cache[@]}" \
    -f "$here/execution-environment.yml" -c "$work/context" -t "$image" -v 3 > "$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    log "ansible-builder build failed; the whole log is $work/build.log"
    exit 1
  }
}

# The collection comes from the image (/usr/share/ansible/collections), community.docker from
# the ansible package, and nothing is configured: no ansible.cfg, no collections path.
check_image() {
  docker run --rm "$image" sh -c '
    ansible-playbook --version | grep -F "config file = None"
    ansible-galaxy collection list kubeadm.cluster 2>/dev/null | grep -E "^# |kubeadm"
    ansible-galaxy collection list community.docker 2>/dev/null | grep -E "^# |community"
    command -v ssh' >&2
}

cleanup() {
  local rc=$?
  if [ -z "${KUBEADM_EE_KEEP:-}" ]; then
    "$top/tests/testbed/demo.sh" down >/dev/null 2>&1 || true
  fi
  log "total $(elapsed), exit $rc"
}
for tool in ansible-galaxy ansible-builder; do
  command -v "$tool" >/dev/null || { log "$tool is not on PATH: run make ee, or make setup and put .venv/bin first"; exit 2; }
done

mkdir -p "$work"
trap cleanup EXIT
"$top/tests/testbed/ensure-tools.sh"
"$top/tests/testbed/build-images.sh" trixie
# Every node container's systemd, containerd and kubelet take inotify instances (TESTBED.md).
if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt 1024 ]; then
  log "raising fs.inotify.max_user_instances to 1024 for the node containers"
  sysctl -q -w fs.inotify.max_user_instances=1024 || log "could not raise fs.inotify.max_user_instances"
fi

collection_tarball
check_introspect
log "collection tarball and introspection ready after $(elapsed)"
build_base_image
log "base image $base_image ready after $(elapsed)"
build_ee
check_image
log "execution environment $image ready after $(elapsed)"

KUBEADM_DEMO_WORKERS=${KUBEADM_DEMO_WORKERS:-1} KUBEADM_DEMO_RUNNER=ee:$image "$top/tests/testbed/demo.sh"
log "site playbook done after $(elapsed)"

nodes=$(docker exec "$name-cp1" kubectl get nodes --no-headers)
printf '%s\n' "$nodes"
expected=$(docker ps --filter "label=kubeadm-demo=$name" --format '{{.Names}}' | grep -c -E "^$name-(cp|worker)[0-9]+$")
ready=$(awk '$2 == "Ready"' <<<"$nodes" | wc -l)
if [ "$ready" -ne "$expected" ]; then
  log "$ready of $expected nodes Ready"
  exit 1
fi
log "all $expected nodes Ready, through the execution environment $image"
