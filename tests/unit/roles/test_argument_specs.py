"""Every public role variable is declared, typed and described, and its documented default is the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

# Every role, including cluster_defaults, which has defaults but no tasks.
ROLES = sorted(
    p for p in (Path(__file__).resolve().parents[3] / "roles").iterdir() if (p / "tasks" / "main.yml").exists() or (p / "defaults" / "main.yml").exists()
)
CLUSTER_DEFAULTS = "kubeadm.cluster.cluster_defaults"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_and_argument_specs_agree(role: Path) -> None:
    spec_file = role / "meta" / "argument_specs.yml"
    assert spec_file.exists(), f"{role.name} has no meta/argument_specs.yml"
    options = _load(spec_file)["argument_specs"]["main"]["options"]
    defaults = _load(role / "defaults" / "main.yml")

    assert sorted(defaults) == sorted(options), f"{role.name}: defaults and argument_specs list different variables"
    for name, value in defaults.items():
        assert name.startswith(f"{role.name}_"), f"{name} is not prefixed with the role name"
        spec = options[name]
        assert spec.get("type"), f"{name} has no type"
        assert spec.get("description"), f"{name} has no description"
        templated = isinstance(value, str) and "{{" in value
        if templated:
            assert "default" not in spec, f"{name}: a templated default is described in prose, not as a default"
        else:
            assert spec.get("default") == value, f"{name}: argument_specs default {spec.get('default')!r} != defaults {value!r}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_a_role_whose_defaults_use_the_cluster_defaults_depends_on_them(role: Path) -> None:
    """The cluster_defaults_* variables exist only where the role lists cluster_defaults as a dependency."""
    uses = "cluster_defaults_" in (role / "defaults" / "main.yml").read_text() and role.name != "cluster_defaults"
    dependencies = [d["role"] if isinstance(d, dict) else d for d in _load(role / "meta" / "main.yml").get("dependencies") or []]
    assert uses == (CLUSTER_DEFAULTS in dependencies), f"{role.name}: uses cluster_defaults_* {uses}, depends on {dependencies}"


@pytest.mark.parametrize("role", [r for r in ROLES if r.name != "cluster_defaults"], ids=lambda p: p.name)
def test_no_other_role_repeats_a_cluster_default_as_a_literal(role: Path) -> None:
    shared = {str(v) for v in _load(role.parent / "cluster_defaults" / "defaults" / "main.yml").values()}
    text = (role / "defaults" / "main.yml").read_text()
    assert not [value for value in shared if value in text], f"{role.name} writes a value of cluster_defaults again"
