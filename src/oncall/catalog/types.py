"""Domain types every layer downstream of the catalog uses: entities, lineage, assertions, incidents.

They are backend-neutral: the Lite and GMS adapters both produce exactly these.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Assertion",
    "AssertionKind",
    "AssertionRun",
    "Entity",
    "EntityRef",
    "EntityType",
    "Evidence",
    "Incident",
    "LineageNode",
    "Link",
    "Owner",
    "Query",
    "RunEvent",
    "SchemaField",
    "SearchHit",
    "trusted",
]

M = TypeVar("M", bound=BaseModel)

EntityType = Literal["dataset", "chart", "dashboard", "dataJob"]
"""Entity types the product reads: data jobs (Airflow tasks, dbt jobs) appear on lineage paths."""
ResultType = Literal["SUCCESS", "FAILURE", "ERROR", "INIT"]
Evidence = Literal["pass", "fail", "none"]
AssertionKind = Literal[
    "not_null",
    "unique",
    "accepted_values",
    "foreign_key",
    "range",
    "freshness",
    "volume",
    "sql",
    "field",
    "schema",
    "custom",
    "unknown",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


def trusted(cls: type[M], **fields: Any) -> M:
    """An instance of `cls` from values this code already holds in the right types, every field
    given: no validation and no defaults to fill. For the tens of thousands of refs and entries a
    big blast radius builds: about 3x faster than `model_construct`, which on pydantic 2.13 is
    slower than validating. TypeError if a field is missing or unknown."""
    if fields.keys() != cls.__pydantic_fields__.keys():
        missing = sorted(cls.__pydantic_fields__.keys() - fields.keys())
        unknown = sorted(fields.keys() - cls.__pydantic_fields__.keys())
        raise TypeError(f"{cls.__name__}: missing fields {missing}, unknown fields {unknown}")
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class EntityRef(_Model):
    """Enough to name and link an entity."""

    urn: str
    type: EntityType
    name: str
    """Short name: table/view name for datasets, title for charts and dashboards."""
    platform: str
    """Platform id, e.g. 'snowflake', 'dbt' or 'looker'."""
    instance: str | None = None
    """Platform instance id, e.g. 'prod_eu' (None when the entity has none)."""
    subtype: str | None = None
    """'Table', 'View', 'Chart', 'Dashboard' where known."""
    siblings: list[str] = Field(default_factory=list)
    """Other URNs merged into this node (DataHub `siblings`: a dbt model and its warehouse table).

    `urn` is the group's representative (`oncall.catalog.siblings.representative`)."""


class Owner(_Model):
    """An owner: a corpGroup or corpUser URN and the ownership type."""

    urn: str
    type: str = "DATAOWNER"


class SchemaField(_Model):
    """A column."""

    path: str
    native_type: str | None = None
    description: str | None = None


class Link(_Model):
    """An institutional-memory link."""

    url: str
    label: str


class Incident(_Model):
    """A DataHub incident."""

    urn: str
    title: str
    description: str | None = None
    type: str = "CUSTOM"
    custom_type: str | None = None
    state: Literal["ACTIVE", "RESOLVED"] = "ACTIVE"
    stage: str | None = None
    priority: int | None = None
    """0 CRITICAL, 1 HIGH, 2 MEDIUM, 3 LOW."""
    entities: list[str] = Field(default_factory=list)
    source_type: str | None = None
    source_urn: str | None = None
    created_ms: int | None = None
    created_by: str | None = None
    """The actor that raised it (our own incidents carry `urn:li:corpuser:datahub-oncall`)."""


class Entity(EntityRef):
    """An entity page: what the agents and the console show about one URN."""

    description: str | None = None
    fields: list[SchemaField] = Field(default_factory=list)
    owners: list[Owner] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    """Tag URNs."""
    terms: list[str] = Field(default_factory=list)
    """Glossary term URNs."""
    links: list[Link] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    """Active incidents that name this entity."""
    inputs: list[str] = Field(default_factory=list)
    """Charts: the datasets they read. Dashboards: their charts. Data jobs: their input datasets."""
    outputs: list[str] = Field(default_factory=list)
    """Data jobs: the datasets they write."""
    view_logic: str | None = None


