"""The Detective's deterministic ranking: which catalog entity does an incident text mean?

A pure function over typed entities, so it is testable without a catalog and explainable: every point
of score comes with a reason a person can check ("name contains 'revenue'", "'dashboard' named in
text"). Weights, highest first: words of the entity's name (and the whole name covered), the entity type
the text names, words of the description (and word pairs, which catch phrases such as "seller
leaderboard"), tags, then column names. The production instance wins ties against its baseline twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from pydantic import BaseModel, Field

from oncall.agents._text import TYPE_WORDS, content_tokens, name_tokens, tokens
from oncall.catalog.types import Entity, EntityRef, SearchHit

__all__ = ["MIN_CONTENT_SCORE", "Ranked", "entity_kind", "rank_entities"]

MIN_CONTENT_SCORE = 2.0
"""Below this, only type words or the instance matched: the text names nothing we know."""

_NAME_WORD = 2.0
_FULL_NAME = 2.0
_DESC_WORD, _DESC_CAP = 1.0, 3.0
_PAIR, _PAIR_CAP = 1.0, 2.0
_TAG_WORD = 1.0
_COLUMN_WORD, _COLUMN_CAP = 0.5, 1.5
_PRODUCTION = 1.5


class Ranked(BaseModel):
    """One candidate with its score and the reasons behind it."""

    ref: EntityRef
    score: float
    content_score: float
    """Score from words alone (no type or instance bonus): decides whether anything matched."""
    reasons: list[str] = Field(default_factory=list)

    def as_hit(self) -> SearchHit:
        """The candidate as the catalog's search-hit type (what the run result lists)."""
        return SearchHit(ref=self.ref, score=round(self.score, 2), reasons=self.reasons)


def entity_kind(ref: EntityRef) -> str:
    """'dashboard', 'chart', 'Table' or 'View' (datasets without a subtype: 'v_' names are views)."""
    if ref.type != "dataset":
        return ref.type
    if ref.subtype in ("Table", "View"):
        return ref.subtype
    return "View" if ref.name.lower().startswith("v_") else "Table"


def _words_score(words: Sequence[str], entity: Entity) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    name = name_tokens(entity.name)
    hit = [w for w in words if w in name]
    if hit:
        score += _NAME_WORD * len(hit)
        reasons.append(f"name contains {', '.join(repr(w) for w in hit)}")
        if name <= set(words):
            score += _FULL_NAME
            reasons.append(f"every word of the name {entity.name!r} is in the text")
    desc = tokens(entity.description)
    desc_set = set(desc)
    in_desc = [w for w in words if w in desc_set]
    if in_desc:
        score += min(_DESC_CAP, _DESC_WORD * len(in_desc))
        reasons.append(f"description mentions {', '.join(repr(w) for w in in_desc)}")
    pairs = _shared_pairs(words, [*desc, "", *tokens(entity.name)])
    if pairs:
        score += min(_PAIR_CAP, _PAIR * len(pairs))
        reasons.append(f"phrase {', '.join(repr(p) for p in pairs)} matches")
    tag_words = {w for tag in entity.tags for w in tokens(tag.rsplit(":", 1)[-1])}
    in_tags = [w for w in words if w in tag_words]
    if in_tags:
        score += _TAG_WORD * len(in_tags)
        reasons.append(f"tagged {', '.join(repr(w) for w in in_tags)}")
    columns = {w for f in entity.fields for w in tokens(f.path)}
    in_columns = [w for w in words if w in columns and w not in name]
    if in_columns:
        score += min(_COLUMN_CAP, _COLUMN_WORD * len(in_columns))
        reasons.append(f"columns mention {', '.join(repr(w) for w in in_columns)}")
    return score, reasons


def _shared_pairs(words: Sequence[str], other: Sequence[str]) -> list[str]:
    """Adjacent word pairs of the text (stopwords removed) that also stand side by side in `other`."""
    theirs = set(pairwise(other))
    return [f"{a} {b}" for a, b in pairwise(words) if (a, b) in theirs]


def _type_bonus(text_words: Sequence[str], ref: EntityRef) -> tuple[float, str | None]:
    kind = entity_kind(ref)
    best, named = 0.0, None
    for word in text_words:
        bonus = TYPE_WORDS.get(word, {}).get(kind, 0.0)
        if bonus > best:
            best, named = bonus, word
    if named is None:
        return 0.0, None
    return best, f"{named!r} named in the text ({kind.lower()})"


def rank_entities(
    text: str,
    entities: Sequence[Entity],
    *,
    production_instance: str | None = None,
    catalog_scores: Mapping[str, float] | None = None,
) -> list[Ranked]:
    """Score every entity against the incident text, best first.

    Args:
        text: the incident in the user's words.
        entities: candidate entities (from catalog searches), with descriptions, columns and tags.
        production_instance: platform instance to prefer over its baseline twin.
        catalog_scores: the catalog's own search scores, used only to break exact ties.
    """
    words = content_tokens(text)
    raw = tokens(text)
    scores = catalog_scores or {}
    ranked: list[Ranked] = []
    for entity in entities:
        content, reasons = _words_score(words, entity)
        bonus, why = _type_bonus(raw, entity)
        if why:
            reasons.append(why)
        score = content + bonus
        if production_instance and entity.instance == production_instance and content > 0:
            score += _PRODUCTION
            reasons.append(f"in the production instance {production_instance!r}")
        ref = EntityRef(**{k: getattr(entity, k) for k in EntityRef.model_fields})
        ranked.append(Ranked(ref=ref, score=score, content_score=content, reasons=reasons))
    ranked.sort(key=lambda r: (-r.score, -scores.get(r.ref.urn, 0.0), r.ref.urn))
    return ranked
