"""Unit tests for the kubeadm.cluster.kubeadm_token module, run_command mocked with real kubeadm output."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible_collections.kubeadm.cluster.plugins.modules import kubeadm_token
from module_runner import run_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PIN = "sha256:b3fb800eeda936020ed76ed9886da16bf3458d935339009f2fa02cb284fe0ddb"
KUBEADM = "/usr/bin/kubeadm"
OURS = "kubeadm.cluster join token"
GROUP = "system:bootstrappers:kubeadm:default-node-token"
NEW_TOKEN = "dh3mx4.ny3gs6acqnph17zd"
CERT_KEY = "0059277325fa0d92ea57c823ea08649facbb0f1fea4e2b83c071889af5c1d657"
# The fixture token list holds our token p0p9zq, expiring 2026-11-23T11:15:00Z.
OUR_LISTED = "p0p9zq.h2j4k6l8m0n1b3v5"
NOW = datetime.datetime(2026, 11, 23, 11, 0, 0, tzinfo=datetime.UTC)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def token_json(
    token: str,
    description: str | None = OURS,
    expires: str | None = "2026-11-23T12:00:00Z",
    **extra,
) -> str:
    """One object as ``kubeadm token list -o json`` prints it."""
    obj = {
        "kind": "BootstrapToken",
        "apiVersion": "output.kubeadm.k8s.io/v1alpha2",
        "token": token,
    }
    if description:
        obj["description"] = description
    if expires:
        obj["expires"] = expires
    obj["usages"] = extra.pop("usages", ["authentication", "signing"])
    obj["groups"] = extra.pop("groups", [GROUP])
    assert not extra
    return json.dumps(obj, indent=4) + "\n"


class FakeKubeadm:
    """Stands in for AnsibleModule.run_command; answers by kubeadm subcommand, records every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.environ: list[dict] = []
        self.list_output = ""
        self.results = {
            ("token", "create"): (0, fixture("token-create.stdout"), ""),
            ("init", "phase"): (
                0,
                fixture("upload-certs.stdout"),
                fixture("upload-certs.stderr"),
            ),
            ("token", "delete"): None,  # computed from the listed tokens
        }
        self.deleted: list[str] = []

    def subcommands(self) -> list[tuple[str, str]]:
        return [tuple(argv[1:3]) for argv in self.calls]

    def __call__(self, module, args, **kwargs):
        assert isinstance(args, list), "run_command must get an argv list"
        assert args[0] == KUBEADM
        self.calls.append(list(args))
        self.environ.append(kwargs.get("environ_update") or {})
        key = tuple(args[1:3])
        if key == ("token", "list"):
            return 0, self.list_output, ""
        if key == ("token", "delete") and self.results[key] is None:
            wanted = args[3]
            listed = [json.loads(chunk)["token"].split(".")[0] for chunk in self.split_list()]
            if wanted in listed:
                self.deleted.append(wanted)
                return 0, fixture("token-delete.stdout").replace("dh3mx4", wanted), ""
            return (
                1,
                "",
                fixture("token-delete-notfound.stderr").replace("abcdef", wanted),
            )
        return self.results[key]

    def split_list(self) -> list[str]:
        decoder = json.JSONDecoder()
        text, pos, chunks = self.list_output, 0, []
        while text[pos:].strip():
            while text[pos].isspace():
                pos += 1
            end = decoder.raw_decode(text, pos)[1]
            chunks.append(text[pos:end])
            pos = end
        return chunks


