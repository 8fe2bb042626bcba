"""The Fixer's pure parts: incident URN, type, priority, the merge that keeps human edits."""

from __future__ import annotations

from typing import Any

import pytest
from datahub.metadata import schema_classes as m

from oncall.agents.fixer import incident_type, priority_for
from oncall.agents.writeback import (
    DESCRIPTION_MARK,
    IncidentDraft,
    _merge_info,
    _new_info,
    _unchanged,
    incident_urn,
)
from oncall.catalog.types import Assertion
from oncall.report.models import DiffEntry, DiffSide

DS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"


def _entry(check: str, ref: str | None = None) -> DiffEntry:
    return DiffEntry(
        dataset_urn=DS,
        assertion_urn=f"urn:li:assertion:{check}",
        native_type=check,
        status="regression",
        baseline=DiffSide(result="SUCCESS", value=0),
        production=DiffSide(result="FAILURE", value=7),
        referenced_dataset=ref,
    )


def _assertion(check: str, scope: str, field: str | None = None) -> Assertion:
    return Assertion(
        urn=f"urn:li:assertion:{check}", dataset_urn=DS, native_type=check, scope=scope, field=field
    )


def test_incident_urn_is_stable_per_origin_and_generation() -> None:
    assert incident_urn(DS) == incident_urn(DS, 0)
    assert incident_urn(DS, 1) != incident_urn(DS, 0)
    assert incident_urn(DS) != incident_urn(DS.replace("customers", "orders"))
    assert incident_urn(DS).startswith("urn:li:incident:") and len(incident_urn(DS).split(":")[-1]) == 36


def test_incident_type_follows_the_failing_checks() -> None:
    rows = _assertion("row_count_eq_99441", "DATASET_ROWS")
    column = _assertion("seller_id_length_eq_32", "DATASET_COLUMN", "seller_id")
    assert incident_type([rows], [_entry("row_count_eq_99441")]) == ("VOLUME", None)
    assert incident_type([column], [_entry("seller_id_length_eq_32")]) == ("FIELD", None)
    mixed = incident_type([rows, column], [_entry("row_count_eq_99441"), _entry("seller_id_length_eq_32")])
    assert mixed == ("CUSTOM", "DATA_QUALITY")
    assert incident_type([], [_entry("fk", ref=DS)]) == ("CUSTOM", "DATA_QUALITY")


def test_priority_grows_with_the_blast_radius() -> None:
    assert [priority_for(n) for n in (0, 1, 4, 5, 9, 10, 40)] == [3, 2, 2, 1, 1, 0, 0]


def _draft(**kw: Any) -> IncidentDraft:
    base: dict[str, Any] = dict(
        origin=DS,
        title="t",
        description=f"{DESCRIPTION_MARK} new evidence",
        type="VOLUME",
        priority=1,
        entities=[DS, "urn:li:chart:(superset,olist_dirty.x)"],
        source_urn="urn:li:assertion:a",
    )
    return IncidentDraft(**{**base, **kw})


def test_new_incident_is_active_triage_from_an_assertion_failure() -> None:
    info = _new_info(_draft(), 1000)
    assert (
        info.status.state == m.IncidentStateClass.ACTIVE and info.status.stage == m.IncidentStageClass.TRIAGE
    )
    assert info.source is not None and info.source.type == m.IncidentSourceTypeClass.ASSERTION_FAILURE
    assert info.source.sourceUrn == "urn:li:assertion:a" and info.entities[0] == DS
    assert info.validate()


def test_merge_keeps_what_people_changed_and_refreshes_only_our_description() -> None:
    current = _new_info(_draft(description=f"{DESCRIPTION_MARK} old"), 1000)
    current.title = "Renamed by Ana"
    current.priority = 0
    current.status.stage = m.IncidentStageClass.INVESTIGATION
    current.entities = [DS, "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.human_added,PROD)"]
    before = current.to_obj()
    merged = m.IncidentInfoClass.from_obj(_merge_info(before, _draft()))
    assert before == current.to_obj()  # the current aspect's JSON is not changed
    assert merged.title == "Renamed by Ana" and merged.priority == 0
    assert merged.status.stage == m.IncidentStageClass.INVESTIGATION
    assert merged.description == f"{DESCRIPTION_MARK} new evidence"
    assert (
        merged.entities[:2] == current.entities and "urn:li:chart:(superset,olist_dirty.x)" in merged.entities
    )
    current.description = "Root cause: upstream ETL job, see ticket 42"  # a person rewrote it
    assert _merge_info(current.to_obj(), _draft())["description"] == current.description


def test_merge_of_the_same_evidence_changes_nothing_and_a_missing_source_is_filled() -> None:
    current = _new_info(_draft(), 1000)
    assert _merge_info(current.to_obj(), _draft()) == current.to_obj()  # a re-run: nothing to write
    current.source = None  # raised by someone else, without a source
    merged = m.IncidentInfoClass.from_obj(_merge_info(current.to_obj(), _draft()))
    assert merged.source is not None and merged.source.sourceUrn == "urn:li:assertion:a"
    assert merged.source.type == m.IncidentSourceTypeClass.ASSERTION_FAILURE
    assert merged.validate()


def _variants() -> list[tuple[str, m.IncidentInfoClass, IncidentDraft]]:
    out = []
    same = _new_info(_draft(), 1000)
    out.append(("same evidence", same, _draft()))
    out.append(("a new entity", same, _draft(entities=[DS, "urn:li:chart:(superset,olist_dirty.y)"])))
    out.append(("fewer entities", same, _draft(entities=[DS])))
    out.append(("new evidence", _new_info(_draft(description=f"{DESCRIPTION_MARK} old"), 1000), _draft()))
    human = _new_info(_draft(), 1000)
    human.description = "Rewritten by a person"
    out.append(("a person's description", human, _draft(description=f"{DESCRIPTION_MARK} other")))
    sourceless = _new_info(_draft(), 1000)
    sourceless.source = None
    out.append(("no source", sourceless, _draft()))
    out.append(("no source, none to add", sourceless, _draft(source_urn=None)))
    repeated = _new_info(_draft(), 1000)
    repeated.entities = [DS, DS, "urn:li:chart:(superset,olist_dirty.x)"]
    out.append(("a repeated entity", repeated, _draft()))
    return out


@pytest.mark.parametrize("case", _variants(), ids=lambda c: c[0])
def test_unchanged_says_what_the_merge_would_do(case: tuple[str, m.IncidentInfoClass, IncidentDraft]) -> None:
    _, current, draft = case
    assert _unchanged(current, draft) == (_merge_info(current.to_obj(), draft) == current.to_obj())
