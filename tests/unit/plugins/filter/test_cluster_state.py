"""The cluster_state filter: the one decision of "no cluster yet", from cluster_probe results as tasks register them."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm.cluster.plugins.filter.cluster import FilterModule, cluster_state

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLUSTER_CONFIGURATION = (FIXTURES / "kubeadm-cluster-configuration.yaml").read_text()
ADMIN = "/etc/kubernetes/admin.conf"
KUBELET = "/etc/kubernetes/kubelet.conf"


def probe(host: str, kubeconfig: str | None = ADMIN, **found) -> dict:
    """A cluster_probe result: by default a holder whose API server is ready."""
    result = {
        "changed": False,
        "host": host,
        "kubeconfig": kubeconfig,
        "server": "https://172.18.0.2:6443" if kubeconfig else None,
        "reachable": bool(kubeconfig),
        "status": 200 if kubeconfig else None,
        "ready": bool(kubeconfig),
        "error": None,
        "cluster_configuration": "",
        "config_error": None,
    }
    result.update(found)
    return result


def unreachable(host: str, kubeconfig: str = ADMIN, error: str = "connection refused") -> dict:
    return probe(host, kubeconfig, reachable=False, status=None, ready=False, error=error)


def test_no_kubeconfig_anywhere_is_no_cluster():
    state = cluster_state([probe("cp1", None), probe("w1", None)])
    assert state == {"holders": [], "serving": [], "config": {}, "unreachable": [], "not_serving": []}


def test_kubeconfig_and_unreachable_api_server_is_an_error_never_no_cluster():
    state = cluster_state([unreachable("cp1"), unreachable("w1", KUBELET, "no answer within 5 s")])
    assert state["holders"] == ["cp1", "w1"]
    assert state["serving"] == []
    assert state["config"] == {}
    assert state["unreachable"] == [
        {
            "host": "cp1",
            "msg": "cp1 holds /etc/kubernetes/admin.conf, but the API server it names, https://172.18.0.2:6443, "
            "cannot be reached from cp1: connection refused.",
        },
        {
            "host": "w1",
            "msg": "w1 holds /etc/kubernetes/kubelet.conf, but the API server it names, https://172.18.0.2:6443, "
            "cannot be reached from w1: no answer within 5 s.",
        },
    ]
    assert all("\n" not in entry["msg"] for entry in state["unreachable"])


def test_api_server_that_answers_gives_the_running_config():
    state = cluster_state([probe("cp1", cluster_configuration=CLUSTER_CONFIGURATION), probe("w1", KUBELET)])
    assert (state["holders"], state["serving"], state["unreachable"], state["not_serving"]) == (["cp1", "w1"], ["cp1", "w1"], [], [])
    assert state["config"]["kind"] == "ClusterConfiguration"
    assert state["config"]["networking"] == {"dnsDomain": "cluster.local", "serviceSubnet": "10.96.0.0/12"}


def test_the_config_comes_from_the_first_probe_that_read_one():
    other = CLUSTER_CONFIGURATION.replace("10.96.0.0/12", "10.97.0.0/16")
    state = cluster_state([unreachable("cp1"), probe("cp2", cluster_configuration=CLUSTER_CONFIGURATION), probe("cp3", cluster_configuration=other)])
    assert state["config"]["networking"]["serviceSubnet"] == "10.96.0.0/12"
    assert state["serving"] == ["cp2", "cp3"]
    assert [entry["host"] for entry in state["unreachable"]] == ["cp1"]


def test_an_api_server_that_answers_without_the_config_still_is_a_cluster():
    # The simulator serves no kubeadm-config ConfigMap; an expired admin.conf certificate gets 401.
    state = cluster_state([probe("cp1", config_error='Error from server (NotFound): configmaps "kubeadm-config" not found')])
    assert (state["holders"], state["serving"], state["config"], state["unreachable"]) == (["cp1"], ["cp1"], {}, [])


def test_an_api_server_that_answers_but_is_not_ready():
    state = cluster_state([probe("cp1", status=500, ready=False)])
    assert state["serving"] == [] and state["unreachable"] == []
    assert state["not_serving"] == [
        {
            "host": "cp1",
            "msg": "cp1 holds /etc/kubernetes/admin.conf, but the API server it names, https://172.18.0.2:6443, is not ready (GET /readyz answered HTTP 500).",
        }
    ]


def test_an_unreadable_kubeconfig_cannot_be_asked():
    state = cluster_state([probe("cp1", server=None, reachable=False, status=None, ready=False, error="it cannot be read (Permission denied)")])
    assert state["unreachable"] == [{"host": "cp1", "msg": "cp1 holds /etc/kubernetes/admin.conf, but it cannot be read (Permission denied)."}]


def test_loop_results_and_skipped_results():
    loop = {"results": [dict(unreachable("cp2"), item="cp2", ansible_loop_var="item"), {"skipped": True, "item": "cp3"}]}
    state = cluster_state([{"skipped": True, "changed": False}, *loop["results"], "not a result"])
    assert state["holders"] == ["cp2"]
    assert [entry["host"] for entry in state["unreachable"]] == ["cp2"]


def test_a_config_that_is_not_yaml_is_an_error():
    with pytest.raises(AnsibleFilterError, match="the ClusterConfiguration read on cp1 is not YAML"):
        cluster_state([probe("cp1", cluster_configuration="networking: [unclosed")])
    with pytest.raises(AnsibleFilterError, match="is not a mapping"):
        cluster_state([probe("cp1", cluster_configuration="- a list")])


def test_input_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="takes a list of cluster_probe results, got dict"):
        cluster_state(probe("cp1"))


def test_registered_as_a_filter():
    assert FilterModule().filters()["cluster_state"] is cluster_state
