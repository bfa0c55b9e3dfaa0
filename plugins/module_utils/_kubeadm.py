# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private helpers of the kubeadm.cluster modules that run on the nodes.

Used by the modules kubeadm_token (tokens, the discovery hash, durations, endpoints) and
kubeadm_join (the config API version, the secret filter). The filters duration_seconds,
kubeadm_config_api and kubeadm_without_secrets import the same functions on the controller, so
that the roles and the modules agree. Every function here serves a module; helpers used only on
the controller (action, filter, test and lookup plugins) live in plugins/plugin_utils instead.

Pure functions only (no AnsibleModule, no subprocesses), standard library only: this file is
shipped to the target host together with the modules. Every helper raises KubeadmError with a
message that is safe to show, i.e. it never contains a bootstrap token secret or a certificate key.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
from urllib.parse import urlsplit

DEFAULT_GROUP = "system:bootstrappers:kubeadm:default-node-token"
REQUIRED_USAGES = ("authentication", "signing")

TOKEN_RE = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
TOKEN_ID_RE = re.compile(r"^[a-z0-9]{6}$")
CERT_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
# datetime.UTC needs Python 3.11; modules run on the target's Python, 3.8 or later.
UTC = datetime.timezone.utc  # noqa: UP017

CERT_KEY_MARKER = "[upload-certs] Using certificate key:"


class KubeadmError(ValueError):
    """Invalid input or unexpected kubeadm output; the message is safe to show."""


# --------------------------------------------------------------------------- DER / PEM

_TAG_SEQUENCE = 0x30
_TAG_INTEGER = 0x02
_TAG_BIT_STRING = 0x03
_TAG_EXPLICIT_0 = 0xA0  # [0] EXPLICIT, constructed: the optional tbsCertificate version

_PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def der_read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """Read one DER TLV at ``offset``.

    Returns ``(tag, value_start, end)``: ``data[offset:end]`` is the whole TLV (tag, length
    and value), ``data[value_start:end]`` its contents. Only single-byte tags and definite
    lengths exist in DER; anything else, and any length running past the data, is rejected.
    """
    size = len(data)
    if offset + 2 > size:
        raise KubeadmError(f"malformed DER: truncated element header at offset {offset}")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise KubeadmError(f"malformed DER: multi-byte tag at offset {offset} is not supported")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise KubeadmError(f"malformed DER: indefinite length at offset {offset}")
    else:
        count = first & 0x7F
        if count > 4:
            raise KubeadmError(f"malformed DER: {count}-byte length at offset {offset} is too large")
        if pos + count > size:
            raise KubeadmError(f"malformed DER: truncated length at offset {offset}")
        length = int.from_bytes(data[pos : pos + count], "big")
        if data[pos] == 0 or length < 0x80:
            raise KubeadmError(f"malformed DER: non-minimal length encoding at offset {offset}")
        pos += count
    end = pos + length
    if end > size:
        raise KubeadmError(f"malformed DER: element at offset {offset} claims {length} bytes, only {size - pos} left")
    return tag, pos, end


def _expect(data: bytes, offset: int, tag: int, what: str, limit: int) -> tuple[int, int]:
    """Read a TLV that must have ``tag`` and end by ``limit``; return ``(value_start, end)``."""
    if offset >= limit:
        raise KubeadmError(f"malformed certificate: {what} is missing")
    found, start, end = der_read_tlv(data, offset)
    if found != tag:
        raise KubeadmError(f"malformed certificate: expected {what} (tag 0x{tag:02x}) at offset {offset}, found tag 0x{found:02x}")
    if end > limit:
        raise KubeadmError(f"malformed certificate: {what} runs past its enclosing element")
    return start, end


