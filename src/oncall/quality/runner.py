"""Run suites by pushing each check down to the warehouse as ONE SQL statement through SQLAlchemy.

Only the statement's first row comes back (violations, rows examined); no table rows reach Python.
Each platform instance runs in its own thread on its own connection. A check that cannot be evaluated
(unknown table or column, bad SQL, unreachable warehouse, per-statement timeout) becomes an ERROR
result carrying the reason, and the other checks still run.

Timeouts: PostgreSQL through `SET LOCAL statement_timeout`; SQLite, DuckDB (and any driver with
`cancel()`) by interrupting the connection from a timer thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from oncall import events
from oncall.config import Config
from oncall.errors import OncallError, SuiteError, WarehouseError
from oncall.quality.baseline import BaselineNeeds, BaselineStats, profile_baseline
from oncall.quality.models import Check, CheckResult, CheckResultType, Suite, SuiteRun
from oncall.quality.profile import validate_profile
from oncall.quality.schema import WarehouseSchema, inspect_schema
from oncall.quality.suites import SuiteSource, read_suite, suite_problems
from oncall.quality.templates import render_macros

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "build_suites",
    "describe_url",
    "new_run_id",
    "open_warehouse",
    "run_suite",
    "run_suites",
    "warehouse_url",
]

DEFAULT_TIMEOUT_S = 60.0
"""Per-statement timeout."""
_CONNECT_TIMEOUT_S = 10
ErrorKind = Literal["connection", "timeout", "invalid", "query"]


def new_run_id() -> str:
    """A run id shared by every instance and suite of one run (an incident run's id, marked as ours)."""
    return f"oncall-{events.new_run_id()}"


def warehouse_url(config: Config, instance: str) -> str:
    """The SQLAlchemy URL behind an instance: `config.warehouses[instance]`, else its world SQLite file.

    The SQLite file is opened read-only (and never created): assertions must not write.
    """
    configured = config.warehouses.get(instance)
    if configured:
        return str(configured)
    return f"sqlite:///file:{Path(config.instance_db(instance)).as_posix()}?mode=ro&uri=true"


def describe_url(url: str) -> str:
    """The URL with any password hidden (for results and messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is reported by open_warehouse; never leak it here
        return "<unparseable URL>"


def open_warehouse(url: str) -> Engine:
    """An engine for a warehouse URL, read-only where the driver allows it.

    Raises `WarehouseError` for a malformed URL or a missing driver.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise WarehouseError(f"warehouse URL {url!r} is malformed: {exc}") from exc
    connect_args: dict[str, Any] = {}
    backend = parsed.get_backend_name()
    if parsed.drivername == "postgresql" and find_spec("psycopg2") is None:
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
    if backend == "postgresql":
        connect_args["connect_timeout"] = _CONNECT_TIMEOUT_S
    elif backend == "duckdb":
        connect_args["read_only"] = True
    try:
        return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except (SQLAlchemyError, ImportError) as exc:
        raise WarehouseError(f"cannot use warehouse {describe_url(url)}: {exc}") from exc


def _reason(exc: BaseException) -> str:
    """One line saying why a statement failed."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"{type(orig).__name__}: {text}"[:400]


class _Deadline:
    """Stops a running statement after `seconds` by the means the dialect offers.

    PostgreSQL enforces `statement_timeout` itself. SQLite and DuckDB connections are interrupted from
    a timer thread (`interrupt()`), other drivers cancelled (`cancel()`) where they can be. A timer
    costs nothing while the statement runs, unlike a progress callback that would take the GIL.
    """

    def __init__(self, conn: Connection, seconds: float) -> None:
        self.conn, self.seconds, self.fired = conn, seconds, False
        self.raw: Any = conn.connection.dbapi_connection
        self.dialect = conn.dialect.name

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        timer: threading.Timer | None = None
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(self.seconds * 1000))}")
        else:
            stop = getattr(self.raw, "interrupt", None) or getattr(self.raw, "cancel", None)
            if stop is not None:
                timer = threading.Timer(self.seconds, self._fire, args=(stop,))
                timer.daemon = True
                timer.start()
        end = time.monotonic() + self.seconds
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            self.fired = self.fired or time.monotonic() > end

    def _fire(self, stop: Any) -> None:
        self.fired = True
        stop()


def _number(value: Any, what: str) -> float:
    if value is None:
        return 0.0  # SUM/MAX over no rows: nothing violated
    if isinstance(value, int | float | Decimal):
        return float(value)
    raise ValueError(f"the statement returned {value!r} as {what}, not a number")


def _evaluate(conn: Connection, sql: str, timeout_s: float) -> tuple[float, int | None]:
    """Execute one statement and return (observed, rows examined)."""
    deadline = _Deadline(conn, timeout_s)
    try:
        with conn.begin(), deadline.armed():
            row = conn.execution_options(no_parameters=True).exec_driver_sql(sql).first()
    except Exception:
        if deadline.fired:
            raise TimeoutError(f"timed out after {timeout_s:g} s (per-statement timeout)") from None
        raise
    if row is None:
        raise ValueError("the statement returned no row; it must return one row: violations[, rows]")
    observed = _number(row[0], "the violation count")
    rows = int(_number(row[1], "the row count")) if len(row) > 1 and row[1] is not None else None
    return observed, rows


def _run_check(conn: Connection, check: Check, instance: str, timeout_s: float) -> CheckResult:
    started = time.perf_counter()
    sql = check.sql
    try:
        sql = render_macros(check.sql, conn.dialect.name)
        observed, rows = _evaluate(conn, sql, timeout_s)
    except Exception as exc:  # any failure of this one statement is its result, never the run's
        reason = str(exc) if isinstance(exc, TimeoutError | ValueError | OncallError) else _reason(exc)
        return _error(
            check, instance, reason, sql, started, "timeout" if isinstance(exc, TimeoutError) else "query"
        )
    result: CheckResultType = "SUCCESS" if observed <= check.threshold else "FAILURE"
    return CheckResult(
        check=check,
        instance=instance,
        result=result,
        observed=observed,
        row_count=rows,
        sql=sql,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _error(
    check: Check, instance: str, reason: str, sql: str | None, started: float, kind: ErrorKind
) -> CheckResult:
    return CheckResult(
        check=check,
        instance=instance,
        result="ERROR",
        sql=sql or check.sql,
        error=reason,
        error_kind=kind,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _columns(conn: Connection, suites: Sequence[Suite]) -> dict[str, set[str]] | None:
    """Columns (lower-case) of the tables the suites name; a missing table is absent from the map.

    Only the named tables are reflected, so a warehouse with thousands of tables costs the same.
    None when the warehouse cannot be reflected at all (then nothing is pre-validated).
    """
    named = {c.table for s in suites for c in s.checks}
    named |= {r for s in suites for c in s.checks if (r := c.native_parameters.get("referenced_table"))}
    found: dict[str, set[str]] = {}
    try:
        insp = inspect(conn)
        for table in sorted(named):
            try:
                found[table.lower()] = {col["name"].lower() for col in insp.get_columns(table)}
            except NoSuchTableError:
                continue
        return found
    except SQLAlchemyError:
        return None
    finally:
        conn.rollback()  # reflection autobegins; each check runs in its own transaction


def run_suite(
    suite: Suite,
    url: str,
    *,
    instance: str,
    run_id: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> SuiteRun:
    """Run every check of `suite` on the warehouse at `url` (one connection, one statement per check).

    Never raises for a failing check or an unreachable warehouse: those become ERROR results.
    """
    return _run_on(url, [suite], instance=instance, run_id=run_id or new_run_id(), timeout_s=timeout_s)[0]


def _run_on(
    url: str, suites: Sequence[Suite], *, instance: str, run_id: str, timeout_s: float
) -> list[SuiteRun]:
    started, stamp = time.perf_counter(), int(time.time() * 1000)
    results: list[list[CheckResult]] = [[] for _ in suites]
    try:
        engine = open_warehouse(url)
        with engine.connect() as conn:
            columns = _columns(conn, suites)
            for suite, done in zip(suites, results, strict=True):
                problems = suite_problems(suite, columns) if columns is not None else {}
                for i, check in enumerate(suite.checks):
                    if i in problems:
                        done.append(
                            _error(check, instance, problems[i], None, time.perf_counter(), "invalid")
                        )
                    else:
                        done.append(_run_check(conn, check, instance, timeout_s))
        engine.dispose()
    except Exception as exc:  # one instance's warehouse failing must never stop the other instances
        reason = f"warehouse {describe_url(url)} is unreachable: {_reason(exc)}"
        for suite, done in zip(suites, results, strict=True):
            done += [
                _error(c, instance, reason, None, time.perf_counter(), "connection")
                for c in suite.checks[len(done) :]
            ]
    elapsed = (time.perf_counter() - started) * 1000
    return [
        SuiteRun(
            suite=suite.name,
            instance=instance,
            warehouse=describe_url(url),
            run_id=run_id,
            timestamp_ms=stamp,
            # With several suites on one connection, each gets the time of its own checks.
            duration_ms=sum(r.duration_ms for r in done) if len(suites) > 1 else elapsed,
            results=done,
        )
        for suite, done in zip(suites, results, strict=True)
    ]


def run_suites(
    suites: Sequence[Suite],
    urls: Mapping[str, str],
    *,
    run_id: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[SuiteRun]:
    """Run the suites on every instance of `urls` ({instance: URL}) concurrently, one thread each.

    Returns one `SuiteRun` per (instance, suite), in the order given.
    """
    run_id = run_id or new_run_id()
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="oncall-assertions") as pool:
        futures = [
            pool.submit(_run_on, url, suites, instance=name, run_id=run_id, timeout_s=timeout_s)
            for name, url in urls.items()
        ]
        return [run for future in futures for run in future.result()]


def _profile(
    config: Config,
    needs: BaselineNeeds,
    sources: Sequence[SuiteSource],
    schema: WarehouseSchema | None,
) -> BaselineStats:
    instance = config.baseline_instance
    if not instance:
        raise SuiteError(
            "these suites derive their thresholds from a clean baseline, but no baseline_instance is "
            "set; set it (ONCALL_BASELINE or config.yaml) to the instance whose warehouse is clean"
        )
    url = warehouse_url(config, instance)
    engine = open_warehouse(url)
    try:
        shape = schema or inspect_schema(engine)
        for source in sources:  # a rule on an unknown table or column is named before any data is read
            if source.spec.profile is not None:
                validate_profile(source.spec.profile, shape, source=source.source)
        return profile_baseline(engine, instance, needs, shape)
    except SQLAlchemyError as exc:
        raise WarehouseError(
            f"cannot read the clean baseline {instance} at {describe_url(url)} ({_reason(exc)}); "
            "the suites are derived from it: build the world (oncall world build) or fix warehouses"
        ) from exc
    finally:
        engine.dispose()


def build_suites(
    config: Config, paths: Sequence[str | Path], *, schema: WarehouseSchema | None = None
) -> list[Suite]:
    """Load suite files, profiling the baseline instance only as far as they need.

    `schema` gives the tables, keys and foreign keys the profile expands over; by default they are
    read from the baseline warehouse (its declared primary keys and foreign keys).

    Raises `SuiteError` for a malformed suite, `WarehouseError` if a needed baseline cannot be read.
    """
    sources = [read_suite(p) for p in paths]
    needs = BaselineNeeds()
    for source in sources:
        needs = needs.merge(source.needs())
    baseline = None if needs.empty else _profile(config, needs, sources, schema)
    return [s.build(baseline) for s in sources]
