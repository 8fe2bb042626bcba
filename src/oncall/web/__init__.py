"""The web console: FastAPI app, live run events over SSE, a no-build vanilla JS page.

`create_app(config, runner=...)` builds the app; `serve(config, host=..., port=...)` runs it with uvicorn.
`oncall.web.history.RunStore` is the run-history folder the CLI shares (no web framework imported).
The app is imported lazily so `oncall.web.history` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "serve"]

if TYPE_CHECKING:
    from oncall.web.app import create_app
    from oncall.web.server import serve


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from oncall.web.app import create_app

        return create_app
    if name == "serve":
        from oncall.web.server import serve

        return serve
    raise AttributeError(name)
