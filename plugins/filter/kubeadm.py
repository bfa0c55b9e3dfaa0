# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

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


class FilterModule:
    """The kubeadm constants the roles share, from the same code the modules use."""

    def filters(self):
        return {"kubeadm_config_api": _config_api, "kubeadm_without_secrets": _without_secrets}
