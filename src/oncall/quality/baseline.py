"""Facts about the clean baseline that suites are derived from: row counts, blanks, id formats, maxima,
and the precision and spread of numeric columns.

Profiling runs one aggregate statement per table (all columns at once) plus one `SELECT DISTINCT` per
accepted-values column and two statements per spread column (its percentiles, then the values far
beyond them), so it costs about one scan per table. It reads the baseline warehouse only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, text

from oncall.quality.schema import WarehouseSchema
from oncall.quality.templates import identifier, render_macros

__all__ = ["BaselineNeeds", "BaselineStats", "Spread", "TableStats", "profile_baseline", "spread_bounds"]

_DISTINCT_LIMIT = 1000
"""More distinct values than this and a column is not an accepted-values column."""

SPREAD_QUANTILES = (0.01, 0.99)
"""The percentiles a spread column's bounds are scaled from (nearest rank)."""


class Spread(BaseModel):
    """Where a numeric column's baseline values lie, and how many lie `factor` times beyond that."""

    low: float
    """The 1st percentile divided by `factor` (multiplied when negative): the lower bound."""
    high: float
    """The 99th percentile multiplied by `factor` (divided when negative): the upper bound."""
    factor: float
    beyond: int
    """Baseline values below `low` or above `high`."""


class TableStats(BaseModel):
    """What the baseline looks like for one table."""

    rows: int
    blanks: dict[str, int] = Field(default_factory=dict)
    """NULL-or-blank count per column."""
    not_hex32: dict[str, int] = Field(default_factory=dict)
    """Per `*_id` column: non-NULL values that are not 32-char lowercase hex."""
    maxima: dict[str, str | None] = Field(default_factory=dict)
    """Largest value of the asked-for columns (timestamps compare as ISO text)."""
    distinct: dict[str, list[str]] = Field(default_factory=dict)
    """Distinct non-blank values of the asked-for columns."""
    numbers: dict[str, int] = Field(default_factory=dict)
    """Per asked-for numeric column: non-blank values."""
    whole: dict[str, int] = Field(default_factory=dict)
    """Per asked-for numeric column: non-blank values that are whole numbers (no decimals)."""
    spread: dict[str, Spread] = Field(default_factory=dict)
    """Per asked-for numeric column: its percentile bounds widened by a factor."""


class BaselineNeeds(BaseModel):
    """What suites need to know about the baseline before they can be expanded."""

    row_tables: set[str] = Field(default_factory=set)
    """Tables whose row count is needed (`{{ baseline_rows }}`)."""
    full: bool = False
    """Profile every column of every world table (the profile suite)."""
    maxima: dict[str, list[str]] = Field(default_factory=dict)
    distinct: dict[str, list[str]] = Field(default_factory=dict)
    numbers: dict[str, list[str]] = Field(default_factory=dict)
    """Numeric columns per table whose non-blank and whole-number counts are needed."""
    spread: dict[str, dict[str, float]] = Field(default_factory=dict)
    """Numeric columns per table whose spread is needed, with the factor to widen it by."""

    def merge(self, other: BaselineNeeds) -> BaselineNeeds:
        """Both sets of needs (for a spread column asked for twice, the other's factor wins)."""
        return BaselineNeeds(
            row_tables=self.row_tables | other.row_tables,
            full=self.full or other.full,
            maxima=_union(self.maxima, other.maxima),
            distinct=_union(self.distinct, other.distinct),
            numbers=_union(self.numbers, other.numbers),
            spread={
                t: {**self.spread.get(t, {}), **other.spread.get(t, {})}
                for t in {*self.spread, *other.spread}
            },
        )

    @property
    def empty(self) -> bool:
        """Nothing to profile."""
        return not (
            self.row_tables or self.full or self.maxima or self.distinct or self.numbers or self.spread
        )

    def numeric(self, table: str) -> list[str]:
        """The numeric columns of `table` to count non-blank and whole values of."""
        return sorted({*self.numbers.get(table, []), *self.spread.get(table, {})})


