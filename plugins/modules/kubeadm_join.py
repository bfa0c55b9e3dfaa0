# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubeadm_join
short_description: Join this host to a kubeadm cluster, as a worker or as a control plane
version_added: 0.2.0
description:
  - The one join of the collection, used by the C(worker) and the C(control_plane) roles.
  - Builds the kubeadm C(JoinConfiguration) from the options (API version C(kubeadm.k8s.io/v1beta3) up to
    Kubernetes 1.30, C(v1beta4) from 1.31 on, with the shape each expects), writes it to O(config_path) with mode
    C(0600), runs C(kubeadm join --config), and removes the file again, whether the join worked or not.
  - B(Secrets:) the bootstrap token and the certificate key reach kubeadm only through that file, never a command
    line. On failure the kubeadm output is returned without the lines that may carry a secret (flags that take
    one, and anything shaped like a bootstrap token or a certificate key).
  - Does nothing when O(creates) exists (the node has joined).
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  kubernetes_version:
    description: The Kubernetes release of the node, V(X.Y.Z); it selects the kubeadm config API version.
    type: str
    required: true
  node_name:
    description: The name of the Node (C(nodeRegistration.name)).
    type: str
    required: true
  api_server_endpoint:
    description: The C(host:port) of the API server to discover the cluster through.
    type: str
    required: true
  token:
    description: The bootstrap token (from M(kubeadm.cluster.kubeadm_token)).
    type: str
    required: true
  ca_cert_hash:
    description: The discovery pin of the cluster CA, C(sha256:<hex>).
    type: str
    required: true
  discovery_timeout:
    description: How long kubeadm tries to discover the cluster, in Go duration syntax.
    type: str
    default: 5m0s
  cri_socket:
    description: The container runtime socket (C(nodeRegistration.criSocket)).
    type: str
    default: unix:///run/containerd/containerd.sock
  ignore_preflight_errors:
    description: kubeadm preflight checks whose errors are ignored (C(nodeRegistration.ignorePreflightErrors)).
    type: list
    elements: str
    default: []
  kubelet_extra_args:
    description:
      - Extra kubelet flags (C(nodeRegistration.kubeletExtraArgs)), without the leading C(--).
      - Values are passed as strings, as kubeadm requires; V(true) becomes C("true") and V(200) C("200").
    type: dict
    default: {}
  control_plane:
    description:
      - Join as a control plane (the C(controlPlane) section). Omit for a worker.
    type: dict
    suboptions:
      certificate_key:
        description: The key the certificates were uploaded with (C(kubeadm init phase upload-certs)).
        type: str
        required: true
      advertise_address:
        description: The address this API server advertises; empty lets kubeadm choose.
        type: str
        default: ""
      bind_port:
        description: The port this API server listens on.
        type: int
        default: 6443
  config_path:
    description: Where the configuration is written for the join, and removed from after it.
    type: path
    default: /etc/kubernetes/kubeadm-join.yaml
  creates:
    description: Skip the join when this file exists.
    type: path
    default: /etc/kubernetes/kubelet.conf
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports a change when the node would join, and joins nothing.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - C(kubeadm) on the PATH of the target.
notes:
  - Set the task keyword C(no_log) to V(true) on the task, which passes the token and the certificate key.
seealso:
  - module: kubeadm.cluster.kubeadm_token
"""

EXAMPLES = r"""
- name: Join this worker
  kubeadm.cluster.kubeadm_join:
    kubernetes_version: 1.30.5
    node_name: worker1
    api_server_endpoint: "{{ join_data.api_server_endpoint }}"
    token: "{{ join_data.token }}"
    ca_cert_hash: "{{ join_data.ca_cert_hash }}"
  no_log: true
"""

RETURN = r"""
api_version:
  description: The kubeadm config API version of the configuration.
  returned: always
  type: str
  sample: kubeadm.k8s.io/v1beta3
