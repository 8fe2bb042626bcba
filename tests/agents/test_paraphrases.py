"""Paraphrases (synonyms, jargon, typos, word orders, two entities in a sentence) on the seeded world.

The tuning part is checked phrasing by phrasing; the held-out part (frozen before tuning, see
paraphrases/olist_held_out.yaml) only by its accuracy, with the misses named in the failure message.
Each runs the Detective's offline procedure as `investigate` does with no model (`detective_pick`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.agents.paraphrases import Phrasing, load
from tests.plugins.agents import PROD, DetectivePick

HELD_OUT_TARGET = 0.9
"""The issue's target. Not met: see HELD_OUT_FLOOR and the README's list of misses."""
HELD_OUT_FLOOR = 18 / 23
"""What the held-out part measured with the glossary, the vocabulary and 4-letter swaps (18 of 23; 16
before them): it may only go up."""

TUNING_MISSES: dict[str, str] = {}
"""Tuning phrasings the ranking is known to miss (xfail, strict): none since the catalog's glossary and
the generic vocabulary (agents/vocabulary.yaml) spell out the jargon and synonyms they needed."""


def _means(urn: str | None, p: Phrasing, names: dict[str, str]) -> bool:
    """True if `urn` is the phrasing's entity (type and name) in the production instance."""
    return (
        urn is not None and urn.startswith(f"urn:li:{p.type}:") and PROD in urn and names.get(urn) == p.name
    )


@pytest.fixture(scope="module")
def names(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Entity names of the production instance (on a copy: an open leaves -shm files behind)."""
    from oncall.catalog import open_catalog
    from oncall.config import load_config

    home = tmp_path_factory.mktemp("names") / "home"
    shutil.copytree(seeded_home, home)
    catalog = open_catalog(load_config(home, environ={}), read_only=True)
    try:
        return {urn: catalog.get(urn).name for urn in catalog.list_urns(instance=PROD)}
    finally:
        catalog.close()


def _tuning() -> list[object]:
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=TUNING_MISSES[p.text]))
        if p.text in TUNING_MISSES
        else p
        for p in load("olist", "tuning")
    ]


@pytest.mark.parametrize("p", _tuning(), ids=lambda p: p.text)
def test_tuning_phrasing_picks_the_entity_people_mean(
    detective_pick: DetectivePick, names: dict[str, str], p: Phrasing
) -> None:
    pick, top = detective_pick(p.text)
    assert _means(pick, p, names), (p.kind, top)


def test_held_out_paraphrase_accuracy(detective_pick: DetectivePick, names: dict[str, str]) -> None:
    held = load("olist", "held_out")
    misses = []
    for p in held:
        pick, top = detective_pick(p.text)
        if not _means(pick, p, names):
            misses.append((p.text, f"{p.type} {p.name}", top[:1]))
    accuracy = 1 - len(misses) / len(held)
    assert accuracy >= HELD_OUT_FLOOR - 1e-9, misses


def test_the_sets_are_big_enough_and_disjoint() -> None:
    tuning, held = load("olist", "tuning"), load("olist", "held_out")
    assert len(tuning) + len(held) >= 60 and len(held) * 3 >= len(tuning) + len(held) - 2
    assert not {p.text for p in tuning} & {p.text for p in held}
    assert set(TUNING_MISSES) <= {p.text for p in tuning}  # a known miss is never a held-out phrasing


def test_the_nearest_in_meaning_are_distinct_entities(seeded_home: Path, tmp_path: Path) -> None:
    """Twins share one vector: baseline copies must not crowd other entities out of the nearest."""
    from oncall.agents.candidates import search_candidates
    from oncall.catalog import open_catalog
    from oncall.config import load_config
    from oncall.world.urns import dashboard_urn

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    try:
        found = search_candidates(
            catalog,
            "the finance dashboard totals are off",
            production_instance=PROD,
            vectors_dir=config.vectors_dir,
        )
    finally:
        catalog.close()
    keys = [(e.type, e.platform, e.name) for e in found.entities]
    assert len(keys) == len(set(keys)), keys
    by_meaning = [e.urn for e in found.entities if e.urn not in found.scores]
    assert len(by_meaning) == 6 and all(PROD in u for u in by_meaning), by_meaning  # _NEAREST distinct
    assert dashboard_urn(PROD, "revenue") in [e.urn for e in found.entities]  # found by meaning alone


def test_searches_guessed_before_the_meaning_only_count_when_the_meaning_asks_for_them(
    seeded_home: Path, tmp_path: Path
) -> None:
    """The text's searches go out beside the semantic index's check, guessing the text has no typo.
    With typos, what the guessed searches of the misspelt words found must add nothing: the
    candidates are those of the corrected text's searches alone. (Here a misspelt search is answered
    with another word's hits, so a guess that leaked into the candidates would show.)"""
    from oncall.agents.candidates import _queries, search_candidates
    from oncall.catalog import open_catalog
    from oncall.config import load_config

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    asked: list[str] = []
    search = catalog.search

    def answering_typos(text: str, **kwargs: Any) -> Any:
        asked.append(text)
        return search("sellers" if "revnue" in text else text, **kwargs)

    catalog.search = answering_typos  # type: ignore[method-assign]
    try:
        found = search_candidates(
            catalog, "revnue dashbord totals wrong", production_instance=PROD, vectors_dir=config.vectors_dir
        )
        wanted = _queries(found.meaning.text, found.meaning.searches)
        alone = {h.ref.urn for q in wanted for h in search(q, limit=20)}
        decoys = {h.ref.urn for h in search("sellers", limit=20)} - alone
    finally:
        catalog.close()
    assert "revnue dashbord totals wrong" in asked  # the guess went out...
    assert not any("revnue" in q for q in wanted) and set(wanted) <= set(asked)  # ...was corrected...
    assert decoys and set(found.scores) == alone  # ...and only the meaning's searches found candidates
