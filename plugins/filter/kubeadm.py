# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import kubeadm_config_api, without_secrets


def _config_api(version):
    try:
        return kubeadm_config_api(version)
    except ValueError as err:
        raise AnsibleFilterError(str(err)) from err


def _without_secrets(lines):
    if isinstance(lines, str):
        lines = lines.splitlines()
    return without_secrets([str(line) for line in lines])


def _phase_skipped(skip_phases, phase):
    """Whether kubeadm init skips ``phase`` (such as ``addon/coredns``) with these skipPhases: kubeadm skips a phase
    when it or one of its parents (``addon``) is listed. Names are kubeadm's, exact: kubeadm refuses any other."""
    if skip_phases is None:
        skip_phases = []
    if isinstance(skip_phases, str) or not isinstance(skip_phases, Sequence):
        raise AnsibleFilterError(f"kubeadm_phase_skipped expects a list of kubeadm phase names, got {skip_phases!r}")
    parts = str(phase).split("/")
    phase_and_parents = {"/".join(parts[:end]) for end in range(1, len(parts) + 1)}
    return any(str(name) in phase_and_parents for name in skip_phases)


class FilterModule:
    """The kubeadm constants the roles share, from the same code the modules use."""

    def filters(self):
        return {"kubeadm_config_api": _config_api, "kubeadm_without_secrets": _without_secrets, "kubeadm_phase_skipped": _phase_skipped}
