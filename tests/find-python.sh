#!/usr/bin/env bash
# Prints the path of a Python interpreter whose version is at least MIN and at most MAX
# (default: any newer), preferring the newest: python3.X on PATH, then pyenv's versions.
#   tests/find-python.sh 3.12          for ansible-core 2.21 (the pinned toolchain)
#   tests/find-python.sh 3.10 3.12     for ansible-core 2.16 (the oldest supported)
# pyenv's shims answer for every version it knows but fail for one not selected, so each
# candidate is run once before it is chosen.
set -euo pipefail
min=$1 max=${2:-3.99}
candidates=()
for minor in 14 13 12 11 10; do candidates+=("python3.$minor"); done
candidates+=(python3)
if command -v pyenv >/dev/null 2>&1; then
  while IFS= read -r dir; do candidates+=("$dir/bin/python3"); done < <(find "$(pyenv root)/versions" -mindepth 1 -maxdepth 1 -name '3.*' 2>/dev/null | sort -rV)
fi
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  # The interpreter itself, not a shim, so that the venv outlives a change of pyenv's selection.
  if found=$("$path" - "$min" "$max" 2>/dev/null <<'PY'
import sys, venv  # noqa: F401 - venv must be there to make the virtual environment
low, high = (tuple(int(p) for p in v.split(".")) for v in sys.argv[1:3])
if low <= sys.version_info[:2] <= high:
    print(sys.executable)
PY
  ) && [ -n "$found" ]; then
    echo "$found"
    exit 0
  fi
done
echo "tests/find-python.sh: no Python between $min and $max with venv here (install one, e.g. with pyenv)" >&2
exit 1
