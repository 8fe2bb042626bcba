"""Paraphrases (synonyms, jargon, typos, word orders, two entities in a sentence) on the seeded world.

The tuning part is checked phrasing by phrasing; the held-out part (frozen before tuning, see
paraphrases/olist_held_out.yaml) only by its accuracy, with the misses named in the failure message.
Each runs the Detective's offline procedure as `investigate` does with no model (`detective_pick`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.agents.paraphrases import Phrasing, load
from tests.plugins.agents import PROD, DetectivePick

HELD_OUT_TARGET = 0.9
"""The issue's target. Not met: see HELD_OUT_FLOOR and the README's list of misses."""
HELD_OUT_FLOOR = 16 / 23
"""What the held-out part measured when the ranking was frozen (16 of 23): it may only go up."""

_NO_EMBEDDING = "WordLlama's static vectors do not relate these words to the catalog's"
TUNING_MISSES = {
    # jargon: acronyms the embedding cannot expand and the demo catalog's glossary does not define
    "GMV dashboard is way down": "jargon: 'GMV' is in no catalog word or glossary term",
    "CX dashboard is empty": "jargon: 'CX' is in no catalog word or glossary term",
    "NPS dashboard dropped": "jargon: 'NPS' is in no catalog word or glossary term",
    "GMV by seller dropped for top merchants": "jargon: 'GMV' unknown; the sellers table wins on 'seller'",
    # synonyms too far apart for static word vectors
    "sales per merchant chart is off": f"{_NO_EMBEDDING} ('merchant' ~ 'seller' 0.25)",
    "share of credit card vs boleto looks wrong": "payment types are data values, not catalog words",
    "customer ratings chart looks inflated": f"{_NO_EMBEDDING} ('rating' ~ 'score' 0.33)",
    "star ratings graph shows only 1 stars": f"{_NO_EMBEDDING} ('rating' ~ 'score' 0.33)",
    "buyers table shrank overnight": "'buyer' is closest to 'purchase' and 'seller', not 'customer'",
    "transactions table has negative amounts": f"{_NO_EMBEDDING} ('transactions' ~ 'payment' 0.38)",
    "feedback table has duplicate ids": f"{_NO_EMBEDDING} ('feedback' ~ 'review' 0.22)",
}


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
