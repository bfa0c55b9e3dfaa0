# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: repository_probe
short_description: Check that package repository URLs answer from a host, before anything is written
version_added: 0.3.0
description:
  - Sends a C(GET) request to each URL of O(urls) from the target host and reads at most one byte of the answer.
    A URL answers when its final status, after redirects, is C(200). A C(GET) rather than a C(HEAD), because some
    mirrors refuse C(HEAD).
  - Changes nothing, so it also runs in check mode; RV(ignore:changed) is always V(false).
  - When a URL does not answer, the module fails with one line per failing URL that names the variable to fix,
    its value, what did not answer, the request and its error. Page content is never returned.
  - The proxy environment variables of the host (C(https_proxy), C(http_proxy), C(no_proxy)) are honoured unless
    O(use_proxy=false).
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  urls:
    description:
      - The URLs to probe, in order, each with the words the failure message uses for it.
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - The URL to fetch, for example the C(Release) file of an APT repository or its signing key.
        type: str
        required: true
      what:
        description:
          - What the URL is, for the message, for example V(the Kubernetes package repository) or V(its signing key).
        type: str
        required: true
      variable:
        description:
          - The variable a user changes to fix this URL, for example V(kube_packages_repo_url).
        type: str
        required: true
      value:
        description:
          - The value of O(urls[].variable), when the URL is built from it rather than equal to it
            (a repository base URL whose C(Release) file is fetched).
          - Defaults to O(urls[].url).
        type: str
  timeout:
    description:
      - Seconds each request may wait for the connection and for each read. Must be positive.
    type: int
    default: 10
  host:
    description:
      - How the message names the host the requests were sent from, for example the inventory name.
    type: str
    default: this host
  hint:
    description:
      - A sentence added once at the end of the failure message, for example where to point the variables.
    type: str
  validate_certs:
    description:
      - Whether HTTPS certificates are validated.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to validate HTTPS servers with, instead of the system's, for a mirror
        with a private CA.
    type: path
  use_proxy:
    description:
      - Whether the proxy environment variables of the host are used.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Sends the same requests as without check mode; they change nothing.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
seealso:
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
- name: Check that the Kubernetes repository and its signing key answer from this host
  kubeadm.cluster.repository_probe:
    urls:
      - url: "{{ kube_packages_repo_url }}Release"
        value: "{{ kube_packages_repo_url }}"
        what: the Kubernetes package repository
        variable: kube_packages_repo_url
      - url: "{{ kube_packages_repo_key_url }}"
        what: its signing key
        variable: kube_packages_repo_key_url
    timeout: 5
    host: "{{ inventory_hostname }}"
    hint: Point these variables at a mirror this host reaches, or fix this host's network, DNS or proxy.
"""

RETURN = r"""
results:
  description:
    - One entry per URL of O(urls), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL requested.
      type: str
      sample: https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release
    status:
      description: The HTTP status of the final answer, or V(-1) when there was none (connection refused, timeout, TLS error).
      type: int
      sample: 200
    error:
      description: Why the URL does not answer, for example V(HTTP 404); V(null) when it answers.
      type: str
      sample: "Request failed: [Errno 111] Connection refused"
"""

import http.client

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

ERROR_LENGTH = 200


def argument_spec() -> dict:
    return {
        "urls": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {
                "url": {"type": "str", "required": True},
                "what": {"type": "str", "required": True},
                "variable": {"type": "str", "required": True},
                "value": {"type": "str"},
            },
        },
        "timeout": {"type": "int", "default": 10},
        "host": {"type": "str", "default": "this host"},
        "hint": {"type": "str"},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "use_proxy": {"type": "bool", "default": True},
    }


class _FetchFailed(Exception):
    """fetch_url ends the module for some errors (a bad URL, a TLS error); here they are a probe's answer."""


class _Requester:
    """The module as fetch_url sees it, except that fail_json raises instead of ending the module."""

    def __init__(self, module: AnsibleModule) -> None:
        self._module = module

    def __getattr__(self, name: str):
        return getattr(self._module, name)

    def fail_json(self, msg: str = "", **kwargs) -> None:
        raise _FetchFailed(msg)


def _short(text: object) -> str:
    text = " ".join(str(text).split()) or "no answer"
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 3] + "..."


def probe(module: AnsibleModule, url: str) -> dict:
    """GET url and read one byte: {url, status, error}, error None when the answer is 200."""
    params = module.params
    try:
        response, info = fetch_url(_Requester(module), url, method="GET", timeout=params["timeout"], use_proxy=params["use_proxy"], ca_path=params["ca_path"])
    except _FetchFailed as exc:
        return {"url": url, "status": -1, "error": _short(exc)}
    status = info.get("status", -1)
    status = status if isinstance(status, int) else -1
    error = None
    if status != 200:
        error = f"HTTP {status}" if status > 0 else _short(info.get("msg"))
    elif response is not None:
        try:
            response.read(1)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            status, error = -1, _short(f"reading the answer failed: {exc}")
    if response is not None:
        response.close()
    return {"url": url, "status": status, "error": error}


def failure_message(params: dict, failures: list[tuple[dict, dict]]) -> str:
    """One line per failing URL; the last one says that nothing changed, then the hint."""
    lines = [
        f"{entry['variable']} is {entry['value'] if entry['value'] is not None else entry['url']}, but {entry['what']} "
        f"does not answer from {params['host']} (GET {entry['url']}: {result['error']}; timeout {params['timeout']} s)."
        for entry, result in failures
    ]
    lines[-1] += " Nothing has been changed."
    if params["hint"]:
        lines[-1] += " " + params["hint"].strip()
    return "\n".join(lines)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be a positive number of seconds, got {params['timeout']}")

    results = [probe(module, entry["url"]) for entry in params["urls"]]
    failures = [(entry, result) for entry, result in zip(params["urls"], results) if result["error"] is not None]
    if failures:
        module.fail_json(msg=failure_message(params, failures), changed=False, results=results)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
