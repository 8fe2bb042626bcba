"""Catalog backends: the kinds of DataHub `config.catalog` can name, and what each one can do.

Each backend is registered once, by name (`register_backend`). Opening a catalog, `oncall setup`,
`oncall ingest`, the "is there a catalog yet" checks and the watcher's cursor all ask the registry
instead of testing names (what an open catalog can do is a `Catalog` method, e.g. `run_events`), so a
third backend joins by registering itself (e.g. from a plugin module imported before the command runs)
with no edit elsewhere. Built in: `lite` (the embedded DataHub Lite file in the home, the default) and
`gms` (a DataHub server).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import ConfigError, UserError

__all__ = [
    "Backend",
    "backend_for",
    "backend_named",
    "backends",
    "check_ready",
    "reads_are_round_trips",
    "register_backend",
    "unregister_backend",
]

Progress = Callable[[str], None]


def _present(_config: Config) -> str | None:
    return None


def _exists(_config: Config) -> bool:
    return True


@dataclass(frozen=True)
class Backend:
    """One kind of DataHub, and the capabilities the generic code asks of it."""

    name: str
    """The value of `config.catalog` (and `Catalog.backend`) that picks it."""
    open: Callable[[Config, bool], Catalog]
    """`open(config, read_only)`: the catalog; `CatalogUnavailableError` when it cannot be reached."""
    location: Callable[[Config], str]
    """Where its store is (a file, a URL): shown in messages, and the key of the watcher's cursor."""
    missing: Callable[[Config], str | None] = _present
    """Why there is no catalog to open yet, as a message saying what to run; None when there is one."""
    exists: Callable[[Config], bool] = _exists
    """Whether its store is there at all, even unusable (no Lite file: never set up, nothing to undo)."""
    fresh: Callable[[Config], AbstractContextManager[Catalog]] | None = None
    """A new, empty store that replaces the configured one when the block succeeds (what `oncall setup`
    fills when there is none yet, or with --force); None: setup writes into the existing store."""
    ingest: Callable[[dict[str, Any], Config, Progress], dict[str, Any]] | None = None
    """Run a checked recipe into the store; None: the recipe runs with the catalog's `ingest_sink()`."""
    server: bool = False
    """A DataHub server: ingestion sources may read back from it (e.g. dbt's PATCH write semantics), and
    every read is a round trip, so a run reads ahead what it will likely need (`agents/ahead.py`)."""


_REGISTRY: dict[str, Backend] = {}


def register_backend(backend: Backend) -> None:
    """Make `backend` available as `catalog: <name>` (a second registration under a name replaces it)."""
    _REGISTRY[backend.name] = backend


def unregister_backend(name: str) -> None:
    """Forget the backend `name` (tests that register a toy one clean up with this)."""
    _REGISTRY.pop(name, None)


def backends() -> tuple[str, ...]:
    """The registered backend names, in registration order."""
    return tuple(_REGISTRY)


def backend_named(name: str) -> Backend:
    """The backend registered as `name`; `ConfigError` naming the known ones otherwise."""
    backend = _REGISTRY.get(name)
    if backend is None:
        known = [repr(n) for n in _REGISTRY]
        choices = " or ".join(known) if len(known) < 3 else ", ".join(known[:-1]) + " or " + known[-1]
        raise ConfigError(f"catalog must be {choices}, not {name!r}")
    return backend


def backend_for(config: Config) -> Backend:
    """The backend `config.catalog` names."""
    return backend_named(config.catalog)


def reads_are_round_trips(catalog: Catalog) -> bool:
    """Whether `catalog`'s reads go to a server (`Backend.server`); False for an unregistered backend."""
    backend = _REGISTRY.get(catalog.backend)
    return backend is not None and backend.server


def check_ready(config: Config) -> None:
    """`UserError` when the configured catalog is not there to open yet (e.g. a Lite file never set up),
    so a person reads what to run rather than a failure deep inside the backend."""
    problem = backend_for(config).missing(config)
    if problem:
        raise UserError(problem)


# --------------------------------------------------------------------------------------- built in


def _open_lite(config: Config, read_only: bool) -> Catalog:
    from oncall.catalog.lite import LiteCatalog

    return LiteCatalog(config.lite_path, read_only=read_only)


def _lite_missing(config: Config) -> str | None:
    path = config.lite_path
    if not path.exists():
        return f"no DataHub Lite catalog at {path}; run `oncall setup` first (or `oncall ingest RECIPE`)"
    if path.is_file() and path.stat().st_size == 0:
        return f"the DataHub Lite catalog {path} is empty (0 bytes); run `oncall setup`"
    return None


@contextlib.contextmanager
def _fresh_lite(config: Config) -> Iterator[Catalog]:
    from oncall.catalog.lite import LiteCatalog
    from oncall.catalog.lite_files import working_copy

    config.lite_path.parent.mkdir(parents=True, exist_ok=True)
    with working_copy(config.lite_path, keep=False) as tmp:
        catalog = LiteCatalog(tmp, create=True)
        try:
            yield catalog
        finally:
            catalog.close()  # before the swap: no connection may still hold the temporary file


def _ingest_lite(recipe: dict[str, Any], config: Config, say: Progress) -> dict[str, Any]:
    from oncall.catalog.recipes import ingest_into_lite

    return ingest_into_lite(recipe, config.lite_path, say)


def _open_gms(config: Config, read_only: bool) -> Catalog:
    from oncall.catalog.gms import GmsCatalog

    return GmsCatalog.from_config(config, read_only=read_only)


register_backend(
    Backend(
        "lite",
        open=_open_lite,
        location=lambda config: str(config.lite_path),
        missing=_lite_missing,
        exists=lambda config: config.lite_path.exists(),
        fresh=_fresh_lite,
        ingest=_ingest_lite,
    )
)
register_backend(
    Backend(
        "gms",
        open=_open_gms,
        location=lambda config: str(config.gms_url),
        server=True,
    )
)