@pytest.fixture
def kubeadm(monkeypatch):
    fake = FakeKubeadm()

    def run_command(self, args, **kwargs):
        return fake(self, args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(
        basic.AnsibleModule,
        "get_bin_path",
        lambda self, name, required=False, opt_dirs=None: KUBEADM,
    )
    monkeypatch.setattr(kubeadm_token, "_utcnow", lambda: NOW)
    return fake


@pytest.fixture
def node(tmp_path):
    """An initialised control plane: admin.conf and pki/ca.crt."""
    pki = tmp_path / "pki"
    pki.mkdir()
    shutil.copy(FIXTURES / "kubeadm-ca.crt", pki / "ca.crt")
    (tmp_path / "admin.conf").write_text(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0t\n    server: https://172.18.0.2:6443\n  name: kubernetes\nkind: Config\n"
    )
    return {"kubeconfig": str(tmp_path / "admin.conf"), "ca_cert": str(pki / "ca.crt")}


def run(capsys, args: dict, check_mode: bool = False) -> dict:
    """Run the module's main() with the real exit_json/fail_json and return its JSON result."""
    return run_module(kubeadm_token.main, capsys, args, check_mode)


def assert_no_secret_in_argv(kubeadm: FakeKubeadm, *secrets: str) -> None:
    for argv in kubeadm.calls:
        for secret in secrets:
            assert all(secret.split(".")[-1] not in arg for arg in argv), argv


def assert_common_argv(kubeadm: FakeKubeadm, node: dict) -> None:
    for argv, env in zip(kubeadm.calls, kubeadm.environ):
        assert argv[-2:] == ["--kubeconfig", node["kubeconfig"]]
        assert env.get("LC_ALL") == "C"


# ----------------------------------------------------------------------------- present: reuse / create


def test_reuses_our_token_with_enough_ttl_left(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "min_ttl": "10m"})  # 15 min left
    assert result["changed"] is False
    assert result["reused"] is True
    assert result["token"] == OUR_LISTED
    assert result["token_id"] == "p0p9zq"
    assert result["expires"] == "2026-11-23T11:15:00Z"
    assert result["ca_cert_hash"] == PIN
    assert result["api_server_endpoint"] == "172.18.0.2:6443"
    assert "certificate_key" not in result
    assert kubeadm.calls == [[KUBEADM, "token", "list", "-o", "json", "--kubeconfig", node["kubeconfig"]]]
    assert_common_argv(kubeadm, node)


def test_creates_token_when_ours_has_too_little_ttl_left(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "min_ttl": "16m"})  # 15 min left
    assert result["changed"] is True
    assert result["reused"] is False
    assert result["token"] == NEW_TOKEN
    assert result["token_id"] == "dh3mx4"
    assert result["expires"] == "2026-11-23T11:15:00Z"  # NOW + default ttl 15m
    assert kubeadm.calls[1] == [
        KUBEADM, "token", "create", "--ttl", "15m", "--description", OURS, "--kubeconfig", node["kubeconfig"],
    ]  # fmt: skip
    assert_no_secret_in_argv(kubeadm, NEW_TOKEN, OUR_LISTED)
    assert_common_argv(kubeadm, node)


