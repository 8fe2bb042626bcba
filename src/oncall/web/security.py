"""Who may talk to the console: loopback by default, a bearer token beyond it.

- `check_bind`: binding to anything but loopback without a token is refused at startup.
- `Guard` (ASGI middleware), on every request:
  * Host header check while bound to loopback, so a web page that DNS-rebinds its name to 127.0.0.1
    cannot drive the API from the victim's browser;
  * cross-origin writes refused: the `Origin` of a state-changing request must be this server, same
    scheme, host **and port** (a page on another 127.0.0.1 port is another origin);
  * a `POST` under the protected prefix must send `Content-Type: application/json`: a browser sends
    that cross-origin only after a CORS preflight, which we never grant, so no HTML form can post to us;
  * with a token, every call under the protected prefix (`/api/` for the console, `/mcp` for the MCP
    server) needs `Authorization: Bearer <token>`, compared in constant time;
  * security headers on every response (a CSP that allows only our own scripts and styles).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncall.errors import ConfigError
from oncall.web.errors import error_response

__all__ = ["LOOPBACK_HOSTS", "Guard", "check_bind", "is_loopback", "same_origin"]

LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")

_SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, *, service: str = "the console") -> None:
    """Refuse to expose `service` beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} exposes {service} beyond this machine: give --token TOKEN "
            "(or set ONCALL_TOKEN) so every API call must carry it"
        )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _hostname(value: str) -> str:
    return (urlsplit(f"//{value}").hostname or "").lower()


def _origin_of(scheme: str, netloc: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; port None if malformed."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme.lower(), (parts.hostname or "").lower(), port


def same_origin(origin: str, scheme: str, host_header: str) -> bool:
    """True if the `Origin` header names this server: same scheme, host and port."""
    given = urlsplit(origin)
    if not given.scheme or not given.netloc:
        return False  # "null" (sandboxed frames, file pages) and garbage are never us
    theirs = _origin_of(given.scheme, given.netloc)
    ours = _origin_of(scheme, host_header)
    return None not in (theirs[2], ours[2]) and theirs == ours


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class Guard:
    """The request gate described in the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        trusted_hosts: Iterable[str] | None,
        protected_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.protected_prefix = protected_prefix
        self.trusted_hosts = {h.strip("[]").lower() for h in trusted_hosts} if trusted_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host = _hostname(headers.get("host", ""))
        if self.trusted_hosts is not None and host not in self.trusted_hosts:
            return error_response(400, f"host {host!r} is not served here; open http://127.0.0.1:<port>/")
        origin = headers.get("origin")
        changes = scope["method"] not in _SAFE_METHODS
        if (
            origin
            and changes
            and not same_origin(origin, scope.get("scheme", "http"), headers.get("host", ""))
        ):
            return error_response(403, f"cross-origin request from {origin} refused", "cross_origin")
        # only POST can leave a browser cross-origin without a preflight (forms, no-cors fetch)
        posted = scope["method"] == "POST" and scope["path"].startswith(self.protected_prefix)
        if posted and not _is_json(headers.get("content-type", "")):
            return error_response(
                415,
                "send the request body as JSON with 'Content-Type: application/json' (an empty body is {})",
                "unsupported_media_type",
            )
        if (
            self.token is not None
            and scope["path"].startswith(self.protected_prefix)
            and not self._authorised(headers)
        ):
            return error_response(
                401,
                "this server needs a token: send 'Authorization: Bearer <token>' "
                "(the console page takes it from ?token=... once)",
                "unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None

    def _authorised(self, headers: Headers) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or self.token is None:
            return False
        return hmac.compare_digest(given.strip().encode(), self.token)
