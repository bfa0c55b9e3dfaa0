# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_probe
short_description: Tell whether a node holds the kubeconfig of a kubeadm cluster, and whether its API server answers
version_added: 0.3.0
description:
  - Looks for the first of O(kubeconfigs) that exists on the node. A node that holds one belongs to a cluster
    (C(kubeadm init) and C(kubeadm join) write them), whether or not that cluster answers.
  - Sends one anonymous C(GET /readyz) to the C(server:) that kubeconfig names, directly (no proxy), and reports
    whether any HTTP answer came back (RV(reachable)) and whether it was C(ok) (RV(ready)). It only asks whether an
    API server answers there; the certificate is not checked and no credentials are sent.
  - With O(read_config), also reads kubeadm's C(ClusterConfiguration) (the C(kubeadm-config) ConfigMap in
    C(kube-system)) with C(kubectl) and that kubeconfig's credentials.
  - Changes nothing and never fails because of what it finds; the caller decides (the
    P(kubeadm.cluster.cluster_state#filter) filter).
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  kubeconfigs:
    description:
      - The kubeconfig files to look for, in order; the first one that exists is used.
    type: list
    elements: path
    default: [/etc/kubernetes/admin.conf, /etc/kubernetes/kubelet.conf]
  timeout:
    description:
      - Seconds the connection, the answer and the C(kubectl) request may each take. Must be positive.
    type: int
    default: 5
  read_config:
    description:
      - Also read kubeadm's C(ClusterConfiguration) when the API server answers. Needs C(kubectl) on the node
        and a kubeconfig whose credentials may read the ConfigMap (C(admin.conf), or a node's C(kubelet.conf)).
    type: bool
    default: false
  host:
    description:
      - How the caller names this node, returned as RV(host) so that results gathered from several nodes say
        whose they are.
    type: str
    default: this host
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it does the same in check mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - Reading the kubeconfigs needs root (C(become)); the files are C(0600).
seealso:
  - module: kubeadm.cluster.kubeadm_token
"""

EXAMPLES = r"""
- name: Ask the API server of this node's kubeconfig, if it holds one
  kubeadm.cluster.cluster_probe:
    host: "{{ inventory_hostname }}"
    read_config: "{{ inventory_hostname in groups['control_plane'] }}"
  become: true
  register: __probe

- name: Fail when the node belongs to a cluster whose API server cannot be reached
  ansible.builtin.fail:
    msg: "{{ item.msg }}"
  loop: "{{ ([__probe] | kubeadm.cluster.cluster_state).unreachable }}"
"""

RETURN = r"""
host:
  description: O(host), as given.
  returned: always
  type: str
  sample: cp1
kubeconfig:
  description: The first of O(kubeconfigs) that exists, V(null) when none does (no cluster was made or joined here).
  returned: always
  type: str
  sample: /etc/kubernetes/admin.conf
server:
  description: The C(server:) URL of RV(kubeconfig), V(null) when there is none or it cannot be read.
  returned: always
  type: str
  sample: https://172.18.0.2:6443
reachable:
  description: Whether the API server sent an HTTP answer, whatever its status.
  returned: always
  type: bool
  sample: true
status:
  description: The HTTP status of the answer to C(GET /readyz), V(null) without an answer.
  returned: always
  type: int
  sample: 200
ready:
  description: Whether the answer was C(200) with the body C(ok).
  returned: always
  type: bool
  sample: true
error:
  description:
    - One line on why the API server could not be asked, V(null) when it answered or no kubeconfig exists.
  returned: always
  type: str
  sample: connection refused
cluster_configuration:
  description: The C(ClusterConfiguration) YAML of the C(kubeadm-config) ConfigMap, empty when it was not read.
  returned: always
  type: str
  sample: "apiServer: {}\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
config_error:
  description: One line on why O(read_config) read nothing, V(null) when it did or was not asked to.
  returned: always
  type: str
  sample: "Error from server (Forbidden): configmaps \"kubeadm-config\" is forbidden"
"""

import http.client
import os
import socket
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import kubeconfig_servers

ENVIRON = {"LC_ALL": "C", "LANG": "C"}
LINE_LENGTH = 200
CONFIG_JSONPATH = "jsonpath={.data.ClusterConfiguration}"


def argument_spec() -> dict:
    return {
        "kubeconfigs": {
            "type": "list",
            "elements": "path",
            "default": ["/etc/kubernetes/admin.conf", "/etc/kubernetes/kubelet.conf"],
        },
        "timeout": {"type": "int", "default": 5},
        "read_config": {"type": "bool", "default": False},
        "host": {"type": "str", "default": "this host"},
    }


def one_line(text: object) -> str:
    text = " ".join(str(text).split()) or "no error output"
    return text if len(text) <= LINE_LENGTH else text[: LINE_LENGTH - 3] + "..."


def connection_error(exc: BaseException, timeout: int) -> str:
    """One line for why no HTTP answer came back."""
    if isinstance(exc, socket.timeout):  # TimeoutError from Python 3.10 on
        return f"no answer within {timeout} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLError):
        return one_line(f"TLS handshake failed ({exc.reason or exc})")
    if isinstance(exc, http.client.HTTPException):
        return one_line(f"no HTTP answer ({type(exc).__name__}: {exc})" if str(exc) else f"no HTTP answer ({type(exc).__name__})")
    if isinstance(exc, OSError) and exc.strerror:
        return one_line(exc.strerror[:1].lower() + exc.strerror[1:])
    return one_line(exc)


def ask_readyz(server: str, timeout: int) -> dict:
    """GET <server>/readyz, anonymously: {reachable, status, ready, error}."""
    try:
        parts = urlsplit(server)
        port = parts.port
    except ValueError as exc:
        return {"reachable": False, "status": None, "ready": False, "error": one_line(f"the server URL is invalid ({exc})")}
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return {"reachable": False, "status": None, "ready": False, "error": "the server URL is not http(s)://host:port"}
    if parts.scheme == "https":
        # Whether an API server answers at all: the kubeconfig's CA and credentials are kubectl's business.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(parts.hostname, port or 443, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, port or 80, timeout=timeout)
    try:
        connection.request("GET", "/readyz", headers={"Accept": "text/plain"})
        response = connection.getresponse()
        body = response.read(64)
    except (OSError, http.client.HTTPException) as exc:
        return {"reachable": False, "status": None, "ready": False, "error": connection_error(exc, timeout)}
    finally:
        connection.close()
    ready = response.status == 200 and body.strip() == b"ok"
    return {"reachable": True, "status": response.status, "ready": ready, "error": None}


def read_config(module: AnsibleModule, kubeconfig: str, timeout: int) -> tuple[str, str | None]:
    """kubeadm's ClusterConfiguration through kubectl: (text, None), or ('', one line why not)."""
    kubectl = module.get_bin_path("kubectl")
    if not kubectl:
        return "", "kubectl is not installed"
    argv = [
        kubectl,
        "--kubeconfig",
        kubeconfig,
        "get",
        "configmap",
        "kubeadm-config",
        "--namespace",
        "kube-system",
        "-o",
        CONFIG_JSONPATH,
        f"--request-timeout={timeout}s",
    ]
    rc, stdout, stderr = module.run_command(argv, environ_update=ENVIRON)
    if rc != 0:
        # kubectl logs each retry, then the error itself on the last line.
        lines = [line for line in stderr.splitlines() if line.strip()]
        return "", one_line(lines[-1] if lines else f"kubectl exited with {rc}")
    return stdout, None


def probe(module: AnsibleModule) -> dict:
    params = module.params
    result = {
        "changed": False,
        "host": params["host"],
        "kubeconfig": None,
        "server": None,
        "reachable": False,
        "status": None,
        "ready": False,
        "error": None,
        "cluster_configuration": "",
        "config_error": None,
    }
    kubeconfig = next((path for path in params["kubeconfigs"] if os.path.exists(path)), None)
    if kubeconfig is None:
        return result
    result["kubeconfig"] = kubeconfig
    try:
        with open(kubeconfig, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        result["error"] = one_line(f"it cannot be read ({exc.strerror or exc})")
        return result
    servers = kubeconfig_servers(text)
    if not servers:
        result["error"] = "it names no API server (no server: line)"
        return result
    result["server"] = servers[0]
    result.update(ask_readyz(servers[0], params["timeout"]))
    if params["read_config"] and result["reachable"]:
        result["cluster_configuration"], result["config_error"] = read_config(module, kubeconfig, params["timeout"])
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be a positive number of seconds, got {module.params['timeout']}")
    module.exit_json(**probe(module))


if __name__ == "__main__":
    main()
