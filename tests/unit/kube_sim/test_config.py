"""kube-sim reads kubeadm --config files strictly: unknown fields, wrong types, API versions by kubeadm version."""

from __future__ import annotations

import textwrap

import pytest
from conftest import run

GVK = 'schema.GroupVersionKind{{Group:"{group}", Version:"{version}", Kind:"{kind}"}}'
INIT_V1BETA3 = """
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- token: abcdef.0123456789abcdef
  ttl: 15m0s
  usages: [signing, authentication]
  groups: [system:bootstrappers:kubeadm:default-node-token]
localAPIEndpoint: {advertiseAddress: 192.0.2.10, bindPort: 6443}
nodeRegistration:
  name: cp1
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs: {node-ip: 192.0.2.10}
  ignorePreflightErrors: [SystemVerification]
  taints: []
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.30.5
controlPlaneEndpoint: lb.example:6443
networking: {podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12, dnsDomain: cluster.local}
apiServer:
  certSANs: [lb.example]
  extraArgs: {audit-log-maxage: "30"}
  timeoutForControlPlane: 4m0s
controllerManager: {extraArgs: {bind-address: 0.0.0.0}}
etcd: {local: {dataDir: /var/lib/etcd, extraArgs: {listen-metrics-urls: "http://0.0.0.0:2381"}}}
featureGates: {EtcdLearnerMode: true}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
failSwapOn: false
maxPods: 110
evictionHard: {memory.available: 100Mi}
authentication: {anonymous: {enabled: false}, webhook: {enabled: true, cacheTTL: 2m0s}}
logging: {format: text, flushFrequency: 5s, verbosity: 2}
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 24h0m0s}
ipvs: {strictARP: true}
"""
INIT_V1BETA4 = """
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens: [{token: abcdef.0123456789abcdef, ttl: 15m0s}]
nodeRegistration:
  name: cp1
  kubeletExtraArgs: [{name: node-ip, value: 192.0.2.10}]
  imagePullSerial: true
timeouts: {controlPlaneComponentHealthCheck: 4m0s, kubeletHealthCheck: 4m0s}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.2
networking: {podSubnet: 10.244.0.0/16}
apiServer:
  extraArgs: [{name: audit-log-maxage, value: "30"}]
  extraEnvs: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]
proxy: {disabled: false}
dns: {disabled: false}
encryptionAlgorithm: ECDSA-P256
certificateValidityPeriod: 8760h0m0s
"""
JOIN_V1BETA3 = """
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken: {apiServerEndpoint: "192.0.2.10:6443", token: abcdef.0123456789abcdef, caCertHashes: ["sha256:00"]}
  timeout: 5m0s
nodeRegistration: {name: w1, kubeletExtraArgs: {node-ip: 192.0.2.21}}
"""
JOIN_V1BETA4 = """
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken: {apiServerEndpoint: "192.0.2.10:6443", token: abcdef.0123456789abcdef, caCertHashes: ["sha256:00"]}
timeouts: {discovery: 5m0s, tlsBootstrap: 5m0s}
nodeRegistration: {name: w1, kubeletExtraArgs: [{name: node-ip, value: 192.0.2.21}]}
controlPlane: {certificateKey: "0123", localAPIEndpoint: {bindPort: 6443}}
"""


@pytest.fixture
def load(kube_sim, tmp_path):
    """load(text, version, join=False): the simulator's config loader on `text`, as kubeadm `version`."""

    def _load(text: str, version: str = "1.30.5", join: bool = False) -> dict:
        path = tmp_path / "kubeadm.yaml"
        path.write_text(textwrap.dedent(text))
        return kube_sim.load_config(str(path), ("JoinConfiguration",) if join else kube_sim.INIT_KINDS, version)

    return _load


@pytest.fixture
def refused(kube_sim, load):
    """refused(text, version, join=False): the message the loader fails with."""

    def _refused(text: str, version: str = "1.30.5", join: bool = False) -> str:
        with pytest.raises(kube_sim.Fail) as failure:
            load(text, version, join)
        return str(failure.value)

    return _refused


def strict_error(kind: str, fields: str, version: str = "v1beta3", group: str = "kubeadm.k8s.io") -> str:
    return f"error unmarshaling configuration {GVK.format(group=group, version=version, kind=kind)}: strict decoding error: {fields}"


