"""The profile suite: rules expanded into checks from the warehouse schema and the baseline's stats.

Families (SQL in `quality/sql/<family>.sql`): volume, completeness, unique_key, id_format, foreign_key,
numeric_range, accepted_values, freshness, precision, magnitude. Volume, completeness, precision and
magnitude are relative to the baseline (so the baseline passes by construction); the others are
invariants with threshold 0. Precision and magnitude catch numeric faults that keep values in range:
rounding (too many whole numbers) and unit mistakes (values orders of magnitude off); both compare
shares, so legitimate growth in volume does not trip them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from oncall.errors import SuiteError
from oncall.quality.baseline import BaselineNeeds, BaselineStats, Spread, TableStats
from oncall.quality.models import Check
from oncall.quality.schema import WarehouseSchema
from oncall.quality.templates import identifier, literal, render_values

__all__ = [
    "AcceptedValuesRule",
    "ColumnRule",
    "MagnitudeRule",
    "PrecisionRule",
    "ProfileRules",
    "RangeRule",
    "VolumeRule",
    "expand_profile",
    "profile_needs",
    "validate_profile",
]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _On(_Rule):
    """A family that applies everywhere it can (no parameters)."""


class VolumeRule(_Rule):
    """Row count within `tolerance` (a fraction) of the baseline's."""

    tolerance: float = Field(0.05, ge=0, le=1)


class ColumnRule(_Rule):
    """A rule about one column of one table."""

    table: str
    column: str


class RangeRule(ColumnRule):
    """Numeric bounds of a column; either bound may be open."""

    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True


class AcceptedValuesRule(ColumnRule):
    """The values a column may hold (the baseline's own values are accepted too)."""

    values: list[str]


class PrecisionRule(ColumnRule):
    """Share of whole-number values not above the baseline's plus `tolerance` (a fraction of values)."""

    tolerance: float = Field(0.05, ge=0, le=1)


class MagnitudeRule(ColumnRule):
    """Share of values beyond the baseline's 1st-99th percentiles widened `factor` times not above the
    baseline's share plus `tolerance` (a fraction of values)."""

    factor: float = Field(10, gt=1)
    tolerance: float = Field(0.005, ge=0, le=1)


class ProfileRules(_Rule):
    """The `profile:` section of a suite file; an absent family is not generated."""

    volume: VolumeRule | None = None
    completeness: _On | None = None
    unique_key: _On | None = None
    id_format: _On | None = None
    foreign_key: _On | None = None
    numeric_range: list[RangeRule] = Field(default_factory=list)
    accepted_values: list[AcceptedValuesRule] = Field(default_factory=list)
    freshness: list[ColumnRule] = Field(default_factory=list)
    precision: list[PrecisionRule] = Field(default_factory=list)
    magnitude: list[MagnitudeRule] = Field(default_factory=list)


_COLUMN_FAMILIES = ("numeric_range", "accepted_values", "freshness", "precision", "magnitude")


@cache
def _family_sql(family: str) -> str:
    return (resources.files("oncall.quality") / "sql" / f"{family}.sql").read_text(encoding="utf-8").strip()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _check(family: str, table: str, values: dict[str, str], source: str, **fields: object) -> Check:
    sql = render_values(_family_sql(family), {"table": table, **values}, where=f"{source}: {family}")
    return Check.model_validate({"table": table, "sql": sql, "family": family, **fields})


def validate_profile(rules: ProfileRules, schema: WarehouseSchema, *, source: str = "profile") -> None:
    """Every column rule names a table and column of the warehouse (field named in the message); the
    runner calls this before any profiling SQL."""
    for family in _COLUMN_FAMILIES:
        for i, rule in enumerate(getattr(rules, family)):
            where = f"{source}: profile.{family}[{i}]"
            table = schema.table(rule.table)
            if table is None:
                raise SuiteError(f"{where}.table: unknown table {rule.table!r}")
            if rule.column not in table.columns:
                raise SuiteError(f"{where}.column: unknown column {rule.column!r} in {rule.table}")