def test_min_ttl_boundary_is_inclusive(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    assert run(capsys, {**node, "min_ttl": "15m"})["reused"] is True
    assert run(capsys, {**node, "min_ttl": "15m1s"})["reused"] is False


def test_expired_token_is_not_reused(capsys, kubeadm, node):
    kubeadm.list_output = token_json("aaaaaa.0123456789abcdef", expires="2026-11-23T10:59:59Z")
    result = run(capsys, {**node, "min_ttl": "0s"})
    assert result["reused"] is False
    assert result["token"] == NEW_TOKEN


def test_creates_token_when_there_are_none(capsys, kubeadm, node):
    kubeadm.list_output = ""
    result = run(capsys, {**node, "ttl": "1h30m", "description": "my join token"})
    assert result["changed"] is True
    assert result["token"] == NEW_TOKEN
    assert result["expires"] == "2026-11-23T12:30:00Z"
    assert kubeadm.subcommands() == [("token", "list"), ("token", "create")]
    assert kubeadm.calls[1][3:7] == ["--ttl", "1h30m", "--description", "my join token"]


@pytest.mark.parametrize(
    "listed",
    [
        token_json("aaaaaa.0123456789abcdef", description="probe token"),
        token_json("aaaaaa.0123456789abcdef", description=None),
        token_json("aaaaaa.0123456789abcdef", description=OURS + " "),
        token_json("aaaaaa.0123456789abcdef", expires=None),
        token_json("aaaaaa.0123456789abcdef", usages=["signing"]),
        token_json("aaaaaa.0123456789abcdef", usages=["authentication"]),
        token_json("aaaaaa.0123456789abcdef", groups=["system:bootstrappers:mine"]),
        token_json("aaaaaa.0123456789abcdef", groups=[GROUP, "system:masters"]),
    ],
    ids=[
        "foreign-description",
        "no-description",
        "description-differs",
        "never-expires",
        "signing-only",
        "authentication-only",
        "other-group",
        "extra-group",
    ],
)
def test_foreign_or_unsuitable_tokens_are_ignored(capsys, kubeadm, node, listed):
    kubeadm.list_output = listed
    result = run(capsys, node)
    assert result["reused"] is False
    assert result["token"] == NEW_TOKEN
    assert kubeadm.subcommands() == [("token", "list"), ("token", "create")]


def test_first_matching_token_with_enough_ttl_wins(capsys, kubeadm, node):
    kubeadm.list_output = (
        token_json(
            "aaaaaa.0000000000000000",
            description="probe token",
            expires="2026-11-24T00:00:00Z",
        )
        + token_json("bbbbbb.1111111111111111", expires="2026-11-23T11:05:00Z")
        + token_json("cccccc.2222222222222222", expires=None)
        + token_json("dddddd.3333333333333333", expires="2026-11-23T11:40:00Z")
        + token_json("eeeeee.4444444444444444", expires="2026-11-23T11:50:00Z")
    )
    result = run(capsys, node)
    assert (result["token"], result["reused"], result["changed"]) == (
        "dddddd.3333333333333333",
        True,
        False,
    )


def test_the_default_init_token_is_never_taken(capsys, kubeadm, node):
    kubeadm.list_output = token_json(
        "abcdef.0123456789abcdef",
        description="The default bootstrap token generated by 'kubeadm init'.",
    )
    assert run(capsys, node)["token"] == NEW_TOKEN


def test_api_server_endpoint_override(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    assert run(capsys, {**node, "api_server_endpoint": "lb.example.com:6443"})["api_server_endpoint"] == "lb.example.com:6443"
    assert run(capsys, {**node, "api_server_endpoint": "https://[fd00::10]:6443"})["api_server_endpoint"] == "[fd00::10]:6443"


def test_ipv6_server_in_kubeconfig(capsys, kubeadm, node):
    Path(node["kubeconfig"]).write_text("clusters:\n- cluster:\n    server: https://[fd00:10::2]:6443\n")
    kubeadm.list_output = fixture("token-list.json")
    assert run(capsys, node)["api_server_endpoint"] == "[fd00:10::2]:6443"


def test_returned_secrets_are_not_masked(capsys, kubeadm, node):
    kubeadm.list_output = ""
    result = run(capsys, {**node, "upload_certs": True})
    assert result["token"] == NEW_TOKEN
    assert result["certificate_key"] == CERT_KEY
    assert "********" not in json.dumps(result)


# ----------------------------------------------------------------------------- check mode


def test_check_mode_creates_nothing(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "min_ttl": "1h", "upload_certs": True}, check_mode=True)
    assert result["changed"] is True
    assert result["reused"] is False
    assert result["token"] is None
    assert result["token_id"] is None
    assert result["certificate_key"] is None
    assert result["ca_cert_hash"] == PIN
    assert kubeadm.subcommands() == [("token", "list")]


def test_check_mode_still_reuses(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, node, check_mode=True)
    assert (result["changed"], result["reused"], result["token"]) == (
        False,
        True,
        OUR_LISTED,
    )


# ----------------------------------------------------------------------------- upload certs


def test_upload_certs_returns_key_and_changes(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "upload_certs": True})
    assert result["changed"] is True  # even though the token was reused
    assert result["reused"] is True
    assert result["certificate_key"] == CERT_KEY
    assert kubeadm.calls[-1] == [
        KUBEADM, "init", "phase", "upload-certs", "--upload-certs", "--kubeconfig", node["kubeconfig"],
    ]  # fmt: skip
    assert not any("--certificate-key" in arg for argv in kubeadm.calls for arg in argv)
    assert_no_secret_in_argv(kubeadm, CERT_KEY)


def test_upload_certs_failure_surfaces_stderr(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    kubeadm.results[("init", "phase")] = (
        1,
        "",
        "error execution phase upload-certs: cannot reach the API server\n",
    )
    result = run(capsys, {**node, "upload_certs": True})
    assert result["failed"] is True
    assert result["rc"] == 1
    assert "kubeadm init phase upload-certs failed (rc=1)" in result["msg"]
    assert "cannot reach the API server" in result["msg"]


def test_upload_certs_without_key_in_output_fails(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    kubeadm.results[("init", "phase")] = (0, "[upload-certs] Skipping phase\n", "")
    result = run(capsys, {**node, "upload_certs": True})
    assert result["failed"] is True
    assert "printed no certificate key" in result["msg"]


# ----------------------------------------------------------------------------- state absent


def test_absent_deletes_all_our_tokens_only(capsys, kubeadm, node):
    kubeadm.list_output = (
        fixture("token-list.json") + token_json("ffffff.5555555555555555", expires=None) + token_json("gggggg.6666666666666666", usages=["signing"])
    )
    result = run(capsys, {**node, "state": "absent"})
    assert result["changed"] is True
    assert result["deleted_token_ids"] == ["p0p9zq", "ffffff", "gggggg"]
    assert kubeadm.deleted == ["p0p9zq", "ffffff", "gggggg"]
    assert kubeadm.calls[1] == [
        KUBEADM,
        "token",
        "delete",
        "p0p9zq",
        "--kubeconfig",
        node["kubeconfig"],
    ]
    assert_no_secret_in_argv(kubeadm, OUR_LISTED, "dh3mx4.ny3gs6acqnph17zd", "q7w2rt.k3v9x0m5n8b1c4z6")
    assert_common_argv(kubeadm, node)
    assert "token" not in result


def test_absent_one_token_by_full_token(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "state": "absent", "token": "dh3mx4.ny3gs6acqnph17zd"})
    assert result["changed"] is True
    assert kubeadm.deleted == ["dh3mx4"]  # whatever its description
    assert kubeadm.calls[1][:4] == [KUBEADM, "token", "delete", "dh3mx4"]
    assert_no_secret_in_argv(kubeadm, "dh3mx4.ny3gs6acqnph17zd")


def test_absent_one_token_by_id(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "state": "absent", "token": "q7w2rt"})
    assert result["changed"] is True
    assert kubeadm.deleted == ["q7w2rt"]