# --- what passes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.30.5", "1.31.2", "1.29.9"])
def test_a_full_v1beta3_init_config_is_accepted_by_every_kubeadm(load, version):
    docs = load(INIT_V1BETA3, version)
    assert sorted(docs) == ["ClusterConfiguration", "InitConfiguration", "KubeProxyConfiguration", "KubeletConfiguration"]
    assert docs["ClusterConfiguration"]["networking"]["podSubnet"] == "10.244.0.0/16"


def test_v1beta3_join_config_is_accepted(load):
    assert load(JOIN_V1BETA3, join=True)["JoinConfiguration"]["discovery"]["timeout"] == "5m0s"


@pytest.mark.parametrize("version", ["1.31.0", "1.31.2"])
def test_v1beta4_is_accepted_by_kubeadm_1_31(load, version):
    assert load(INIT_V1BETA4, version)["InitConfiguration"]["timeouts"]["kubeletHealthCheck"] == "4m0s"
    assert load(JOIN_V1BETA4, version, join=True)["JoinConfiguration"]["timeouts"]["discovery"] == "5m0s"


def test_v1beta3_at_1_31_is_accepted_with_kubeadms_deprecation_warning(load, capfd):
    load(JOIN_V1BETA3, "1.31.2", join=True)
    assert 'your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3" (kind: "JoinConfiguration")' in capfd.readouterr().err


def test_join_reads_only_its_joinconfiguration(load, refused):
    assert sorted(load(JOIN_V1BETA3 + "---\n" + INIT_V1BETA3.split("---")[2], join=True)) == ["JoinConfiguration"]
    assert refused(INIT_V1BETA3, join=True) == "no JoinConfiguration found in the supplied config"


def test_nulls_are_accepted_as_zero_values(load):
    load("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\napiServer: {certSANs: null}\n")


# --- API versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.30.5", "1.30.0", "1.28.15", "1.29.9"])
def test_v1beta4_is_refused_below_1_31_as_an_experimental_api(refused, version):
    message = refused(INIT_V1BETA4, version)
    # kubeadm sorts the documents by GroupVersionKind: ClusterConfiguration comes first.
    assert message == (
        'experimental API spec: "kubeadm.k8s.io/v1beta4" (kind: "ClusterConfiguration") is not allowed. '
        "You can use the --allow-experimental-api flag if the command supports it."
    )
    assert 'kind: "JoinConfiguration"' in refused(JOIN_V1BETA4, version, join=True)


def test_v1beta4_is_unknown_before_1_28(refused):
    assert refused(JOIN_V1BETA4, "1.27.16", join=True) == (
        'no kind "JoinConfiguration" is registered for version "kubeadm.k8s.io/v1beta4" in scheme '
        '"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"'
    )


def test_an_old_api_is_refused_with_the_kubeadm_to_migrate_with(refused):
    message = refused("apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n")
    assert message.startswith('your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2" (kind: "ClusterConfiguration"). Please use kubeadm v1.22')


def test_documents_need_kind_and_apiversion_once(refused):
    assert refused("kind: ClusterConfiguration\n") == (
        "invalid configuration for GroupVersionKind {Group: Version: Kind:ClusterConfiguration}: "
        "kind and apiVersion is mandatory information that must be specified"
    )
    twice = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
    assert refused(twice) == 'invalid configuration: kind "ClusterConfiguration" is specified twice in YAML file'


# --- unknown fields --------------------------------------------------------------------------------


def test_a_misspelled_field_is_refused_with_its_path(refused):
    text = INIT_V1BETA3.replace("podSubnet:", "podSubnett:")
    assert refused(text) == strict_error("ClusterConfiguration", 'unknown field "networking.podSubnett"')


@pytest.mark.parametrize(
    ("old", "new", "kind", "path"),
    [
        ("  ttl: 15m0s", "  tll: 15m0s", "InitConfiguration", "bootstrapTokens[0].tll"),
        ("  criSocket:", "  criSokcet:", "InitConfiguration", "nodeRegistration.criSokcet"),
        ("  certSANs:", "  certSans:", "ClusterConfiguration", "apiServer.certSans"),  # field names are case-sensitive
        ("{local: {dataDir:", "{local: {dataDirectory:", "ClusterConfiguration", "etcd.local.dataDirectory"),
        ("controlPlaneEndpoint:", "controlPlaneEndPoint:", "ClusterConfiguration", "controlPlaneEndPoint"),
    ],
)
def test_unknown_fields_at_any_depth_of_kubeadm_kinds(refused, old, new, kind, path):
    assert old in INIT_V1BETA3
    assert refused(INIT_V1BETA3.replace(old, new)) == strict_error(kind, f'unknown field "{path}"')


