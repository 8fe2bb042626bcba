"""The web package exports what the CLI (`oncall serve`, `oncall demo --serve`) calls, lazily."""

from __future__ import annotations

import inspect
import subprocess
import sys

import oncall.web


def test_public_surface() -> None:
    assert sorted(oncall.web.__all__) == ["create_app", "serve"]
    for name in oncall.web.__all__:
        assert callable(getattr(oncall.web, name))
    params = inspect.signature(oncall.web.create_app).parameters
    assert params["runner"].kind is inspect.Parameter.KEYWORD_ONLY
    assert {"host", "port", "on_ready"} <= set(inspect.signature(oncall.web.serve).parameters)


def test_history_module_imports_no_web_framework() -> None:
    # The CLI records runs through oncall.web.history; it must stay cheap to import.
    code = "import sys, oncall.web.history; print('fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
