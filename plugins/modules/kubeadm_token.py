# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubeadm_token
short_description: Get the data a node needs to join a kubeadm cluster
version_added: 0.2.0
description:
  - Runs on an initialised kubeadm control plane node and returns what C(kubeadm join) needs on another node
    (a bootstrap token, the discovery hash of the cluster CA, the API server endpoint and, on request,
    a certificate key for a control plane join).
  - With O(state=present), reuses a bootstrap token that this module made earlier (same O(description), usable
    for authentication and signing, only the group C(system:bootstrappers:kubeadm:default-node-token))
    if it has at least O(min_ttl) lifetime left; otherwise creates a new one with C(kubeadm token create).
    Tokens made by anyone else (another description, other usages or groups, no expiry) are never reused
    or deleted.
  - With O(state=absent), deletes O(token), or all tokens with O(description) when O(token) is not given.
  - B(Secrets:) the returned RV(token) and RV(certificate_key) are secret. Every task that calls this module
    or registers its result B(must) set the task keyword C(no_log) to V(true). The module does not mask these values itself,
    because the play needs them in the registered result.
  - Neither the token nor the certificate key ever appears on a command line; kubeadm generates both.
  - The discovery hash is computed in Python (SHA-256 of the DER SubjectPublicKeyInfo of O(ca_cert)),
    so neither C(openssl) nor the Python C(cryptography) library is needed on the host.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  state:
    description:
      - V(present) returns a usable token, reusing one when possible.
      - V(absent) deletes O(token), or all tokens with O(description).
    type: str
    choices: [present, absent]
    default: present
  kubeconfig:
    description:
      - Admin kubeconfig that kubeadm uses to talk to the cluster, passed as C(--kubeconfig).
      - Unless O(api_server_endpoint) is set, its C(server:) gives RV(api_server_endpoint).
    type: path
    default: /etc/kubernetes/admin.conf
  ca_cert:
    description:
      - PEM file of the cluster CA certificate; its public key gives RV(ca_cert_hash).
    type: path
    default: /etc/kubernetes/pki/ca.crt
  ttl:
    description:
      - Lifetime of a newly created token, in Go duration syntax as C(kubeadm token create --ttl) takes it,
        for example V(10m), V(1h), V(1h30m) or V(15m0s).
      - Short on purpose, the token is only needed while nodes join. Tokens that never expire (V(0)) are refused.
    type: str
    default: 15m
  min_ttl:
    description:
      - Reuse an existing token only if it has at least this much lifetime left (Go duration syntax).
      - Should be lower than O(ttl), or a new token is created on every run.
    type: str
    default: 10m
  description:
    description:
      - Description that marks the tokens this module manages. Only tokens with exactly this description
        are reused, and with O(state=absent) and no O(token), deleted.
    type: str
    default: kubeadm.cluster join token
  token:
    description:
      - With O(state=absent), the token (C(abcdef.0123456789abcdef)) or only its id (C(abcdef)) to delete,
        whatever its description.
      - Not allowed with O(state=present).
    type: str
  upload_certs:
    description:
      - With O(state=present), also run C(kubeadm init phase upload-certs --upload-certs) and return the
        certificate key kubeadm generated, for a control plane join. This always reports a change.
      - The key is not stored anywhere, so every request uploads the certificates again under a new key.
        That also covers kubeadm deleting the C(kubeadm-certs) Secret two hours after an upload.
        Ask for it only when a control plane join is pending.
    type: bool
    default: false
  api_server_endpoint:
    description:
      - API server endpoint (C(host:port)) to return, for example a load balancer in front of the control planes.
      - If not set, the C(server:) URL of O(kubeconfig) is used (C(https://host:port) becomes C(host:port),
        IPv6 addresses keep their brackets).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Lists tokens, but creates, deletes and uploads nothing. When a token would be created,
        RV(token) is V(null) and the task reports a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - C(kubeadm) on the PATH of the control plane node.
notes:
  - Run it on (or delegate it to) one initialised control plane node, for example the first one,
    with C(become), so that O(kubeconfig) and O(ca_cert) are readable.
  - The returned data is meant to be passed to C(kubeadm join) through a configuration file with mode C(0600),
    not on a command line, where other users of the host could read it.
seealso:
  - name: kubeadm token
    description: The kubeadm command this module drives.
    link: https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-token/
  - name: kubeadm join
    description: What the returned values are for.
    link: https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-join/
"""

EXAMPLES = r"""
- name: Get the data a worker needs to join
  kubeadm.cluster.kubeadm_token:
  delegate_to: "{{ groups['control_plane'][0] }}"
  become: true
  register: __worker_join
  no_log: true

- name: Get the data a control plane node needs to join, including a fresh certificate key
  kubeadm.cluster.kubeadm_token:
    upload_certs: true
    ttl: 30m
    min_ttl: 20m
  delegate_to: "{{ groups['control_plane'][0] }}"
  become: true
  register: __control_plane_join
  no_log: true

- name: Use a load balancer as the endpoint the nodes join through
  kubeadm.cluster.kubeadm_token:
    api_server_endpoint: k8s-api.example.com:6443
  delegate_to: "{{ groups['control_plane'][0] }}"
  become: true
  register: __worker_join
  no_log: true

- name: Delete all join tokens this collection made
  kubeadm.cluster.kubeadm_token:
    state: absent
  delegate_to: "{{ groups['control_plane'][0] }}"
  become: true

- name: Delete one token by its id
  kubeadm.cluster.kubeadm_token:
    state: absent
    token: abcdef
  delegate_to: "{{ groups['control_plane'][0] }}"
  become: true
"""

RETURN = r"""
token:
  description:
    - The bootstrap token (C(id.secret)) for C(kubeadm join). B(Secret); register the result with C(no_log) set to V(true).
    - V(null) in check mode when a token would be created.
  returned: state is present
  type: str
  sample: abcdef.0123456789abcdef
token_id:
  description:
    - Public id of RV(token), the part before the dot. Not secret.
  returned: state is present
  type: str
  sample: abcdef
expires:
  description:
    - When RV(token) expires, RFC 3339 in UTC. For a new token, computed from O(ttl) like kubeadm does.
  returned: state is present
  type: str
  sample: "2026-11-23T11:08:20Z"
reused:
  description:
    - Whether an existing token was returned instead of a new one.
  returned: state is present
  type: bool
  sample: true
ca_cert_hash:
  description:
    - Discovery pin of the cluster CA for C(--discovery-token-ca-cert-hash). Not secret.
  returned: state is present
  type: str
  sample: sha256:b3fb800eeda936020ed76ed9886da16bf3458d935339009f2fa02cb284fe0ddb
api_server_endpoint:
  description:
    - API server endpoint (C(host:port)) the joining node talks to.
  returned: state is present
  type: str
  sample: 172.18.0.2:6443
certificate_key:
  description:
    - Key that decrypts the certificates just uploaded to the C(kubeadm-certs) Secret, for C(kubeadm join --control-plane).
      B(Secret); register the result with C(no_log) set to V(true). Valid for two hours.
    - V(null) in check mode.
  returned: state is present and O(upload_certs=true)
  type: str
  sample: 0059277325fa0d92ea57c823ea08649facbb0f1fea4e2b83c071889af5c1d657
deleted_token_ids:
  description:
    - Ids of the tokens deleted (or, in check mode, that would be deleted).
  returned: state is absent
  type: list
  elements: str
  sample: [abcdef]
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm.cluster.plugins.module_utils._kubeadm import (
    TOKEN_ID_RE,
    UTC,
    KubeadmError,
    ca_cert_hash,
    endpoint_from_kubeconfig,
    endpoint_from_url,
    format_rfc3339,
    is_reusable,
    parse_certificate_key,
    parse_created_token,
    parse_go_duration,
    parse_token_list,
    remaining_seconds,
    token_id,
)

ENVIRON = {"LC_ALL": "C", "LANG": "C", "LC_MESSAGES": "C"}


def argument_spec() -> dict:
    return {
        "state": {
            "type": "str",
            "default": "present",
            "choices": ["present", "absent"],
        },
        "kubeconfig": {"type": "path", "default": "/etc/kubernetes/admin.conf"},
        "ca_cert": {"type": "path", "default": "/etc/kubernetes/pki/ca.crt"},
        "ttl": {"type": "str", "default": "15m"},
        "min_ttl": {"type": "str", "default": "10m"},
        "description": {"type": "str", "default": "kubeadm.cluster join token"},
        "token": {"type": "str", "no_log": True},
        "upload_certs": {"type": "bool", "default": False},
        "api_server_endpoint": {"type": "str"},
    }


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(UTC)


class CommandError(KubeadmError):
    """A kubeadm command failed; carries rc and stderr (never stdout, which may hold secrets)."""

    def __init__(self, msg: str, rc: int, stderr: str) -> None:
        super().__init__(msg)
        self.rc = rc
        self.stderr = stderr


def _not_initialised(path: str) -> KubeadmError:
    return KubeadmError(f"this host is not an initialised control plane: {path} not found (run kubeadm init first)")


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        raise KubeadmError(f"cannot read {what} {path}: {exc}") from None


class KubeadmToken:
    """The work of the module; every failure is raised as KubeadmError and reported by main()."""

    def __init__(self, module: AnsibleModule, kubeadm: str) -> None:
        self.module = module
        self.params = module.params
        self.kubeadm = kubeadm

    def run(self) -> dict:
        if self.params["state"] == "present":
            return self.present()
        return self.absent()

    # ------------------------------------------------------------------ kubeadm

    def kubeadm_run(self, args: list[str]) -> tuple[int, str, str]:
        argv = [self.kubeadm] + args + ["--kubeconfig", self.params["kubeconfig"]]
        return self.module.run_command(argv, environ_update=ENVIRON)

    def kubeadm_checked(self, args: list[str], what: str) -> str:
        rc, out, err = self.kubeadm_run(args)
        if rc != 0:
            raise CommandError(
                f"{what} failed (rc={rc}): {err.strip() or '(no error output)'}",
                rc,
                err,
            )
        return out

    def list_tokens(self) -> list[dict]:
        return parse_token_list(self.kubeadm_checked(["token", "list", "-o", "json"], "kubeadm token list"))

    def duration(self, name: str) -> float:
        try:
            return parse_go_duration(self.params[name])
        except KubeadmError as exc:
            raise KubeadmError(f"{name}: {exc}") from None

    # ------------------------------------------------------------------ state=present

    def present(self) -> dict:
        params = self.params
        if params["token"] is not None:
            raise KubeadmError("token is only used with state=absent; with state=present the module picks or creates the token")
        ttl = self.duration("ttl")
        min_ttl = self.duration("min_ttl")
        if ttl <= 0:
            raise KubeadmError(f"ttl must be a positive duration, got {params['ttl']!r}: this module does not create tokens that never expire")
        if min_ttl < 0:
            raise KubeadmError(f"min_ttl must not be negative, got {params['min_ttl']!r}")
        if min_ttl > ttl:
            self.module.warn(f"min_ttl ({params['min_ttl']}) is longer than ttl ({params['ttl']}): a new token will be created on every run")

        for path in (params["ca_cert"], params["kubeconfig"]):
            if not os.path.isfile(path):
                raise _not_initialised(path)
        try:
            cert_hash = ca_cert_hash(_read_text(params["ca_cert"], "CA certificate"))
        except KubeadmError as exc:
            raise KubeadmError(f"cannot compute the discovery hash of {params['ca_cert']}: {exc}") from None
        try:
            endpoint = (params["api_server_endpoint"] or "").strip()
            if not endpoint:
                endpoint = endpoint_from_kubeconfig(_read_text(params["kubeconfig"], "kubeconfig"))
            elif "://" in endpoint:
                endpoint = endpoint_from_url(endpoint)
        except KubeadmError as exc:
            raise KubeadmError(f"cannot determine the API server endpoint: {exc}") from None

        result = {
            "changed": False,
            "ca_cert_hash": cert_hash,
            "api_server_endpoint": endpoint,
        }
        result.update(self.pick_or_create(ttl, min_ttl))
        if params["upload_certs"]:
            result["changed"] = True
            result["certificate_key"] = None if self.module.check_mode else self.upload_certs()
        return result

    def pick_or_create(self, ttl: float, min_ttl: float) -> dict:
        now = _utcnow()
        for entry in self.list_tokens():
            if not is_reusable(entry, self.params["description"]):
                continue
            try:
                left = remaining_seconds(entry, now)
            except KubeadmError as exc:
                self.module.warn(f"ignoring token {token_id(entry['token'])}: {exc}")
                continue
            if left is not None and left >= min_ttl:
                return {
                    "token": entry["token"],
                    "token_id": token_id(entry["token"]),
                    "expires": entry["expires"],
                    "reused": True,
                }

        if self.module.check_mode:
            return {
                "changed": True,
                "token": None,
                "token_id": None,
                "expires": None,
                "reused": False,
            }
        expires = format_rfc3339(_utcnow() + datetime.timedelta(seconds=ttl))
        out = self.kubeadm_checked(
            [
                "token",
                "create",
                "--ttl",
                self.params["ttl"],
                "--description",
                self.params["description"],
            ],
            "kubeadm token create",
        )
        token = parse_created_token(out)
        return {
            "changed": True,
            "token": token,
            "token_id": token_id(token),
            "expires": expires,
            "reused": False,
        }

    def upload_certs(self) -> str:
        out = self.kubeadm_checked(
            ["init", "phase", "upload-certs", "--upload-certs"],
            "kubeadm init phase upload-certs",
        )
        return parse_certificate_key(out)

    # ------------------------------------------------------------------ state=absent

    def absent(self) -> dict:
        params = self.params
        if params["upload_certs"]:
            raise KubeadmError("upload_certs is only used with state=present")
        if not os.path.isfile(params["kubeconfig"]):
            raise _not_initialised(params["kubeconfig"])
        wanted = None
        if params["token"] is not None:
            wanted = token_id(params["token"].strip())
            if not TOKEN_ID_RE.match(wanted):
                raise KubeadmError("token must be a bootstrap token (abcdef.0123456789abcdef) or its id (abcdef)")

        ids = []
        for entry in self.list_tokens():
            entry_id = token_id(entry["token"])
            if wanted is not None:
                selected = entry_id == wanted
            else:
                selected = entry.get("description", "") == params["description"]
            if selected and entry_id not in ids:
                ids.append(entry_id)

        deleted = [entry_id for entry_id in ids if self.module.check_mode or self.delete(entry_id)]
        return {"changed": bool(deleted), "deleted_token_ids": deleted}

    def delete(self, entry_id: str) -> bool:
        rc, out, err = self.kubeadm_run(["token", "delete", entry_id])
        if rc == 0:
            return True
        if "not found" in err or "not found" in out:
            return False  # deleted meanwhile, or expired and cleaned up: already absent
        raise CommandError(
            f"kubeadm token delete {entry_id} failed (rc={rc}): {err.strip() or out.strip() or '(no output)'}",
            rc,
            err,
        )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    kubeadm = module.get_bin_path("kubeadm", required=True)
    try:
        module.exit_json(**KubeadmToken(module, kubeadm).run())
    except CommandError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr)
    except KubeadmError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
