"""Build the demo world in a home folder: the clean baseline DB, the production DB with faults, a summary.

`build_world` writes `olist_source.db` (clean), `olist_dirty.db` (a copy of the clean DB with the fault
spec applied), `world.json` (a `WorldSummary`) and the demo's instances into `config.yaml`. The DBs
are built into temporary files next to the targets and renamed into place only when all of it
succeeded, so a failure leaves the home as it was. An existing world is replaced only with `force=True`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from oncall.errors import WorldError, WorldExistsError
from oncall.world import importers
from oncall.world.faults import FaultResult, FaultSpec, apply_faults, load_spec
from oncall.world.generate import generate
from oncall.world.schema import TABLES

__all__ = ["DIRTY_DB", "MANIFEST", "SOURCE_DB", "WorldSummary", "build_world", "load_summary"]

SOURCE_DB = "olist_source.db"
DIRTY_DB = "olist_dirty.db"
MANIFEST = "world.json"
BASELINE, PRODUCTION = "olist_source", "olist_dirty"

Progress = Callable[[str], None]


class WorldSummary(BaseModel):
    """What `world.json` records about a built world."""

    source: str
    """'synthetic', 'csv' or 'kit-db'."""
    source_path: str | None = None
    """The CSV folder or the kit DBs the world was imported from."""
    scale: float
    seed: int
    fault_spec: str | None = None
    """Name of the fault spec applied (None when the production DB came from the kit)."""
    geolocation_rows: int | None = None
    rows: dict[str, dict[str, int]]
    """instance ('olist_source', 'olist_dirty') -> table -> row count."""
    faults: list[FaultResult]
    built_at: str
    seconds: float


def load_summary(home: Path) -> WorldSummary | None:
    """The summary of the world built in `home`, or None when there is none."""
    path = Path(home) / MANIFEST
    if not path.is_file():
        return None
    try:
        return WorldSummary.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise WorldError(
            f"{path}: unreadable world summary ({exc}); rebuild with `oncall world build --force`"
        ) from exc


def _count_rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def _check_inputs(
    scale: float, from_csv: Path | None, from_kit_db: tuple[Path, Path] | None, geolocation_rows: int | None
) -> None:
    if from_csv is not None and from_kit_db is not None:
        raise WorldError("give either --from-csv or --from-kit-db, not both")
    if not 0 < scale <= 1:
        raise WorldError(f"--scale must be in (0, 1], got {scale}")
    if scale != 1.0 and (from_csv or from_kit_db):
        raise WorldError("--scale applies only to the synthetic world; imports keep every row")
    if geolocation_rows is not None and geolocation_rows < 1:
        raise WorldError(f"--geolocation-rows must be at least 1, got {geolocation_rows}")
    if from_csv is not None:
        importers.check_csv_folder(Path(from_csv))
    if from_kit_db is not None:
        for path in from_kit_db:
            importers.check_kit_db(Path(path))


def build_world(
    home: Path,
    *,
    scale: float = 1.0,
    seed: int = 42,
    faults: str | Path = "kit",
    geolocation_rows: int | None = None,
    from_csv: Path | None = None,
    from_kit_db: tuple[Path, Path] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> WorldSummary:
    """Build (or with `force`, rebuild) the world in `home`.

    Args:
        home: the project home; created if missing.
        scale: fraction of Kaggle row counts for the synthetic world (1.0 = the published facts).
        seed: generator and random-fault seed; the same seed gives byte-identical DBs.
        faults: built-in spec name ('kit') or path of a YAML fault spec, applied to the production copy.
            Ignored with `from_kit_db`, whose dirty DB already carries its faults.
        geolocation_rows: cap on olist_geolocation rows.
        from_csv: import the Kaggle CSV folder instead of generating.
        from_kit_db: (clean, dirty) kit SQLite files to copy instead of generating.
        force: replace an existing world.
        progress: called with one line per step.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    home = Path(home)
    targets = [home / SOURCE_DB, home / DIRTY_DB, home / MANIFEST]
    existing = [p.name for p in targets if p.exists()]
    if existing and not force:
        raise WorldExistsError(
            f"a world is already built in {home} ({', '.join(existing)}); pass --force to rebuild it"
        )
    _check_inputs(scale, from_csv, from_kit_db, geolocation_rows)
    spec = None if from_kit_db else load_spec(faults)
    home.mkdir(parents=True, exist_ok=True)
    temps = [p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in targets]
    try:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        source, source_path, results = _build_dbs(
            temps[0], temps[1], spec, scale, seed, geolocation_rows, from_csv, from_kit_db, say
        )
        summary = WorldSummary(
            source=source,
            source_path=source_path,
            scale=scale,
            seed=seed,
            fault_spec=spec.name if spec else None,
            geolocation_rows=geolocation_rows,
            rows={BASELINE: _count_rows(temps[0]), PRODUCTION: _count_rows(temps[1])},
            faults=results,
            built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started, 2),
        )
        temps[2].write_text(summary.model_dump_json(indent=2), encoding="utf-8")
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    from oncall.world.settings import write_demo_settings  # settings names this module's instances

    write_demo_settings(home)  # the world's twin instances, for everything run on this home
    say(f"world ready in {home} ({summary.seconds:.1f} s)")
    return summary


def _build_dbs(
    clean: Path,
    dirty: Path,
    spec: FaultSpec | None,
    scale: float,
    seed: int,
    geolocation_rows: int | None,
    from_csv: Path | None,
    from_kit_db: tuple[Path, Path] | None,
    say: Progress,
) -> tuple[str, str | None, list[FaultResult]]:
    """Write the clean and the production DB to the given (temporary) paths."""
    if from_kit_db is not None:
        say(f"copying the kit databases {from_kit_db[0]} and {from_kit_db[1]}")
        importers.import_kit_db(Path(from_kit_db[0]), clean, progress=say)
        importers.import_kit_db(Path(from_kit_db[1]), dirty, progress=say)
        return "kit-db", f"{from_kit_db[0]},{from_kit_db[1]}", []
    if from_csv is not None:
        say(f"importing the Kaggle CSV files from {from_csv}")
        importers.import_csv(Path(from_csv), clean, geolocation_rows=geolocation_rows, progress=say)
        source, source_path = "csv", str(from_csv)
    else:
        say(f"generating the clean world (scale {scale:g}, seed {seed})")
        generate(clean, scale=scale, seed=seed, geolocation_rows=geolocation_rows, progress=say)
        source, source_path = "synthetic", None
    assert spec is not None
    say(f"applying fault spec {spec.name!r} to a copy")
    shutil.copyfile(clean, dirty)
    conn = sqlite3.connect(dirty)
    try:
        results = apply_faults(conn, spec, seed)
    finally:
        conn.close()
    for r in results:
        say(f"  {r.kind} {r.table}{'.' + r.column if r.column else ''}: {r.rows_touched:,} rows")
    return source, source_path, results