def spki_from_der_certificate(der: bytes) -> bytes:
    """Return the DER SubjectPublicKeyInfo (tag and length included) of an X.509 certificate."""
    # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    cert_start, cert_end = _expect(der, 0, _TAG_SEQUENCE, "Certificate SEQUENCE", len(der))
    if cert_end != len(der):
        raise KubeadmError(f"malformed certificate: {len(der) - cert_end} trailing bytes after the Certificate")
    # TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
    #                               validity, subject, subjectPublicKeyInfo, ... }
    tbs_start, tbs_end = _expect(der, cert_start, _TAG_SEQUENCE, "tbsCertificate SEQUENCE", cert_end)
    pos = tbs_start
    if pos < tbs_end and der[pos] == _TAG_EXPLICIT_0:
        pos = _expect(der, pos, _TAG_EXPLICIT_0, "version", tbs_end)[1]
    pos = _expect(der, pos, _TAG_INTEGER, "serialNumber INTEGER", tbs_end)[1]
    for what in (
        "signature AlgorithmIdentifier",
        "issuer Name",
        "validity",
        "subject Name",
    ):
        pos = _expect(der, pos, _TAG_SEQUENCE, what, tbs_end)[1]
    spki_start = pos
    inner, spki_end = _expect(der, pos, _TAG_SEQUENCE, "subjectPublicKeyInfo SEQUENCE", tbs_end)
    # SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    inner = _expect(der, inner, _TAG_SEQUENCE, "subjectPublicKeyInfo algorithm", spki_end)[1]
    inner = _expect(der, inner, _TAG_BIT_STRING, "subjectPublicKey BIT STRING", spki_end)[1]
    if inner != spki_end:
        raise KubeadmError("malformed certificate: unexpected data inside subjectPublicKeyInfo")
    return der[spki_start:spki_end]


def pem_certificate_to_der(pem: str) -> bytes:
    """Decode the first ``CERTIFICATE`` block of a PEM text to DER."""
    match = _PEM_CERT_RE.search(pem)
    if not match:
        raise KubeadmError("no PEM CERTIFICATE block found")
    body = "".join(match.group(1).split())
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeadmError(f"invalid base64 in the PEM CERTIFICATE block: {exc}") from None
    if not der:
        raise KubeadmError("empty PEM CERTIFICATE block")
    return der


def ca_cert_hash(pem: str) -> str:
    """Discovery pin as ``kubeadm join --discovery-token-ca-cert-hash`` wants it.

    ``sha256:<hex>`` of the DER SubjectPublicKeyInfo of the (first) certificate in ``pem``.
    """
    spki = spki_from_der_certificate(pem_certificate_to_der(pem))
    return "sha256:" + hashlib.sha256(spki).hexdigest()


# --------------------------------------------------------------------------- config API, secrets

# Lines of kubeadm output that may carry a secret: flags that take one, and anything shaped like a
# bootstrap token ("[bootstrap-token] Using token: ...") or a certificate key.
SECRET_LINE_RE = re.compile(r"--token|--certificate-key|--discovery-token|[a-z0-9]{6}[.][a-z0-9]{16}|[0-9a-f]{64}")


def kubeadm_config_api(kubernetes_version: str) -> str:
    """The kubeadm config API version a release reads: v1beta3 up to 1.30, v1beta4 from 1.31 on."""
    match = re.match(r"^v?([0-9]+)\.([0-9]+)(\.[0-9]+)?", str(kubernetes_version).strip())
    if not match:
        raise ValueError(f"invalid Kubernetes version {kubernetes_version!r}: use X.Y.Z such as 1.30.5")
    minor = (int(match.group(1)), int(match.group(2)))
    return "kubeadm.k8s.io/" + ("v1beta4" if minor >= (1, 31) else "v1beta3")


def without_secrets(lines: list[str]) -> list[str]:
    """The lines of kubeadm output that cannot carry a secret."""
    return [line for line in lines if not SECRET_LINE_RE.search(line)]


# --------------------------------------------------------------------------- durations, times

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign
    "\u03bcs": 1e-6,  # Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART_RE = re.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Parse a Go ``time.ParseDuration`` string (``15m``, ``1h30m``, ``15m0s``, ``1.5h``) to seconds."""
    value = text.strip() if isinstance(text, str) else ""
    original = value
    if not value:
        raise KubeadmError(f"invalid duration {text!r}: empty")
    sign = 1.0
    if value[0] in "+-":
        sign = -1.0 if value[0] == "-" else 1.0
        value = value[1:]
    if value == "0":
        return 0.0
    if not value:
        raise KubeadmError(f"invalid duration {original!r}")
    total = 0.0
    pos = 0
    while pos < len(value):
        match = _DURATION_PART_RE.match(value, pos)
        if not match or match.group(1) in ("", "."):
            raise KubeadmError(f"invalid duration {original!r}: use Go syntax such as 10m, 1h or 1h30m")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def parse_rfc3339(text: str) -> datetime.datetime:
    """Parse an RFC 3339 timestamp (``2026-11-23T11:08:20Z``) to an aware UTC datetime."""
    match = re.match(
        r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$",
        text.strip() if isinstance(text, str) else "",
    )
    if not match:
        raise KubeadmError(f"invalid RFC 3339 timestamp {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    offset = datetime.timedelta(0)
    if match.group(9):
        offset = datetime.timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        if match.group(9) == "-":
            offset = -offset
    try:
        stamp = datetime.datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            micro,
            tzinfo=datetime.timezone(offset),
        )
    except ValueError as exc:
        raise KubeadmError(f"invalid RFC 3339 timestamp {text!r}: {exc}") from None
    return stamp.astimezone(UTC)


