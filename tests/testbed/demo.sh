#!/usr/bin/env bash
# `make demo`: a local cluster of systemd containers (1 control plane + KUBEADM_DEMO_WORKERS
# workers, default 2) built by site.yml, like kind but with our roles. With internet it uses
# pkgs.k8s.io and the real registries; without, it says so and uses the offline mirror.
#   KUBEADM_DEMO_WORKERS=3 make demo      more workers
#   KUBEADM_TESTBED_KUBE_SOURCE=DIR make demo   real Kubernetes from DIR (laid out like ../shared/kube)
#   tests/testbed/demo.sh down            remove the demo containers
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
network=kubeadm-demo
workers=${KUBEADM_DEMO_WORKERS:-2}
inv=$top/.cache/demo/inventory

nodes() { docker ps -a --filter label=kubeadm-demo --format '{{.Names}}'; }

if [ "${1:-up}" = down ]; then
  for n in $(nodes); do docker rm -f "$n" >/dev/null; docker volume rm "$n-var" >/dev/null 2>&1 || true; done
  "$top/tests/mirror/serve.sh" stop >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  echo "demo removed"
  exit 0
fi

"$here/ensure-tools.sh"
"$here/build-images.sh" bookworm
docker network inspect "$network" >/dev/null 2>&1 || docker network create --label kubeadm-demo "$network" >/dev/null

rm -rf "$inv/group_vars"
mkdir -p "$inv/group_vars/all"
if curl -fsS -m 5 -o /dev/null https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key 2>/dev/null; then
  echo "[demo] pkgs.k8s.io answers: installing the real Kubernetes packages"
  cp "$here/offline/group_vars/all/container.yml" "$inv/group_vars/all/"
else
  # Offline: real Kubernetes from a folder laid out like ../shared/kube (binaries and image
  # archives), else the simulator. The group_vars read the same KUBEADM_TESTBED_KUBE.
  if [ -z "${KUBEADM_TESTBED_KUBE:-}" ]; then
    if "$here/kube-inputs.sh"; then KUBEADM_TESTBED_KUBE=real; else KUBEADM_TESTBED_KUBE=sim; fi
  fi
  export KUBEADM_TESTBED_KUBE
  if [ "$KUBEADM_TESTBED_KUBE" = real ]; then
    echo "[demo] pkgs.k8s.io cannot be reached: installing real Kubernetes from .cache/kube through the offline mirror" >&2
  else
    cat >&2 <<MSG
[demo] pkgs.k8s.io cannot be reached from this machine and there are no real Kubernetes binaries and
[demo] images (a folder laid out like ../shared/kube, named by KUBEADM_TESTBED_KUBE_SOURCE), so the
[demo] demo uses the offline mirror built from tests/kube-sim: a SIMULATOR of kubeadm/kubelet/kubectl,
[demo] not real Kubernetes. To use your own mirror instead, set kube_packages_repo_base_url
[demo] (see README.md, Air-gapped).
MSG
  fi
  "$here/prepare-kube.sh"
  "$top/tests/mirror/serve.sh" start "$network" >/dev/null
  cp "$here/offline/group_vars/all/container.yml" "$here/offline/group_vars/all/offline.yml" "$inv/group_vars/all/"
fi

names=(kd-cp1)
for i in $(seq 1 "$workers"); do names+=("kd-worker$i"); done
for n in "${names[@]}"; do
  docker inspect "$n" >/dev/null 2>&1 || KUBEADM_TESTBED_LABEL=kubeadm-demo "$here/run-node.sh" "$n" "$network"
done

{
  echo "---"
  echo "all:"
  echo "  vars: {ansible_connection: community.docker.docker}"
  echo "  children:"
  echo "    control_plane: {hosts: {kd-cp1: {}}}"
  echo "    workers:"
  echo "      hosts:"
  for n in "${names[@]:1}"; do echo "        $n: {}"; done
} > "$inv/hosts.yml"
# The offline settings give a regular user a kubeconfig, as a user would ask for.
docker exec kd-cp1 sh -c 'id kube >/dev/null 2>&1 || useradd --create-home --shell /bin/bash kube'

cd "$top"
ansible-playbook site.yml -i "$inv"
echo
echo "[demo] the cluster is up: docker exec kd-cp1 kubectl get nodes"
echo "[demo] remove it with: tests/testbed/demo.sh down"
