#!/usr/bin/env bash
# Builds the collection's docsite the way antsibull-docs documents it: `antsibull-docs sphinx-init`
# writes a Sphinx project, its requirements are installed, and its build.sh runs
# `antsibull-docs collection` and `sphinx-build -W`, so that any warning fails the build.
#
#   tests/docs/build.sh          # build and throw the site away (the check `make lint` runs)
#   tests/docs/build.sh DIR      # build and copy the HTML site to DIR
#
# Uses antsibull-docs, sphinx-build and python3 from PATH (`make` puts .venv/bin first).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-}

# Installing the site's requirements must not touch a system Python.
if ! python3 -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
  echo "tests/docs/build.sh: python3 ($(command -v python3)) is not in a virtual environment; run it from one (make puts .venv/bin on PATH)" >&2
  exit 1
fi

# antsibull-docs finds the collection as an installed one (--use-current): lay out a copy of the
# tracked (and new, unignored) files as ansible_collections/kubeadm/cluster, as tests/run-sanity.sh
# does for ansible-test. Outside the checkout, and fresh on every run.
work=$(mktemp -d "${TMPDIR:-/tmp}/kubeadm-cluster-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT
coll=$work/collections/ansible_collections/kubeadm/cluster
mkdir -p "$coll"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' | tar -cf - -T -) | tar -xf - -C "$coll"
# Only this copy: not the checkout linked into .cache/collections, nor collections that happen to
# be installed next to ansible-core (the collection depends on none).
export ANSIBLE_COLLECTIONS_PATH=$work/collections
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

# sphinx-init wants a destination directory that only its owner can write to.
site=$work/site
mkdir -m 0700 "$site"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$site" \
  --project kubeadm.cluster --copyright "kubeadm.cluster maintainers" --title "kubeadm.cluster" \
  kubeadm.cluster

# Intersphinx is switched off, not filtered: our machines reach neither docs.ansible.com nor
# docs.python.org, and each unreachable inventory is a warning (an error under -W) after a
# network timeout. Without the Ansible docs' inventory, the references that the generated pages
# make into them (ansible.builtin plugins, common_return_values, ansible_configuration_settings,
# ...) cannot resolve, so exactly those are ignored: every reference to a label outside this
# collection's own (ansible_collections.kubeadm.cluster.*). A broken reference into this
# collection's pages still fails the build; references to ansible.builtin plugins are checked by
# `antsibull-docs lint-collection-docs --validate-collection-refs dependent` instead.
cat >> "$site/conf.py" <<'PY'

# Added by tests/docs/build.sh: no intersphinx (offline), see there.
intersphinx_mapping = {}
nitpick_ignore_regex = [('std:ref', r'(?!ansible_collections\.kubeadm\.cluster\.).*')]
PY

python3 -m pip install --quiet --disable-pip-version-check -r "$site/requirements.txt"

# build.sh: `antsibull-docs collection` into rst/, then `sphinx-build -M html rst build -W --keep-going`.
"$site/build.sh"

if [ -n "$out" ]; then
  mkdir -p "$out"
  cp -a "$site/build/html/." "$out/"
  echo "tests/docs/build.sh: HTML site in $out"
fi
