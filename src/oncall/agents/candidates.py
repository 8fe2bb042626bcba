"""The Detective's candidates: what the catalog, and the semantic index, offer for an incident text.

Catalog searches of the whole text and each meaningful word (misspelt words corrected, and the
catalog's own words for words it never uses), sent side by side, then one read of the best hits'
pages with the entities nearest in meaning (`catalog.vectors`). The Detective ranks and picks among
them (`agents.detective`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from oncall.agents._text import content_tokens
from oncall.agents.ranking import Meaning, normalised, understand
from oncall.catalog.base import Catalog, parallel
from oncall.catalog.types import Entity, SearchHit

__all__ = ["Candidates", "search_candidates"]

_MAX_WORD_SEARCHES = 6
_MAX_MEANING_SEARCHES = 4
_NEAREST = 6
_MAX_CANDIDATES = 20


class Candidates(NamedTuple):
    """What the catalog (and the semantic index) offer for an incident text."""

    entities: list[Entity]
    scores: dict[str, float]
    """The catalog's best search score per URN (0 for entities found only by meaning)."""
    meaning: Meaning


def _meaning(catalog: Catalog, text: str, vectors_dir: Path | None) -> Meaning:
    """The text read against the catalog's semantic index; letters only when there is none."""
    if vectors_dir is None:
        return Meaning(text=text)
    try:
        from oncall.catalog.vectors import ensure_index

        index = ensure_index(catalog, vectors_dir)
    except (ImportError, OSError, ValueError) as exc:  # no wordllama, unreadable weights, too big to build
        reason = f"semantic index unavailable ({type(exc).__name__}: {exc}); ranked on letters only"
        return Meaning(text=text, note=reason)
    meaning = understand(text, index)
    if index.stale:
        meaning.note = (
            "semantic index is stale (`oncall catalog index` refreshes it); "
            "entities added since it was built are found by letters only"
        )
    return meaning


def search_candidates(
    catalog: Catalog,
    text: str,
    *,
    production_instance: str | None = None,
    limit: int = _MAX_CANDIDATES,
    vectors_dir: Path | None = None,
) -> Candidates:
    """Entities the catalog finds for the text or any of its meaningful words, with their best score,
    plus the entities nearest in meaning when a semantic index is kept in `vectors_dir`.

    Twins (the same table, chart or dashboard in several platform instances) are read once: the one in
    the production instance when there is one. Reading each candidate is the costly part on a server.
    """
    meaning, found = _searched(catalog, text, vectors_dir)
    hits: dict[str, SearchHit] = {}
    scores: dict[str, float] = {}
    for answer in found:
        for hit in answer:
            hits.setdefault(hit.ref.urn, hit)
            scores[hit.ref.urn] = max(scores.get(hit.ref.urn, 0.0), hit.score)
    chosen: dict[tuple[str, str, str], str] = {}
    for urn in sorted(scores, key=lambda u: (-scores[u], u)):
        ref = hits[urn].ref
        key = (ref.type, ref.platform, ref.name)
        if key not in chosen or (production_instance and ref.instance == production_instance):
            chosen[key] = urn
    best = sorted(chosen.values(), key=lambda u: (-scores[u], u))[:limit]
    entities: list[Entity] = []
    read: set[tuple[str, str, str]] = set()
    near = [u for u in meaning.nearest(2 * _NEAREST) if u not in hits]
    pages = catalog.get_many([*best, *near])  # one read for the candidates and the nearest in meaning
    for urn in best:
        entity = pages.get(urn)
        if entity is None:  # removed between search and read: not a candidate
            continue
        read.add((entity.type, entity.platform, entity.name))
        entities.append(entity)
    entities += _nearest(near, pages, read)
    return Candidates(entities, scores, meaning)


def _queries(text: str, searches: Sequence[str] = ()) -> list[str]:
    """The searches for a text: the whole text, its meaningful words, the catalog words it means."""
    queries = [text, *content_tokens(text)[:_MAX_WORD_SEARCHES], *searches[:_MAX_MEANING_SEARCHES]]
    return list(dict.fromkeys(q for q in queries if q.strip()))


def _searched(catalog: Catalog, text: str, vectors_dir: Path | None) -> tuple[Meaning, list[list[SearchHit]]]:
    """The meaning of the text and the answer of each of its searches (`_queries`).

    Side by side: on a server each search is a round trip and none needs another's answer. The
    searches of the text as it will most likely read go out beside the semantic index's check (a
    round trip on a server, and a scroll of every entity when its count or the hour changed); only
    those the meaning changes or adds wait for it, and a guessed search the meaning does not ask for
    is dropped unread.
    """
    guess = _queries(text if vectors_dir is None else normalised(text))

    def search(query: str) -> Callable[[], list[SearchHit]]:
        return functools.partial(catalog.search, query, limit=20)

    first: list[Any] = parallel(
        [functools.partial(_meaning, catalog, text, vectors_dir), *(search(q) for q in guess)]
    )
    meaning: Meaning = first[0]
    answers: dict[str, list[SearchHit]] = dict(zip(guess, first[1:], strict=True))
    wanted = _queries(meaning.text, meaning.searches)
    missing = [q for q in wanted if q not in answers]
    answers |= dict(zip(missing, parallel([search(q) for q in missing]), strict=True))
    return meaning, [answers[q] for q in wanted]


def _nearest(wanted: list[str], pages: Mapping[str, Entity], read: set[tuple[str, str, str]]) -> list[Entity]:
    """The `_NEAREST` entities closest in meaning (`wanted`, best first, none a search found), one per
    twin set.

    Twins have one vector (the same words), so they come side by side: twice as many are asked for and
    a twin of one already read is skipped, so baseline copies never crowd distinct entities out.
    """
    out: list[Entity] = []
    for urn in wanted:
        if len(out) >= _NEAREST:
            break
        entity = pages.get(urn)
        if entity is None:  # removed since the index was built
            continue
        key = (entity.type, entity.platform, entity.name)
        if key in read:  # a twin of a candidate already read
            continue
        read.add(key)
        out.append(entity)
    return out