output:
  description: The kubeadm output (stderr, then the last 30 lines of stdout), without the lines that may carry a secret.
  returned: when kubeadm ran
  type: list
  elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import kubeadm_config_api, without_secrets

ENVIRON = {"LC_ALL": "C"}


def argument_spec() -> dict:
    return {
        "kubernetes_version": {"type": "str", "required": True},
        "node_name": {"type": "str", "required": True},
        "api_server_endpoint": {"type": "str", "required": True},
        "token": {"type": "str", "required": True, "no_log": True},
        "ca_cert_hash": {"type": "str", "required": True},
        "discovery_timeout": {"type": "str", "default": "5m0s"},
        "cri_socket": {"type": "str", "default": "unix:///run/containerd/containerd.sock"},
        "ignore_preflight_errors": {"type": "list", "elements": "str", "default": []},
        "kubelet_extra_args": {"type": "dict", "default": {}},
        "control_plane": {
            "type": "dict",
            "options": {
                "certificate_key": {"type": "str", "required": True, "no_log": True},
                "advertise_address": {"type": "str", "default": ""},
                "bind_port": {"type": "int", "default": 6443},
            },
        },
        "config_path": {"type": "path", "default": "/etc/kubernetes/kubeadm-join.yaml"},
        "creates": {"type": "path", "default": "/etc/kubernetes/kubelet.conf"},
    }


def kubelet_flag(value) -> str:
    """A kubelet flag value as kubeadm takes it: a string; booleans as true/false."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def join_configuration(params: dict) -> dict:
    """The JoinConfiguration for the parameters, in the shape of the API version the release reads."""
    api = kubeadm_config_api(params["kubernetes_version"])
    beta3 = api.endswith("v1beta3")
    registration = {
        "name": params["node_name"],
        "criSocket": params["cri_socket"],
        "ignorePreflightErrors": params["ignore_preflight_errors"],
    }
    extra = {str(key): kubelet_flag(value) for key, value in params["kubelet_extra_args"].items()}
    if extra:
        registration["kubeletExtraArgs"] = extra if beta3 else [{"name": k, "value": v} for k, v in extra.items()]
    discovery = {
        "bootstrapToken": {
            "apiServerEndpoint": params["api_server_endpoint"],
            "token": params["token"],
            "caCertHashes": [params["ca_cert_hash"]],
        }
    }
    config = {"apiVersion": api, "kind": "JoinConfiguration", "discovery": discovery, "nodeRegistration": registration}
    if beta3:
        discovery["timeout"] = params["discovery_timeout"]
    else:
        config["timeouts"] = {"discovery": params["discovery_timeout"]}
    control_plane = params.get("control_plane")
    if control_plane:
        endpoint = {"bindPort": control_plane["bind_port"]}
        if control_plane["advertise_address"]:
            endpoint["advertiseAddress"] = control_plane["advertise_address"]
        config["controlPlane"] = {"certificateKey": control_plane["certificate_key"], "localAPIEndpoint": endpoint}
    return config


def write_private(path: str, text: str) -> None:
    """Write text to path, readable by root only from the first byte on."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        config = join_configuration(params)
    except ValueError as err:
        module.fail_json(msg=str(err))
    result = {"changed": False, "api_version": config["apiVersion"]}
    if os.path.exists(params["creates"]):
        module.exit_json(**result)
    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)

    kubeadm = module.get_bin_path("kubeadm", required=True)
    path = params["config_path"]
    try:
        # JSON is YAML to kubeadm, and needs nothing beyond the standard library here.
        write_private(path, json.dumps(config, indent=2) + "\n")
        rc, stdout, stderr = module.run_command([kubeadm, "join", "--config", path], environ_update=ENVIRON)
    finally:
        if os.path.exists(path):
            os.remove(path)
    result["output"] = without_secrets(stderr.splitlines() + stdout.splitlines()[-30:])
    if rc != 0:
        module.fail_json(msg=f"kubeadm join failed (rc {rc}) on {params['node_name']}", rc=rc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
