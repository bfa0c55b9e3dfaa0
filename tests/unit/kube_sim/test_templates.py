"""The kubeadm configs the collection writes pass kube-sim's strict loader: the control plane's init template,
rendered by Ansible's own templating, and the JoinConfiguration of the kubeadm_join module.

Each template is rendered with its role's defaults and vars (templated lazily, as in a play), for a
Kubernetes 1.30 (kubeadm v1beta3) and a 1.31 (v1beta4) version, and read back by the simulator's
`load_config` as kubeadm of that version would read it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import kubeadm_config_api
from ansible_collections.kubeadm.cluster.plugins.modules import kubeadm_join

templating = pytest.importorskip("ansible.template")
from ansible.parsing.dataloader import DataLoader  # noqa: E402 - after the skip

# ansible-core 2.19 templates only strings marked as trusted; before it, every string is a template.
_trust_as_template = getattr(templating, "trust_as_template", lambda value: value)

REPO = Path(__file__).resolve().parents[3]
JOIN_DATA = {
    "api_server_endpoint": "192.0.2.10:6443",
    "token": "abcdef.0123456789abcdef",
    "ca_cert_hash": "sha256:" + "0" * 64,
    "certificate_key": "1" * 64,
}
VERSIONS = {"1.30.5": "v1beta3", "1.31.2": "v1beta4"}
# Beyond the defaults: every optional branch of the templates, with values the roles document.
FULL = {
    "cluster_control_plane_endpoint": "lb.example:6443",
    "control_plane_advertise_address": "192.0.2.10",
    "control_plane_cert_sans": ["lb.example", "192.0.2.10"],
    "control_plane_skip_phases": ["addon/kube-proxy"],
    "control_plane_ignore_preflight_errors": ["SystemVerification"],
    "control_plane_kubelet_config": {"failSwapOn": False, "maxPods": 200, "evictionHard": {"memory.available": "200Mi"}},
    "control_plane_kube_proxy_config": {"conntrack": {"maxPerCore": 0}, "mode": "ipvs"},
    "worker_ignore_preflight_errors": ["SystemVerification"],
    "worker_kubelet_extra_args": {"node-ip": "192.0.2.21", "max-pods": "200"},
    "worker_discovery_timeout": "2m0s",
}


def trusted(value: object) -> object:
    """Role files' strings are templates to Ansible; mark them so, as its loader does."""
    if isinstance(value, str):
        return _trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


def _load(role: str, part: str) -> dict:
    path = REPO / "roles" / role / part / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def render(role: str, template: str, version: str, extra: dict) -> str:
    variables: dict = {}
    # The defaults and vars of the role's dependencies (kubeadm.cluster.cluster) under its own, as Ansible merges them.
    for dependency in _load(role, "meta").get("dependencies") or []:
        name = (dependency["role"] if isinstance(dependency, dict) else dependency).rsplit(".", 1)[-1]
        variables.update(_load(name, "defaults"))
        variables.update(_load(name, "vars"))
    for part in ("defaults", "vars"):
        variables.update(_load(role, part))
    variables = trusted(variables)
    variables.update(
        inventory_hostname="node1",
        ansible_managed="Ansible managed: do not edit",
        cluster_kubernetes_version=version,
        # The collection's filters are not loaded in this bare templar; this is what the filter returns.
        __control_plane_kubeadm_api=kubeadm_config_api(version),
        __control_plane_join_data=JOIN_DATA,
        __worker_join_data=JOIN_DATA,
        **extra,
    )
    templar = templating.Templar(loader=DataLoader(), variables=variables)
    source = (REPO / "roles" / role / "templates" / template).read_text()
    return templar.template(_trust_as_template(source))


def load(kube_sim, tmp_path: Path, text: str, version: str, join: bool) -> dict:
    path = tmp_path / "kubeadm.yaml"
    path.write_text(text)
    return kube_sim.load_config(str(path), ("JoinConfiguration",) if join else kube_sim.INIT_KINDS, version)


