"""Unit tests for the kubeadm.cluster.repository_probe module, fetch_url mocked with what it returns."""

from __future__ import annotations

import io
import socket

import pytest
from ansible_collections.kubeadm.cluster.plugins.modules import repository_probe
from module_runner import run_module

BASE = "https://pkgs.k8s.io/core:/stable:/v1.30/deb/"
RELEASE = BASE + "Release"
KEY = BASE + "Release.key"
BODY = b"Origin: obs://build.opensuse.org/isv:kubernetes:core:stable:v1.30/deb\n" * 100
HINT = "Point these variables at a repository this host reaches, or fix this host's network, DNS or proxy."
URLS = [
    {"url": RELEASE, "value": BASE, "what": "the Kubernetes package repository", "variable": "kube_packages_repo_url"},
    {"url": KEY, "what": "its signing key", "variable": "kube_packages_repo_key_url"},
]
REFUSED = "Request failed: <urlopen error [Errno 111] Connection refused>"


class Response(io.BytesIO):
    """What fetch_url returns for an answer: a file-like object; records how much was read."""

    def __init__(self, body: bytes = BODY) -> None:
        super().__init__(body)
        self.reads: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return super().read(size)


def ok(url: str):
    return Response(), {"url": url, "status": 200, "msg": "OK (unknown bytes)"}


def http_error(url: str, status: int, reason: str):
    return None, {"url": url, "status": status, "msg": f"HTTP Error {status}: {reason}", "body": BODY}


def no_answer(url: str, msg: str):
    return None, {"url": url, "status": -1, "msg": msg}


class FakeFetch:
    """Stands in for fetch_url: answers by URL, records each call's arguments."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.calls: list[dict] = []
        self.responses: list[Response] = []

    def __call__(self, module, url, **kwargs):
        self.calls.append({"url": url, "params": dict(module.params), **kwargs})
        answer = self.answers[url]
        if callable(answer):
            return answer(module)
        response, info = answer
        if isinstance(response, Response):
            self.responses.append(response)
        return response, info


@pytest.fixture
def fetch(monkeypatch):
    def install(answers: dict) -> FakeFetch:
        fake = FakeFetch(answers)
        monkeypatch.setattr(repository_probe, "fetch_url", fake)
        return fake

    return install


def args(**extra) -> dict:
    return {"urls": URLS, "timeout": 5, "host": "cp1", "hint": HINT, **extra}


@pytest.mark.parametrize("check_mode", [False, True])
def test_all_answer(fetch, capsys, check_mode):
    fake = fetch({RELEASE: ok(RELEASE), KEY: ok(KEY)})
    result = run_module(repository_probe.main, capsys, args(), check_mode=check_mode)
    assert not result.get("failed")
    assert result["changed"] is False
    assert result["results"] == [
        {"url": RELEASE, "status": 200, "error": None},
        {"url": KEY, "status": 200, "error": None},
    ]
    assert [call["url"] for call in fake.calls] == [RELEASE, KEY]
    for call in fake.calls:
        assert call["method"] == "GET"
        assert call["timeout"] == 5
        assert call["use_proxy"] is True
        assert call["params"]["validate_certs"] is True
    # At most a byte of each answer is read, and each is closed.
    assert [response.reads for response in fake.responses] == [[1], [1]]
    assert all(response.closed for response in fake.responses)


def test_missing_key(fetch, capsys):
    fetch({RELEASE: ok(RELEASE), KEY: http_error(KEY, 404, "Not Found")})
    result = run_module(repository_probe.main, capsys, args())
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == (
        f"kube_packages_repo_key_url is {KEY}, but its signing key does not answer from cp1 "
        f"(GET {KEY}: HTTP 404; timeout 5 s). Nothing has been changed. {HINT}"
    )
    assert result["results"][1] == {"url": KEY, "status": 404, "error": "HTTP 404"}
    assert "Origin" not in str(result)


def test_unreachable_repository_one_line_per_url(fetch, capsys):
    fetch({RELEASE: no_answer(RELEASE, REFUSED), KEY: no_answer(KEY, REFUSED)})
    result = run_module(repository_probe.main, capsys, args(), check_mode=True)
    assert result["failed"] is True
    lines = result["msg"].split("\n")
    assert lines == [
        f"kube_packages_repo_url is {BASE}, but the Kubernetes package repository does not answer from cp1 (GET {RELEASE}: {REFUSED}; timeout 5 s).",
        f"kube_packages_repo_key_url is {KEY}, but its signing key does not answer from cp1 (GET {KEY}: {REFUSED}; timeout 5 s). "
        f"Nothing has been changed. {HINT}",
    ]
    assert result["msg"].count("Nothing has been changed.") == 1
    assert result["msg"].count(HINT) == 1
    assert result["results"] == [
        {"url": RELEASE, "status": -1, "error": REFUSED},
        {"url": KEY, "status": -1, "error": REFUSED},
    ]


def test_timeout_and_defaults(fetch, capsys):
    """A timeout is reported with fetch_url's text; without host and hint the message says "this host"."""
    fetch({RELEASE: no_answer(RELEASE, "Connection failure: timed out"), KEY: ok(KEY)})
    result = run_module(repository_probe.main, capsys, {"urls": URLS})
    assert result["msg"] == (
        f"kube_packages_repo_url is {BASE}, but the Kubernetes package repository does not answer from this host "
        f"(GET {RELEASE}: Connection failure: timed out; timeout 10 s). Nothing has been changed."
    )


