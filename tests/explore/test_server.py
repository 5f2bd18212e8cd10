"""The explore server itself: the page and its files, the JSON API's errors, and what it never serves."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from chainrule.explore.api import dispatch
from chainrule.explore.protocol import MAX_BODY_BYTES, Context


def request(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type"), data


def test_the_page_and_its_files_are_served(served):
    url = served()
    status, kind, body = request(url, "GET", "/")
    assert status == 200 and kind == "text/html" and b"chainrule" in body
    status, kind, _ = request(url, "GET", "/static/common.js")
    assert status == 200 and "javascript" in kind


@pytest.mark.parametrize(
    "path",
    ["/static/../protocol.py", "/static/..%2fserver.py", "/etc/passwd", "/static//etc/passwd", "/../../README.md"],
)
def test_no_request_can_name_a_file(served, path):
    status, kind, body = request(served(), "GET", path)
    assert status == 404 and kind == "application/json"
    assert b"import" not in body  # nothing of a source file


def test_api_errors_are_4xx_with_a_message_and_the_server_stays_up(served, monkeypatch):
    from chainrule.explore import api

    monkeypatch.setitem(api.ROUTES, "test/echo", lambda payload, ctx: payload)
    url = served()
    assert request(url, "POST", "/api/test/echo", b'{"a": 1}')[2] == b'{"a": 1}'
    for body, expected in [(b"{not json", 400), (b"[1, 2]", 400), (b"\xff\xfe", 400)]:
        status, _, data = request(url, "POST", "/api/test/echo", body)
        assert status == expected and json.loads(data)["error"]
    status, _, data = request(url, "POST", "/api/no/such/route", b"{}")
    assert status == 404 and "no/such/route" in json.loads(data)["error"]
    status, _, data = request(url, "POST", "/api/x", b"", {"Content-Length": str(MAX_BODY_BYTES + 1)})
    assert status == 413 and "limit" in json.loads(data)["error"]
    assert request(url, "GET", "/")[0] == 200  # still answering


def test_a_bug_in_a_handler_is_a_500_without_a_traceback(monkeypatch):
    from chainrule.explore import api

    def broken(payload, ctx):
        raise ZeroDivisionError("deep inside")

    monkeypatch.setitem(api.ROUTES, "test/broken", broken)
    status, obj = dispatch("test/broken", b"{}", Context())
    assert status == 500 and "Traceback" not in obj["error"] and "deep inside" not in obj["error"]
