"""Run a module's main() in-process the way Ansible runs it on a target, for the unit tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from unittest.mock import patch

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args


def run_module(main: Callable[[], None], capsys, args: dict, check_mode: bool = False) -> dict:
    """Call main() with the real exit_json/fail_json and return its JSON result."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    # Importing controller code (a lookup plugin's test) flips this process-wide flag, and then
    # module.warn() prints instead of returning warnings; a module always runs as a target.
    with patch_module_args(args), patch.object(_internal, "is_controller", False), pytest.raises(SystemExit) as info:
        main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (info.value.code != 0)
    return result
