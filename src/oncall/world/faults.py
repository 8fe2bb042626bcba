"""Fault injection: a YAML fault spec applied to a copy of the clean world makes the production world.

A spec (DESIGN.md section 6) is a name and a list of faults. Each fault picks rows of one table and
breaks them in one way::

    name: kit
    faults:
      - {table: olist_customers, kind: delete_rows, fraction: 0.08, order_by: customer_id}

Row selection: `count` rows, or `floor(fraction x the table's row count)` (of the whole table, as the
kit computes it); only rows matching `where` (an SQL condition) are candidates; the first ones by
`order_by` (an SQL ordering) are taken, or a seeded random sample when `order_by` is absent. `where`
and `order_by` are SQL fragments from a trusted spec file; they are checked with EXPLAIN before
anything is written.

Kinds and their parameters:
    delete_rows      delete the rows
    duplicate_rows   insert a second copy of each row
    set_null         column := NULL
    set_value        column := value (required `value`)
    truncate         cut the last `chars` characters off column
    round            round column to `digits` decimals
    scale            multiply column by `factor`
    shift_days       move a timestamp column by `days` (negative = earlier)
    orphan_fk        column (a foreign key) := a fresh 32-hex id found nowhere in the referenced table,
                     so the rows dangle; the referenced table is left alone

A spec is validated completely (unknown kind/table/column, missing or stray parameter, bad SQL, more
rows asked than exist) before the first write, and applied in one transaction, so a bad spec leaves
the database untouched. Errors raise `FaultSpecError` naming the field, e.g.
`faults[1].column: 'foo' is not a column of olist_orders`.
"""

from __future__ import annotations

import math
import random
import sqlite3
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oncall.errors import FaultSpecError
from oncall.world.schema import FOREIGN_KEYS, TABLES

__all__ = ["KINDS", "Fault", "FaultResult", "FaultSpec", "apply_faults", "builtin_specs", "load_spec"]

KINDS: dict[str, tuple[str, ...]] = {
    "delete_rows": (),
    "duplicate_rows": (),
    "set_null": ("column",),
    "set_value": ("column", "value"),
    "truncate": ("column", "chars"),
    "round": ("column", "digits"),
    "scale": ("column", "factor"),
    "shift_days": ("column", "days"),
    "orphan_fk": ("column",),
}
"""kind -> the parameters it requires (besides table and count/fraction)."""

_PARAMS = ("column", "value", "chars", "digits", "factor", "days")
_COLUMNS = {t.name: t.columns for t in TABLES}


class Fault(BaseModel):
    """One fault: which rows of which table, and how they are broken."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    kind: str
    column: str | None = None
    count: int | None = Field(default=None, ge=0)
    fraction: float | None = Field(default=None, ge=0, le=1)
    where: str | None = None
    order_by: str | None = None
    value: str | int | float | None = None
    chars: int | None = Field(default=None, ge=1)
    digits: int | None = Field(default=None, ge=0)
    factor: float | None = None
    days: int | None = None
    description: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        return kind

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        if table not in _COLUMNS:
            raise ValueError(f"unknown table {table!r}; one of {', '.join(_COLUMNS)}")
        return table

    def rows_wanted(self, table_rows: int) -> int:
        """`count`, or floor(fraction x table rows) computed in decimal so 0.29 x 100 is 29."""
        if self.count is not None:
            return self.count
        return math.floor(Decimal(str(self.fraction)) * table_rows)


class FaultSpec(BaseModel):
    """A named list of faults, applied in order."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    faults: list[Fault]
    source: str = ""
    """Where the spec was read from (for messages)."""


class FaultResult(BaseModel):
    """What one fault did."""

    table: str
    kind: str
    column: str | None = None
    rows_touched: int
    description: str | None = None


# -- loading ------------------------------------------------------------------------------------------


