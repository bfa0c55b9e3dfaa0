"""Run a module's main() in-process the way Ansible runs it on a target, for the unit tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from unittest.mock import patch

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core 2.19 and later
    from ansible.module_utils import _internal
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.16 to 2.18: modules read their arguments from basic._ANSIBLE_ARGS
    _internal = None

    @contextlib.contextmanager
    def patch_module_args(args: dict):
        with patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
            yield


def _as_target():
    """Importing controller code (a lookup plugin's test) flips a process-wide flag on 2.19+, and
    then module.warn() prints instead of returning warnings; a module always runs as a target."""
    if _internal is None:
        return contextlib.nullcontext()
    return patch.object(_internal, "is_controller", False)


def run_module(main: Callable[[], None], capsys, args: dict, check_mode: bool = False) -> dict:
    """Call main() with the real exit_json/fail_json and return its JSON result."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), _as_target(), pytest.raises(SystemExit) as info:
        main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (info.value.code != 0)
    return result
