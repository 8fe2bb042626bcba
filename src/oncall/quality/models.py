"""Typed results of the quality layer: the assertion diff entries (DESIGN.md section 7, `diff[]`),
the suites and checks, and the results of running and publishing them."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, Field, computed_field

__all__ = [
    "BaselineKind",
    "BaselineMode",
    "Check",
    "CheckResult",
    "CheckResultType",
    "DiffEntry",
    "DiffSide",
    "DiffStatus",
    "PublishSummary",
    "Suite",
    "SuiteRun",
]

DiffStatus = Literal["regression", "pre-existing", "recovered", "unchanged"]
BaselineKind = Literal["twin", "history"]
"""What an entry's baseline side is: the dataset's twin in the baseline instance, or the assertion's own
last passing run."""
BaselineMode = Literal["twin", "history", "auto"]
"""How a run picks the baseline: always the twin, always the history, or per dataset (the twin when the
baseline instance has one, else the history)."""


class DiffSide(BaseModel):
    """An assertion's latest result on one side of the diff."""

    result: str | None = None
    """SUCCESS / FAILURE / ERROR, or None when the side has no run."""
    value: float | None = None
    """Observed value (violations counted)."""
    assertion_urn: str | None = None
    timestamp_ms: int | None = None
    stale: str | None = None
    """Why this run is no evidence although it has a result (e.g. the test was skipped since)."""


class DiffEntry(BaseModel):
    """One assertion compared between baseline and production (or latest run vs last passing run)."""

    dataset_urn: str
    """The production dataset."""
    assertion_urn: str
    """The production assertion."""
    native_type: str
    status: DiffStatus
    baseline: DiffSide
    production: DiffSide
    description: str | None = None
    referenced_dataset: str | None = None
    """For FK checks: the production dataset the check expects rows in."""
    baseline_kind: BaselineKind = "twin"
    """What `baseline` is: the twin's latest run, or this assertion's own last passing run."""
    source: str | None = None
    """Who runs the check (`Assertion.source`): 'dbt', 'great_expectations', 'snowflake', the
    warehouse's platform for an `oncall assertions` suite, ...; None when DataHub does not say."""
    suite: str | None = None
    """The `oncall assertions` suite that published the check; None for another tool's."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def run_by(self) -> str:
        """Who runs the check, as `assertions diff` and the console show it: one of our suites
        (`oncall:kit`, a suite file's stem), `dbt`, another tool's platform, or '-'."""
        if self.suite:
            return f"oncall:{PurePath(self.suite).stem}"
        return self.source or "-"


# --- Added by the quality issue (additive): suites, checks and run results. ---

CheckResultType = Literal["SUCCESS", "FAILURE", "ERROR"]


class Check(BaseModel):
    """One assertion of a suite: a single SQL statement that counts violations on one table.

    The statement returns one row: the observed violations first, optionally the rows examined second.
    It passes when observed <= `threshold`. `sql` may hold `{{ placeholders }}` (see `quality.sql`).
    """

    name: str
    """The assertion's nativeType, unique per table, e.g. `seller_id_length_eq_32`."""
    table: str
    sql: str
    description: str
    scope: Literal["DATASET_COLUMN", "DATASET_ROWS"] = "DATASET_COLUMN"
    operator: str = "EQUAL_TO"
    """A DataHub AssertionStdOperator, e.g. NOT_NULL, EQUAL_TO, BETWEEN."""
    aggregation: str | None = None
    """A DataHub AssertionStdAggregation, e.g. ROW_COUNT, NULL_COUNT."""
    field: str | None = None
    """The column a DATASET_COLUMN check is about."""
    parameters: dict[str, str] = Field(default_factory=dict)
    """DataHub std parameters: `value`, or `min_value` and `max_value`."""
    native_parameters: dict[str, str] = Field(default_factory=dict)
    """Extra facts published in nativeParameters (e.g. `referenced_table` of an FK check)."""
    threshold: float = 0
    """Highest observed violation count that still passes."""
    family: str | None = None
    """Profile family (volume, completeness, ...); None for hand-written checks."""


class Suite(BaseModel):
    """A named list of checks."""

    name: str
    description: str = ""
    checks: list[Check]


class CheckResult(BaseModel):
    """The outcome of one check on one platform instance."""

    check: Check
    instance: str
    result: CheckResultType
    observed: float | None = None
    row_count: int | None = None
    sql: str
    """The statement as executed (placeholders expanded for the warehouse's dialect)."""
    error: str | None = None
    """Why the check could not be evaluated (ERROR only)."""
    error_kind: Literal["connection", "timeout", "invalid", "query"] | None = None
    """connection: warehouse unreachable; timeout; invalid: unknown table/column; query: the SQL failed."""
    duration_ms: float = 0.0

    @property
    def passed(self) -> bool:
        """True when the check ran and found no more violations than its threshold."""
        return self.result == "SUCCESS"


class SuiteRun(BaseModel):
    """All results of one suite on one instance, from one run."""

    suite: str
    instance: str
    warehouse: str
    """The warehouse URL with any password hidden."""
    run_id: str
    timestamp_ms: int
    duration_ms: float = 0.0
    results: list[CheckResult]


class PublishSummary(BaseModel):
    """What `publish_suites` ran and wrote."""

    run_id: str
    suites: list[str]
    instances: dict[str, dict[str, int]]
    """Per instance: how many checks ended SUCCESS, FAILURE and ERROR."""
    assertions: int
    """Assertion entities written (one per dataset and check)."""
    run_events: int
    errors: list[str] = Field(default_factory=list)
    """`instance table.check: reason` of every ERROR."""
    duration_ms: float = 0.0

    @property
    def failed(self) -> int:
        """Checks that ran and found violations, over all instances."""
        return sum(c.get("FAILURE", 0) for c in self.instances.values())