def test_every_unknown_field_of_a_document_is_named_in_sorted_order(refused):
    text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nmetadata: {name: config}\nnetworking: {podCIDR: 10.244.0.0/16}\n"
    assert refused(text) == strict_error("ClusterConfiguration", 'unknown field "metadata", unknown field "networking.podCIDR"')


def test_component_configs_are_strict_too(refused):
    kubelet = INIT_V1BETA3.replace("failSwapOn: false", "failSwapon: false")
    assert refused(kubelet) == strict_error("KubeletConfiguration", 'unknown field "failSwapon"', "v1beta1", "kubelet.config.k8s.io")
    proxy = INIT_V1BETA3.replace("maxPerCore: 0", "maxPerCPU: 0")
    assert refused(proxy) == strict_error("KubeProxyConfiguration", 'unknown field "conntrack.maxPerCPU"', "v1alpha1", "kubeproxy.config.k8s.io")


def test_a_repeated_key_is_a_strict_error(refused):
    text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/16\n  podSubnet: 10.245.0.0/16\n"
    assert refused(text) == strict_error("ClusterConfiguration", 'yaml: unmarshal errors:\n  line 5: key "podSubnet" already set in map')


# --- what changed between v1beta3 and v1beta4 --------------------------------------------------------


def test_v1beta4_fields_are_unknown_in_v1beta3(refused):
    assert refused(JOIN_V1BETA3 + "timeouts: {discovery: 5m0s}\n", join=True) == strict_error("JoinConfiguration", 'unknown field "timeouts"')
    assert refused(INIT_V1BETA3.replace("  taints: []", "  imagePullSerial: true")) == strict_error(
        "InitConfiguration", 'unknown field "nodeRegistration.imagePullSerial"'
    )


def test_v1beta3_fields_are_unknown_in_v1beta4(refused):
    text = JOIN_V1BETA4.replace("discovery:\n", "discovery:\n  timeout: 5m0s\n")
    assert refused(text, "1.31.2", join=True) == strict_error("JoinConfiguration", 'unknown field "discovery.timeout"', "v1beta4")
    cluster = INIT_V1BETA4.replace("proxy: {disabled: false}", "apiServer: {timeoutForControlPlane: 4m0s}").replace(
        'apiServer:\n  extraArgs: [{name: audit-log-maxage, value: "30"}]\n  extraEnvs: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]\n', ""
    )
    assert refused(cluster, "1.31.2") == strict_error("ClusterConfiguration", 'unknown field "apiServer.timeoutForControlPlane"', "v1beta4")


def test_extra_args_are_a_map_in_v1beta3_and_a_list_in_v1beta4(refused):
    as_map = INIT_V1BETA4.replace("[{name: node-ip, value: 192.0.2.10}]", "{node-ip: 192.0.2.10}")
    assert refused(as_map, "1.31.2") == (
        "json: cannot unmarshal object into Go struct field NodeRegistrationOptions.nodeRegistration.kubeletExtraArgs of type []v1beta4.Arg"
    )
    as_list = INIT_V1BETA3.replace('{audit-log-maxage: "30"}', '[{name: audit-log-maxage, value: "30"}]')
    assert refused(as_list) == "json: cannot unmarshal array into Go struct field APIServer.apiServer.extraArgs of type map[string]string"
    unknown_arg_field = INIT_V1BETA4.replace("value: 192.0.2.10}", "val: 192.0.2.10}")
    assert refused(unknown_arg_field, "1.31.2") == strict_error("InitConfiguration", 'unknown field "nodeRegistration.kubeletExtraArgs[0].val"', "v1beta4")


