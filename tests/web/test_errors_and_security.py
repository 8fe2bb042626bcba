"""Every API error has one shape; the token, host and origin checks hold; binding wide needs a token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from oncall.cli import main
from oncall.errors import ConfigError
from oncall.web.security import check_bind, is_loopback
from oncall.web.server import ServerThread

URN = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"


def assert_error_shape(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error document: {"ok": false, "error": {"status", "code", "message"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"ok", "error"}
    assert body["ok"] is False
    assert set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == status
    assert body["error"]["message"] and isinstance(body["error"]["message"], str)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def plain(home: Path, serve_console: Callable[..., ServerThread]) -> ServerThread:
    """A console on an empty home: enough for requests that fail before any run or catalog read."""
    return serve_console(home)


CASES: list[tuple[str, str, dict[str, Any], int, str, str]] = [
    # method, path, request kwargs, status, code, a word the message must contain
    ("GET", "/api/runs/20200101T000000Z-abcdef", {}, 404, "not_found", "no run"),
    ("GET", "/api/runs/20200101T000000Z-abcdef/events", {}, 404, "not_found", "no run"),
    ("GET", "/api/runs/bad%20id!", {}, 400, "user", "malformed"),
    ("GET", "/api/nothing-here", {}, 404, "not_found", "Not Found"),
    ("POST", "/api/runs", {"json": {}}, 422, "invalid_request", "incident"),
    ("POST", "/api/runs", {"json": {"incident": "   "}}, 422, "invalid_request", "incident"),
    ("POST", "/api/runs", {"json": {"incident": "x", "colour": "red"}}, 422, "invalid_request", "colour"),
    (
        "POST",
        "/api/runs",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        422,
        "invalid_request",
        "JSON",
    ),
    ("POST", "/api/runs", {"json": {"incident": "x", "llm": "gpt-9"}}, 422, "invalid_request", "nebius"),
    ("GET", "/api/entities/not-an-urn", {}, 400, "user", "urn:li:"),
    ("DELETE", "/api/runs", {}, 405, "method_not_allowed", "Method Not Allowed"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code", "word"), CASES)
def test_every_error_has_the_one_shape(
    plain: ServerThread, method: str, path: str, kwargs: dict[str, Any], status: int, code: str, word: str
) -> None:
    response = httpx.request(method, plain.url + path, timeout=10, **kwargs)
    error = assert_error_shape(response, status, code)
    assert word.lower() in error["message"].lower()


def test_bad_last_event_id_is_a_400(console: ServerThread) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = client.post(
            "/api/runs", json={"incident": "revenue dashboard wrong", "dry_run": True}
        ).json()
        response = client.get(f"/api/runs/{run_id['run_id']}/events", headers={"Last-Event-ID": "abc"})
        assert "Last-Event-ID" in assert_error_shape(response, 400)["message"]


def test_a_corrupt_history_file_is_a_500_in_the_same_shape(plain: ServerThread) -> None:
    runs = plain.app.state.config.runs_dir
    runs.mkdir(parents=True)
    (runs / "20200101T000000Z-abcdef.json").write_text("{ torn")
    response = httpx.get(f"{plain.url}/api/runs/20200101T000000Z-abcdef", timeout=10)
    error = assert_error_shape(response, 500, "internal_error")
    assert "torn" not in error["message"], "internals stay in the server log"


def test_unknown_entity_is_a_404(console: ServerThread) -> None:
    missing = URN.replace("olist_customers", "no_such_table")
    response = httpx.get(f"{console.url}/api/entities/{missing}", timeout=30)
    assert_error_shape(response, 404)


def test_reset_while_a_run_goes_is_a_409(
    seeded_copy: Path, serve_console: Callable[..., ServerThread], gate: Any
) -> None:
    console = serve_console(seeded_copy, runner=gate)
    with httpx.Client(base_url=console.url, timeout=60) as client:
        client.post("/api/runs", json={"incident": "revenue dashboard wrong", "dry_run": True})
        assert_error_shape(client.post("/api/reset", json={}), 409, "busy")
        gate.open()


def test_too_many_runs_at_once_is_a_409(
    home: Path, serve_console: Callable[..., ServerThread], gate: Any
) -> None:
    server = serve_console(home, max_live=1, runner=gate)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/api/runs", json={"incident": "revenue dashboard wrong"}).status_code == 202
        busy = client.post("/api/runs", json={"incident": "payment totals look off"})
        assert "wait for one to finish" in assert_error_shape(busy, 409, "busy")["message"]
        gate.open()


def test_token_guards_every_api_call(home: Path, serve_console: Callable[..., ServerThread]) -> None:
    server = serve_console(home, token="s3cret-token")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        missing = client.get("/api/runs")
        assert_error_shape(missing, 401, "unauthorized")
        assert missing.headers["www-authenticate"] == "Bearer"
        assert_error_shape(client.get("/api/runs", headers={"Authorization": "Bearer wrong"}), 401)
        assert_error_shape(client.get("/api/runs", headers={"Authorization": "s3cret-token"}), 401)
        assert_error_shape(client.post("/api/runs", json={"incident": "x"}), 401)
        ok = client.get("/api/runs", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json() == {"runs": []}
        # The page and liveness carry no data and stay open, so a browser can load the page first.
        assert client.get("/").status_code == 200
        assert client.get("/healthz").json()["ok"] is True


def test_foreign_host_and_cross_origin_writes_are_refused(plain: ServerThread) -> None:
    with httpx.Client(base_url=plain.url, timeout=10) as client:
        rebound = client.get("/api/runs", headers={"Host": "attacker.example:8765"})
        assert "attacker.example" in assert_error_shape(rebound, 400)["message"]
        cross = client.post(
            "/api/runs", json={"incident": "x"}, headers={"Origin": "http://attacker.example"}
        )
        assert_error_shape(cross, 403, "cross_origin")
        same = client.get("/api/runs", headers={"Origin": plain.url})
        assert same.status_code == 200


def test_a_page_on_another_loopback_port_cannot_reset_or_start_runs(plain: ServerThread) -> None:
    # what a browser sends for a cross-port HTML form: no preflight, a form content type
    port = int(plain.url.rsplit(":", 1)[1])
    other = f"http://127.0.0.1:{port + 1}"
    with httpx.Client(base_url=plain.url, timeout=10) as client:
        form = {"Origin": other, "Content-Type": "application/x-www-form-urlencoded"}
        assert_error_shape(client.post("/api/reset", content=b"", headers=form), 403, "cross_origin")
        for origin in (other, f"https://127.0.0.1:{port}", "null"):
            cross = client.post("/api/runs", json={"incident": "x"}, headers={"Origin": origin})
            assert_error_shape(cross, 403, "cross_origin")
        # same origin, but not JSON: what a form or a no-preflight fetch posts
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            posted = client.post(
                "/api/reset", content=b"x=1", headers={"Origin": plain.url, "Content-Type": content_type}
            )
            assert_error_shape(posted, 415, "unsupported_media_type")
        assert_error_shape(client.post("/api/reset"), 415, "unsupported_media_type")
        ok = client.post("/api/reset", json={}, headers={"Origin": plain.url})
        assert ok.status_code == 200, ok.text


def test_pages_carry_a_strict_content_security_policy(plain: ServerThread) -> None:
    response = httpx.get(plain.url + "/", timeout=10)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_binding_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="--token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "t0ken")
    check_bind("127.0.0.1", None)


def test_serve_refuses_a_wide_host_without_token(home: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--home", str(home)])
    assert result.exit_code == 2
    assert "--token" in result.output


def test_openapi_and_offline_docs(plain: ServerThread) -> None:
    spec = httpx.get(plain.url + "/openapi.json", timeout=10).json()
    assert {"/api/runs", "/api/runs/{run_id}/events", "/api/entities/{urn}", "/api/reset"} <= set(
        spec["paths"]
    )
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["properties"]) == {"ok", "error"}, "the documented error shape is the real one"
    assert spec["paths"]["/api/runs"]["post"]["responses"]["422"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/ErrorBody"}
    docs = httpx.get(plain.url + "/docs", timeout=10).text
    assert "/static/js/docs.js" in docs
    assert "http://" not in docs and "https://" not in docs, "the docs page loads nothing from the network"