def _union(a: Mapping[str, list[str]], b: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {t: sorted({*a.get(t, []), *b.get(t, [])}) for t in {*a, *b}}


class BaselineStats(BaseModel):
    """Stats of the baseline instance, per table."""

    instance: str
    tables: dict[str, TableStats]
    warehouse: WarehouseSchema = Field(default_factory=WarehouseSchema)
    """The tables, keys and foreign keys the profile expands over."""

    def rows(self, table: str) -> int | None:
        """The baseline row count of `table`, or None if the baseline has no such table."""
        stats = self.tables.get(table)
        return stats.rows if stats else None


class _Asked(BaseModel):
    """What to profile in one table."""

    columns: Sequence[str] = ()
    maxima: Sequence[str] = ()
    distinct: Sequence[str] = ()
    numeric: Sequence[str] = ()
    spread: Mapping[str, float] = Field(default_factory=dict)


def _whole(col: str) -> str:
    return f"COUNT(CASE WHEN {{{{ num({col}) }}}} = ROUND({{{{ num({col}) }}}}) THEN 1 END)"


def _table_statement(table: str, asked: _Asked, dialect: str) -> str:
    parts = ["COUNT(*)"]
    for col in asked.columns:
        parts.append(f"COUNT(CASE WHEN {col} IS NULL OR TRIM({col}) = '' THEN 1 END)")
    id_cols = [c for c in asked.columns if c.endswith("_id")]
    for col in id_cols:
        parts.append(f"COUNT(CASE WHEN {col} IS NOT NULL AND NOT {{{{ hex32({col}) }}}} THEN 1 END)")
    parts.extend(f"MAX({col})" for col in asked.maxima)
    for col in asked.numeric:
        parts.extend((f"COUNT({{{{ num({col}) }}}})", _whole(col)))
    return render_macros(f"SELECT {', '.join(parts)} FROM {identifier(table)}", dialect)


def _rank(quantile: float, numbers: int) -> int:
    """Nearest-rank position of a quantile among `numbers` sorted values (decimal, so 0.99 x 100 is 99)."""
    return max(1, math.ceil(Decimal(str(quantile)) * numbers))


def _bound(value: float, factor: float, *, upper: bool) -> float:
    """`value` moved `factor` times away from the middle: up for the upper bound, down for the lower."""
    widen = (value >= 0) == upper
    return round(value * factor if widen else value / factor, 6)


def spread_bounds(low_pct: float, high_pct: float, factor: float) -> tuple[float, float]:
    """The (low, high) bounds of a spread: the percentiles widened `factor` times."""
    return _bound(low_pct, factor, upper=False), _bound(high_pct, factor, upper=True)


def _spread(conn: Connection, table: str, col: str, numbers: int, factor: float, dialect: str) -> Spread:
    """The column's percentiles (one sorted pass), then the baseline values beyond the widened bounds."""
    lo_rank, hi_rank = (_rank(q, numbers) for q in SPREAD_QUANTILES)
    ranked = (
        f"SELECT MAX(CASE WHEN rn = {lo_rank} THEN v END), MAX(CASE WHEN rn = {hi_rank} THEN v END) "
        f"FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn "
        f"FROM (SELECT {{{{ num({col}) }}}} AS v FROM {table}) s WHERE v IS NOT NULL) r"
    )
    lo_pct, hi_pct = conn.execute(text(render_macros(ranked, dialect))).one()
    low, high = spread_bounds(float(lo_pct), float(hi_pct), factor)
    num = f"{{{{ num({col}) }}}}"
    beyond = f"SELECT COUNT(CASE WHEN {num} < {low!r} OR {num} > {high!r} THEN 1 END) FROM {table}"
    count = conn.execute(text(render_macros(beyond, dialect))).scalar_one()
    return Spread(low=low, high=high, factor=factor, beyond=int(count))


def _distinct(conn: Connection, table: str, col: str) -> list[str] | None:
    """The column's distinct non-blank values, or None when there are too many."""
    sql = (
        f"SELECT DISTINCT {col} FROM {table} "
        f"WHERE {col} IS NOT NULL AND TRIM({col}) <> '' LIMIT {_DISTINCT_LIMIT + 1}"
    )
    found = sorted(str(v) for (v,) in conn.execute(text(sql)))
    return found if len(found) <= _DISTINCT_LIMIT else None


def _profile_table(engine: Engine, table: str, asked: _Asked) -> TableStats:
    table = identifier(table)
    dialect = engine.dialect.name
    asked = asked.model_copy(
        update={
            key: [identifier(c) for c in getattr(asked, key)]
            for key in ("columns", "maxima", "distinct", "numeric")
        }
    )
    with engine.connect() as conn:
        values = list(conn.execute(text(_table_statement(table, asked, dialect))).one())
        rows = int(values.pop(0))
        blanks = {c: int(values.pop(0)) for c in asked.columns}
        not_hex = {c: int(values.pop(0)) for c in asked.columns if c.endswith("_id")}
        top = {c: (None if (v := values.pop(0)) is None else str(v)) for c in asked.maxima}
        numbers: dict[str, int] = {}
        whole: dict[str, int] = {}
        for col in asked.numeric:
            numbers[col], whole[col] = int(values.pop(0)), int(values.pop(0))
        spread = {
            col: _spread(conn, table, identifier(col), numbers[col], factor, dialect)
            for col, factor in asked.spread.items()
            if numbers.get(col)
        }
        seen = {c: found for c in asked.distinct if (found := _distinct(conn, table, c)) is not None}
    return TableStats(
        rows=rows,
        blanks=blanks,
        not_hex32=not_hex,
        maxima=top,
        distinct=seen,
        numbers=numbers,
        whole=whole,
        spread=spread,
    )


def profile_baseline(
    engine: Engine, instance: str, needs: BaselineNeeds, schema: WarehouseSchema
) -> BaselineStats:
    """Profile the baseline warehouse behind `engine` as far as `needs` asks, over `schema`'s tables.

    A full profile scans each table once (all columns in one statement), plus a sorted pass and a count
    for each spread column; a row-count need alone costs one `COUNT(*)`.
    """
    tables: dict[str, TableStats] = {}
    for t in schema.tables:
        asked = _Asked(
            columns=t.columns if needs.full else (),
            maxima=needs.maxima.get(t.name, []),
            distinct=needs.distinct.get(t.name, []),
            numeric=needs.numeric(t.name),
            spread=needs.spread.get(t.name, {}),
        )
        if needs.full or asked.maxima or asked.distinct or asked.numeric:
            tables[t.name] = _profile_table(engine, t.name, asked)
        elif t.name in needs.row_tables:
            tables[t.name] = _profile_table(engine, t.name, _Asked())
    for name in sorted(needs.row_tables - set(tables)):
        tables[name] = _profile_table(engine, name, _Asked())  # a user's own table
    return BaselineStats(instance=instance, tables=tables, warehouse=schema)