@pytest.mark.parametrize("variant", ["defaults", "full"])
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_control_plane_init_config_passes_strict_decoding(kube_sim, tmp_path, version, variant):
    text = render("control_plane", "kubeadm-config.yaml.j2", version, FULL if variant == "full" else {})
    docs = load(kube_sim, tmp_path, text, version, join=False)
    assert sorted(docs) == ["ClusterConfiguration", "InitConfiguration", "KubeProxyConfiguration", "KubeletConfiguration"]
    assert {docs[k]["apiVersion"] for k in ("InitConfiguration", "ClusterConfiguration")} == {f"kubeadm.k8s.io/{VERSIONS[version]}"}
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == f"v{version}"
    if variant == "full":
        assert docs["KubeProxyConfiguration"]["conntrack"] == {"maxPerCore": 0}
        assert docs["InitConfiguration"]["skipPhases"] == ["addon/kube-proxy"]


def join_config(version: str, variant: str, control_plane: bool, extra_args: dict | None = None) -> str:
    """The JoinConfiguration the kubeadm_join module writes, for the roles' defaults or every optional field."""
    full = variant == "full"
    params = {
        "kubernetes_version": version,
        "node_name": "node1",
        "api_server_endpoint": JOIN_DATA["api_server_endpoint"],
        "token": JOIN_DATA["token"],
        "ca_cert_hash": JOIN_DATA["ca_cert_hash"],
        "discovery_timeout": FULL["worker_discovery_timeout"] if full else "5m0s",
        "cri_socket": "unix:///run/containerd/containerd.sock",
        "ignore_preflight_errors": ["SystemVerification"] if full else [],
        "kubelet_extra_args": extra_args if extra_args is not None else (FULL["worker_kubelet_extra_args"] if full else {}),
        "control_plane": None,
    }
    if control_plane:
        params["control_plane"] = {
            "certificate_key": JOIN_DATA["certificate_key"],
            "advertise_address": FULL["control_plane_advertise_address"] if full else "",
            "bind_port": 6443,
        }
    return json.dumps(kubeadm_join.join_configuration(params))


@pytest.mark.parametrize("variant", ["defaults", "full"])
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_control_plane_join_config_passes_strict_decoding(kube_sim, tmp_path, version, variant):
    join = load(kube_sim, tmp_path, join_config(version, variant, control_plane=True), version, join=True)["JoinConfiguration"]
    assert join["apiVersion"] == f"kubeadm.k8s.io/{VERSIONS[version]}"
    assert join["controlPlane"]["certificateKey"] == JOIN_DATA["certificate_key"]


@pytest.mark.parametrize("variant", ["defaults", "full"])
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_worker_join_config_passes_strict_decoding(kube_sim, tmp_path, version, variant):
    join = load(kube_sim, tmp_path, join_config(version, variant, control_plane=False), version, join=True)["JoinConfiguration"]
    timeout = "2m0s" if variant == "full" else "5m0s"
    if VERSIONS[version] == "v1beta3":
        assert join["discovery"]["timeout"] == timeout
    else:
        assert join["timeouts"]["discovery"] == timeout
    if variant == "full":
        args = join["nodeRegistration"]["kubeletExtraArgs"]
        expected = {"node-ip": "192.0.2.21", "max-pods": "200"}
        assert args == (expected if VERSIONS[version] == "v1beta3" else [{"name": k, "value": v} for k, v in expected.items()])


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_worker_kubelet_extra_args_given_as_numbers_and_booleans_become_strings(kube_sim, tmp_path, version):
    text = join_config(version, "defaults", control_plane=False, extra_args={"max-pods": 200, "fail-swap-on": False})
    join = load(kube_sim, tmp_path, text, version, join=True)["JoinConfiguration"]
    args = join["nodeRegistration"]["kubeletExtraArgs"]
    pairs = args if isinstance(args, dict) else {a["name"]: a["value"] for a in args}
    assert pairs == {"max-pods": "200", "fail-swap-on": "false"}
