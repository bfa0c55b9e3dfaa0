"""An action plugin built without a task queue, with a real loader and templar over a role-like tmp_path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar


@pytest.fixture
def make_action(tmp_path, monkeypatch):
    """make_action(ActionModule) -> the plugin, reading templates/ and files/ under tmp_path."""
    # Unit tests run without Ansible's collection loader, where ansible.builtin.* names do not resolve.
    get = lookup_loader.get
    monkeypatch.setattr(lookup_loader, "get", lambda name, *args, **kwargs: get(name.removeprefix("ansible.builtin."), *args, **kwargs))
    (tmp_path / "templates").mkdir()
    (tmp_path / "files").mkdir()

    def make(action_class):
        loader = DataLoader()
        loader.set_basedir(str(tmp_path))
        plugin = object.__new__(action_class)
        plugin._loader = loader
        plugin._templar = Templar(loader=loader)
        plugin._task = SimpleNamespace(get_search_path=lambda: [str(tmp_path)])
        return plugin

    return make
