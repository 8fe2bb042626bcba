"""Publish checks and their results to DataHub as real assertion entities, through the SDK.

Per dataset and check: an `AssertionInfo` (type DATASET with nativeType, scope, operator, fields,
parameters, the SQL as logic, nativeParameters incl. `referenced_dataset` of FK checks) and the
assertion's `DataPlatformInstance`; per run: an `AssertionRunEvent`. The assertion URN is a stable guid
of (dataset, check name), so every run lands on the same assertion and history accumulates. Identical
re-writes of the info aspect create no new version (no timestamps inside it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
from datahub.emitter.mce_builder import (
    datahub_guid,
    make_assertion_urn,
    make_data_platform_urn,
    make_dataplatform_instance_urn,
    make_schema_field_urn,
)
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import CatalogError
from oncall.quality.models import CheckResult, PublishSummary, SuiteRun
from oncall.quality.naming import WarehouseNaming, naming
from oncall.quality.runner import build_suites, new_run_id, run_suites, warehouse_url
from oncall.quality.schema import WarehouseSchema

__all__ = [
    "assertion_mcps",
    "assertion_urn",
    "publish_runs",
    "publish_suites",
    "run_event_mcp",
    "run_naming",
]

Progress = Callable[[str], None]

_ERROR_TYPES = {
    "connection": m.AssertionResultErrorTypeClass.SOURCE_CONNECTION_ERROR,
    "timeout": m.AssertionResultErrorTypeClass.SOURCE_QUERY_FAILED,
    "invalid": m.AssertionResultErrorTypeClass.INVALID_PARAMETERS,
    "query": m.AssertionResultErrorTypeClass.CUSTOM_SQL_ERROR,
}


def assertion_urn(dataset: str, native_type: str) -> str:
    """The stable URN of check `native_type` on `dataset` (same inputs, same URN, every run)."""
    return make_assertion_urn(
        datahub_guid({"tool": "datahub-oncall", "dataset": dataset, "check": native_type})
    )


def _param(value: str) -> m.AssertionStdParameterClass:
    kind = m.AssertionStdParameterTypeClass.STRING
    try:
        float(value)
        kind = m.AssertionStdParameterTypeClass.NUMBER
    except ValueError:
        if value.startswith("["):
            kind = m.AssertionStdParameterTypeClass.SET
    return m.AssertionStdParameterClass(value=value, type=kind)


def _params(params: dict[str, str]) -> m.AssertionStdParametersClass | None:
    if not params:
        return None
    pick = {k: _param(params[k]) for k in ("value", "min_value", "max_value") if k in params}
    return m.AssertionStdParametersClass(
        value=pick.get("value"), minValue=pick.get("min_value"), maxValue=pick.get("max_value")
    )


def _native_parameters(result: CheckResult, suite: str, names: WarehouseNaming) -> dict[str, str]:
    check = result.check
    native = {**check.native_parameters, "suite": suite, "threshold": f"{check.threshold:g}"}
    if check.family:
        native["family"] = check.family
    ref = check.native_parameters.get("referenced_table")
    if ref:
        # The parent table in the same instance: for a production check, the production twin.
        native["referenced_dataset"] = names.dataset_urn(ref)
    return native


def _field_urns(dataset: str, result: CheckResult) -> list[str]:
    check = result.check
    columns = [check.field] if check.field else check.native_parameters.get("key", "").split(",")
    return [make_schema_field_urn(dataset, c) for c in columns if c]


def run_naming(run: SuiteRun) -> WarehouseNaming:
    """How the datasets of `run`'s warehouse are named in DataHub (platform from its URL)."""
    return naming(run.warehouse, run.instance or None)


def assertion_mcps(
    result: CheckResult, suite: str, names: WarehouseNaming
) -> list[MetadataChangeProposalWrapper]:
    """`AssertionInfo` and `DataPlatformInstance` of the assertion behind one check result."""
    check = result.check
    dataset = names.dataset_urn(check.table)
    urn = assertion_urn(dataset, check.name)
    info = m.AssertionInfoClass(
        type=m.AssertionTypeClass.DATASET,
        description=check.description,
        datasetAssertion=m.DatasetAssertionInfoClass(
            dataset=dataset,
            scope=check.scope,
            operator=check.operator,
            fields=_field_urns(dataset, result) or None,
            aggregation=check.aggregation,
            parameters=_params(check.parameters),
            nativeType=check.name,
            nativeParameters=_native_parameters(result, suite, names),
            logic=result.sql,
        ),
        source=m.AssertionSourceClass(type=m.AssertionSourceTypeClass.EXTERNAL),
    )
    platform = m.DataPlatformInstanceClass(
        platform=make_data_platform_urn(names.platform),
        instance=make_dataplatform_instance_urn(names.platform, names.instance) if names.instance else None,
    )
    return [
        MetadataChangeProposalWrapper(entityUrn=urn, aspect=info),
        MetadataChangeProposalWrapper(entityUrn=urn, aspect=platform),
    ]


def _native_results(result: CheckResult, warehouse: str) -> dict[str, str]:
    native = {
        "threshold": f"{result.check.threshold:g}",
        "warehouse": warehouse,
        "duration_ms": f"{result.duration_ms:.1f}",
    }
    if result.observed is not None:
        native["observed"] = f"{result.observed:g}"
    if result.error:
        native["error"] = result.error
    return native