# --- wrong types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("bindPort: 6443", 'bindPort: "6443"', "cannot unmarshal string into Go struct field APIEndpoint.localAPIEndpoint.bindPort of type int32"),
        (
            "kubernetesVersion: v1.30.5",
            "kubernetesVersion: 1.30",
            "cannot unmarshal number into Go struct field ClusterConfiguration.kubernetesVersion of type string",
        ),
        (
            "ignorePreflightErrors: [SystemVerification]",
            "ignorePreflightErrors: SystemVerification",
            "cannot unmarshal string into Go struct field NodeRegistrationOptions.nodeRegistration.ignorePreflightErrors of type []string",
        ),
        ("certSANs: [lb.example]", "certSANs: lb.example", "cannot unmarshal string into Go struct field APIServer.apiServer.certSANs of type []string"),
        ("failSwapOn: false", 'failSwapOn: "false"', "cannot unmarshal string into Go struct field KubeletConfiguration.failSwapOn of type bool"),
        ("maxPods: 110", "maxPods: 110.5", "cannot unmarshal number 110.5 into Go struct field KubeletConfiguration.maxPods of type int32"),
        ("maxPods: 110", "maxPods: 4294967296", "cannot unmarshal number 4294967296 into Go struct field KubeletConfiguration.maxPods of type int32"),
        ("maxPerCore: 0", "maxPerCore: [0]", "cannot unmarshal array into Go struct field KubeProxyConntrackConfiguration.conntrack.maxPerCore of type int32"),
        (
            "{EtcdLearnerMode: true}",
            "{EtcdLearnerMode: yes please}",
            "cannot unmarshal string into Go struct field ClusterConfiguration.featureGates of type bool",
        ),
        (
            "{node-ip: 192.0.2.10}",
            "{max-pods: 110}",
            "cannot unmarshal number into Go struct field NodeRegistrationOptions.nodeRegistration.kubeletExtraArgs of type string",
        ),
        (
            "groups: [system:bootstrappers:kubeadm:default-node-token]",
            "groups: {a: b}",
            "cannot unmarshal object into Go struct field BootstrapToken.bootstrapTokens.groups of type []string",
        ),
        ("networking: {podSubnet", "networking: [{podSubnet", None),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(refused, old, new, message):
    assert old in INIT_V1BETA3
    text = INIT_V1BETA3.replace(old, new)
    if message is None:  # networking as a list of one mapping
        text = text.replace("dnsDomain: cluster.local}", "dnsDomain: cluster.local}]")
        message = "cannot unmarshal array into Go struct field ClusterConfiguration.networking of type v1beta3.Networking"
    assert refused(text) == f"json: {message}"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  ttl: 15m0s", "  ttl: 15mins", 'time: invalid duration "15mins"'),
        ("  ttl: 15m0s", "  ttl: 900", "json: cannot unmarshal number into Go value of type string"),
        ("timeoutForControlPlane: 4m0s", "timeoutForControlPlane: 240", "json: cannot unmarshal number into Go value of type string"),
        (
            "token: abcdef.0123456789abcdef",
            "token: ABCDEF.0123456789abcdef",
            'the bootstrap token "ABCDEF.0123456789abcdef" was not of the form "\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z"',
        ),
    ],
)
def test_durations_and_tokens_are_parsed(refused, old, new, message):
    assert refused(INIT_V1BETA3.replace(old, new)) == message


def test_the_first_type_error_wins_over_unknown_fields(refused):
    text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking: {podSubnett: x, serviceSubnet: 12}\n"
    assert refused(text) == "json: cannot unmarshal number into Go struct field Networking.networking.serviceSubnet of type string"


# --- the command line ------------------------------------------------------------------------------


def test_kubeadm_init_refuses_an_unknown_field_before_doing_anything(tmp_path):
    (tmp_path / "init.yaml").write_text(INIT_V1BETA3.replace("podSubnet:", "podSubnett:"))
    result = run("kubeadm", "init", "--config", "/init.yaml", root=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith(
        strict_error("ClusterConfiguration", 'unknown field "networking.podSubnett"') + "\nTo see the stack trace of this error execute with --v=5 or higher\n"
    )
    assert not (tmp_path / "etc" / "kubernetes").exists()


@pytest.mark.parametrize(("version", "accepted"), [("1.30.5", False), ("1.31.2", True)])
def test_kubeadm_join_reads_v1beta4_by_its_own_version(tmp_path, version, accepted):
    (tmp_path / "join.yaml").write_text(JOIN_V1BETA4.replace("192.0.2.10:6443", "127.0.0.1:9").replace("discovery: 5m0s", "discovery: 1s"))
    result = run("kubeadm", "join", "--config", "/join.yaml", root=tmp_path, KUBE_SIM_VERSION=version)
    assert result.returncode == 1
    if accepted:  # the config is read; the join fails later, at the preflight checks or discovery
        assert "experimental API spec" not in result.stderr
        assert "[preflight]" in result.stdout
    else:
        assert result.stderr.startswith('experimental API spec: "kubeadm.k8s.io/v1beta4" (kind: "JoinConfiguration") is not allowed.')
        assert result.stdout == ""
