"""Unit tests for the kubeadm filters the roles share with the modules."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.kubeadm import FilterModule

FILTERS = FilterModule().filters()


@pytest.mark.parametrize(
    ("version", "api"),
    [("1.28.4", "v1beta3"), ("1.30.5", "v1beta3"), ("v1.30.0", "v1beta3"), ("1.31.0", "v1beta4"), ("1.32.1", "v1beta4"), ("2.0.0", "v1beta4")],
)
def test_the_config_api_switches_at_1_31(version, api):
    assert FILTERS["kubeadm_config_api"](version) == f"kubeadm.k8s.io/{api}"


def test_a_version_that_is_not_a_release_is_an_error():
    with pytest.raises(AnsibleFilterError, match="invalid Kubernetes version 'stable'"):
        FILTERS["kubeadm_config_api"]("stable")


def test_lines_that_may_carry_a_secret_are_dropped():
    lines = [
        "[init] Using Kubernetes version: v1.30.5",
        "[bootstrap-token] Using token: abcdef.0123456789abcdef",
        "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\",
        "--discovery-token-ca-cert-hash sha256:" + "a" * 64,
        "[upload-certs] Using certificate key:",
        "b" * 64,
        "error execution phase wait-control-plane: timed out",
    ]
    assert FILTERS["kubeadm_without_secrets"](lines) == [
        "[init] Using Kubernetes version: v1.30.5",
        "[upload-certs] Using certificate key:",
        "error execution phase wait-control-plane: timed out",
    ]
    assert FILTERS["kubeadm_without_secrets"]("a\n--token x\nb") == ["a", "b"]


@pytest.mark.parametrize(
    ("skip_phases", "skipped"),
    [
        ([], False),
        (None, False),
        (["addon/coredns"], True),
        (["addon"], True),  # the parent phase skips its sub-phases
        (["addon/kube-proxy"], False),
        (["addon/all"], False),  # a sibling, not a parent: kubeadm's "all" sub-phase runs nothing in a full init
        (["preflight", "addon/coredns"], True),
        (["addon/coredns/x"], False),  # a child does not skip its parent
        (["Addon/CoreDNS"], False),  # kubeadm compares names exactly
        (["addon/corednsx"], False),
    ],
)
def test_a_phase_is_skipped_when_it_or_a_parent_phase_is_listed(skip_phases, skipped):
    assert FILTERS["kubeadm_phase_skipped"](skip_phases, "addon/coredns") is skipped


def test_a_top_level_phase_is_skipped_only_by_itself():
    assert FILTERS["kubeadm_phase_skipped"](["addon"], "addon") is True
    assert FILTERS["kubeadm_phase_skipped"](["addon/coredns"], "addon") is False


def test_skip_phases_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="expects a list of kubeadm phase names, got 'addon/coredns'"):
        FILTERS["kubeadm_phase_skipped"]("addon/coredns", "addon/coredns")