def run_event_mcp(result: CheckResult, run: SuiteRun) -> MetadataChangeProposalWrapper:
    """The `AssertionRunEvent` of one check result (asserteeUrn = the dataset)."""
    dataset = run_naming(run).dataset_urn(result.check.table)
    urn = assertion_urn(dataset, result.check.name)
    error = None
    if result.result == "ERROR":
        kind = _ERROR_TYPES[result.error_kind or "query"]
        error = m.AssertionResultErrorClass(type=kind, properties={"message": result.error or "unknown"})
    observed = result.observed
    outcome = m.AssertionResultClass(
        type=result.result,
        actualAggValue=observed,
        rowCount=result.row_count,
        unexpectedCount=None if observed is None else round(observed),
        nativeResults=_native_results(result, run.warehouse),
        error=error,
    )
    event = m.AssertionRunEventClass(
        timestampMillis=run.timestamp_ms,
        runId=run.run_id,
        asserteeUrn=dataset,
        assertionUrn=urn,
        status=m.AssertionRunStatusClass.COMPLETE,
        result=outcome,
    )
    return MetadataChangeProposalWrapper(entityUrn=urn, aspect=event)


def _mcps(runs: Iterable[SuiteRun]) -> tuple[list[MetadataChangeProposalWrapper], int, int]:
    mcps: list[MetadataChangeProposalWrapper] = []
    seen: set[str] = set()
    events = 0
    for run in runs:
        names = run_naming(run)
        for result in run.results:
            info = assertion_mcps(result, run.suite, names)
            if info[0].entityUrn not in seen:
                seen.add(str(info[0].entityUrn))
                mcps += info
            mcps.append(run_event_mcp(result, run))
            events += 1
    return mcps, len(seen), events


def _summary(runs: Sequence[SuiteRun], run_id: str, suites: Sequence[str], started: float) -> dict[str, Any]:
    instances: dict[str, dict[str, int]] = {}
    errors: list[str] = []
    for run in runs:
        counts = instances.setdefault(run.instance, {"SUCCESS": 0, "FAILURE": 0, "ERROR": 0})
        for r in run.results:
            counts[r.result] += 1
            if r.result == "ERROR":
                errors.append(f"{run.instance} {r.check.table}.{r.check.name}: {r.error}")
    return {
        "run_id": run_id,
        "suites": [str(s) for s in suites],
        "instances": instances,
        "errors": errors,
        "duration_ms": (time.perf_counter() - started) * 1000,
    }


def _expected(runs: Sequence[SuiteRun]) -> dict[str, dict[str, int]]:
    """dataset -> assertion -> the timestamp of the newest run event this publication wrote for it."""
    newest: dict[str, dict[str, int]] = {}
    for run in runs:
        names = run_naming(run)
        for result in run.results:
            dataset = names.dataset_urn(result.check.table)
            urn = assertion_urn(dataset, result.check.name)
            by_urn = newest.setdefault(dataset, {})
            by_urn[urn] = max(by_urn.get(urn, run.timestamp_ms), run.timestamp_ms)
    return newest


def _check_visible(catalog: Catalog, expected: dict[str, dict[str, int]]) -> None:
    for dataset, wanted in expected.items():
        shown = {
            a.urn: a.runs[0].timestamp_ms if a.runs else -1 for a in catalog.assertions(dataset, history=1)
        }
        late = [a for a, ts in wanted.items() if shown.get(a, -1) < ts]
        if late:
            raise CatalogError(f"{len(late)} published assertions of {dataset} do not read back yet")


def _await_visible(catalog: Catalog, runs: Sequence[SuiteRun]) -> None:
    """On a server, wait until its index shows every assertion with a run at least as new as ours, so a
    diff right after `setup` sees them (Lite reads its own writes)."""
    wait = getattr(catalog, "until_indexed", None)
    if wait is not None and runs:
        expected = _expected(runs)
        wait(lambda: _check_visible(catalog, expected), what="the published assertions")


def publish_runs(catalog: Catalog, runs: Sequence[SuiteRun], *, suites: Sequence[str] = ()) -> PublishSummary:
    """Write the assertions and run events of `runs` to the catalog in one batch."""
    started = time.perf_counter()
    mcps, assertions, events = _mcps(runs)
    catalog.emit(mcps)
    _await_visible(catalog, runs)
    run_id = runs[0].run_id if runs else ""
    names = list(suites) or sorted({r.suite for r in runs})
    return PublishSummary(assertions=assertions, run_events=events, **_summary(runs, run_id, names, started))


def publish_suites(
    config: Config,
    catalog: Catalog,
    progress: Progress | None = None,
    *,
    suites: Sequence[str | Path],
    schema: WarehouseSchema | None = None,
) -> PublishSummary:
    """Run the suite files on the baseline and production instances and publish everything to the
    catalog.

    `schema`: the tables, keys and foreign keys to profile (default: what the baseline declares).
    ERROR results are published (with their reason) and listed in the summary; they do not raise.
    Raises `SuiteError` for a malformed suite and `WarehouseError` if the baseline cannot be profiled.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    built = build_suites(config, suites, schema=schema)
    names = [s.name for s in built]
    say(f"assertions: derived suites {', '.join(names)} from {config.baseline_instance}")
    instances = [i for i in (config.baseline_instance, config.production_instance) if i]
    urls = {i: warehouse_url(config, i) for i in dict.fromkeys(instances)}
    runs = run_suites(built, urls, run_id=new_run_id())
    for run in runs:
        failing = sum(r.result == "FAILURE" for r in run.results)
        errored = sum(r.result == "ERROR" for r in run.results)
        say(
            f"assertions: {run.suite} on {run.instance}: {len(run.results)} checks, "
            f"{failing} failing, {errored} errors ({run.duration_ms:.0f} ms)"
        )
    summary = publish_runs(catalog, runs, suites=names)
    say(f"assertions: published {summary.assertions} assertions and {summary.run_events} run events")
    return summary.model_copy(update={"duration_ms": (time.perf_counter() - started) * 1000})
