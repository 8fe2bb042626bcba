"""The assertion diff: what fails in production but passes in the clean baseline (or in its own past).

Two kinds of baseline, both pure functions over `Assertion` objects with thin catalog readers on top;
each entry says which one it used (`DiffEntry.baseline_kind`):

- twin (`diff_instances`): per production dataset, its twin in the baseline instance; assertions are
  matched by nativeType. `regression` fails in production and passes in the baseline, `pre-existing`
  fails in both, `recovered` passes in production but fails in the baseline, `unchanged` otherwise.
- history (`diff_history`): each assertion's latest run against its last passing run, for catalogs with
  no clean twin. `regression` fails now and passed before, `pre-existing` has never passed, `recovered`
  passes now after a failing run, `unchanged` otherwise.

`diff_datasets` picks per dataset (`BaselineMode`): `auto` takes the twin when a baseline instance is
configured and has the dataset, else the history; `twin` and `history` force one.

Only FAILURE counts as failing: an ERROR (the check could not run) is no evidence about the data, so it
never makes a regression; both sides' results are kept so the caller can show it. Likewise a stale run
(`AssertionRun.stale`: e.g. a dbt test skipped in a newer invocation) is neither a pass nor a failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from oncall.catalog.base import Catalog
from oncall.catalog.types import Assertion, AssertionRun
from oncall.errors import UserError
from oncall.quality.models import BaselineKind, BaselineMode, DiffEntry, DiffSide, DiffStatus

__all__ = [
    "BASELINE_MODES",
    "classify",
    "diff_assertions",
    "diff_datasets",
    "diff_history",
    "diff_instances",
    "history_entry",
    "side",
]

BASELINE_MODES: tuple[BaselineMode, ...] = ("auto", "twin", "history")

_HISTORY = 50
"""Runs read per assertion in history mode."""


def side(assertion: Assertion | None, run: AssertionRun | None) -> DiffSide:
    """One side of a diff entry: the run's result and observed value."""
    if run is None:
        return DiffSide(assertion_urn=assertion.urn if assertion else None)
    return DiffSide(
        result=run.result,
        value=run.actual_value,
        assertion_urn=assertion.urn if assertion else None,
        timestamp_ms=run.timestamp_ms,
        stale=run.stale,
    )


def _verdict(s: DiffSide) -> str | None:
    """The result a side counts with: a stale run proves nothing."""
    return None if s.stale else s.result


def classify(baseline: str | None, production: str | None) -> DiffStatus:
    """The verdict from both sides' results (SUCCESS / FAILURE / ERROR / INIT / None)."""
    if production == "FAILURE":
        # Without a passing baseline result the failure cannot be shown to be new.
        return "regression" if baseline == "SUCCESS" else "pre-existing"
    if production == "SUCCESS" and baseline == "FAILURE":
        return "recovered"
    return "unchanged"


def _entry(
    prod: Assertion, base_side: DiffSide, prod_side: DiffSide, status: DiffStatus, kind: BaselineKind
) -> DiffEntry:
    return DiffEntry(
        dataset_urn=prod.dataset_urn,
        assertion_urn=prod.urn,
        native_type=prod.native_type,
        status=status,
        baseline=base_side,
        production=prod_side,
        description=prod.description,
        referenced_dataset=prod.referenced_dataset,
        baseline_kind=kind,
        source=prod.source,
        suite=prod.parameters.get("suite"),
    )


def history_entry(assertion: Assertion) -> DiffEntry:
    """Latest run vs the last passing run before it (runs are newest first)."""
    runs = assertion.runs
    latest = runs[0] if runs else None
    earlier = runs[1:]
    last_pass = next((r for r in earlier if r.result == "SUCCESS" and not r.stale), None)
    previous = earlier[0] if earlier else None
    now = latest.result if latest and not latest.stale else None
    if now == "FAILURE":
        status: DiffStatus = "regression" if last_pass else "pre-existing"
        reference = last_pass or previous
    elif now == "SUCCESS" and previous is not None and previous.result == "FAILURE":
        status, reference = "recovered", previous
    else:
        status, reference = "unchanged", last_pass or previous
    return _entry(assertion, side(assertion, reference), side(assertion, latest), status, "history")


