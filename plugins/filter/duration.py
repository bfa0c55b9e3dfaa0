# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import KubeadmError, parse_go_duration


def duration_seconds(value, name="duration_seconds"):
    """Seconds in a duration written the way kubeadm (Go's time.ParseDuration) reads it, such as 1h30m or 15m0s.

    ``name`` is the variable the value comes from, for the error message.
    """
    if not isinstance(value, str):
        raise AnsibleFilterError(f"{name} must be a duration string such as '15m'; got {value!r}")
    try:
        return parse_go_duration(value)
    except KubeadmError as err:
        raise AnsibleFilterError(f"{name} is '{value}', which is not a duration such as 15m, 1h30m or 90s (units h, m, s, ms, us, ns)") from err


class FilterModule:
    """Duration filters."""

    def filters(self):
        return {"duration_seconds": duration_seconds}
