"""One JSON shape for every API error, whatever raised it.

    {"ok": false, "error": {"status": 404, "code": "not_found", "message": "no run 'x'; ..."}}

`code` is a stable snake_case word clients can branch on; `message` says what to do next. Domain errors
(`oncall.errors`) carry their own HTTP status; validation errors name the field; anything unexpected is
a 500 whose message hides internals (they go to the server log).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncall.errors import OncallError

__all__ = ["ERROR_RESPONSES", "ErrorBody", "error_body", "error_response", "install_error_handlers"]

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    status: int
    code: str
    """Stable snake_case word, e.g. not_found, invalid_request, unauthorized, busy."""
    message: str
    """What went wrong and what to do next."""


class ErrorBody(BaseModel):
    """The one shape of every API error."""

    ok: bool = False
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Bad input (the message names the field)"),
        (401, "Token required or wrong"),
        (404, "No such run or entity"),
        (409, "Busy: too many runs, or a reset during runs"),
        (415, "A state-changing call without 'Content-Type: application/json'"),
        (422, "The request body or parameters do not validate"),
        (500, "Internal error (details in the server log)"),
    ]
}
"""For OpenAPI: the error responses every API route may give."""


def _code_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _code_for_exception(exc: OncallError) -> str:
    name = type(exc).__name__.removesuffix("Error") or "oncall"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """The error document."""
    return {
        "ok": False,
        "error": {"status": status, "code": code or _code_for_status(status), "message": message},
    }


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response in the one shape."""
    return JSONResponse(error_body(status, message, code), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure to the one shape."""

    @app.exception_handler(OncallError)
    async def _oncall(_: Request, exc: OncallError) -> JSONResponse:
        return error_response(exc.http_status, str(exc), _code_for_exception(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_message(exc), "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the server log has the details", "internal_error")