def test_error_that_fetch_url_would_end_the_module_with(fetch, capsys):
    """fetch_url calls fail_json on a TLS validation error or a bad URL: still a probe's answer."""

    def tls_error(module):
        module.fail_json(msg="Failed to validate the SSL certificate for pkgs.k8s.io:443.", url=KEY, status=-1)

    fetch({RELEASE: ok(RELEASE), KEY: tls_error})
    result = run_module(repository_probe.main, capsys, args(validate_certs=True))
    assert result["results"][1] == {"url": KEY, "status": -1, "error": "Failed to validate the SSL certificate for pkgs.k8s.io:443."}
    assert result["msg"].startswith(f"kube_packages_repo_key_url is {KEY}, but its signing key does not answer from cp1 (GET {KEY}: Failed")


def test_read_failure_after_200(fetch, capsys):
    class Broken(Response):
        def read(self, size: int = -1) -> bytes:
            raise socket.timeout("timed out")

    fetch({RELEASE: (Broken(), {"url": RELEASE, "status": 200}), KEY: ok(KEY)})
    result = run_module(repository_probe.main, capsys, args())
    assert result["results"][0] == {"url": RELEASE, "status": -1, "error": "reading the answer failed: timed out"}


def test_long_error_is_shortened(fetch, capsys):
    fetch({RELEASE: no_answer(RELEASE, "Request failed:\n" + "x" * 5000), KEY: ok(KEY)})
    result = run_module(repository_probe.main, capsys, args())
    error = result["results"][0]["error"]
    assert len(error) == repository_probe.ERROR_LENGTH
    assert "\n" not in result["msg"]


def test_url_options_reach_fetch_url(fetch, capsys):
    fake = fetch({RELEASE: ok(RELEASE), KEY: ok(KEY)})
    run_module(repository_probe.main, capsys, args(validate_certs=False, use_proxy=False, ca_path="/etc/ssl/mirror.pem"))
    assert fake.calls[0]["use_proxy"] is False
    assert fake.calls[0]["ca_path"] == "/etc/ssl/mirror.pem"
    assert fake.calls[0]["params"]["validate_certs"] is False


@pytest.mark.parametrize("timeout", [0, -3])
def test_timeout_must_be_positive(fetch, capsys, timeout):
    fake = fetch({})
    result = run_module(repository_probe.main, capsys, args(timeout=timeout))
    assert result["msg"] == f"timeout must be a positive number of seconds, got {timeout}"
    assert fake.calls == []