class SearchHit(_Model):
    """One search result, ranked."""

    ref: EntityRef
    score: float
    reasons: list[str] = Field(default_factory=list)
    """Why it matched: e.g. "name contains 'revenue'", "type 'dashboard' named in text"."""


class LineageNode(_Model):
    """An entity reached by walking lineage from a start URN."""

    ref: EntityRef
    hops: int
    path: list[str]
    """URNs from the start entity (first) to this one (last)."""


class AssertionRun(_Model):
    """One run of an assertion (an AssertionRunEvent)."""

    timestamp_ms: int
    run_id: str
    result: ResultType
    actual_value: float | None = None
    """The observed value: `actualAggValue`, else dbt's failing-row count (`nativeResults.failures`,
    0 for a passing dbt test), else a numeric `nativeResults.observed_value`, else `unexpectedCount`."""
    row_count: int | None = None
    unexpected_count: int | None = None
    error: str | None = None
    native_results: dict[str, str] = Field(default_factory=dict)
    severity: str | None = None
    stale: str | None = None
    """Why this run no longer speaks for the data, e.g. the test was skipped in a later run of its
    source (a newer dbt invocation has no result for it); None when it is current."""

    @property
    def evidence(self) -> Evidence:
        """What the run proves about the data: only a current SUCCESS or FAILURE is evidence.

        ERROR (the check could not run), INIT (no verdict yet) and stale runs prove nothing.
        """
        if self.stale is not None:
            return "none"
        return {"SUCCESS": "pass", "FAILURE": "fail"}.get(self.result, "none")  # type: ignore[return-value]


class Assertion(_Model):
    """A dataset assertion with its run history, newest run first, read from DataHub as stored.

    Any source maps onto it (`oncall.catalog.assertion_info`): DataHub's native types (DATASET,
    FRESHNESS, VOLUME, FIELD, SQL, DATA_SCHEMA, CUSTOM), dbt tests, Great Expectations, Snowflake DMFs.
    """

    urn: str
    dataset_urn: str
    """The node the assertion is on; for a dbt model merged with its warehouse table, the node's URN."""
    native_type: str
    """A readable, stable name: the check's nativeType, the dbt test name, the DMF name, ..."""
    description: str | None = None
    scope: str | None = None
    operator: str | None = None
    field: str | None = None
    logic: str | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    """nativeParameters; `referenced_dataset` holds the URN an FK check points to."""
    runs: list[AssertionRun] = Field(default_factory=list)
    type: str = "DATASET"
    """AssertionInfo.type as stored (an unknown one is kept, with kind 'unknown')."""
    kind: AssertionKind = "custom"
    source: str | None = None
    """Who defined it: 'dbt', 'great_expectations', 'snowflake', the platform of the assertion, ..."""
    fields: list[str] = Field(default_factory=list)
    """Column paths the check reads."""
    expected: str | None = None
    """The expected value or range, as text (e.g. '0', '1..10', '["a", "b"]')."""
    asserted_urn: str | None = None
    """The URN the assertion is stored on, when that is a sibling of `dataset_urn`."""

    @property
    def latest(self) -> AssertionRun | None:
        """The newest run by timestamp (never "version 0")."""
        return self.runs[0] if self.runs else None

    @property
    def referenced_dataset(self) -> str | None:
        """For FK checks: the dataset whose rows the check expects to exist."""
        return self.parameters.get("referenced_dataset")

    @property
    def name(self) -> str:
        """What to call the check in a sentence."""
        return self.native_type


class Query(_Model):
    """A query a catalog adapter actually executed: shown in tool_call events."""

    language: Literal["graphql", "sql"]
    text: str
    variables: dict[str, object] = Field(default_factory=dict)


class RunEvent(_Model):
    """One completed assertion run, as the catalog's run-event feed saw it (`Catalog.run_events`)."""

    position: int
    """Where the feed found it (Lite rowid, GMS timestamp); the next read starts after the largest."""
    assertion_urn: str
    dataset_urn: str
    timestamp_ms: int
    run_id: str
    result: str
    """SUCCESS, FAILURE, ERROR or INIT."""
    actual_value: float | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Two events with this key are the same run (a rewrite, or a re-read)."""
        return self.assertion_urn, self.timestamp_ms
