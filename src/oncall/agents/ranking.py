"""The Detective's deterministic ranking: which catalog entity does an incident text mean?

A pure function over typed entities, so it is testable without a catalog and explainable: every point
of score comes with a reason a person can check ("name contains 'revenue'", "'dashboard' named in
text"). Each word of the text counts once, in the field where it weighs most (name, description, tags,
columns); the whole name covered and word pairs shared with the description add a little. An entity-type
word ("table", "chart", "report", "leaderboard"...) binds to the noun phrase right before it: "orders
table" scores the table called orders, and "category sales report" the chart whose description calls
itself that, however many single words another entity shares with the text. The production instance
wins ties against its baseline twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from pydantic import BaseModel, Field

from oncall.agents._text import TYPE_WORDS, TypePhrase, content_tokens, name_tokens, tokens, type_phrases
from oncall.catalog.types import Entity, EntityRef, SearchHit

__all__ = ["MIN_CONTENT_SCORE", "Ranked", "entity_kind", "rank_entities"]

MIN_CONTENT_SCORE = 2.0
"""Below this, only type words or the instance matched: the text names nothing we know."""

_FIELDS = (
    # field, points per word, cap, how the reason reads
    ("name", 2.0, float("inf"), "name contains"),
    ("description", 1.0, 3.0, "description mentions"),
    ("tags", 1.0, float("inf"), "tagged"),
    ("columns", 0.5, 1.5, "columns mention"),
)
_FULL_NAME = 2.0
_PAIR, _PAIR_CAP = 1.0, 2.0
_SUBJECT = 4.0
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
    """Each text word counts once, where it weighs most: name, then description, tags, columns.

    A table's description repeats its name ("Sellers on the marketplace..."); counting the word again
    there would favour tables over the chart whose description is what the reporter actually quoted.
    """
    name = name_tokens(entity.name)
    desc = tokens(entity.description)
    fields: list[tuple[str, set[str]]] = [
        ("name", name),
        ("description", set(desc)),
        ("tags", {w for tag in entity.tags for w in tokens(tag.rsplit(":", 1)[-1])}),
        ("columns", {w for f in entity.fields for w in tokens(f.path)}),
    ]
    hits: dict[str, list[str]] = {label: [] for label, _ in fields}
    for word in words:
        label = next((lbl for lbl, vocab in fields if word in vocab), None)
        if label:
            hits[label].append(word)
    score, reasons = 0.0, []
    for label, points, cap, says in _FIELDS:
        if hits[label]:
            score += min(cap, points * len(hits[label]))
            reasons.append(f"{says} {', '.join(repr(w) for w in hits[label])}")
    if hits["name"] and name <= set(words):
        score += _FULL_NAME
        reasons.append(f"every word of the name {entity.name!r} is in the text")
    pairs = _shared_pairs(words, [*desc, "", *tokens(entity.name)])
    if pairs:
        score += min(_PAIR_CAP, _PAIR * len(pairs))
        reasons.append(f"phrase {', '.join(repr(p) for p in pairs)} matches")
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


def _fit(type_word: str, kind: str) -> float:
    """How well a type word fits an entity kind, 0..1 ('dashboard' fits a chart half as well)."""
    fits = TYPE_WORDS[type_word]
    return fits.get(kind, 0.0) / max(fits.values())


def _labels(entity: Entity, kind: str) -> list[tuple[str, frozenset[str]]]:
    """What the entity is called: its name, and each "<phrase> <type word>" its description uses for
    its own kind ("Seller leaderboard: ..." on a chart; a table's "feeds the revenue dashboard" is not)."""
    out = [(f"its name {entity.name!r}", frozenset(name_tokens(entity.name)))]
    for phrase in type_phrases(tokens(entity.description)):
        if phrase.words and _fit(phrase.type_word, kind) > 0:
            out.append((f"its description's {phrase.said()!r}", frozenset(phrase.words)))
    return out


def _subject_bonus(phrases: Sequence[TypePhrase], entity: Entity, kind: str) -> tuple[float, str | None]:
    """The text's "<phrase> <type word>" against what the entity is called, of a kind the word fits.

    A type word binds to the words right before it: in "orders table has orders whose customer..." the
    table meant is orders, not customers. Overlap is Jaccard, so 'orders' fits olist_orders better than
    olist_order_items.
    """
    best, why = 0.0, None
    for phrase in phrases:
        fit = _fit(phrase.type_word, kind)
        if not phrase.words or fit == 0:
            continue
        said = frozenset(phrase.words)
        for label, words in _labels(entity, kind):
            overlap = len(said & words) / len(said | words) if words else 0.0
            if overlap > 0 and _SUBJECT * fit * overlap > best:
                best = _SUBJECT * fit * overlap
                why = f"the text's {phrase.said()!r} matches {label}"
    return best, why


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
    phrases = type_phrases(raw)
    scores = catalog_scores or {}
    ranked: list[Ranked] = []
    for entity in entities:
        ref = EntityRef(**{k: getattr(entity, k) for k in EntityRef.model_fields})
        content, reasons = _words_score(words, entity)
        bonus, why = _type_bonus(raw, ref)
        # the subject bonus rewards words matched in the right place: it needs some words matched
        subject, named = _subject_bonus(phrases, entity, entity_kind(ref)) if content > 0 else (0.0, None)
        reasons += [r for r in (named, why) if r]
        score = content + bonus + subject
        if production_instance and entity.instance == production_instance and content > 0:
            score += _PRODUCTION
            reasons.append(f"in the production instance {production_instance!r}")
        ranked.append(Ranked(ref=ref, score=score, content_score=content, reasons=reasons))
    ranked.sort(key=lambda r: (-r.score, -scores.get(r.ref.urn, 0.0), r.ref.urn))
    return ranked
