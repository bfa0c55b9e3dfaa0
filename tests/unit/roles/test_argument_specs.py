"""Every public role variable is declared, typed and described, and its documented default is the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[3] / "roles").iterdir() if (p / "tasks" / "main.yml").exists())


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
