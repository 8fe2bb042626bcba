"""The catalog snapshot the lifecycle reads one pass through: each read made once, writes untouched."""

from __future__ import annotations

import pytest

from oncall.catalog.gms import GmsCatalog
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.snapshot import Snapshot, snapshot
from oncall.errors import NotFoundError

CUSTOMERS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"
MISSING = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.nope,PROD)"


def test_reads_are_made_once_and_answer_as_the_catalog_does(catalog: LiteCatalog | GmsCatalog) -> None:
    view = Snapshot(catalog)
    first = view.assertions(CUSTOMERS, history=5)
    assert first == catalog.assertions(CUSTOMERS, history=5) and first
    first.clear()  # a caller that changes its copy changes nothing for the next one
    again = view.assertions(CUSTOMERS, history=5)
    assert again == catalog.assertions(CUSTOMERS, history=5)
    assert (view.reads, view.hits) == (1, 1)
    assert view.assertions(CUSTOMERS, history=1) != [] and view.reads == 2  # other arguments, other read
    assert view.get(CUSTOMERS) == catalog.get(CUSTOMERS)
    assert view.lineage(CUSTOMERS, direction="downstream") == view.lineage(CUSTOMERS, direction="downstream")
    for _ in range(2):  # an unknown URN is remembered too, and raised each time
        with pytest.raises(NotFoundError):
            view.get(MISSING)
    assert view.exists(MISSING) is False
    assert view.backend == catalog.backend  # anything else is the catalog's own


def test_writes_go_through_and_a_new_snapshot_sees_them(catalog: LiteCatalog | GmsCatalog) -> None:
    view = Snapshot(catalog)
    assert "urn:li:tag:pass" not in view.get(CUSTOMERS).tags
    view.add_tags(CUSTOMERS, ["urn:li:tag:pass"])  # not cached: straight to the catalog
    assert "urn:li:tag:pass" in catalog.get(CUSTOMERS).tags
    assert "urn:li:tag:pass" not in view.get(CUSTOMERS).tags  # one pass, one view of the catalog
    fresh = snapshot(catalog)
    assert "urn:li:tag:pass" in fresh.get(CUSTOMERS).tags
