#!/usr/bin/env bash
# ansible-test wants the collection under ansible_collections/<namespace>/<name>: run it on a
# copy of the tracked (and new, unignored) files laid out that way.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/.cache/ansible-test/ansible_collections/kubeadm/cluster
rm -rf "$dest"
mkdir -p "$dest"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' | tar -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
ansible-test sanity --venv --python 3.11 --color no
