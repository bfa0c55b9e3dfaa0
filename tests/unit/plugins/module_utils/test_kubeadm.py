"""Unit tests for plugins/module_utils/_kubeadm.py (pure helpers of the kubeadm_token and kubeadm_join modules)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.kubeadm.cluster.plugins.module_utils import _kubeadm as k

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE_PIN = "sha256:b3fb800eeda936020ed76ed9886da16bf3458d935339009f2fa02cb284fe0ddb"
UTC = datetime.UTC

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def pem_of(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def reference_der() -> bytes:
    return k.pem_certificate_to_der(fixture("kubeadm-ca.crt"))


# ----------------------------------------------------------------------------- discovery hash


def test_reference_ca_hash_matches_kubeadm_pin():
    assert k.ca_cert_hash(fixture("kubeadm-ca.crt")) == REFERENCE_PIN


def test_reference_spki_is_rsa_2048_public_key():
    spki = k.spki_from_der_certificate(reference_der())
    # SEQUENCE with a two-byte long-form length (0x82), rsaEncryption OID inside
    assert spki[:2] == b"\x30\x82"
    assert bytes.fromhex("2a864886f70d010101") in spki
    assert len(spki) == 294


def openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], cwd=cwd, input=data, stdout=subprocess.PIPE, check=True).stdout


def openssl_pin(cert: Path) -> str:
    """The pin as the kubeadm docs compute it with openssl (x509 -pubkey | pkey -pubin -outform DER | sha256)."""
    pubkey = openssl("x509", "-pubkey", "-noout", "-in", str(cert), cwd=cert.parent)
    der = openssl("pkey", "-pubin", "-outform", "DER", cwd=cert.parent, data=pubkey)
    return "sha256:" + hashlib.sha256(der).hexdigest()


@needs_openssl
@pytest.mark.parametrize(
    "newkey",
    [
        ["-newkey", "rsa:2048"],
        ["-newkey", "rsa:4096"],
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
        ["-newkey", "ed25519"],
    ],
    ids=["rsa2048", "rsa4096", "ec-p256", "ec-p384", "ed25519"],
)
def test_hash_of_fresh_certificate_matches_openssl(tmp_path, newkey):
    cert = tmp_path / "ca.crt"
    openssl(
        "req", "-x509", *newkey, "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "1", "-subj", "/CN=kubernetes", cwd=tmp_path,
    )  # fmt: skip
    assert k.ca_cert_hash(cert.read_text()) == openssl_pin(cert)


@needs_openssl
def test_hash_of_certificate_with_long_subject_and_extensions(tmp_path):
    # A subject longer than 255 bytes needs a 2-byte length for the Name and the tbsCertificate.
    cert = tmp_path / "ca.crt"
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=kubernetes/O=" + "x" * 60 + "/OU=" + "y" * 60 + "/L=" + "z" * 60 + "/ST=" + "w" * 60,
        "-addext", "subjectAltName=DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1",
        cwd=tmp_path,
    )  # fmt: skip
    assert k.ca_cert_hash(cert.read_text()) == openssl_pin(cert)


def test_hash_uses_first_certificate_of_a_bundle():
    bundle = fixture("kubeadm-ca.crt") + "\n" + pem_of(b"\x30\x00")
    assert k.ca_cert_hash(bundle) == REFERENCE_PIN


def test_hash_ignores_text_around_pem_block():
    text = "Subject: CN=kubernetes\n" + fixture("kubeadm-ca.crt").replace("\n", "\r\n") + "trailing\n"
    assert k.ca_cert_hash(text) == REFERENCE_PIN


def tbs_without_version(der: bytes) -> bytes:
    """Re-encode the reference certificate without its [0] version (an X.509 v1 layout)."""
    cert_start = k.der_read_tlv(der, 0)[1]
    tbs_start, tbs_end = k.der_read_tlv(der, cert_start)[1:]
    version_end = k.der_read_tlv(der, tbs_start)[2]
    tbs_body = der[version_end:tbs_end]
    rest = der[tbs_end:]

    def tlv(tag: int, body: bytes) -> bytes:
        size = len(body)
        if size < 0x80:
            return bytes([tag, size]) + body
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        return bytes([tag, 0x80 | len(raw)]) + raw + body

    return tlv(0x30, tlv(0x30, tbs_body) + rest)


def test_hash_of_certificate_without_version_field():
    der = tbs_without_version(reference_der())
    assert der != reference_der()
    assert k.ca_cert_hash(pem_of(der)) == REFERENCE_PIN


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda der: der[: len(der) // 2], "claims"),
        (lambda der: der + b"\x00", "trailing bytes"),
        (lambda der: b"\x31" + der[1:], "expected Certificate SEQUENCE"),
        (lambda der: b"\x30\x80" + der[4:], "indefinite length"),
        (lambda der: b"\x30\x85\x00\x00\x00\x03\x08" + der[4:], "too large"),
        (
            lambda der: b"\x30\x82\x00\x10" + der[4:],
            "non-minimal|trailing|missing|claims",
        ),
        (lambda der: b"\x3f\x01\x00", "multi-byte tag"),
        (lambda der: b"\x30", "truncated element header"),
        (lambda der: b"\x30\x00", "tbsCertificate SEQUENCE is missing"),
        (lambda der: b"\x30\x03\x02\x01\x00", "expected tbsCertificate SEQUENCE"),
    ],
    ids=[
        "truncated",
        "trailing-bytes",
        "wrong-outer-tag",
        "indefinite-length",
        "huge-length",
        "bad-length",
        "multi-byte-tag",
        "header-only",
        "empty-certificate",
        "integer-instead-of-tbs",
    ],
)
def test_malformed_certificates_are_rejected(mutate, message):
    with pytest.raises(k.KubeadmError, match=message):
        k.ca_cert_hash(pem_of(mutate(reference_der())))


def test_wrong_field_order_is_rejected():
    der = bytearray(reference_der())
    cert_start = k.der_read_tlv(bytes(der), 0)[1]
    tbs_start = k.der_read_tlv(bytes(der), cert_start)[1]
    version_end = k.der_read_tlv(bytes(der), tbs_start)[2]
    assert der[version_end] == 0x02  # serialNumber INTEGER
    der[version_end] = 0x04
    with pytest.raises(k.KubeadmError, match="expected serialNumber INTEGER"):
        k.spki_from_der_certificate(bytes(der))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no PEM CERTIFICATE block"),
        ("not a certificate", "no PEM CERTIFICATE block"),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "no PEM CERTIFICATE block",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nMII*invalid*\n-----END CERTIFICATE-----\n",
            "invalid base64",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nMIIDBTC\n-----END CERTIFICATE-----\n",
            "invalid base64",
        ),
        ("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n", "empty PEM"),
    ],
)
def test_malformed_pem_is_rejected(text, message):
    with pytest.raises(k.KubeadmError, match=message):
        k.ca_cert_hash(text)


def test_der_long_form_lengths():
    short = b"\x04\x05hello"
    assert k.der_read_tlv(short, 0) == (0x04, 2, 7)
    one = b"\x04\x81\x80" + b"a" * 0x80
    assert k.der_read_tlv(one, 0) == (0x04, 3, 3 + 0x80)
    two = b"\x04\x82\x01\x00" + b"b" * 0x100
    assert k.der_read_tlv(two, 0) == (0x04, 4, 4 + 0x100)
    three = b"\x04\x83\x01\x00\x00" + b"c" * 0x10000
    assert k.der_read_tlv(three, 0) == (0x04, 5, 5 + 0x10000)
    # at an offset
    assert k.der_read_tlv(b"\xff\xff" + two, 2) == (0x04, 6, 6 + 0x100)


@pytest.mark.parametrize(
    "data",
    [
        b"\x04\x81\x05hello",
        b"\x04\x82\x00\x80" + b"a" * 0x80,
        b"\x04\x82\x01",
        b"\x04\x06hello",
    ],
    ids=["non-minimal-1", "non-minimal-2", "truncated-length", "short-value"],
)
def test_der_bad_lengths(data):
    with pytest.raises(k.KubeadmError, match="malformed DER"):
        k.der_read_tlv(data, 0)


# ----------------------------------------------------------------------------- token list


def test_parse_token_list_concatenated_objects():
    tokens = k.parse_token_list(fixture("token-list.json"))
    assert [t["token"] for t in tokens] == [
        "dh3mx4.ny3gs6acqnph17zd",
        "q7w2rt.k3v9x0m5n8b1c4z6",
        "p0p9zq.h2j4k6l8m0n1b3v5",
    ]
    assert tokens[0]["description"] == "probe token"
    assert "description" not in tokens[1]
    assert tokens[2]["expires"] == "2026-11-23T11:15:00Z"


@pytest.mark.parametrize("output", ["", "\n", "   \n\t\n"])
def test_parse_token_list_empty(output):
    assert k.parse_token_list(output) == []


def test_parse_token_list_compact_objects_without_separator():
    output = '{"token":"aaaaaa.bbbbbbbbbbbbbbbb"}{"token":"cccccc.dddddddddddddddd","description":"x"}'
    assert [t["token"] for t in k.parse_token_list(output)] == [
        "aaaaaa.bbbbbbbbbbbbbbbb",
        "cccccc.dddddddddddddddd",
    ]


@pytest.mark.parametrize(
    "output",
    [
        '{"token": "aaaaaa.bbbbbbbbbbbbbbbb"',
        '{"token": "aaaaaa.bbbbbbbbbbbbbbbb"} garbage',
        "TOKEN  TTL  EXPIRES\naaaaaa.bbbbbbbbbbbbbbbb  10m  2026-11-23T11:08:20Z\n",
    ],
    ids=["truncated", "trailing-garbage", "table-output"],
)
def test_parse_token_list_garbage_does_not_leak_tokens(output):
    with pytest.raises(k.KubeadmError, match="cannot parse") as info:
        k.parse_token_list(output)
    assert "bbbbbbbbbbbbbbbb" not in str(info.value)


@pytest.mark.parametrize("output", ['[{"token": "aaaaaa.bbbbbbbbbbbbbbbb"}]', '{"kind": "Status"}', "42"])
def test_parse_token_list_rejects_non_tokens(output):
    with pytest.raises(k.KubeadmError, match="not a bootstrap token") as info:
        k.parse_token_list(output)
    assert "bbbbbbbbbbbbbbbb" not in str(info.value)


def test_token_id():
    assert k.token_id("abcdef.0123456789abcdef") == "abcdef"
    assert k.token_id("abcdef") == "abcdef"


def entry(**fields):
    base = {
        "token": "abcdef.0123456789abcdef",
        "description": "kubeadm.cluster join token",
        "expires": "2026-11-23T12:00:00Z",
        "usages": ["authentication", "signing"],
        "groups": [k.DEFAULT_GROUP],
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),
        ({"usages": ["signing", "authentication", "extra"]}, True),
        ({"description": "kubeadm.cluster join token "}, False),
        ({"description": None}, False),
        ({"usages": ["signing"]}, False),
        ({"usages": ["authentication"]}, False),
        ({"usages": None}, False),
        ({"groups": None}, False),
        ({"groups": ["system:bootstrappers:other"]}, False),
        ({"groups": [k.DEFAULT_GROUP, "system:bootstrappers:extra"]}, False),
    ],
)
def test_is_reusable(fields, expected):
    assert k.is_reusable(entry(**fields), "kubeadm.cluster join token") is expected


def test_is_reusable_with_empty_description():
    assert k.is_reusable(entry(description=None), "") is True


def test_remaining_seconds():
    now = datetime.datetime(2026, 11, 23, 11, 0, 0, tzinfo=UTC)
    assert k.remaining_seconds(entry(), now) == 3600
    assert k.remaining_seconds(entry(expires="2026-11-23T10:59:00Z"), now) == -60
    assert k.remaining_seconds(entry(expires=None), now) is None


# ----------------------------------------------------------------------------- durations, times


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("15m0s", 900),
        ("2h45m30s", 9930),
        ("1.5h", 5400),
        (".5m", 30),
        ("90s", 90),
        ("500ms", 0.5),
        ("0", 0),
        ("0s", 0),
        ("+10m", 600),
        ("-10m", -600),
        (" 10m ", 600),
    ],
)
def test_parse_go_duration(text, seconds):
    assert k.parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", "10", "m", "10x", "1d", "1h 30m", "h1", "1.h.m", ".m", "-", "10M", None],
)
def test_parse_go_duration_invalid(text):
    with pytest.raises(k.KubeadmError, match="invalid duration"):
        k.parse_go_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2026-11-23T11:08:20Z",
            datetime.datetime(2026, 11, 23, 11, 8, 20, tzinfo=UTC),
        ),
        (
            "2026-11-23T11:08:20.5Z",
            datetime.datetime(2026, 11, 23, 11, 8, 20, 500000, tzinfo=UTC),
        ),
        (
            "2026-11-23T12:08:20+01:00",
            datetime.datetime(2026, 11, 23, 11, 8, 20, tzinfo=UTC),
        ),
        (
            "2026-11-23T06:08:20.123456789-05:00",
            datetime.datetime(2026, 11, 23, 11, 8, 20, 123456, tzinfo=UTC),
        ),
    ],
)
def test_parse_rfc3339(text, expected):
    parsed = k.parse_rfc3339(text)
    assert parsed == expected
    assert parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 11:08:20",
        "2026-11-23T11:08:20",
        "2026-13-01T00:00:00Z",
        "tomorrow",
        "",
    ],
)
def test_parse_rfc3339_invalid(text):
    with pytest.raises(k.KubeadmError, match="invalid RFC 3339"):
        k.parse_rfc3339(text)


def test_format_rfc3339():
    stamp = datetime.datetime(
        2026,
        11,
        23,
        12,
        8,
        20,
        999999,
        tzinfo=datetime.timezone(datetime.timedelta(hours=1)),
    )
    assert k.format_rfc3339(stamp) == "2026-11-23T11:08:20Z"


# ----------------------------------------------------------------------------- create, upload-certs


def test_parse_created_token():
    assert k.parse_created_token(fixture("token-create.stdout")) == "dh3mx4.ny3gs6acqnph17zd"
    assert k.parse_created_token("some warning\ndh3mx4.ny3gs6acqnph17zd\n") == "dh3mx4.ny3gs6acqnph17zd"


@pytest.mark.parametrize("stdout", ["", "\n", "DH3MX4.NY3GS6ACQNPH17ZD\n", "dh3mx4.short\n"])
def test_parse_created_token_missing(stdout):
    with pytest.raises(k.KubeadmError, match="printed no bootstrap token"):
        k.parse_created_token(stdout)


def test_parse_certificate_key():
    key = k.parse_certificate_key(fixture("upload-certs.stdout"))
    assert key == "0059277325fa0d92ea57c823ea08649facbb0f1fea4e2b83c071889af5c1d657"
    same_line = "[upload-certs] Using certificate key: " + key + "\n"
    assert k.parse_certificate_key(same_line) == key


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "[upload-certs] Storing the certificates in Secret\n",
        "[upload-certs] Using certificate key:\n",
        "[upload-certs] Using certificate key:\nnot-a-key\n0059277325fa0d92ea57c823ea08649facbb0f1fea4e2b83c071889af5c1d657\n",
        "0059277325fa0d92ea57c823ea08649facbb0f1fea4e2b83c071889af5c1d657\n",
    ],
    ids=[
        "empty",
        "no-marker",
        "nothing-after-marker",
        "junk-after-marker",
        "key-without-marker",
    ],
)
def test_parse_certificate_key_missing(stdout):
    with pytest.raises(k.KubeadmError, match="printed no certificate key"):
        k.parse_certificate_key(stdout)


# ----------------------------------------------------------------------------- endpoints

ADMIN_CONF = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURCVENDQWUyZ0F3SUJBZ0lJ
    server: {server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=
"""


