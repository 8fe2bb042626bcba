"""Sibling groups read as a run reaches them: the same groups as a scan of the whole file, fewer reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from oncall.catalog.lite import LiteCatalog
from oncall.catalog.lite_groups import SiblingGroups, components

DBT_A = "urn:li:dataset:(urn:li:dataPlatform:dbt,a,PROD)"
WH_A = "urn:li:dataset:(urn:li:dataPlatform:snowflake,a,PROD)"
EXTRA_A = "urn:li:dataset:(urn:li:dataPlatform:postgres,a,PROD)"
DBT_B = "urn:li:dataset:(urn:li:dataPlatform:dbt,b,PROD)"
ALONE = "urn:li:dataset:(urn:li:dataPlatform:snowflake,alone,PROD)"

# A chain of three (only the middle one names both others) and a pair whose table side never wrote its
# aspect (the PATCH DataHub's CLI Lite sink drops): only the dbt side's edge and flag exist.
EDGES = [
    (WH_A, "sibling", DBT_A),
    (WH_A, "sibling", EXTRA_A),
    (WH_A, "sibling_secondary", WH_A),
    (DBT_A, "sibling_primary", DBT_A),
    (DBT_B, "sibling", "urn:li:dataset:(urn:li:dataPlatform:snowflake,b,PROD)"),
    (DBT_B, "sibling_primary", DBT_B),
]


class Reader:
    """The edge reader over a fixed list, counting what it is asked."""

    def __init__(self, edges: list[tuple[str, str, str]]) -> None:
        self.edges = edges
        self.asked: list[list[str]] = []

    def __call__(self, urns: Sequence[str]) -> Iterable[tuple[str, str, str]]:
        self.asked.append(list(urns))
        wanted = set(urns)
        return [e for e in self.edges if e[0] in wanted or (e[1] == "sibling" and e[2] in wanted)]

    def everything(self) -> list[tuple[str, str, str]]:
        return list(self.edges)


def test_a_group_is_closed_from_any_member_even_one_that_names_no_sibling() -> None:
    reader = Reader(EDGES)
    groups = SiblingGroups(reader, reader.everything).load([EXTRA_A])  # EXTRA_A has no aspect of its own
    assert groups.members(EXTRA_A) == sorted([DBT_A, WH_A, EXTRA_A])
    assert {groups.rep(u) for u in (DBT_A, WH_A, EXTRA_A)} == {DBT_A}  # the declared primary
    assert groups.is_secondary(EXTRA_A) and not groups.is_secondary(DBT_A)
    asked = len(reader.asked)
    groups.load([DBT_A, WH_A])  # known now: no more reads
    assert len(reader.asked) == asked


def test_a_urn_never_loaded_is_an_error_not_a_group_of_its_own() -> None:
    reader = Reader(EDGES)
    groups = SiblingGroups(reader, reader.everything).load([ALONE])
    assert groups.members(ALONE) == [ALONE] and groups.rep(ALONE) == ALONE
    with pytest.raises(KeyError, match="not loaded"):
        groups.members(DBT_B)
    with pytest.raises(KeyError):
        groups.rep(DBT_B)


def test_loading_all_at_once_gives_the_same_groups() -> None:
    reader = Reader(EDGES)
    everyone = sorted({u for src, _, dst in EDGES for u in (src, dst)} | {ALONE})
    lazy = SiblingGroups(reader, reader.everything).load(everyone)
    whole = SiblingGroups(Reader([]), reader.everything).load_all()
    for urn in everyone:
        assert (lazy.rep(urn), lazy.members(urn)) == (whole.rep(urn), whole.members(urn))
    assert len(components(EDGES)) == 2


def test_on_a_real_file_reading_as_needed_matches_reading_everything(multiplatform_copy: Path) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as catalog:
        urns = catalog._query("SELECT DISTINCT urn FROM oncall_text")
        everyone = [r[0] for r in urns]
        whole = catalog._groups().load_all()
        lazy = SiblingGroups(catalog._sibling_edges, catalog._all_sibling_edges)
        assert any(whole.is_secondary(u) for u in everyone), "the fixture has sibling groups"
        for urn in everyone:
            lazy.load([urn])
            assert (lazy.rep(urn), lazy.members(urn)) == (whole.rep(urn), whole.members(urn)), urn
