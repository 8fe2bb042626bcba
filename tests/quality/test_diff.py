"""The diff: pure verdicts over Assertion objects, then both modes against real Lite catalogs."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path

import pytest

from oncall.catalog.lite import LiteCatalog
from oncall.catalog.types import Assertion, AssertionRun, ResultType
from oncall.config import Config, load_config
from oncall.quality.diff import classify, diff_assertions, diff_history, diff_instances, history_entry
from oncall.quality.models import DiffEntry, Suite
from oncall.quality.publish import publish_runs
from oncall.quality.runner import run_suites, warehouse_url
from oncall.world.build import WorldSummary
from oncall.world.urns import dataset_urn
from tests.quality.conftest import touched

PROD = dataset_urn("olist_dirty", "olist_orders")
BASE = dataset_urn("olist_source", "olist_orders")


def _run(result: ResultType, value: float | None = 0, ts: int = 1000) -> AssertionRun:
    return AssertionRun(timestamp_ms=ts, run_id=f"r{ts}", result=result, actual_value=value)


def _assertion(dataset: str, native_type: str, *runs: AssertionRun, **params: str) -> Assertion:
    return Assertion(
        urn=f"urn:li:assertion:{dataset[-20:]}{native_type}",
        dataset_urn=dataset,
        native_type=native_type,
        runs=list(runs),
        parameters=params,
    )


@pytest.mark.parametrize(
    ("baseline", "production", "verdict"),
    [
        ("SUCCESS", "FAILURE", "regression"),
        ("FAILURE", "FAILURE", "pre-existing"),
        (None, "FAILURE", "pre-existing"),
        ("ERROR", "FAILURE", "pre-existing"),
        ("FAILURE", "SUCCESS", "recovered"),
        ("SUCCESS", "SUCCESS", "unchanged"),
        ("SUCCESS", "ERROR", "unchanged"),
        (None, None, "unchanged"),
    ],
)
def test_verdicts(baseline: str | None, production: str | None, verdict: str) -> None:
    assert classify(baseline, production) == verdict


def test_assertions_are_matched_by_native_type_and_keep_both_values() -> None:
    fk = _assertion(
        PROD, "fk", _run("FAILURE", 7), referenced_dataset=dataset_urn("olist_dirty", "olist_customers")
    )
    prod = [fk, _assertion(PROD, "rows", _run("SUCCESS", 0)), _assertion(PROD, "old", _run("FAILURE", 2))]
    base = [
        _assertion(BASE, "rows", _run("SUCCESS", 0)),
        _assertion(BASE, "fk", _run("SUCCESS", 0)),
        _assertion(BASE, "old", _run("FAILURE", 1)),
    ]
    entries = {e.native_type: e for e in diff_assertions(prod, base)}
    assert {k: e.status for k, e in entries.items()} == {
        "fk": "regression",
        "rows": "unchanged",
        "old": "pre-existing",
    }
    assert entries["fk"].production.value == 7 and entries["fk"].baseline.value == 0
    assert entries["fk"].baseline.assertion_urn == base[1].urn and entries["fk"].assertion_urn == fk.urn
    assert entries["fk"].referenced_dataset == dataset_urn("olist_dirty", "olist_customers")
    assert entries["old"].baseline.value == 1


def test_without_a_baseline_twin_an_assertion_is_judged_on_its_history() -> None:
    lonely = _assertion(PROD, "mine", _run("FAILURE", 3, ts=2), _run("SUCCESS", 0, ts=1))
    (entry,) = diff_assertions([lonely], [])
    assert entry.status == "regression" and entry.baseline.timestamp_ms == 1


@pytest.mark.parametrize(
    ("runs", "verdict", "reference_ts"),
    [
        ([("FAILURE", 4), ("FAILURE", 3), ("SUCCESS", 2), ("FAILURE", 1)], "regression", 2),
        ([("FAILURE", 2), ("FAILURE", 1)], "pre-existing", 1),
        ([("FAILURE", 1)], "pre-existing", None),
        ([("SUCCESS", 3), ("FAILURE", 2), ("SUCCESS", 1)], "recovered", 2),
        ([("SUCCESS", 2), ("SUCCESS", 1)], "unchanged", 1),
        ([("ERROR", 2), ("SUCCESS", 1)], "unchanged", 1),
        ([], "unchanged", None),
    ],
)
def test_history_compares_the_latest_run_with_the_last_passing_one(
    runs: list[tuple[ResultType, int]], verdict: str, reference_ts: int | None
) -> None:
    entry = history_entry(_assertion(PROD, "x", *(_run(r, ts, ts=ts) for r, ts in runs)))
    assert entry.status == verdict
    assert entry.baseline.timestamp_ms == reference_ts
    assert entry.production.timestamp_ms == (runs[0][1] if runs else None)


@pytest.fixture
def seeded_catalog(seeded_home: Path) -> Iterator[LiteCatalog]:
    catalog = LiteCatalog(load_config(seeded_home, environ={}).lite_path, read_only=True)
    yield catalog
    catalog.close()


def _by_status(entries: list[DiffEntry]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for e in entries:
        out.setdefault(e.status, set()).add((e.dataset_urn.split(".")[-1].split(",")[0], e.native_type))
    return out


def test_twin_diff_on_the_kit_world(
    seeded_catalog: LiteCatalog, small_suites: dict[str, Suite], world_summary: WorldSummary
) -> None:
    urns = seeded_catalog.list_urns("dataset", instance="olist_dirty")
    entries = diff_instances(seeded_catalog, urns, "olist_source", "olist_dirty")
    kit_names = {(c.table, c.name) for c in small_suites["kit"].checks}
    kit = [e for e in entries if (e.dataset_urn.split(".")[-1].split(",")[0], e.native_type) in kit_names]
    by_status = _by_status(kit)
    clean_rows = world_summary.rows["olist_source"]["olist_customers"]
    assert by_status["regression"] == {
        ("olist_order_items", "seller_id_length_eq_32"),
        ("olist_customers", f"row_count_eq_{clean_rows}"),
        ("olist_products", "product_category_name_not_null"),
    }
    assert len(by_status["unchanged"]) == 8 and set(by_status) == {"regression", "unchanged"}
    values = {e.native_type: (e.baseline.value, e.production.value) for e in kit if e.status == "regression"}
    assert values["seller_id_length_eq_32"] == (0, touched(world_summary, "olist_order_items", "truncate"))
    fk = next(e for e in entries if e.native_type == "customer_id_references_olist_customers")
    assert fk.status == "regression" and fk.dataset_urn == dataset_urn("olist_dirty", "olist_orders")
    assert fk.referenced_dataset == dataset_urn("olist_dirty", "olist_customers")
    regressed_tables = {t for t, _ in _by_status(entries)["regression"]}
    assert regressed_tables == {"olist_customers", "olist_order_items", "olist_products", "olist_orders"}


def test_baseline_urns_are_mapped_to_their_production_twins(seeded_catalog: LiteCatalog) -> None:
    entries = diff_instances(seeded_catalog, [BASE], "olist_source", "olist_dirty")
    assert entries and {e.dataset_urn for e in entries} == {PROD}


def test_history_diff_finds_what_broke_since_the_last_good_run(
    tmp_path: Path, small_suites: dict[str, Suite], small_config: Config
) -> None:
    # Production was clean yesterday (the clean DB under the production name), dirty today.
    yesterday = run_suites(
        [small_suites["kit"]], {"olist_dirty": warehouse_url(small_config, "olist_source")}
    )
    today = run_suites([small_suites["kit"]], {"olist_dirty": warehouse_url(small_config, "olist_dirty")})
    today = [r.model_copy(update={"timestamp_ms": yesterday[0].timestamp_ms + 86_400_000}) for r in today]
    catalog = LiteCatalog(tmp_path / "datahub.db", create=True)
    try:
        publish_runs(catalog, yesterday)
        publish_runs(catalog, today)
        urns = [
            dataset_urn("olist_dirty", t) for t in ("olist_customers", "olist_order_items", "olist_products")
        ]
        entries = diff_history(catalog, urns)
    finally:
        catalog.close()
    failing_today = {(r.check.table, r.check.name) for r in today[0].results if r.result == "FAILURE"}
    assert _by_status(entries)["regression"] == failing_today and len(failing_today) == 3
    assert all(e.baseline.result == "SUCCESS" for e in entries)


def test_the_diff_reads_the_same_from_a_gms_server(
    seeded_home: Path, seeded_catalog: LiteCatalog, shared_dir: Path
) -> None:
    # The GMS adapter over the catalog's loopback stand-in (DataHub's schema, the seeded data).
    from oncall.catalog.gms import GmsCatalog
    from tests.catalog.gms_standin import GmsStandin, Store, load_schema

    store = Store.from_lite(load_config(seeded_home, environ={}).lite_path)
    urns = seeded_catalog.list_urns("dataset", instance="olist_dirty")
    expected = diff_instances(seeded_catalog, urns, "olist_source", "olist_dirty")
    with GmsStandin(load_schema(shared_dir / "datahub" / "graphql"), store) as server:
        gms = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        try:
            got = diff_instances(gms, urns, "olist_source", "olist_dirty")
        finally:
            gms.close()
        assert not server.rejected
    key = attrgetter("dataset_urn", "native_type")
    assert [e.model_dump() for e in sorted(got, key=key)] == [
        e.model_dump() for e in sorted(expected, key=key)
    ]


def test_a_stale_latest_run_is_no_evidence_either_way() -> None:
    """A dbt test skipped in the newest invocation keeps its old SUCCESS: not a pass, not a regression."""
    from oncall.catalog.types import Assertion, AssertionRun
    from oncall.quality.diff import diff_assertions, history_entry

    def run(ts: int, result: ResultType, stale: str | None = None) -> AssertionRun:
        return AssertionRun(timestamp_ms=ts, run_id=f"r{ts}", result=result, stale=stale)

    def check(*runs: AssertionRun) -> Assertion:
        return Assertion(
            urn="urn:li:assertion:a", dataset_urn="urn:li:dataset:x", native_type="t", runs=list(runs)
        )

    skipped = check(run(2, "SUCCESS", stale="skipped in r3"), run(1, "FAILURE"))
    entry = history_entry(skipped)
    assert entry.status == "unchanged" and entry.production.stale == "skipped in r3"
    failing_now = check(run(3, "FAILURE"), run(2, "SUCCESS", stale="skipped"), run(1, "FAILURE"))
    assert history_entry(failing_now).status == "pre-existing"  # the stale pass is not a last pass
    baseline = check(run(2, "SUCCESS", stale="skipped"))
    assert diff_assertions([check(run(3, "FAILURE"))], [baseline])[0].status == "pre-existing"
