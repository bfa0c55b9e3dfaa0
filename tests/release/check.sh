#!/usr/bin/env bash
# Build the collection artifact as users get it, check what it holds, and import it with
# galaxy-importer as Galaxy does on upload. Fails on any WARNING or ERROR in the import log.
# Uses the tools on PATH (the project venv under make): ansible-galaxy, ansible-doc,
# ansible-lint and a python3 that has galaxy_importer.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
config=$root/tests/release/galaxy-importer.cfg

for tool in ansible-galaxy ansible-doc ansible-lint python3; do
    command -v "$tool" >/dev/null || { echo "release check: $tool is not on PATH" >&2; exit 1; }
done
python3 -c 'import galaxy_importer' 2>/dev/null || {
    echo "release check: $(command -v python3) has no galaxy_importer (pip install galaxy-importer)" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/kubeadm-release.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== build"
(cd "$root" && ansible-galaxy collection build --output-path "$work/dist")
artifacts=("$work"/dist/*.tar.gz)
[[ ${#artifacts[@]} -eq 1 && -f ${artifacts[0]} ]] || { echo "release check: expected one artifact, got ${artifacts[*]}" >&2; exit 1; }
artifact=${artifacts[0]}

echo "== contents of $(basename "$artifact")"
tar -tzf "$artifact" | sed 's|^\./||; s|/$||' | sort >"$work/contents"
failed=0
for path in CHANGELOG.rst README.md meta/runtime.yml playbooks/site.yml; do
    grep -qxF "$path" "$work/contents" || { echo "missing: $path"; failed=1; }
done
# The root site.yml is a development shortcut; unreleased fragments are not for users.
if grep -xF site.yml "$work/contents"; then echo "shipped: the root site.yml"; failed=1; fi
if grep -E '^changelogs/fragments(/|$)' "$work/contents"; then echo "shipped: changelogs/fragments"; failed=1; fi
[[ $failed -eq 0 ]] || { echo "release check: the artifact's contents are wrong" >&2; exit 1; }
echo "ok: $(wc -l <"$work/contents") entries; CHANGELOG.rst, README.md, meta/runtime.yml and playbooks/site.yml in; root site.yml and changelogs/fragments out"

echo "== galaxy-importer"
mkdir -p "$work/ansible-tmp" "$work/import" "$work/home"
status=0
(
    cd "$work/import"  # galaxy-importer writes importer_result.json into the working directory
    # Its ansible-lint installs the collection under ~/.ansible/collections, where it would then
    # shadow the checkout for every later ansible command: a HOME of its own keeps it there.
    HOME=$work/home \
        GALAXY_IMPORTER_CONFIG=$config \
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$work/ansible-tmp \
        GALAXY_IMPORTER_TMP_ROOT_DIR=$work/import \
        python3 -m galaxy_importer.main "$artifact"
) >"$work/import.log" 2>&1 || status=$?
cat "$work/import.log"

problems=$(grep -cE 'WARNING|ERROR|Traceback' "$work/import.log" || true)
if [[ $status -ne 0 || $problems -ne 0 ]] || ! grep -qx 'Importer processing completed successfully' "$work/import.log"; then
    echo "release check: galaxy-importer exit $status, $problems WARNING/ERROR line(s)" >&2
    exit 1
fi
echo "release check: ok ($(basename "$artifact"), galaxy-importer: no warnings or errors)"
