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
