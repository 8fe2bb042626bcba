"""Shared pytest fixtures of the llm area (registered in tests/conftest.py).

`openai_standin` is a real OpenAI-compatible HTTP server on loopback (see tests/llm/openai_standin.py);
`standin_config` points the four roles at it. Agents tests script it like this::

    def test_detective_uses_model(openai_standin, home):
        config = standin_config(home, openai_standin)
        openai_standin.script([answer({...})], model=standin_model("detective"))
        result = asyncio.run(run_incident("revenue dashboard wrong", config=config))
        assert openai_standin.requests_for(standin_model("detective"))
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oncall.config import Config, load_config
from oncall.llm.local import LocalServer
from tests.llm.openai_standin import OpenAIStandin

__all__ = [
    "STANDIN_KEY_ENV",
    "local_config",
    "local_server",
    "openai_standin",
    "standin_config",
    "standin_model",
]

STANDIN_KEY_ENV = "ONCALL_TEST_LLM_KEY"
"""The env var the stand-in roles read their key from (given to `load_config` as its environ)."""

ALL_ROLES = ("coordinator", "detective", "reality_checker", "fixer")


def standin_model(role: str) -> str:
    """The model name a role sends to the stand-in, so scripts can target one role."""
    return f"standin-{role}"


def standin_config(
    home: Path,
    standin: OpenAIStandin,
    *,
    roles: Iterable[str] = ALL_ROLES,
    timeout_s: float = 10.0,
    environ: dict[str, str] | None = None,
    **role_fields: Any,
) -> Config:
    """A Config whose given roles (others: no model) talk to the stand-in.

    Args:
        home: the project home.
        standin: the running server.
        roles: roles that get a model; the rest stay offline.
        timeout_s: per-call budget of each role.
        environ: extra environment for `load_config` (the key variable is always set).
        **role_fields: more `llm.<role>` fields for every role, e.g. `retries=1`, `price_in=1.0`.
    """
    llm = {
        role: {
            "base_url": standin.url,
            "model": standin_model(role),
            "api_key_env": STANDIN_KEY_ENV,
            "timeout_s": timeout_s,
            **role_fields,
        }
        for role in roles
    }
    env = {STANDIN_KEY_ENV: "standin-key", **(environ or {})}
    return load_config(home, environ=env, llm=llm)


@pytest.fixture
def openai_standin() -> Iterator[OpenAIStandin]:
    """A fresh stand-in server per test: `.url`, `.script(responses, model=None)`, `.requests`,
    `.latency_s` (settable), `.responder` (a fallback callable), `.pending()`."""
    standin = OpenAIStandin().start()
    try:
        yield standin
    finally:
        standin.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The real llama.cpp server with the packaged small model, started once per test session (loading
    it and the two shared cores are the cost); skips with the reason when the `local` extra is absent."""
    from oncall.errors import ConfigError
    from oncall.llm.local import ensure_server, find_model_file, stop_servers

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed: pip install -e '.[local]' (.ci/run does)")
    config = load_config(tmp_path_factory.mktemp("local_llm"), environ={}, llm_local_port=_free_port())
    try:
        find_model_file(config)
    except ConfigError as exc:
        pytest.skip(str(exc))
    server = ensure_server(config)
    try:
        yield server
    finally:
        stop_servers()


def local_config(home: Path, server: LocalServer, **llm: Any) -> Config:
    """A Config on the `local` preset talking to the session's server; `llm` = per-role overrides."""
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    return load_config(home, environ={}, llm_preset="local", llm_local_port=port, llm=llm or None)