def builtin_specs() -> list[str]:
    """Names of the fault specs shipped with the package."""
    folder = resources.files("oncall.world") / "faults"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_spec(name_or_path: str | Path) -> FaultSpec:
    """Read a built-in spec by name (`kit`) or a YAML file, and validate its structure."""
    text, source = _read_spec_text(name_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FaultSpecError(f"{source}: not valid YAML: {exc}") from exc
    return parse_spec(data, source)


def _read_spec_text(name_or_path: str | Path) -> tuple[str, str]:
    raw = str(name_or_path)
    if raw in builtin_specs():
        ref = resources.files("oncall.world") / "faults" / f"{raw}.yaml"
        return ref.read_text(encoding="utf-8"), f"built-in spec {raw!r}"
    path = Path(raw)
    if not path.is_file():
        raise FaultSpecError(
            f"fault spec {raw!r} is neither a built-in spec ({', '.join(builtin_specs())}) "
            "nor a readable YAML file"
        )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise FaultSpecError(f"{path}: cannot read the fault spec: {exc}") from exc


def parse_spec(data: Any, source: str = "<spec>") -> FaultSpec:
    """Validate parsed YAML into a FaultSpec; every problem names its field."""
    if not isinstance(data, dict):
        raise FaultSpecError(f"{source}: expected a mapping with 'name' and 'faults' at the top level")
    try:
        spec = FaultSpec.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise FaultSpecError(f"{source}: {_first_error(exc)}") from exc
    for i, fault in enumerate(spec.faults):
        _check_params(fault, f"faults[{i}]", source)
    return spec


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"{path}: {msg}" if path else msg


def _check_params(fault: Fault, where: str, source: str) -> None:
    def fail(field: str, msg: str) -> FaultSpecError:
        return FaultSpecError(f"{source}: {where}.{field}: {msg}")

    if (fault.count is None) == (fault.fraction is None):
        raise fail("count", "give exactly one of count or fraction")
    needed = KINDS[fault.kind]
    for param in _PARAMS:
        given = param in fault.model_fields_set
        if param in needed and (not given or (param != "value" and getattr(fault, param) is None)):
            raise fail(param, f"required by kind {fault.kind}")
        if given and param not in needed:
            raise fail(
                param, f"not a parameter of kind {fault.kind} (it takes: {', '.join(needed) or 'none'})"
            )
    if fault.column is not None and fault.column not in _COLUMNS[fault.table]:
        raise fail("column", f"{fault.column!r} is not a column of {fault.table}")
    if fault.kind == "orphan_fk" and _foreign_key(fault) is None:
        fks = [fk.column for fk in FOREIGN_KEYS if fk.table == fault.table]
        raise fail(
            "column",
            f"{fault.column!r} is not a foreign key of {fault.table} (foreign keys: {fks or 'none'})",
        )


def _foreign_key(fault: Fault) -> tuple[str, str] | None:
    for fk in FOREIGN_KEYS:
        if fk.table == fault.table and fk.column == fault.column:
            return fk.ref_table, fk.ref_column
    return None


# -- applying ------------------------------------------------------------------------------------------


def apply_faults(conn: sqlite3.Connection, spec: FaultSpec, seed: int = 42) -> list[FaultResult]:
    """Check the spec against the database, then apply every fault in one transaction.

    Nothing is written when any fault is invalid: checks run first, and a fault that turns out to ask
    for more rows than earlier faults left rolls the whole spec back.
    """
    for i, fault in enumerate(spec.faults):
        _check_against_db(conn, fault, f"{spec.source}: faults[{i}]")
    results: list[FaultResult] = []
    conn.execute("SAVEPOINT oncall_faults")
    try:
        for i, fault in enumerate(spec.faults):
            rowids = _select_rows(
                conn, fault, f"{spec.source}: faults[{i}]", random.Random(f"{seed}:fault:{i}")
            )
            touched = _apply_one(conn, fault, rowids, random.Random(f"{seed}:fault-values:{i}"))
            results.append(
                FaultResult(
                    table=fault.table,
                    kind=fault.kind,
                    column=fault.column,
                    rows_touched=touched,
                    description=fault.description,
                )
            )
    except BaseException:
        conn.execute("ROLLBACK TO oncall_faults")
        conn.execute("RELEASE oncall_faults")
        raise
    conn.execute("RELEASE oncall_faults")
    if conn.in_transaction:
        conn.commit()
    return results


def _check_against_db(conn: sqlite3.Connection, fault: Fault, where: str) -> None:
    """The table and column exist in this database, the SQL fragments parse, and there are enough rows."""
    columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{fault.table}")')]
    if not columns:
        raise FaultSpecError(f"{where}.table: {fault.table} does not exist in this database")
    if fault.column is not None and fault.column not in columns:
        raise FaultSpecError(f"{where}.column: {fault.column!r} is not a column of {fault.table}")
    for field, sql in (
        ("where", f'SELECT rowid FROM "{fault.table}" WHERE ({fault.where})'),
        ("order_by", f'SELECT rowid FROM "{fault.table}" ORDER BY {fault.order_by}'),
    ):
        if getattr(fault, field) is None:
            continue
        try:
            conn.execute(f"EXPLAIN {sql}").fetchall()
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise FaultSpecError(
                f"{where}.{field}: {getattr(fault, field)!r} is not valid SQL here: {exc}"
            ) from exc
    _rows_or_fail(conn, fault, where)


def _rows_or_fail(conn: sqlite3.Connection, fault: Fault, where: str) -> int:
    """How many rows the fault takes; FaultSpecError if fewer candidates exist."""
    total = conn.execute(f'SELECT count(*) FROM "{fault.table}"').fetchone()[0]
    wanted = fault.rows_wanted(total)
    cond = f" WHERE ({fault.where})" if fault.where else ""
    available = conn.execute(f'SELECT count(*) FROM "{fault.table}"{cond}').fetchone()[0]
    if wanted > available:
        field = "count" if fault.count is not None else "fraction"
        scope = f" matching {fault.where!r}" if fault.where else ""
        raise FaultSpecError(
            f"{where}.{field}: asks for {wanted:,} rows but {fault.table} has {available:,}{scope}"
        )
    return wanted


def _select_rows(conn: sqlite3.Connection, fault: Fault, where: str, rng: random.Random) -> list[int]:
    wanted = _rows_or_fail(conn, fault, where)
    cond = f" WHERE ({fault.where})" if fault.where else ""
    if fault.order_by:
        sql = f'SELECT rowid FROM "{fault.table}"{cond} ORDER BY {fault.order_by} LIMIT ?'
        return [r for (r,) in conn.execute(sql, (wanted,))]
    candidates = [r for (r,) in conn.execute(f'SELECT rowid FROM "{fault.table}"{cond} ORDER BY rowid')]
    return sorted(rng.sample(candidates, wanted))


def _apply_one(conn: sqlite3.Connection, fault: Fault, rowids: list[int], rng: random.Random) -> int:
    if not rowids:
        return 0
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _oncall_fault_rows (rid INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _oncall_fault_rows")
    conn.executemany("INSERT INTO _oncall_fault_rows VALUES (?)", ((r,) for r in rowids))
    table, col = f'"{fault.table}"', f'"{fault.column}"'
    chosen = "rowid IN (SELECT rid FROM _oncall_fault_rows)"
    kind = fault.kind
    if kind == "orphan_fk":
        return _orphan(conn, fault, rowids, rng)
    params: tuple[object, ...]
    if kind == "delete_rows":
        sql, params = f"DELETE FROM {table} WHERE {chosen}", ()
    elif kind == "duplicate_rows":
        sql, params = f"INSERT INTO {table} SELECT * FROM {table} WHERE {chosen} ORDER BY rowid", ()
    else:
        expr, params = _update_expr(fault, col)
        sql = f"UPDATE {table} SET {col} = {expr} WHERE {chosen}"
    cur = conn.execute(sql, params)
    conn.execute("DROP TABLE _oncall_fault_rows")
    return cur.rowcount


def _update_expr(fault: Fault, col: str) -> tuple[str, tuple[object, ...]]:
    """SQL for the new value; numeric and date kinds leave NULL and '' cells as they are."""
    keep = f"WHEN {col} IS NULL OR {col} = '' THEN {col}"
    if fault.kind == "set_null":
        return "NULL", ()
    if fault.kind == "set_value":
        return "?", (fault.value,)
    if fault.kind == "truncate":
        return f"substr({col}, 1, max(length({col}) - ?, 0))", (fault.chars,)
    if fault.kind == "round":
        return f"CASE {keep} ELSE round(CAST({col} AS REAL), ?) END", (fault.digits,)
    if fault.kind == "scale":
        return f"CASE {keep} ELSE CAST({col} AS REAL) * ? END", (fault.factor,)
    if fault.kind == "shift_days":
        shifted = f"strftime('%Y-%m-%d %H:%M:%S', {col}, ?)"
        return f"CASE {keep} ELSE coalesce({shifted}, {col}) END", (f"{fault.days:+d} days",)
    raise AssertionError(f"unhandled kind {fault.kind}")


def _orphan(conn: sqlite3.Connection, fault: Fault, rowids: list[int], rng: random.Random) -> int:
    """Give each row a fresh id that the referenced table does not contain."""
    ref = _foreign_key(fault)
    assert ref is not None  # checked when the spec was parsed
    ref_table, ref_col = ref
    existing = {v for (v,) in conn.execute(f'SELECT "{ref_col}" FROM "{ref_table}"')}
    updates = []
    for rowid in rowids:
        new = f"{rng.getrandbits(128):032x}"
        while new in existing:
            new = f"{rng.getrandbits(128):032x}"
        existing.add(new)
        updates.append((new, rowid))
    cur = conn.executemany(f'UPDATE "{fault.table}" SET "{fault.column}" = ? WHERE rowid = ?', updates)
    conn.execute("DROP TABLE _oncall_fault_rows")
    return cur.rowcount