def test_absent_with_nothing_to_delete(capsys, kubeadm, node):
    kubeadm.list_output = token_json("aaaaaa.0123456789abcdef", description="probe token")
    result = run(capsys, {**node, "state": "absent"})
    assert result["changed"] is False
    assert result["deleted_token_ids"] == []
    assert kubeadm.subcommands() == [("token", "list")]


def test_absent_with_no_tokens_at_all(capsys, kubeadm, node):
    result = run(capsys, {**node, "state": "absent"})
    assert result["changed"] is False
    assert kubeadm.subcommands() == [("token", "list")]


def test_absent_unknown_id_is_idempotent(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "state": "absent", "token": "nosuch"})
    assert result["changed"] is False
    assert result["deleted_token_ids"] == []
    assert kubeadm.subcommands() == [("token", "list")]


def test_absent_token_vanishing_between_list_and_delete(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    kubeadm.results[("token", "delete")] = (
        1,
        "",
        fixture("token-delete-notfound.stderr"),
    )
    result = run(capsys, {**node, "state": "absent"})
    assert result["changed"] is False
    assert result["deleted_token_ids"] == []


def test_absent_delete_failure(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    kubeadm.results[("token", "delete")] = (1, "", "error: Unauthorized\n")
    result = run(capsys, {**node, "state": "absent"})
    assert result["failed"] is True
    assert result["msg"] == "kubeadm token delete p0p9zq failed (rc=1): error: Unauthorized"


def test_absent_check_mode_deletes_nothing(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")
    result = run(capsys, {**node, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert result["deleted_token_ids"] == ["p0p9zq"]
    assert kubeadm.subcommands() == [("token", "list")]
    assert kubeadm.deleted == []


@pytest.mark.parametrize("token", ["ABCDEF", "abc", "abcdef0123", "../etc", ""])
def test_absent_invalid_token_option(capsys, kubeadm, node, token):
    result = run(capsys, {**node, "state": "absent", "token": token})
    assert result["failed"] is True
    assert "token must be a bootstrap token" in result["msg"]
    assert kubeadm.calls == []


# ----------------------------------------------------------------------------- errors


def test_kubeadm_missing(capsys, monkeypatch, tmp_path, node):
    if any(os.path.exists(os.path.join(d, "kubeadm")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin")):
        pytest.skip("kubeadm is installed on this machine")
    monkeypatch.setenv("PATH", str(tmp_path))
    calls = []
    monkeypatch.setattr(
        basic.AnsibleModule,
        "run_command",
        lambda *a, **kw: calls.append(a) or (0, "", ""),
    )
    result = run(capsys, node)
    assert result["failed"] is True
    assert 'Failed to find required executable "kubeadm"' in result["msg"]
    assert calls == []


@pytest.mark.parametrize("missing", ["ca_cert", "kubeconfig"])
def test_not_initialised(capsys, kubeadm, node, missing):
    os.unlink(node[missing])
    result = run(capsys, node)
    assert result["failed"] is True
    assert result["msg"] == (f"this host is not an initialised control plane: {node[missing]} not found (run kubeadm init first)")
    assert kubeadm.calls == []


def test_not_initialised_default_paths(capsys, kubeadm):
    if os.path.exists("/etc/kubernetes/pki/ca.crt"):
        pytest.skip("this machine is a kubeadm control plane")
    result = run(capsys, {})
    assert result["msg"] == ("this host is not an initialised control plane: /etc/kubernetes/pki/ca.crt not found (run kubeadm init first)")


def test_absent_not_initialised(capsys, kubeadm, node):
    os.unlink(node["kubeconfig"])
    result = run(capsys, {**node, "state": "absent"})
    assert result["failed"] is True
    assert "is not an initialised control plane" in result["msg"]


def test_create_failure_surfaces_rc_and_stderr(capsys, kubeadm, node):
    kubeadm.list_output = ""
    stderr = "timed out waiting for the condition\nTo see the stack trace of this error execute with --v=5 or higher\n"
    kubeadm.results[("token", "create")] = (1, "", stderr)
    result = run(capsys, node)
    assert result["failed"] is True
    assert result["rc"] == 1
    assert result["stderr"] == stderr
    assert result["msg"].startswith("kubeadm token create failed (rc=1): timed out waiting for the condition")


def test_create_without_token_in_output(capsys, kubeadm, node):
    kubeadm.results[("token", "create")] = (0, "\n", "")
    result = run(capsys, node)
    assert result["failed"] is True
    assert result["msg"] == "kubeadm token create printed no bootstrap token"


def test_list_failure_does_not_show_stdout(capsys, kubeadm, node, monkeypatch):
    def failing(module, args, **kwargs):
        return 1, fixture("token-list.json"), "Unauthorized\n"

    monkeypatch.setattr(basic.AnsibleModule, "run_command", failing)
    result = run(capsys, node)
    assert result["failed"] is True
    assert result["msg"] == "kubeadm token list failed (rc=1): Unauthorized"
    assert "ny3gs6acqnph17zd" not in json.dumps(result)


def test_unparsable_list_does_not_leak(capsys, kubeadm, node):
    kubeadm.list_output = fixture("token-list.json")[:-40]
    result = run(capsys, node)
    assert result["failed"] is True
    assert "cannot parse the output of kubeadm token list" in result["msg"]
    assert "h2j4k6l8m0n1b3v5" not in json.dumps(result)


def test_malformed_ca_certificate(capsys, kubeadm, node):
    pem = fixture("kubeadm-ca.crt").splitlines()
    Path(node["ca_cert"]).write_text("\n".join(pem[:5] + pem[-1:]) + "\n")  # truncated body
    result = run(capsys, node)
    assert result["failed"] is True
    assert result["msg"].startswith(f"cannot compute the discovery hash of {node['ca_cert']}: ")
    assert "malformed" in result["msg"]
    assert kubeadm.calls == []


def test_not_a_certificate(capsys, kubeadm, node):
    Path(node["ca_cert"]).write_text("hello\n")
    result = run(capsys, node)
    assert result["msg"] == f"cannot compute the discovery hash of {node['ca_cert']}: no PEM CERTIFICATE block found"


def test_kubeconfig_without_server(capsys, kubeadm, node):
    Path(node["kubeconfig"]).write_text("apiVersion: v1\nkind: Config\n")
    result = run(capsys, node)
    assert result["msg"] == "cannot determine the API server endpoint: no cluster server: found in the kubeconfig"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"ttl": "15"}, "ttl: invalid duration '15'"),
        ({"ttl": "0"}, "ttl must be a positive duration"),
        ({"min_ttl": "ten minutes"}, "min_ttl: invalid duration"),
        ({"min_ttl": "-1m"}, "min_ttl must not be negative"),
        ({"token": "abcdef.0123456789abcdef"}, "token is only used with state=absent"),
        (
            {"state": "absent", "upload_certs": True},
            "upload_certs is only used with state=present",
        ),
    ],
)
def test_invalid_options(capsys, kubeadm, node, args, message):
    result = run(capsys, {**node, **args})
    assert result["failed"] is True
    assert message in result["msg"]
    assert kubeadm.calls == []


def test_min_ttl_longer_than_ttl_warns(capsys, kubeadm, node):
    result = run(capsys, {**node, "ttl": "5m", "min_ttl": "10m"})
    assert result["changed"] is True
    # 2.19 returns warnings as structured entries; only their text matters here.
    assert "min_ttl (10m) is longer than ttl (5m)" in json.dumps(result.get("warnings"))


def test_argument_spec():
    spec = kubeadm_token.argument_spec()
    assert spec["token"]["no_log"] is True
    assert spec["state"] == {
        "type": "str",
        "default": "present",
        "choices": ["present", "absent"],
    }
    assert spec["kubeconfig"]["type"] == spec["ca_cert"]["type"] == "path"
    assert (spec["ttl"]["default"], spec["min_ttl"]["default"]) == ("15m", "10m")
    assert spec["description"]["default"] == OURS
    assert spec["upload_certs"] == {"type": "bool", "default": False}
