"""Build the dbt world for real: raw data, a passing `dbt build`, planted faults, a failing `dbt build`.

Layout under `<home>/dbt/`::

    project/            a copy of the shipped dbt project (dbt writes target/ into it)
    warehouse.duckdb    the DuckDB warehouse: schema raw (loaded here) and main (built by dbt)
    runs/1_pass/        manifest.json, catalog.json, run_results.json of the passing run
    runs/2_fail/        the same after the faults were planted: failing and skipped tests
    runs/3_fixed/       the same after the raw tables were repaired: every test passes again
    recipes/            1_pass.yml, 2_fail.yml, 3_fixed.yml: DataHub dbt recipes for `oncall ingest`
    world.json          what was built (`DbtWorldSummary`)

dbt runs in a subprocess with the project's own profiles.yml, the DuckDB file inside the home and
anonymous usage statistics off: nothing leaves the machine. The world is built in a temporary folder
and moved into place only when everything succeeded; an existing world is replaced only with `force`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from oncall.errors import WorldError, WorldExistsError
from oncall.world.dbt.data import FAULTS, generate, load_raw

__all__ = [
    "PLATFORM",
    "RECOVERY",
    "RUNS",
    "DbtRun",
    "DbtWorldSummary",
    "build_dbt_world",
    "load_dbt_summary",
    "project_dir",
    "world_dir",
]

Progress = Callable[[str], None]
PLATFORM = "duckdb"
"""The warehouse platform of the dbt world (DataHub's dbt `target_platform`)."""
DATABASE = "warehouse"
"""The DuckDB database name: the warehouse file's stem."""
RUNS = ("1_pass", "2_fail")
"""The runs `--ingest` and the eval take, in order: the catalog ends failing."""
RECOVERY = "3_fixed"
"""The run after the faults were repaired (the incident lifecycle's "next passing run")."""
_BACKUP = "raw_backup"


class DbtRun(BaseModel):
    """One `dbt build` of the world."""

    name: str
    artifacts: str
    recipe: str
    tests: dict[str, int]
    """Test results by dbt status: pass, fail, error, skipped, warn."""
    models: dict[str, int]
    """Model results by dbt status."""


class DbtWorldSummary(BaseModel):
    """What `<home>/dbt/world.json` records."""

    seed: int
    rows: dict[str, int]
    """Raw table -> rows before the faults."""
    faults: dict[str, int]
    """Fault name -> rows it touched."""
    runs: list[DbtRun]
    recovery: DbtRun | None = None
    """The run after the repair (None in a world built before it existed: rebuild with --force)."""
    dbt_version: str
    seconds: float


def world_dir(home: Path) -> Path:
    """Where the dbt world lives in a home."""
    return Path(home) / "dbt"


def project_dir() -> Path:
    """The shipped dbt project (read-only; a build copies it)."""
    return Path(str(resources.files("oncall.world.dbt") / "project"))


def load_dbt_summary(home: Path) -> DbtWorldSummary | None:
    """The summary of the dbt world built in `home`, or None."""
    path = world_dir(home) / "world.json"
    if not path.is_file():
        return None
    return DbtWorldSummary.model_validate_json(path.read_text(encoding="utf-8"))


def build_dbt_world(
    home: Path, *, seed: int = 7, force: bool = False, progress: Progress | None = None
) -> DbtWorldSummary:
    """Build the world in `<home>/dbt` (see the module docstring); returns its summary.

    Raises `WorldExistsError` when a world is there and `force` is False, `WorldError` when dbt is
    not installed or a dbt step fails unexpectedly.
    """
    say = progress or (lambda _m: None)
    final = world_dir(home)
    if (final / "world.json").is_file() and not force:
        raise WorldExistsError(f"a dbt world is already built in {final}; pass --force to rebuild it")
    version = _dbt_version()
    started = time.perf_counter()
    tmp = final.with_name(f".dbt.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        summary = _build(tmp, final, seed, version, say)
        summary.seconds = round(time.perf_counter() - started, 2)
        (tmp / "world.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # The recipes name paths in the final folder, and dbt's target/ moved with it.
    say(f"dbt world: built in {summary.seconds:.1f} s in {final}")
    return summary


def _dbt_version() -> str:
    try:
        from importlib.metadata import version

        return version("dbt-core") + " + dbt-duckdb " + version("dbt-duckdb")
    except Exception as exc:  # PackageNotFoundError: the extra is not installed
        raise WorldError(
            "the dbt world needs dbt-core and dbt-duckdb: pip install 'datahub-oncall[dbt]'"
        ) from exc


def _build(work: Path, final: Path, seed: int, version: str, say: Progress) -> DbtWorldSummary:
    import duckdb

    shutil.copytree(project_dir(), work / "project", ignore=shutil.ignore_patterns("target", "logs"))
    warehouse = work / "warehouse.duckdb"
    say(f"dbt world: generating raw tables (seed {seed})")
    con = duckdb.connect(str(warehouse))
    try:
        rows = load_raw(con, generate(seed), work)
    finally:
        con.close()
    passing, failing, fixed = (work / "runs" / name for name in (*RUNS, RECOVERY))
    tables = sorted({f.table for f in FAULTS})
    docs = ["manifest.json", "catalog.json"]
    steps: list[dict[str, Any]] = [
        {"dbt": ["build"], "keep": str(passing), "files": ["run_results.json"]},
        {"dbt": ["docs", "generate"], "keep": str(passing), "files": docs},
        {"sql": [f"CREATE SCHEMA {_BACKUP}"] + [_copy("raw", _BACKUP, t) for t in tables]},
        {"sql": [f.sql for f in FAULTS]},
        {"dbt": ["build"], "keep": str(failing), "files": ["run_results.json"]},
        # docs generate compiles every model, also those the failing build skipped (column lineage).
        {"dbt": ["docs", "generate"], "keep": str(failing), "files": docs},
        # The repair: the raw tables as they were, and the backup gone (dbt never sees it).
        {"sql": [_copy(_BACKUP, "raw", t) for t in tables] + [f"DROP SCHEMA {_BACKUP} CASCADE"]},
        {"dbt": ["build"], "keep": str(fixed), "files": ["run_results.json"]},
        {"dbt": ["docs", "generate"], "keep": str(fixed), "files": docs},
    ]
    say(
        f"dbt world: dbt build, docs generate, {len(FAULTS)} faults planted, again, repaired, again "
        "(one dbt process)"
    )
    results = _drive(work, steps)
    touched = dict(zip((f.name for f in FAULTS), results[3]["touched"], strict=True))
    runs = [_record(work, final, name, say) for name in RUNS]
    recovery = _record(work, final, RECOVERY, say)
    return DbtWorldSummary(
        seed=seed, rows=rows, faults=touched, runs=runs, recovery=recovery, dbt_version=version, seconds=0.0
    )


def _copy(schema: str, into: str, table: str) -> str:
    return f"CREATE OR REPLACE TABLE {into}.{table} AS SELECT * FROM {schema}.{table}"


def _drive(work: Path, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the steps in one dbt process (`_driver.py`); WorldError if a step could not run."""
    project = work / "project"
    out = work / "driver.json"
    plan = {"project": str(project), "warehouse": str(work / "warehouse.duckdb"), "steps": steps}
    plan["out"] = str(out)
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(project),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_USE_COLORS": "false",
        "DBT_PRINTER_WIDTH": "100",
        "DO_NOT_TRACK": "1",
        "ONCALL_DBT_DUCKDB": str(work / "warehouse.duckdb"),
    }
    driver = Path(__file__).with_name("_driver.py")
    proc = subprocess.run(
        [sys.executable, str(driver), str(work / "plan.json")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    results: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else []
    if proc.returncode != 0 or len(results) != len(steps):
        failed = next((r for r in results if r.get("error")), None)
        detail = f"{' '.join(failed['dbt'])}: {failed['error']}" if failed else _tail(proc)
        raise WorldError(f"building the dbt world failed ({detail}); dbt's log is in {work / 'logs'}")
    return results


def _record(work: Path, final: Path, name: str, say: Progress) -> DbtRun:
    """Write the run's recipe and count its results."""
    results = json.loads((work / "runs" / name / "run_results.json").read_text(encoding="utf-8"))
    recipe = work / "recipes" / f"{name}.yml"
    recipe.parent.mkdir(exist_ok=True)
    recipe.write_text(yaml.safe_dump(dbt_recipe(final / "runs" / name), sort_keys=False), encoding="utf-8")
    tests, models = _tally(results)
    say(f"dbt world: {name}: tests {_fmt(tests)}; models {_fmt(models)}")
    return DbtRun(
        name=name,
        artifacts=str(final / "runs" / name),
        recipe=str(final / "recipes" / f"{name}.yml"),
        tests=tests,
        models=models,
    )


def dbt_recipe(artifacts: Path) -> dict[str, Any]:
    """The DataHub recipe of one run's artifacts (no sink: `oncall ingest` adds the configured one)."""
    return {
        "source": {
            "type": "dbt",
            "config": {
                "manifest_path": str(artifacts / "manifest.json"),
                "catalog_path": str(artifacts / "catalog.json"),
                "run_results_paths": [str(artifacts / "run_results.json")],
                "target_platform": PLATFORM,
            },
        }
    }


def _tally(results: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    tests: dict[str, int] = {}
    models: dict[str, int] = {}
    for r in results.get("results", []):
        kind = tests if r["unique_id"].startswith("test.") else models
        kind[r["status"]] = kind.get(r["status"], 0) + 1
    return dict(sorted(tests.items())), dict(sorted(models.items()))


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "none"


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return " | ".join(lines[-3:]) or f"exit {proc.returncode}"
