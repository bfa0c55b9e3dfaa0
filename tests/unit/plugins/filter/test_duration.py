"""Unit tests for the duration_seconds filter (kubeadm's Go duration syntax)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.duration import duration_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("15m0s", 900), ("1h30m", 5400), ("90s", 90), ("0", 0), ("0s", 0), ("1.5h", 5400), ("500ms", 0.5), ("-1m", -60), ("24h", 86400)],
)
def test_durations_are_read_as_go_reads_them(text, seconds):
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "15", "15 m", "m", "1d", "15min", "1h 30m", ".s"])
def test_anything_else_is_refused(text):
    with pytest.raises(AnsibleFilterError, match=f"^worker_token_ttl is '{text}', which is not a duration"):
        duration_seconds(text, "worker_token_ttl")


def test_a_number_is_refused():
    with pytest.raises(AnsibleFilterError, match="must be a duration string"):
        duration_seconds(900)