def profile_needs(rules: ProfileRules, *, source: str = "profile") -> BaselineNeeds:
    """The baseline stats the rules need: every column's blanks, plus the maxima, distinct values,
    whole-number counts and spreads of the columns that rules name."""
    maxima: dict[str, list[str]] = {}
    distinct: dict[str, list[str]] = {}
    numbers: dict[str, list[str]] = {}
    spread: dict[str, dict[str, float]] = {}
    for rule in rules.freshness:
        maxima.setdefault(rule.table, []).append(rule.column)
    for rule in rules.accepted_values:
        distinct.setdefault(rule.table, []).append(rule.column)
    for rule in rules.precision:
        numbers.setdefault(rule.table, []).append(rule.column)
    for magnitude in rules.magnitude:
        spread.setdefault(magnitude.table, {})[magnitude.column] = magnitude.factor
    return BaselineNeeds(full=True, maxima=maxima, distinct=distinct, numbers=numbers, spread=spread)


def _volume(rule: VolumeRule, table: str, stats: TableStats, source: str) -> Check:
    slack = math.floor(rule.tolerance * stats.rows)
    pct = _number(round(rule.tolerance * 100, 2))
    return _check(
        "volume",
        table,
        {"baseline_rows": str(stats.rows)},
        source,
        name=f"row_count_within_{pct}pct_of_{stats.rows}",
        scope="DATASET_ROWS",
        operator="BETWEEN",
        aggregation="ROW_COUNT",
        parameters={"min_value": str(stats.rows - slack), "max_value": str(stats.rows + slack)},
        native_parameters={"baseline_rows": str(stats.rows), "tolerance": str(rule.tolerance)},
        threshold=slack,
        description=f"Row count within {pct}% of the baseline's {stats.rows} rows.",
    )


def _completeness(table: str, column: str, stats: TableStats, source: str) -> Check:
    blank, rows = stats.blanks[column], stats.rows
    rate = blank / rows
    return _check(
        "completeness",
        table,
        {"column": column, "baseline_blank": str(blank), "baseline_rows": str(rows)},
        source,
        name=f"{column}_blank_rate_le_baseline",
        field=column,
        operator="LESS_THAN_OR_EQUAL_TO",
        aggregation="NULL_PROPORTION",
        parameters={"value": f"{rate:.6f}"},
        native_parameters={"baseline_blank": str(blank), "baseline_rows": str(rows)},
        description=(
            f"Share of NULL or blank {column} not above the baseline's {rate:.2%} "
            f"({blank} of {rows}); observed = extra blank rows."
        ),
    )


def _unique_key(table: str, key: Sequence[str], source: str) -> Check:
    single = len(key) == 1
    return _check(
        "unique_key",
        table,
        {"key": ", ".join(identifier(c) for c in key)},
        source,
        name=f"unique_key_{'_'.join(key)}",
        scope="DATASET_COLUMN" if single else "DATASET_ROWS",
        field=key[0] if single else None,
        operator="EQUAL_TO",
        aggregation="UNIQUE_PROPORTION",
        parameters={"value": "1"},
        native_parameters={"key": ",".join(key)},
        description=f"No two rows share the key ({', '.join(key)}); observed = duplicate rows.",
    )


def _id_format(table: str, column: str, source: str) -> Check:
    return _check(
        "id_format",
        table,
        {"column": column},
        source,
        name=f"{column}_is_32_hex",
        field=column,
        operator="REGEX_MATCH",
        aggregation="IDENTITY",
        parameters={"value": "^[0-9a-f]{32}$"},
        description=f"Every {column} is a 32-character lowercase hex id; observed = malformed ids.",
    )


def _foreign_key(table: str, column: str, ref_table: str, ref_column: str, source: str) -> Check:
    return _check(
        "foreign_key",
        table,
        {"column": column, "ref_table": ref_table, "ref_column": ref_column},
        source,
        name=f"{column}_references_{ref_table}",
        field=column,
        operator="_NATIVE_",
        aggregation="IDENTITY",
        native_parameters={"referenced_table": ref_table, "referenced_column": ref_column},
        description=(
            f"Every {column} exists in {ref_table}.{ref_column}; observed = orphaned rows "
            f"(referenced dataset: {ref_table})."
        ),
    )


