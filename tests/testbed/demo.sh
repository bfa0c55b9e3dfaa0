#!/usr/bin/env bash
# `make demo`: a local cluster of systemd containers (1 control plane + KUBEADM_DEMO_WORKERS
# workers, default 2) built by site.yml, like kind but with our roles. With internet it uses
# pkgs.k8s.io and the real registries; without, it says so and uses the offline mirror.
#   KUBEADM_DEMO_WORKERS=3 make demo      more workers
#   KUBEADM_TESTBED_KUBE_SOURCE=DIR make demo   real Kubernetes from DIR (laid out like ../shared/kube)
#   tests/testbed/demo.sh down            remove the demo containers
# Each demo has its own node names, network and package mirror container (not the molecule
# scenarios' kubeadm-mirror), so that another can run next to it (tests/ee/run.sh does this).
#   KUBEADM_DEMO_NAME=ke                  nodes ke-cp1, ke-worker1, ... (default kd)
#   KUBEADM_DEMO_RUNNER=ee:IMAGE          run site.yml of the collection installed in the execution
#                                         environment IMAGE instead of this checkout's (default venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=${KUBEADM_DEMO_NAME:-kd}
runner=${KUBEADM_DEMO_RUNNER:-venv}
workers=${KUBEADM_DEMO_WORKERS:-2}
demo_dir=$top/.cache/demo/$name
inv=$demo_dir/inventory
network=kubeadm-demo-$name
export MIRROR_CONTAINER=$name-mirror

nodes() { docker ps -a --filter "label=kubeadm-demo=$name" --format '{{.Names}}'; }

if [ "${1:-up}" = down ]; then
  for n in $(nodes); do docker rm -f "$n" >/dev/null; docker volume rm "$n-var" >/dev/null 2>&1 || true; done
  "$top/tests/mirror/serve.sh" stop >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  echo "demo removed"
  exit 0
fi
case "$runner" in
  venv | ee:?*) ;;
  *) echo "KUBEADM_DEMO_RUNNER must be venv or ee:IMAGE, not '$runner'" >&2; exit 2 ;;
esac

"$here/ensure-tools.sh"
"$here/build-images.sh" bookworm
docker network inspect "$network" >/dev/null 2>&1 || docker network create --label "kubeadm-demo=$name" "$network" >/dev/null

rm -rf "$inv/group_vars"
mkdir -p "$inv/group_vars/all"
extra=()
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
  # offline.yml names the molecule scenarios' mirror; this demo's is its own.
  extra+=(-e "kube_packages_repo_base_url=http://$MIRROR_CONTAINER")
fi

names=("$name-cp1")
for i in $(seq 1 "$workers"); do names+=("$name-worker$i"); done
for n in "${names[@]}"; do
  docker inspect "$n" >/dev/null 2>&1 || KUBEADM_TESTBED_LABEL="kubeadm-demo=$name" "$here/run-node.sh" "$n" "$network"
done

{
  echo "---"
  echo "all:"
  echo "  vars: {ansible_connection: community.docker.docker}"
  echo "  children:"
  echo "    control_plane: {hosts: {${names[0]}: {}}}"
  echo "    workers:"
  echo "      hosts:"
  for n in "${names[@]:1}"; do echo "        $n: {}"; done
} > "$inv/hosts.yml"
# The offline settings give a regular user a kubeconfig, as a user would ask for.
docker exec "${names[0]}" sh -c 'id kube >/dev/null 2>&1 || useradd --create-home --shell /bin/bash kube'

# site.yml of the collection in an execution environment: nothing of this checkout but the
# inventory and the test bed's input files, mounted under /testbed (standing for this checkout;
# the group_vars name them relative to the playbooks, which are the image's here), and the
# docker CLI and socket for the nodes' docker connection. No network: the nodes are reached through the socket. Of this
# checkout's ansible.cfg, only two settings are given, as environment: pipelining and a quiet
# interpreter discovery.
run_in_ee() {
  local image=$1 dir mounts=()
  for dir in .cache/kube/images .cache/testbed-images .cache/mirror/images tests/fixtures; do
    [ ! -d "$top/$dir" ] || mounts+=(-v "$top/$dir:/testbed/$dir:ro")
  done
  if [ -e "$inv/group_vars/all/offline.yml" ]; then
    cat > "$demo_dir/ee-vars.yml" <<'VARS'
---
containerd_image_archives_copy: >-
  {{ (testbed_real_archives if testbed_real else testbed_sim_archives)
     | map('replace', playbook_dir ~ '/..', '/testbed') | list }}
cni_manifest_src: /testbed/tests/fixtures/cni/calico-test.yaml
VARS
    extra+=(-e @/runner/demo/ee-vars.yml)
  fi
  docker run --rm --name "$name-ee" --label "kubeadm-demo=$name" --network none \
    --group-add "$(stat -c %g /var/run/docker.sock)" -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$(command -v docker):/usr/local/bin/docker:ro" \
    -v "$demo_dir:/runner/demo:ro" "${mounts[@]}" -e KUBEADM_TESTBED_KUBE \
    -e ANSIBLE_PIPELINING=true -e ANSIBLE_PYTHON_INTERPRETER=auto_silent \
    "$image" ansible-playbook kubeadm.cluster.site -i /runner/demo/inventory "${extra[@]}"
}

case "$runner" in
  venv) (cd "$top" && ansible-playbook site.yml -i "$inv" "${extra[@]}") ;;
  ee:*) run_in_ee "${runner#ee:}" ;;
esac
echo
echo "[demo] the cluster is up: docker exec ${names[0]} kubectl get nodes"
echo "[demo] remove it with:$([ "$name" = kd ] || echo " KUBEADM_DEMO_NAME=$name") tests/testbed/demo.sh down"
