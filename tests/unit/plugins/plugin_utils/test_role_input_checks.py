"""Unit tests for the strict role variable checks (plugins/plugin_utils/_role_inputs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.kubeadm.cluster.plugins.plugin_utils._role_inputs import (
    check_options,
    check_value,
    renamed_names,
    unknown_names,
)

ROLES = Path(__file__).resolve().parents[4] / "roles"


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("bool", "no", "flag must be a boolean (true or false); got the string 'no'."),
        ("bool", "false", """pass -e '{"flag": false}'"""),
        ("bool", "yes", """pass -e '{"flag": true}'"""),
        ("bool", 1, "flag must be a boolean (true or false); got the number 1."),
        ("list", "overlay", "flag must be a list; got the string 'overlay'. Write a list even for one item: flag: ['overlay']."),
        ("list", {"a": 1}, "flag must be a list; got a dictionary with the keys a."),
        ("str", 1.3, "flag must be a string; got the number 1.3. YAML read an unquoted number"),
        ("str", True, "flag must be a string; got the boolean true."),
        ("int", "3", """flag must be an integer; got the string '3'. Write the number without quotes"""),
        ("int", True, "flag must be an integer; got the boolean true."),
        ("dict", ["a"], "flag must be a dictionary; got a list of 1 item(s)."),
        ("path", 5, "flag must be a path (a string); got the number 5."),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_not_converted(kind, value, message):
    errors = check_value("flag", value, {"type": kind})
    assert len(errors) == 1
    assert message in errors[0]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("bool", False), ("list", []), ("list", ["a"]), ("str", ""), ("int", 0), ("float", 1), ("float", 0.5), ("dict", {}), ("raw", "x")],
)
def test_a_value_of_the_declared_type_passes(kind, value):
    assert check_value("flag", value, {"type": kind}) == []


def test_a_value_outside_the_choices_is_named_with_the_choices():
    errors = check_value("cni_plugin", "weave", {"type": "str", "choices": ["calico", "flannel", "none"]})
    assert errors == ["cni_plugin must be one of calico, flannel, none; got the string 'weave'."]


def test_each_list_element_is_checked_for_its_type_and_choices():
    spec = {"type": "list", "elements": "str", "choices": ["a", "b"]}
    assert check_value("items", ["a", 2, "c"], spec) == [
        "items[1] must be a string; got the number 2.",
        "items[2] must be one of a, b; got the string 'c'.",
    ]


def test_null_is_refused_unless_the_default_is_null():
    assert check_value("name", None, {"type": "str"}) == ["name is empty (null); give it a string or remove it to use the default."]
    assert check_value("name", None, {"type": "str", "default": None}) == []


def test_dictionary_options_check_types_required_and_unknown_keys():
    options = {"url": {"type": "str", "required": True}, "insecure": {"type": "bool"}}
    errors = check_value("mirror", {"insecure": "yes", "urls": "x"}, {"type": "dict", "options": options})
    assert errors == [
        "mirror.url is required but not set.",
        "mirror.insecure must be a boolean (true or false); got the string 'yes'. YAML booleans are written true or"
        """ false without quotes; on the command line, -e mirror.insecure=... always passes a string, so pass"""
        """ -e '{"mirror.insecure": true}'.""",
        "mirror.urls is not a known key; the known keys are insecure, url.",
    ]


def test_every_error_is_reported_at_once():
    options = {"a": {"type": "bool"}, "b": {"type": "list"}, "c": {"type": "str", "required": True}}
    assert len(check_options({"a": "no", "b": "x"}, options)) == 3


def test_a_misspelt_variable_with_the_role_prefix_is_reported_with_the_closest_name():
    options = {"containerd_source": {}, "containerd_sandbox_image": {}}
    warnings = unknown_names(["containerd_sorce", "containerd_source", "other_var"], options, "containerd_")
    assert warnings == ["containerd_sorce is set, but the role does not know it, so it has no effect. Did you mean containerd_source?"]


def _literal_defaults():
    for role in sorted(ROLES.iterdir()):
        defaults = role / "defaults" / "main.yml"
        specs = role / "meta" / "argument_specs.yml"
        if not (defaults.exists() and specs.exists()):
            continue
        options = yaml.safe_load(specs.read_text())["argument_specs"]["main"]["options"]
        for name, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            if not (isinstance(value, str) and "{{" in value):
                yield pytest.param(name, value, options[name], id=f"{role.name}.{name}")


@pytest.mark.parametrize(("name", "value", "spec"), list(_literal_defaults()))
def test_every_literal_role_default_passes_its_own_strict_check(name, value, spec):
    assert check_value(name, value, spec) == []


def test_an_unquoted_version_gets_a_hint_with_the_whole_release():
    spec = {"type": "str", "default": "1.30.5"}
    (error,) = check_value("cluster_kubernetes_version", 1.3, spec)
    assert error == (
        "cluster_kubernetes_version must be a string; got the number 1.3. YAML read an unquoted number: write the"
        ' whole value in quotes, such as cluster_kubernetes_version: "1.30.x".'
    )


def test_a_variable_under_its_old_name_is_refused_with_the_new_one():
    assert renamed_names(["control_plane_pod_cidr", "containerd_source"]) == [
        "control_plane_pod_cidr was renamed cluster_pod_cidr in kubeadm.cluster 0.3.0 and has no effect any more; set cluster_pod_cidr instead."
    ]