def _range_parts(rule: RangeRule) -> tuple[str, str, str, dict[str, str]]:
    """(violation predicate, range text, operator, parameters)."""
    num = "{{ num(" + identifier(rule.column) + ") }}"
    bad: list[str] = []
    text: list[str] = []
    if rule.min is not None:
        bad.append(f"{num} {'<' if rule.min_inclusive else '<='} {_number(rule.min)}")
        text.append(f"{'>=' if rule.min_inclusive else '>'} {_number(rule.min)}")
    if rule.max is not None:
        bad.append(f"{num} {'>' if rule.max_inclusive else '>='} {_number(rule.max)}")
        text.append(f"{'<=' if rule.max_inclusive else '<'} {_number(rule.max)}")
    if not bad:
        raise SuiteError(f"numeric_range on {rule.table}.{rule.column}: give min, max or both")
    if rule.min is not None and rule.max is not None:
        op, params = "BETWEEN", {"min_value": _number(rule.min), "max_value": _number(rule.max)}
    elif rule.min is not None:
        op = "GREATER_THAN_OR_EQUAL_TO" if rule.min_inclusive else "GREATER_THAN"
        params = {"value": _number(rule.min)}
    else:
        op = "LESS_THAN_OR_EQUAL_TO" if rule.max_inclusive else "LESS_THAN"
        params = {"value": _number(rule.max or 0)}
    return " OR ".join(bad), " and ".join(text), op, params


def _numeric_range(rule: RangeRule, source: str) -> Check:
    violation, text, op, params = _range_parts(rule)
    return _check(
        "numeric_range",
        rule.table,
        {"column": rule.column, "violation": violation, "range": text},
        source,
        name=f"{rule.column}_in_range",
        field=rule.column,
        operator=op,
        aggregation="IDENTITY",
        parameters=params,
        description=f"Every {rule.column} is a number {text}; observed = rows out of range.",
    )


def _accepted(rule: AcceptedValuesRule, stats: TableStats, source: str) -> Check:
    values = sorted(set(rule.values) | set(stats.distinct.get(rule.column, [])))
    return _check(
        "accepted_values",
        rule.table,
        {"column": rule.column, "values": ", ".join(literal(v) for v in values)},
        source,
        name=f"{rule.column}_accepted_values",
        field=rule.column,
        operator="IN",
        aggregation="IDENTITY",
        parameters={"value": json.dumps(values)},
        description=f"{rule.column} is one of {len(values)} accepted values; observed = other values.",
    )


def _freshness(rule: ColumnRule, stats: TableStats, source: str) -> Check:
    latest = stats.maxima.get(rule.column)
    if latest is None:
        raise SuiteError(f"{source}: freshness of {rule.table}.{rule.column}: the baseline has no values")
    return _check(
        "freshness",
        rule.table,
        {"column": rule.column, "baseline_max": literal(latest)},
        source,
        name=f"{rule.column}_not_older_than_baseline",
        field=rule.column,
        operator="GREATER_THAN_OR_EQUAL_TO",
        aggregation="MAX",
        parameters={"value": latest},
        description=f"The latest {rule.column} is not older than the baseline's {latest}.",
    )


def _share_fields(seen: int, numbers: int, tolerance: float) -> tuple[int, float]:
    """(allowed count among the baseline's `numbers` values, allowed share) for a share-based family."""
    allowed = seen + math.floor(tolerance * numbers)
    return allowed, allowed / numbers


def _precision(rule: PrecisionRule, stats: TableStats, source: str) -> Check:
    col = rule.column
    numbers, whole = stats.numbers.get(col, 0), stats.whole.get(col, 0)
    allowed, share = _share_fields(whole, numbers, rule.tolerance)
    pct = _number(round(rule.tolerance * 100, 2))
    return _check(
        "precision",
        rule.table,
        {
            "column": col,
            "baseline_whole": str(whole),
            "baseline_numbers": str(numbers),
            "allowed_whole": str(allowed),
        },
        source,
        name=f"{col}_whole_number_rate_le_baseline",
        field=col,
        operator="LESS_THAN_OR_EQUAL_TO",
        aggregation="_NATIVE_",
        parameters={"value": f"{share:.6f}"},
        native_parameters={
            "baseline_whole": str(whole),
            "baseline_numbers": str(numbers),
            "tolerance": str(rule.tolerance),
        },
        description=(
            f"Share of {col} values that are whole numbers (no decimals) not above the baseline's "
            f"{whole / numbers:.2%} ({whole} of {numbers}) plus {pct} "
            "percentage points; catches rounded values. Observed = extra whole-number rows."
        ),
    )