def diff_assertions(
    production: Sequence[Assertion], baseline: Sequence[Assertion], *, strict: bool = False
) -> list[DiffEntry]:
    """Compare each production assertion with the baseline assertion of the same nativeType.

    A production assertion with no baseline counterpart is judged on its own history instead, unless
    `strict` (twin mode): then it has no baseline, so a failure cannot be shown to be new.
    """
    by_type = {a.native_type: a for a in baseline}
    entries = []
    for prod in production:
        twin = by_type.get(prod.native_type)
        if twin is None and not strict:
            entries.append(history_entry(prod))
            continue
        base_side, prod_side = side(twin, twin.latest if twin else None), side(prod, prod.latest)
        status = classify(_verdict(base_side), _verdict(prod_side))
        entries.append(_entry(prod, base_side, prod_side, status, "twin"))
    return entries


def _production_urns(catalog: Catalog, urns: Iterable[str], production_instance: str | None) -> list[str]:
    """The given datasets, each mapped to its production twin when it lives in another instance."""
    out: list[str] = []
    for urn in urns:
        if production_instance:
            urn = catalog.twin(urn, production_instance) or urn
        if urn not in out:
            out.append(urn)
    return out


def diff_datasets(
    catalog: Catalog,
    dataset_urns: Iterable[str],
    *,
    mode: BaselineMode = "auto",
    baseline_instance: str | None = None,
    production_instance: str | None = None,
) -> list[DiffEntry]:
    """Diff every assertion of the datasets against the baseline `mode` picks for each dataset.

    Datasets named in another instance are mapped to their production twin first (when a production
    instance is configured). Raises `UserError` for `twin` without a baseline instance.
    """
    if mode not in BASELINE_MODES:
        raise UserError(f"baseline must be one of {', '.join(BASELINE_MODES)}, not {mode!r}")
    if mode == "twin" and not baseline_instance:
        raise UserError(
            "baseline 'twin' needs a baseline instance: set baseline_instance (ONCALL_BASELINE), "
            "or use --baseline history"
        )
    urns = _production_urns(catalog, dataset_urns, production_instance)
    production = catalog.assertions_many(urns, history=_HISTORY)  # bulk: one read for all, not one each
    twins: dict[str, str] = {}
    if mode != "history" and baseline_instance:
        for urn in urns:
            twin = catalog.twin(urn, baseline_instance) if production[urn] else None
            if twin is not None and twin != urn:
                twins[urn] = twin
    baselines = catalog.assertions_many(list(dict.fromkeys(twins.values())), history=1) if twins else {}
    entries: list[DiffEntry] = []
    for urn in urns:
        prod = production[urn]
        if not prod:
            continue
        if urn in twins:
            entries += diff_assertions(prod, baselines[twins[urn]], strict=mode == "twin")
        elif mode == "twin":
            entries += diff_assertions(prod, [], strict=True)
        else:
            entries += [history_entry(a) for a in prod]
    return entries


def diff_instances(
    catalog: Catalog,
    production_dataset_urns: Iterable[str],
    baseline_instance: str,
    production_instance: str | None,
) -> list[DiffEntry]:
    """Diff the production datasets against their baseline twins; an assertion (or a dataset) with no
    twin is judged on its own history (`auto` mode with a baseline instance)."""
    return diff_datasets(
        catalog,
        production_dataset_urns,
        mode="auto",
        baseline_instance=baseline_instance,
        production_instance=production_instance,
    )


def diff_history(catalog: Catalog, dataset_urns: Iterable[str]) -> list[DiffEntry]:
    """Each assertion's latest run against its last passing run, for the given datasets."""
    return diff_datasets(catalog, dataset_urns, mode="history")