def format_rfc3339(stamp: datetime.datetime) -> str:
    """Format an aware datetime as kubeadm does: UTC, whole seconds, ``Z``."""
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- kubeadm output


def parse_token_list(output: str) -> list[dict]:
    """Parse ``kubeadm token list -o json``: JSON objects one after another, not an array.

    Empty output means no tokens. The error messages never quote the output, which holds secrets.
    """
    decoder = json.JSONDecoder()
    tokens = []
    pos = 0
    size = len(output)
    while True:
        while pos < size and output[pos].isspace():
            pos += 1
        if pos >= size:
            return tokens
        try:
            obj, pos = decoder.raw_decode(output, pos)
        except ValueError as exc:
            # ValueError's message quotes no input, only a position.
            raise KubeadmError(f"cannot parse the output of kubeadm token list -o json: {exc}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("token"), str):
            raise KubeadmError(f"unexpected output of kubeadm token list -o json: object {len(tokens) + 1} is not a bootstrap token")
        tokens.append(obj)


def token_id(token: str) -> str:
    """The public id of a bootstrap token (``abcdef`` of ``abcdef.0123456789abcdef``)."""
    return token.split(".", 1)[0]


def is_reusable(entry: dict, description: str) -> bool:
    """True when a listed token was made by us for joining nodes.

    Exact description, usable for authentication and signing, only the default node group.
    Whether it has enough lifetime left is decided by the caller.
    """
    usages = entry.get("usages") or []
    return (
        entry.get("description", "") == description and all(usage in usages for usage in REQUIRED_USAGES) and list(entry.get("groups") or []) == [DEFAULT_GROUP]
    )


def remaining_seconds(entry: dict, now: datetime.datetime) -> float | None:
    """Lifetime left of a listed token in seconds, ``None`` when it never expires."""
    expires = entry.get("expires")
    if not expires:
        return None
    return (parse_rfc3339(expires) - now).total_seconds()


def parse_created_token(stdout: str) -> str:
    """The token printed by ``kubeadm token create`` (the last line that looks like one)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if TOKEN_RE.match(line):
            return line
    raise KubeadmError("kubeadm token create printed no bootstrap token")


def parse_certificate_key(stdout: str) -> str:
    """The key printed after ``[upload-certs] Using certificate key:``."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if CERT_KEY_MARKER in line:
            rest = line.split(CERT_KEY_MARKER, 1)[1].strip()
            candidates = [rest] + [following.strip() for following in lines[index + 1 :]]
            for candidate in candidates:
                if candidate:
                    if CERT_KEY_RE.match(candidate):
                        return candidate
                    break
    raise KubeadmError("kubeadm init phase upload-certs printed no certificate key")


# --------------------------------------------------------------------------- endpoints


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    # A plain YAML scalar ends at " #" (a comment).
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()


def kubeconfig_servers(text: str) -> list[str]:
    """All distinct ``server:`` values of a kubeconfig, in order, without a YAML library."""
    servers = []
    for line in text.splitlines():
        match = re.match(r"^\s*(?:-\s+)?server\s*:\s*(\S.*)$", line)
        if match:
            value = _unquote(match.group(1))
            if value and value not in servers:
                servers.append(value)
    return servers


def endpoint_from_url(url: str) -> str:
    """``https://host:port`` to ``host:port`` (IPv6 addresses keep their brackets)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise KubeadmError(f"invalid API server URL {url!r}: {exc}") from None
    host = parts.hostname
    if parts.scheme != "https" or not host:
        raise KubeadmError(f"invalid API server URL {url!r}: expected https://host:port")
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port or 443}"


def endpoint_from_kubeconfig(text: str) -> str:
    """The API server endpoint (``host:port``) of a kubeconfig with one cluster."""
    servers = kubeconfig_servers(text)
    if not servers:
        raise KubeadmError("no cluster server: found in the kubeconfig")
    if len(servers) > 1:
        raise KubeadmError(f"the kubeconfig names several API servers ({', '.join(servers)}); set api_server_endpoint")
    return endpoint_from_url(servers[0])
