# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict checks of role variables against a role's meta/argument_specs.yml.

Ansible's own role argument validation converts before it checks: the string ``"no"`` passes as
a boolean and the string ``"overlay"`` as a list, while the role then uses the unconverted value
(a non-empty string is true in a condition; a loop over a string visits its characters). These
checks convert nothing: a value must already have the type the specification declares.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

# Ansible's argument spec type names, with the Python types a value of each may have.
_TYPE_NAMES = {
    "str": "a string",
    "path": "a path (a string)",
    "bool": "a boolean (true or false)",
    "int": "an integer",
    "float": "a number",
    "list": "a list",
    "dict": "a dictionary",
}


def _describe(value: Any) -> str:
    """Say what a value is, for an error message: its YAML kind and, when short, the value."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return f"the string '{shown}'"
    if isinstance(value, Mapping):
        return f"a dictionary with the keys {', '.join(map(str, list(value)[:8]))}"
    if isinstance(value, Sequence):
        return f"a list of {len(value)} item(s)"
    return f"a value of type {type(value).__name__}"


def _hint(kind: str, value: Any, name: str, default: Any = None) -> str:
    """A short how-to-fix for the usual mistakes."""
    if kind == "bool" and isinstance(value, str):
        return (
            f" YAML booleans are written true or false without quotes; on the command line, -e {name}=... always"
            f" passes a string, so pass -e '{{\"{name}\": {'false' if value.strip().lower() in ('no', 'false', 'off', '0', 'n') else 'true'}}}'."
        )
    if kind == "list" and isinstance(value, str):
        return f" Write a list even for one item: {name}: ['{value}']."
    if kind in ("str", "path") and isinstance(value, float):
        example = default if isinstance(default, str) and default and "{{" not in default else value
        if name.endswith("_version"):
            # An unquoted 1.30 reads as 1.3: show the release the user meant, with its patch number to fill in.
            major, minor = (str(value).split(".") + [""])[:2]
            example = f"{major}.{minor.ljust(2, '0')}.x"
        return f' YAML read an unquoted number: write the whole value in quotes, such as {name}: "{example}".'
    if kind in ("int", "float") and isinstance(value, str):
        return f" Write the number without quotes; on the command line pass -e '{{\"{name}\": {value.strip()}}}'."
    return ""


def _type_ok(kind: str, value: Any) -> bool:
    if kind in ("str", "path"):
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    if kind == "dict":
        return isinstance(value, Mapping)
    return True  # raw, or a type this checker does not know: anything goes


def check_value(name: str, value: Any, spec: Mapping[str, Any]) -> list[str]:
    """Return the errors of one value against its option specification (empty when valid)."""
    kind = spec.get("type", "str")
    if value is None:
        if spec.get("default", "") is None or kind == "raw":
            return []
        return [f"{name} is empty (null); give it {_TYPE_NAMES.get(kind, 'a value')} or remove it to use the default."]
    if not _type_ok(kind, value):
        return [f"{name} must be {_TYPE_NAMES[kind]}; got {_describe(value)}.{_hint(kind, value, name, spec.get('default'))}"]

    errors: list[str] = []
    choices = spec.get("choices")
    if kind == "list":
        elements = spec.get("elements")
        for index, item in enumerate(value):
            item_name = f"{name}[{index}]"
            item_errors = check_value(item_name, item, {"type": elements, "options": spec.get("options")}) if elements else []
            if choices is not None and not item_errors and item not in choices:
                item_errors.append(f"{item_name} must be one of {', '.join(map(str, choices))}; got {_describe(item)}.")
            errors += item_errors
        return errors
    if choices is not None and value not in choices:
        return [f"{name} must be one of {', '.join(map(str, choices))}; got {_describe(value)}."]
    if kind == "dict" and spec.get("options"):
        errors += check_options(value, spec["options"], prefix=f"{name}.")
    return errors


def check_options(values: Mapping[str, Any], options: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Check the keys of a dictionary option (or a role's variables) against their specifications.

    Unknown keys are errors inside a dictionary option; required keys must be present.
    """
    errors: list[str] = []
    for key, spec in options.items():
        if key in values:
            errors += check_value(f"{prefix}{key}", values[key], spec or {})
        elif (spec or {}).get("required"):
            errors.append(f"{prefix}{key} is required but not set.")
    if prefix:
        for key in values:
            if key not in options:
                errors.append(f"{prefix}{key} is not a known key; the known keys are {', '.join(sorted(options))}.")
    return errors


def unknown_names(names: Sequence[str], options: Mapping[str, Any], role_prefix: str) -> list[str]:
    """Warnings for variables that carry the role's prefix but that the role does not know (typos)."""
    warnings = []
    for name in sorted(names):
        if name.startswith(role_prefix) and name not in options:
            close = difflib.get_close_matches(name, list(options), n=1)
            suggestion = f" Did you mean {close[0]}?" if close else ""
            warnings.append(f"{name} is set, but the role does not know it, so it has no effect.{suggestion}")
    return warnings


# Names of 0.2.0 that 0.3.0 renamed: a value left under an old name would be ignored without a word.
RENAMED = {
    **dict.fromkeys(
        (
            "kube_packages_version",
            "control_plane_kubernetes_version",
            "worker_kubernetes_version",
            "preflight_kube_version",
            "cluster_defaults_kubernetes_version",
        ),
        "cluster_kubernetes_version",
    ),
    **dict.fromkeys(("control_plane_pod_cidr", "cni_pod_cidr", "preflight_pod_cidr", "cluster_defaults_pod_cidr"), "cluster_pod_cidr"),
    **dict.fromkeys(("control_plane_service_cidr", "preflight_service_cidr", "cluster_defaults_service_cidr"), "cluster_service_cidr"),
    **dict.fromkeys(("control_plane_dns_domain", "preflight_dns_domain", "cluster_defaults_dns_domain"), "cluster_dns_domain"),
    **dict.fromkeys(("control_plane_endpoint", "preflight_control_plane_endpoint", "worker_api_server_endpoint"), "cluster_control_plane_endpoint"),
    "control_plane_bind_port": "cluster_api_port",
    **dict.fromkeys(("control_plane_cri_socket", "worker_cri_socket", "reset_cri_socket"), "cluster_cri_socket"),
    **dict.fromkeys(("control_plane_node_name", "worker_node_name", "cni_node_name", "reset_node_name"), "cluster_node_name"),
}


def renamed_names(names: Sequence[str]) -> list[str]:
    """Errors for variables set under a name the collection renamed."""
    return [
        f"{name} was renamed {RENAMED[name]} in kubeadm.cluster 0.3.0 and has no effect any more; set {RENAMED[name]} instead."
        for name in sorted(names)
        if name in RENAMED
    ]
