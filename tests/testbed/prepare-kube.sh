#!/usr/bin/env bash
# Build what a cluster scenario installs from, for real Kubernetes or for the simulator:
#   KUBEADM_TESTBED_KUBE=real (default): the binaries and image archives of ../shared/kube,
#     unpacked by kube-inputs.sh, packaged into the offline mirror (v1.28.4 and the v1.28.5 label),
#     plus the smoke test's web image;
#   KUBEADM_TESTBED_KUBE=sim: the kube simulator packaged as 1.30.5 and 1.30.6.
# The group_vars in offline/ read the same variable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${KUBEADM_TESTBED_KUBE:-real}

case "$mode" in
  real)
    "$here/kube-inputs.sh"
    for version in 1.28.4 1.28.5; do
      KUBE_BINARIES_DIR="$top/.cache/kube/v$version/bin" KUBE_VERSION=$version CRI_TOOLS_VERSION=1.28.0 \
        MIRROR_IMAGES='' "$top/tests/mirror/build-mirror.sh"
    done
    "$here/build-web-image.sh" "$top/.cache/testbed-images"
    ;;
  sim)
    for version in 1.30.5 1.30.6; do
      KUBE_VERSION=$version "$top/tests/mirror/build-mirror.sh"
    done
    ;;
  *)
    echo "KUBEADM_TESTBED_KUBE must be real or sim, not '$mode'" >&2
    exit 2
    ;;
esac
