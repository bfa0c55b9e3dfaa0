# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.kubeadm.cluster.plugins.plugin_utils._role_inputs import RENAMED, check_options, renamed_names, unknown_names

# The role whose options are the cluster-wide facts; every role that reads them depends on it.
CLUSTER_ROLE = "cluster"


def _typed(templar):
    """A templar whose results keep the type the user wrote (``1.3`` stays a number).

    From ansible-core 2.19 every templar does. Before it, a template renders to a string unless
    Jinja's native mode is on, so a default that passes a value on would hide its type.
    """
    try:
        from ansible.template import AnsibleNativeEnvironment
    except ImportError:
        return templar
    return templar.copy_with_new_env(environment_class=AnsibleNativeEnvironment)


def _options(spec_file: Path, entry_point: str) -> dict:
    try:
        specs = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        return specs["argument_specs"][entry_point].get("options") or {}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise AnsibleActionFail(f"Cannot read the '{entry_point}' entry point of {spec_file}: {err}") from err


class ActionModule(ActionBase):
    """Check the variables of the running role against its meta/argument_specs.yml, strictly."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("entry_point", "digest_ignore"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        role = self._task._role
        if role is None:
            raise AnsibleActionFail("kubeadm.cluster.role_inputs checks the variables of a role: use it in a role's tasks.")
        entry_point = self._task.args.get("entry_point", "main")
        role_path = Path(role._role_path)
        options = _options(role_path / "meta" / "argument_specs.yml", entry_point)
        role_name = role.get_name(include_role_fqcn=False)
        # The cluster-wide facts this role reads are checked with its own variables.
        cluster_spec = role_path.parent / CLUSTER_ROLE / "meta" / "argument_specs.yml"
        if role_name != CLUSTER_ROLE and cluster_spec.is_file():
            options = {**_options(cluster_spec, "main"), **options}

        values, errors = {}, []
        templar = _typed(self._templar)
        for name in options:
            if name not in task_vars:
                continue
            try:
                values[name] = templar.template(task_vars[name])
            except Exception as err:  # noqa: BLE001 - any templating error is the user's input error
                errors.append(f"{name} cannot be evaluated: {err}")
        errors += check_options(values, options)
        errors += renamed_names(list(task_vars))

        warnings = unknown_names([n for n in task_vars if n not in RENAMED], options, f"{role_name}_")
        if warnings:
            result["warnings"] = warnings
        # Equal inputs give an equal digest: checks that passed for it once in this run need not run again.
        ignored = set(self._task.args.get("digest_ignore") or [])
        checked = {name: value for name, value in values.items() if name not in ignored}
        digest = hashlib.sha256(json.dumps([role_name, entry_point, checked], sort_keys=True, default=str).encode()).hexdigest()
        result.update(changed=False, digest=digest, cached=digest in (task_vars.get("__role_inputs_passed") or []))
        if errors:
            result["failed"] = True
            result["errors"] = errors
            result["msg"] = f"Invalid variables for the role kubeadm.cluster.{role_name}: " + " ".join(errors)
        else:
            result["checked"] = sorted(values)
            result["msg"] = f"The {len(values)} variables of kubeadm.cluster.{role_name} are valid."
        return result