def _magnitude(rule: MagnitudeRule, spread: Spread, numbers: int, source: str) -> Check:
    col = rule.column
    allowed, share = _share_fields(spread.beyond, numbers, rule.tolerance)
    factor = _number(rule.factor)
    low, high = _number(spread.low), _number(spread.high)
    return _check(
        "magnitude",
        rule.table,
        {
            "column": col,
            "low": low,
            "high": high,
            "factor": factor,
            "baseline_beyond": str(spread.beyond),
            "baseline_numbers": str(numbers),
            "allowed_beyond": str(allowed),
        },
        source,
        name=f"{col}_magnitude_within_baseline",
        field=col,
        operator="LESS_THAN_OR_EQUAL_TO",
        aggregation="_NATIVE_",
        parameters={"value": f"{share:.6f}"},
        native_parameters={
            "low": low,
            "high": high,
            "factor": factor,
            "baseline_beyond": str(spread.beyond),
            "baseline_numbers": str(numbers),
            "tolerance": str(rule.tolerance),
        },
        description=(
            f"Share of {col} values outside {low}..{high} (the baseline's 1st-99th percentiles "
            f"widened {factor} times) not above the baseline's {spread.beyond / numbers:.2%} plus "
            f"{_number(round(rule.tolerance * 100, 2))} percentage points; catches unit or scale mistakes "
            "such as cents loaded as reais. Observed = extra rows out of scale."
        ),
    )


def _per_table(rules: ProfileRules, baseline: BaselineStats, source: str) -> Iterator[Check]:
    for table in baseline.warehouse.tables:
        stats = baseline.tables.get(table.name)
        if stats is None or stats.rows == 0:
            continue  # nothing to be relative to
        if rules.volume:
            yield _volume(rules.volume, table.name, stats, source)
        if rules.completeness:
            yield from (_completeness(table.name, c, stats, source) for c in table.columns)
        if rules.unique_key and table.key:
            yield _unique_key(table.name, table.key, source)
        if rules.id_format:
            for col in table.columns:
                if (
                    col.endswith("_id")
                    and stats.not_hex32.get(col, 1) == 0
                    and stats.blanks[col] < stats.rows
                ):
                    yield _id_format(table.name, col, source)


def expand_profile(rules: ProfileRules, baseline: BaselineStats, *, source: str = "profile") -> list[Check]:
    """The checks the rules produce for the warehouse's tables, given the baseline's stats and schema."""
    validate_profile(rules, baseline.warehouse, source=source)
    checks = list(_per_table(rules, baseline, source))
    if rules.foreign_key:
        checks += [
            _foreign_key(fk.table, fk.column, fk.ref_table, fk.ref_column, source)
            for fk in baseline.warehouse.foreign_keys
        ]
    checks += [_numeric_range(r, source) for r in rules.numeric_range]
    for rule in rules.accepted_values:
        stats = baseline.tables.get(rule.table)
        checks.append(_accepted(rule, stats or TableStats(rows=0), source))
    for fresh in rules.freshness:
        stats = baseline.tables.get(fresh.table)
        checks.append(_freshness(fresh, stats or TableStats(rows=0), source))
    checks += _numeric(rules, baseline, source)
    return checks


def _numeric(rules: ProfileRules, baseline: BaselineStats, source: str) -> Iterator[Check]:
    """Precision and magnitude checks; a column with no numbers in the baseline has nothing to be
    relative to and gets none."""
    for precision in rules.precision:
        stats = baseline.tables.get(precision.table) or TableStats(rows=0)
        if stats.numbers.get(precision.column):
            yield _precision(precision, stats, source)
    for magnitude in rules.magnitude:
        stats = baseline.tables.get(magnitude.table) or TableStats(rows=0)
        spread = stats.spread.get(magnitude.column)
        if spread is not None and stats.numbers.get(magnitude.column):
            yield _magnitude(magnitude, spread, stats.numbers[magnitude.column], source)
