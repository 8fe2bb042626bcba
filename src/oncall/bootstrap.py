"""`oncall setup`: world, catalog and assertions in one idempotent step.

1. Build the demo world if it is missing (or rebuild it with `force`).
2. Ingest both platform instances, the BI layer and the kit metadata into the configured DataHub.
3. Run the assertion suites on both instances and publish them (`oncall.quality.publish_suites`).
4. Rebuild the semantic index of the catalog (`oncall.catalog.vectors`), which the Detective reads.

A fresh Lite catalog is built in a temporary file next to the real one and moved into place only when
every step succeeded, so a failed setup never leaves a half-written catalog behind; re-running setup
on an existing catalog rewrites the same aspects and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from oncall.catalog import Catalog, backend_for, open_catalog
from oncall.config import Config
from oncall.errors import WorldExistsError
from oncall.world.build import BASELINE, PRODUCTION, WorldSummary, build_world, load_summary
from oncall.world.seed import IngestSummary, ingest_world
from oncall.world.settings import with_demo_settings, write_demo_settings

__all__ = ["SetupSummary", "refresh_vectors", "setup"]

Progress = Callable[[str], None]


class SetupSummary(BaseModel):
    """What `setup` did."""

    home: str
    backend: str
    world_built: bool
    """True if this run built (or rebuilt) the world."""
    scale: float | None
    rows: dict[str, dict[str, int]]
    """Rows per instance and table of the world."""
    ingest: IngestSummary
    quality: dict[str, Any] | None = None
    """The publisher's summary, or None when the quality step was skipped."""
    quality_note: str | None = None
    seconds: float


def _world(config: Config, force: bool, scale: float | None, say: Progress) -> tuple[bool, WorldSummary]:
    """Build the world when needed; returns (built, its summary)."""
    summary = load_summary(config.home)  # None: no world.json yet
    files = [config.instance_db(BASELINE), config.instance_db(PRODUCTION)]
    if summary is not None and all(p.is_file() for p in files) and not force:
        if scale is not None and summary.scale != scale:
            raise WorldExistsError(
                f"the world in {config.home} was built at scale {summary.scale:g}, not {scale:g}; "
                "pass --force to rebuild it"
            )
        say(f"world: using the existing world in {config.home} (scale {summary.scale:g})")
        return False, summary
    # A partial world (some files missing) is unusable: rebuild it without asking for --force.
    target = scale if scale is not None else (summary.scale if summary else 1.0)
    say(f"world: building at scale {target:g} in {config.home}")
    return True, build_world(config.home, scale=target, force=True, progress=say)


def _publish_quality(
    config: Config, catalog: Catalog, say: Progress
) -> tuple[dict[str, Any] | None, str | None]:
    try:
        from oncall.quality import publish_suites
    except ImportError:
        note = "quality step skipped: oncall.quality.publish_suites is not available"
        say(note)
        return None, note
    from oncall.world.demo_suites import DEMO_SUITES, resolve_suites
    from oncall.world.schema import warehouse_schema

    suites = resolve_suites(DEMO_SUITES)
    result = publish_suites(config, catalog, progress=say, suites=suites, schema=warehouse_schema())
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json"), None
    return None, None


def _populate(
    config: Config, catalog: Catalog, say: Progress
) -> tuple[IngestSummary, dict[str, Any] | None, str | None]:
    ingest = ingest_world(config.home, catalog, progress=say)
    quality, note = _publish_quality(config, catalog, say)
    refresh_vectors(config, catalog, say)
    return ingest, quality, note


def refresh_vectors(config: Config, catalog: Catalog, say: Progress | None = None) -> None:
    """Rebuild the Detective's semantic index after the catalog changed (setup, ingest).

    Never fails the caller: without the index the Detective ranks on letters and rebuilds it lazily.
    """
    say = say or (lambda _m: None)
    try:
        from oncall.catalog.vectors import refresh

        refresh(catalog, config.vectors_dir, progress=say)
    except (ImportError, OSError, ValueError) as exc:
        say(f"vectors: not built ({type(exc).__name__}: {exc}); the Detective will retry on its next run")


def setup(
    config: Config, *, force: bool = False, progress: Progress | None = None, scale: float | None = None
) -> SetupSummary:
    """Build the world if missing, ingest it into DataHub, run and publish the assertion suites.

    Args:
        config: resolved configuration (`config.catalog` picks Lite or GMS).
        force: rebuild the world and, for Lite, the catalog file from scratch.
        progress: called with one line per step.
        scale: world scale when building (default 1.0); must match an existing world unless `force`.
    """
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    built, world = _world(config, force, scale, say)
    written = write_demo_settings(config.home)
    if written:
        say(f"config: wrote the demo's {', '.join(written)} to {config.home / 'config.yaml'}")
    config = with_demo_settings(config)
    backend = backend_for(config)
    if backend.fresh is not None and (force or not backend.exists(config)):
        with backend.fresh(config) as catalog:  # replaces the old store only if everything succeeded
            ingest, quality, note = _populate(config, catalog, say)
    else:
        catalog = open_catalog(config)
        try:
            ingest, quality, note = _populate(config, catalog, say)
        finally:
            catalog.close()
    seconds = round(time.perf_counter() - started, 3)
    say(f"setup: done in {seconds:.1f} s ({config.catalog} catalog at {backend.location(config)})")
    return SetupSummary(
        home=str(config.home),
        backend=config.catalog,
        world_built=built,
        scale=world.scale,
        rows=dict(world.rows),
        ingest=ingest,
        quality=quality,
        quality_note=note,
        seconds=seconds,
    )
