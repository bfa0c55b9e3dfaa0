#!/usr/bin/env bash
# ansible-test wants the collection under ansible_collections/<namespace>/<name>: run it on a
# copy of the tracked (and new, unignored) files laid out that way.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Outside the checkout: inside it, git would report the copy as ignored files and nothing runs.
dest=${TMPDIR:-/tmp}/kubeadm-cluster-sanity/ansible_collections/kubeadm/cluster

# ansible-test --venv bootstraps pip with get-pip.py from ci-files.testing.ansible.com, which our
# machines cannot reach. Its documented fallback is a script saved in its cache: provide one that
# runs pip from the wheel PyPI serves, to install pip itself.
pip_version=$(python3 - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2]))["pip"])
PY
)
# The wheel stays beside the script in ansible-test's cache, not in a checkout that may move or go.
cache=$HOME/.ansible/test/cache
bootstrap=$cache/get_pip_${pip_version//./_}.py
wheel_dir=$cache/pip-bootstrap
wheel=$wheel_dir/pip-$pip_version-py3-none-any.whl
if [ ! -f "$wheel" ] || ! grep -qsF "\"$wheel\"" "$bootstrap"; then
  pip download --quiet --no-deps --dest "$wheel_dir" "pip==$pip_version"
  mkdir -p "$cache"
  cat > "$bootstrap" <<PY
# Stand-in for get-pip.py $pip_version: pip from its PyPI wheel installs pip itself.
import sys
sys.path.insert(0, "$wheel")
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
PY
fi

rm -rf "$dest"
mkdir -p "$dest"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' | tar -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
# The Python of the ansible-test on PATH: each ansible-core of the matrix runs with its own.
ansible-test sanity --venv --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
