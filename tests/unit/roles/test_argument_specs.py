"""Every public role variable is declared, typed and described, and its documented default is the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

# Every role, including cluster, which has defaults but no tasks.
ROLES = sorted(
    p for p in (Path(__file__).resolve().parents[3] / "roles").iterdir() if (p / "tasks" / "main.yml").exists() or (p / "defaults" / "main.yml").exists()
)
CLUSTER_ROLE = "kubeadm.cluster.cluster"


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


def _reads_cluster_facts(role: Path) -> bool:
    names = set(_load(role.parent / "cluster" / "defaults" / "main.yml"))
    text = "\n".join(f.read_text() for d in ("defaults", "vars", "tasks", "templates", "handlers") for f in (role / d).glob("**/*") if f.is_file())
    return any(name in text for name in names)


@pytest.mark.parametrize("role", [r for r in ROLES if r.name != "cluster"], ids=lambda p: p.name)
def test_a_role_that_reads_a_cluster_fact_depends_on_the_cluster_role(role: Path) -> None:
    """The cluster_* defaults apply wherever the role runs, alone or in site.yml."""
    dependencies = [d["role"] if isinstance(d, dict) else d for d in _load(role / "meta" / "main.yml").get("dependencies") or []]
    assert _reads_cluster_facts(role) == (CLUSTER_ROLE in dependencies), f"{role.name}: reads cluster_* {_reads_cluster_facts(role)}, depends on {dependencies}"


@pytest.mark.parametrize("role", [r for r in ROLES if r.name != "cluster"], ids=lambda p: p.name)
def test_no_other_role_defines_a_cluster_fact_or_repeats_its_value(role: Path) -> None:
    """One name per cluster-wide fact: no role has an alias of a cluster_* variable or writes its value again."""
    cluster = _load(role.parent / "cluster" / "defaults" / "main.yml")
    for name in ("defaults/main.yml", "vars/main.yml"):
        path = role / name
        if path.exists():
            assert not [key for key in _load(path) if key in cluster], f"{role.name}/{name} defines a cluster_* variable again"
    shared = {str(v) for v in cluster.values() if "{{" not in str(v) and len(str(v)) > 5}
    text = (role / "defaults" / "main.yml").read_text()
    assert not [value for value in shared if value in text], f"{role.name} writes a value of the cluster role again"
