"""Assertions of any source, read as DataHub stores them, mapped onto the domain `Assertion`.

Both adapters hand this module the stored JSON of `assertionInfo` and of each `assertionRunEvent`
(Lite reads it from the file; GMS reads it as a raw aspect, or rebuilds it from the typed GraphQL
fields), so both name, classify and value a check the same way:

- DataHub's `AssertionInfo` types: DATASET (`datasetAssertion`, also what Great Expectations writes,
  with the expectation as `nativeType`), FRESHNESS, VOLUME, SQL, FIELD, DATA_SCHEMA and CUSTOM. A type
  this module does not know is kept with kind `unknown` (never an error).
- dbt tests as DataHub's dbt source writes them: CUSTOM with `customAssertion.type = "dbt"`, the test
  node name in `customAssertion.nativeType` (or `customProperties.dbt_unique_id`), dbt's kwargs in
  `nativeParameters`; a failing run carries the failing-row count in `nativeResults.failures`, a
  passing run no count (it found 0 rows). `relationships` tests are foreign-key checks whose
  referenced dataset is the `to:` model (`referenced_name`, resolved to a URN by the adapter).
- Snowflake DMFs (CUSTOM "Snowflake Data Metric Function", the DMF name in `customProperties`) and
  runs reported through the SDK (`reportAssertionResult`: a result type and properties).

A run is evidence only when it is a current SUCCESS or FAILURE (`AssertionRun.evidence`); `mark_stale`
flags a dbt test's latest run when a newer invocation of the same dbt project ran on the same node
without it (dbt skipped it: DataHub's dbt source writes no event for a skipped test).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from oncall.catalog.types import Assertion, AssertionKind, AssertionRun

__all__ = ["assertion", "closest", "dbt_ref_name", "mark_stale", "resolve_references", "run", "target_of"]

_RESULT_TYPES = {"SUCCESS", "FAILURE", "ERROR", "INIT"}
_SUB_INFOS = {
    "DATASET": "datasetAssertion",
    "FRESHNESS": "freshnessAssertion",
    "VOLUME": "volumeAssertion",
    "SQL": "sqlAssertion",
    "FIELD": "fieldAssertion",
    "DATA_SCHEMA": "schemaAssertion",
    "CUSTOM": "customAssertion",
}
_KIND_OF_TYPE: dict[str, AssertionKind] = {
    "FRESHNESS": "freshness",
    "VOLUME": "volume",
    "SQL": "sql",
    "FIELD": "field",
    "DATA_SCHEMA": "schema",
}
_DBT_TESTS: dict[str, AssertionKind] = {
    "not_null": "not_null",
    "unique": "unique",
    "accepted_values": "accepted_values",
    "relationships": "foreign_key",
}
_REF = re.compile(r"""(?:ref|source)\(\s*['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]+)['"])?\s*\)""")


def target_of(info: dict[str, Any]) -> str | None:
    """The entity an assertionInfo is about, whichever sub-info holds it."""
    for key in _SUB_INFOS.values():
        sub = info.get(key) or {}
        target = sub.get("dataset") or sub.get("entity")
        if target:
            return str(target)
    return info.get("entityUrn")


def _field_path(schema_field: str) -> str:
    """`urn:li:schemaField:(<dataset urn>,<path>)` -> `<path>`; a plain path is returned as is."""
    if schema_field.startswith("urn:li:schemaField:") and schema_field.endswith(")"):
        return schema_field[:-1].rsplit(",", 1)[-1]
    return schema_field


def _paths(items: Iterable[Any]) -> list[str]:
    """Column paths of stored schemaField URNs or of GraphQL `{urn, path}` refs."""
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("path") or item.get("urn")
        if item:
            out.append(_field_path(str(item)))
    return out


def _param(params: dict[str, Any] | None) -> str | None:
    """`AssertionStdParameters` as text: the value, or min..max."""
    if not params:
        return None
    value = (params.get("value") or {}).get("value")
    if value is not None:
        return str(value)
    low = (params.get("minValue") or {}).get("value")
    high = (params.get("maxValue") or {}).get("value")
    if low is not None or high is not None:
        return f"{'' if low is None else low}..{'' if high is None else high}"
    return None


def _str_map(value: Any) -> dict[str, str]:
    """A stored string map, or GraphQL's `[{key, value}]` list of one."""
    if isinstance(value, list):
        return {str(e.get("key")): str(e.get("value")) for e in value if isinstance(e, dict)}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {}


def dbt_ref_name(text: str | None) -> str | None:
    """The model (or source table) named by a dbt `ref('x')` / `source('s', 't')` argument."""
    if not text:
        return None
    match = _REF.search(text)
    if not match:
        return text.strip() or None
    return match.group(2) or match.group(1)


def _dbt_test_name(sub: dict[str, Any], props: dict[str, str]) -> str | None:
    unique_id = props.get("dbt_unique_id", "")
    parts = unique_id.split(".")
    from_id = parts[2] if len(parts) >= 3 and parts[0] == "test" else None
    return sub.get("nativeType") or from_id


def _dbt_kind(sub: dict[str, Any], params: dict[str, str]) -> AssertionKind:
    operator = str(sub.get("operator") or "")
    aggregation = str(sub.get("aggregation") or "")
    if "to" in params and "field" in params:
        return "foreign_key"
    if operator == "NOT_NULL":
        return "not_null"
    if operator == "IN":
        return "accepted_values"
    if aggregation == "UNIQUE_PROPOTION":
        return "unique"
    if operator == "BETWEEN":
        return "range"
    return "custom"


def _std_kind(sub: dict[str, Any]) -> AssertionKind:
    operator = str(sub.get("operator") or "")
    aggregation = str(sub.get("aggregation") or "")
    if operator == "NOT_NULL" or aggregation == "NULL_COUNT":
        return "not_null"
    if aggregation in ("UNIQUE_COUNT", "UNIQUE_PROPOTION", "UNIQUE_PROPORTION"):
        return "unique"
    if operator in ("IN", "NOT_IN"):
        return "accepted_values"
    if operator == "BETWEEN":
        return "range"
    if aggregation in ("ROW_COUNT", "COLUMN_COUNT"):
        return "volume"
    return "custom"


def _typed_details(kind_type: str, sub: dict[str, Any]) -> tuple[str, str | None, str | None, list[str]]:
    """(name, operator, expected, fields) of a FRESHNESS / VOLUME / SQL / FIELD / DATA_SCHEMA info."""
    if kind_type == "FRESHNESS":
        schedule = sub.get("schedule") or {}
        interval = schedule.get("fixedInterval") or {}
        expected = (
            f"{interval.get('multiple')} {interval.get('unit')}".lower()
            if interval
            else (schedule.get("cron") or {}).get("cron")
        )
        return "freshness", "WITHIN", expected, []
    if kind_type == "VOLUME":
        volume_type = str(sub.get("type") or "ROW_COUNT_TOTAL")
        detail: dict[str, Any] = next(
            (
                sub[k]
                for k in ("rowCountTotal", "rowCountChange", "incrementingSegmentRowCountTotal")
                if sub.get(k)
            ),
            {},
        )
        return volume_type.lower(), detail.get("operator"), _param(detail.get("parameters")), []
    if kind_type == "SQL":
        return (
            "sql_" + str(sub.get("type") or "metric").lower(),
            sub.get("operator"),
            _param(sub.get("parameters")),
            [],
        )
    if kind_type == "FIELD":
        values = sub.get("fieldValuesAssertion") or {}
        metric = sub.get("fieldMetricAssertion") or {}
        detail = values or metric
        path = (detail.get("field") or {}).get("path")
        what = str(metric.get("metric") or values.get("operator") or "field").lower()
        name = f"{path}_{what}" if path else what
        return name, detail.get("operator"), _param(detail.get("parameters")), [path] if path else []
    if kind_type == "DATA_SCHEMA":
        fields = [f.get("path") for f in (sub.get("schema") or {}).get("fields") or [] if f.get("path")]
        return (
            "schema_" + str(sub.get("compatibility") or "exact_match").lower(),
            sub.get("compatibility"),
            None,
            fields,
        )
    return kind_type.lower(), None, None, []


def assertion(
    urn: str,
    info: dict[str, Any],
    runs: Sequence[AssertionRun],
    *,
    dataset_urn: str | None = None,
    platform: str | None = None,
) -> Assertion:
    """The domain assertion of a stored `assertionInfo` (any type; unknown types are kept as such).

    `dataset_urn` is the node to file it under (the sibling group's URN); `platform` the assertion's
    own platform (its `dataPlatformInstance`), which names the source when the info does not.
    """
    kind_type = str(info.get("type") or "")
    props = _str_map(info.get("customProperties"))
    target = target_of(info) or dataset_urn or ""
    node = dataset_urn or target
    sub = info.get(_SUB_INFOS.get(kind_type, "")) or {}
    params = _str_map(sub.get("nativeParameters"))
    fields = _paths(sub.get("fields") or ([sub["field"]] if sub.get("field") else []))
    source = platform
    kind: AssertionKind
    if kind_type == "CUSTOM":
        custom_type = str(sub.get("type") or "custom")
        if custom_type.lower().startswith("dbt"):
            source = "dbt"
            kind = "freshness" if "freshness" in custom_type.lower() else _dbt_kind(sub, params)
            name = _dbt_test_name(sub, props) or info.get("description") or custom_type
        elif props.get("snowflake_dmf_name"):
            source, kind, name = "snowflake", "custom", props["snowflake_dmf_name"]
            fields = fields or [c for c in props.get("snowflake_dmf_columns", "").split(",") if c]
        else:
            kind = _std_kind(sub) if sub.get("operator") else "custom"
            name = sub.get("nativeType") or info.get("description") or custom_type
        operator, expected = sub.get("operator"), _param(sub.get("parameters"))
    elif kind_type == "DATASET":
        kind = _std_kind(sub)
        name = sub.get("nativeType") or info.get("description") or "dataset_assertion"
        operator, expected = sub.get("operator"), _param(sub.get("parameters"))
        if str(name).startswith("expect_") or platform == "great-expectations":
            source = "great_expectations"
    elif kind_type in _KIND_OF_TYPE:
        kind = _KIND_OF_TYPE[kind_type]
        name, operator, expected, typed_fields = _typed_details(kind_type, sub)
        name = info.get("description") or name
        fields = fields or typed_fields
    else:
        kind, name, operator, expected = (
            "unknown",
            info.get("description") or f"{kind_type or 'untyped'}_assertion",
            None,
            None,
        )
    if source == "dbt":  # a passing dbt test found no failing rows (the source writes no count then)
        runs = [
            r.model_copy(update={"actual_value": 0.0})
            if r.result == "SUCCESS" and r.actual_value is None
            else r
            for r in runs
        ]
    if kind == "foreign_key" and params.get("to"):
        params.setdefault("referenced_name", dbt_ref_name(params["to"]) or "")
        expected = f"{params['referenced_name']}.{params.get('field', '')}".rstrip(".")
    if kind == "accepted_values" and expected is None and params.get("values"):
        expected = params["values"]
    return Assertion(
        urn=urn,
        dataset_urn=node,
        native_type=str(name),
        description=info.get("description") or sub.get("logic"),
        scope=sub.get("scope"),
        operator=str(operator) if operator else None,
        field=fields[0] if fields else None,
        logic=sub.get("logic") or sub.get("statement"),
        parameters=params,
        runs=list(runs),
        type=kind_type or "UNKNOWN",
        kind=kind,
        source=source,
        fields=fields,
        expected=expected,
        asserted_urn=target if target and target != node else None,
    )


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except (TypeError, ValueError):
        return None


def run(event: dict[str, Any]) -> AssertionRun:
    """The domain run of a stored `assertionRunEvent` (a result type DataHub lacks reads as ERROR)."""
    result = event.get("result") or {}
    native = _str_map(result.get("nativeResults"))
    error = result.get("error")
    message = None
    if error:
        props = _str_map(error.get("properties"))
        message = props.get("message") or str(error.get("type"))
    result_type = str(result.get("type") or "INIT")
    if result_type not in _RESULT_TYPES:
        message = message or f"unknown result type {result_type!r}"
        result_type = "ERROR"
    actual = _number(result.get("actualAggValue"))
    if actual is None:
        actual = _number(native.get("failures"))
    if actual is None:
        actual = _number(native.get("observed_value"))
    if actual is None and result.get("unexpectedCount") is not None:
        actual = float(result["unexpectedCount"])
    if result_type == "FAILURE" and message is None and native.get("message"):
        message = native["message"]
    return AssertionRun(
        timestamp_ms=int(event.get("timestampMillis") or 0),
        run_id=str(event.get("runId") or ""),
        result=result_type,  # type: ignore[arg-type]
        actual_value=actual,
        row_count=result.get("rowCount"),
        unexpected_count=result.get("unexpectedCount"),
        error=message,
        native_results=native,
        severity=result.get("severity"),
    )


def mark_stale(assertions: Iterable[Assertion]) -> list[Assertion]:
    """Flag each dbt test whose latest run is older than the newest dbt invocation on its node.

    DataHub's dbt source writes one event per executed test with the invocation id as `runId`; a
    skipped test gets none, so its latest event is from an earlier invocation and says nothing about
    the data the newer run built.
    """
    items = list(assertions)
    newest: dict[str, tuple[int, str]] = {}
    for a in items:
        if a.source == "dbt" and a.latest is not None:
            known = newest.get(a.dataset_urn)
            if known is None or a.latest.timestamp_ms > known[0]:
                newest[a.dataset_urn] = (a.latest.timestamp_ms, a.latest.run_id)
    out = []
    for a in items:
        latest = a.latest
        top = newest.get(a.dataset_urn)
        if (
            a.source == "dbt"
            and latest is not None
            and top
            and latest.run_id != top[1]
            and latest.timestamp_ms < top[0]
        ):
            reason = f"not run in the newer dbt invocation {top[1]} (skipped); last run {latest.run_id}"
            runs = [latest.model_copy(update={"stale": reason}), *a.runs[1:]]
            a = a.model_copy(update={"runs": runs})
        out.append(a)
    return out


def _name_parts(dataset_urn: str) -> tuple[str, list[str]]:
    """(platform, dotted name parts) of a dataset URN, without validating it."""
    inner = dataset_urn.removeprefix("urn:li:dataset:(urn:li:dataPlatform:").rstrip(")")
    platform, _, rest = inner.partition(",")
    return platform, rest.rsplit(",", 1)[0].split(".")


def closest(candidates: Sequence[str], near: str) -> str | None:
    """The candidate dataset most like `near`: same platform first, then the longest shared name prefix."""
    platform, parts = _name_parts(near)

    def likeness(urn: str) -> tuple[int, int, str]:
        other_platform, other = _name_parts(urn)
        shared = 0
        for a, b in zip(parts[:-1], other[:-1], strict=False):
            if a.lower() != b.lower():
                break
            shared += 1
        return (0 if other_platform == platform else 1, -shared, urn)

    return min(candidates, key=likeness) if candidates else None


def resolve_references(
    assertions: Iterable[Assertion], find: Callable[[str, str], str | None]
) -> list[Assertion]:
    """Give each dbt `relationships` check its referenced dataset; drop the referenced side's copy.

    DataHub's dbt source files a test that reads two models as one assertion per model. The copy on
    the `to:` model is the same check (its failing rows live in the other model), so it is left out
    there: the check appears once, on the model under test, pointing at the model it references.
    `find(asserted_urn, name)` returns the node URN of the dataset called `name` near `asserted_urn`.
    """
    out = []
    for a in assertions:
        name = a.parameters.get("referenced_name")
        if a.kind != "foreign_key" or not name or a.referenced_dataset:
            out.append(a)
            continue
        asserted = a.asserted_urn or a.dataset_urn
        own = _name_parts(asserted)[1][-1].lower()
        tested = (dbt_ref_name(a.parameters.get("model")) or "").lower()
        if own == name.lower() and tested and tested != own:
            continue  # the referenced side's copy
        target = find(asserted, name)
        if target and target != a.dataset_urn:
            a = a.model_copy(update={"parameters": {**a.parameters, "referenced_dataset": target}})
        out.append(a)
    return out