@pytest.mark.parametrize(
    ("server", "endpoint"),
    [
        ("https://172.18.0.2:6443", "172.18.0.2:6443"),
        ("https://k8s-api.example.com:8443", "k8s-api.example.com:8443"),
        ("https://[fd00:10:244::2]:6443", "[fd00:10:244::2]:6443"),
        ("https://k8s-api.example.com", "k8s-api.example.com:443"),
        ('"https://172.18.0.2:6443"', "172.18.0.2:6443"),
        ("'https://[::1]:6443'", "[::1]:6443"),
        ("https://172.18.0.2:6443  # the first control plane", "172.18.0.2:6443"),
        ("https://172.18.0.2:6443/", "172.18.0.2:6443"),
    ],
)
def test_endpoint_from_kubeconfig(server, endpoint):
    assert k.endpoint_from_kubeconfig(ADMIN_CONF.format(server=server)) == endpoint


def test_endpoint_from_kubeconfig_list_item_and_indentation():
    text = "clusters:\n  - name: kubernetes\n    cluster:\n      server: https://10.0.0.1:6443\n"
    assert k.endpoint_from_kubeconfig(text) == "10.0.0.1:6443"
    text = "clusters:\n- cluster: {}\n  server: https://10.0.0.2:6443\n"
    assert k.endpoint_from_kubeconfig(text) == "10.0.0.2:6443"


def test_endpoint_from_kubeconfig_same_server_twice():
    text = ADMIN_CONF.format(server="https://10.0.0.1:6443") + "    server: https://10.0.0.1:6443\n"
    assert k.endpoint_from_kubeconfig(text) == "10.0.0.1:6443"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: Config\n", "no cluster server"),
        (
            ADMIN_CONF.format(server="https://10.0.0.1:6443") + "    server: https://10.0.0.2:6443\n",
            "several API servers",
        ),
        (
            ADMIN_CONF.format(server="http://10.0.0.1:6443"),
            "expected https://host:port",
        ),
        (
            ADMIN_CONF.format(server="https://10.0.0.1:notaport"),
            "invalid API server URL",
        ),
        (ADMIN_CONF.format(server="10.0.0.1:6443"), "expected https://host:port"),
    ],
    ids=["none", "several", "http", "bad-port", "no-scheme"],
)
def test_endpoint_from_kubeconfig_errors(text, message):
    with pytest.raises(k.KubeadmError, match=re.escape(message)):
        k.endpoint_from_kubeconfig(text)
