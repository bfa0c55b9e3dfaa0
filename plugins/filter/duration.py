# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Go's time.ParseDuration units, in seconds.
_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def duration_seconds(value, name="duration_seconds"):
    """Seconds in a duration written the way kubeadm (Go's time.ParseDuration) reads it, such as 1h30m or 15m0s.

    ``name`` is the variable the value comes from, for the error message.
    """
    if not isinstance(value, str):
        raise AnsibleFilterError(f"{name} must be a duration string such as '15m'; got {value!r}")
    text = value.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == "0":
        return 0.0
    total, position = 0.0, 0
    while position < len(text):
        part = _PART.match(text, position)
        if not part or part.group(1) in ("", "."):
            raise AnsibleFilterError(f"{name} is '{value}', which is not a duration such as 15m, 1h30m or 90s (units h, m, s, ms, us, ns)")
        total += float(part.group(1)) * _UNITS[part.group(2)]
        position = part.end()
    if not text:
        raise AnsibleFilterError(f"{name} is '{value}', which is not a duration such as 15m, 1h30m or 90s (units h, m, s, ms, us, ns)")
    return sign * total


class FilterModule:
    """Duration filters."""

    def filters(self):
        return {"duration_seconds": duration_seconds}
