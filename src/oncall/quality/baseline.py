"""Facts about the clean baseline that suites are derived from: row counts, blanks, id formats, maxima.

Profiling runs one aggregate statement per table (all columns at once) plus one `SELECT DISTINCT` per
accepted-values column, so it costs about one scan per table. It reads the baseline warehouse only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field
from sqlalchemy import Engine, text

from oncall.quality.templates import identifier, render_macros
from oncall.world.schema import TABLES

__all__ = ["BaselineNeeds", "BaselineStats", "TableStats", "profile_baseline"]

_DISTINCT_LIMIT = 1000
"""More distinct values than this and a column is not an accepted-values column."""


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


class BaselineNeeds(BaseModel):
    """What suites need to know about the baseline before they can be expanded."""

    row_tables: set[str] = Field(default_factory=set)
    """Tables whose row count is needed (`{{ baseline_rows }}`)."""
    full: bool = False
    """Profile every column of every world table (the profile suite)."""
    maxima: dict[str, list[str]] = Field(default_factory=dict)
    distinct: dict[str, list[str]] = Field(default_factory=dict)

    def merge(self, other: BaselineNeeds) -> BaselineNeeds:
        """Both sets of needs."""
        maxima = {t: sorted({*self.maxima.get(t, []), *c}) for t, c in other.maxima.items()}
        distinct = {t: sorted({*self.distinct.get(t, []), *c}) for t, c in other.distinct.items()}
        return BaselineNeeds(
            row_tables=self.row_tables | other.row_tables,
            full=self.full or other.full,
            maxima={**self.maxima, **maxima},
            distinct={**self.distinct, **distinct},
        )

    @property
    def empty(self) -> bool:
        """Nothing to profile."""
        return not (self.row_tables or self.full or self.maxima or self.distinct)


class BaselineStats(BaseModel):
    """Stats of the baseline instance, per table."""

    instance: str
    tables: dict[str, TableStats]

    def rows(self, table: str) -> int | None:
        """The baseline row count of `table`, or None if the baseline has no such table."""
        stats = self.tables.get(table)
        return stats.rows if stats else None


def _table_statement(table: str, columns: Sequence[str], maxima: Sequence[str], dialect: str) -> str:
    parts = ["COUNT(*)"]
    for col in columns:
        parts.append(f"COUNT(CASE WHEN {col} IS NULL OR TRIM({col}) = '' THEN 1 END)")
    id_cols = [c for c in columns if c.endswith("_id")]
    for col in id_cols:
        parts.append(f"COUNT(CASE WHEN {col} IS NOT NULL AND NOT {{{{ hex32({col}) }}}} THEN 1 END)")
    parts.extend(f"MAX({col})" for col in maxima)
    return render_macros(f"SELECT {', '.join(parts)} FROM {identifier(table)}", dialect)


def _profile_table(
    engine: Engine, table: str, columns: Sequence[str], maxima: Sequence[str], distinct: Iterable[str]
) -> TableStats:
    columns = [identifier(c) for c in columns]
    id_cols = [c for c in columns if c.endswith("_id")]
    with engine.connect() as conn:
        row = conn.execute(text(_table_statement(table, columns, maxima, engine.dialect.name))).one()
        values = list(row)
        rows = int(values.pop(0))
        blanks = {c: int(values.pop(0)) for c in columns}
        not_hex = {c: int(values.pop(0)) for c in id_cols}
        top = {c: (None if (v := values.pop(0)) is None else str(v)) for c in maxima}
        seen: dict[str, list[str]] = {}
        for col in distinct:
            col = identifier(col)
            sql = (
                f"SELECT DISTINCT {col} FROM {identifier(table)} "
                f"WHERE {col} IS NOT NULL AND TRIM({col}) <> '' LIMIT {_DISTINCT_LIMIT + 1}"
            )
            found = sorted(str(v) for (v,) in conn.execute(text(sql)))
            if len(found) <= _DISTINCT_LIMIT:
                seen[col] = found
    return TableStats(rows=rows, blanks=blanks, not_hex32=not_hex, maxima=top, distinct=seen)


def profile_baseline(engine: Engine, instance: str, needs: BaselineNeeds) -> BaselineStats:
    """Profile the baseline warehouse behind `engine` as far as `needs` asks.

    A full profile scans each of the 9 world tables once (all columns in one statement); a row-count
    need alone costs one `COUNT(*)`.
    """
    tables: dict[str, TableStats] = {}
    for t in TABLES:
        maxima = needs.maxima.get(t.name, [])
        distinct = needs.distinct.get(t.name, [])
        if needs.full or maxima or distinct:
            columns = t.columns if needs.full else ()
            tables[t.name] = _profile_table(engine, t.name, columns, maxima, distinct)
        elif t.name in needs.row_tables:
            tables[t.name] = _profile_table(engine, t.name, (), (), ())
    for name in sorted(needs.row_tables - set(tables)):
        tables[name] = _profile_table(engine, name, (), (), ())  # a user's own table
    return BaselineStats(instance=instance, tables=tables)
