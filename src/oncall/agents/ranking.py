"""The Detective's deterministic ranking: which catalog entity does an incident text mean?

A pure function over typed entities, so it is testable without a catalog and explainable: every point
of score comes with a reason a person can check ("name contains 'revenue'", "'dashboard' named in
text"). Each word of the text counts once, in the field where it weighs most (name, description, tags,
columns); the whole name covered and word pairs shared with the description add a little. An entity-type
word ("table", "chart", "report", "leaderboard"...) binds to the noun phrase right before it: "orders
table" scores the table called orders, and "category sales report" the chart whose description calls
itself that, however many single words another entity shares with the text. The production instance
wins ties against its baseline twin.

Meaning, when a semantic index is given (`understand`): a misspelt word is read as the catalog word it
is one or two edits from ("revnue" -> revenue), a word the catalog never uses meets the catalog words
closest to it in meaning ("merchant" -> seller, at the similarity's weight, with the pair in the
reason), and each entity gains a little for its closeness in meaning to the whole text. Synonyms come
only from the embedding and the catalog's own words: nothing here knows a particular catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from oncall.agents._text import (
    STOPWORDS,
    TYPE_WORDS,
    TypePhrase,
    container_of,
    content_tokens,
    name_tokens,
    stem,
    tokens,
    type_phrases,
)
from oncall.agents.vocabulary import vocabulary
from oncall.catalog.types import Entity, EntityRef, SearchHit

if TYPE_CHECKING:
    import numpy as np

    from oncall.catalog.vectors import SemanticIndex

__all__ = [
    "MIN_CONTENT_SCORE",
    "Meaning",
    "Ranked",
    "entity_kind",
    "normalised",
    "rank_entities",
    "understand",
]

MIN_CONTENT_SCORE = 1.0
"""Below this, only type words or the instance matched: the text names nothing we know."""

_FIELDS = (
    # field, points per word, cap, how the reason reads
    ("name", 2.0, float("inf"), "name contains"),
    # a name word that repeats its container ('sales' of sales.public.sales_orders) still tells it
    # from its neighbours (sales.public.orders), at half a name word
    ("container", 1.0, 1.0, "name repeats its container's"),
    ("description", 1.0, 3.0, "description mentions"),
    ("tags", 1.0, float("inf"), "tagged"),
    ("terms", 1.0, 2.0, "glossary term"),
    ("columns", 0.5, 1.5, "columns mention"),
    ("owners", 1.0, 1.0, "owned by a group named"),
)
_FULL_NAME = 2.0
_PAIR, _PAIR_CAP = 1.0, 2.0
_SUBJECT = 4.0
_PRODUCTION = 1.5
_OWNER_NOISE = frozenset({"team", "group", "squad"})
_PART = 0.5
_ALIAS_MIN = 0.45
"""Cosine from which a catalog word stands in for a text word the catalog does not use."""
_ALIASES = 3
_CLOSE, _CLOSE_FLOOR = 3.0, 0.3
"""Points for closeness in meaning to the whole text: _CLOSE at cosine 1, nothing at _CLOSE_FLOOR."""
_RAW_WORD = re.compile(r"[a-z0-9]+")

Aliases = Mapping[str, Sequence[tuple[str, float]]]


@dataclass
class Meaning:
    """What the semantic index says about one incident text (computed once per run)."""

    text: str
    """The text with misspelt words replaced by the catalog words they mean, acronyms spelt out."""
    corrected: dict[str, str] = field(default_factory=dict)
    """Misspelt word -> catalog word."""
    expanded: dict[str, str] = field(default_factory=dict)
    """Acronym the catalog does not use -> its expansion (`vocabulary.yaml`)."""
    aliases: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    """Stemmed text word -> stemmed catalog words close in meaning, with the cosine, best first."""
    searches: list[str] = field(default_factory=list)
    """Catalog words worth searching for (corrections and the best stand-ins)."""
    vector: np.ndarray | None = None
    index: SemanticIndex | None = None
    note: str = ""
    """Why there is no index (the run records it as degraded)."""

    def nearest(self, k: int) -> list[str]:
        """URNs of the `k` entities closest in meaning to the text."""
        if self.index is None or self.vector is None:
            return []
        return [urn for urn, _ in self.index.nearest(self.vector, k)]

    def closeness(self, urns: Sequence[str]) -> dict[str, float]:
        """Cosine of each entity's vector with the text's."""
        if self.index is None or self.vector is None:
            return {}
        return self.index.similarity(self.vector, urns)

    def term_words(self, entity: Entity) -> set[str]:
        """Stemmed words the entity's glossary terms answer to: names and acronyms as the catalog
        defines them (with no index: the terms' URN ids)."""
        if self.index is None:
            return _term_ids(entity)
        return {stem(w) for w in self.index.term_names(entity.terms)}


def _term_ids(entity: Entity) -> set[str]:
    return {w for urn in entity.terms for w in tokens(urn.rsplit(":", 1)[-1])}


def _known_stems(index: SemanticIndex) -> frozenset[str]:
    return frozenset(stem(w) for w in index.vocab)


def normalised(text: str) -> str:
    """The text as `understand` reads it before correcting any word."""
    return text.lower().replace("_", " ")


def understand(text: str, index: SemanticIndex | None) -> Meaning:
    """Read the text against the catalog's vocabulary: typos corrected, stand-ins, a vector.

    A word counts as known when its stem is a catalog word's stem ('deliveries' meets 'delivery').
    """
    if index is None:
        return Meaning(text=text)
    known: frozenset[str] = index.memo("ranking.stems", lambda: _known_stems(index))
    lowered = normalised(text)
    words = vocabulary()
    expanded: dict[str, str] = {}
    corrected: dict[str, str] = {}
    for raw in dict.fromkeys(_RAW_WORD.findall(lowered)):
        if raw in STOPWORDS or raw.isdigit() or stem(raw) in known or stem(raw) in TYPE_WORDS:
            continue
        spelt = words.expand(raw)
        fixed = None if spelt else index.correct(raw, also=TYPE_WORDS)
        if spelt:
            expanded[raw] = spelt
        elif fixed:
            corrected[raw] = fixed
    fixed_text = _RAW_WORD.sub(
        lambda m: expanded.get(m.group(0)) or corrected.get(m.group(0), m.group(0)), lowered
    )
    content = [w for w in dict.fromkeys(_RAW_WORD.findall(fixed_text)) if content_tokens(w)]
    unknown = [w for w in content if stem(w) not in known]
    aliases: dict[str, list[tuple[str, float]]] = {}
    for raw in content:  # a catalog word may have synonyms the catalog uses too ('share' of, 'mix')
        said = [(w, words.strength) for w in words.others(raw) if w in known]
        if said:
            aliases[stem(raw)] = said[:_ALIASES]
    for raw, close in index.similar_words(unknown, _ALIAS_MIN).items():
        close = [*aliases.get(stem(raw), []), *((stem(w), sim) for w, sim in close)]
        stems = list(dict.fromkeys(w for w, _ in close if w != stem(raw)))[:_ALIASES]
        best = {w: sim for w, sim in reversed(close)}
        aliases[stem(raw)] = [(w, best[w]) for w in stems]
    searches = [*corrected.values(), *(a[0][0] for a in aliases.values() if a)]
    return Meaning(
        text=fixed_text,
        corrected=corrected,
        expanded=expanded,
        aliases=aliases,
        searches=[w for w in dict.fromkeys(searches) if w not in TYPE_WORDS],
        vector=index.query_vector(content),
        index=index,
    )


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


def _match(word: str, vocab: set[str] | frozenset[str], aliases: Aliases) -> tuple[float, str]:
    """How strongly `word` is in `vocab`: 1 for the word itself, else its closest stand-in's cosine."""
    if word in vocab:
        return 1.0, repr(word)
    for alias, sim in aliases.get(word, ()):
        if alias in vocab:
            return sim, f"{alias!r} (for {word!r}, {sim:.2f})"
    return 0.0, ""


def _words_score(
    words: Sequence[str], entity: Entity, aliases: Aliases, terms: set[str]
) -> tuple[float, list[str]]:
    """Each text word counts once, where it weighs most: name, then description, tags, columns.

    A table's description repeats its name ("Sellers on the marketplace..."); counting the word again
    there would favour tables over the chart whose description is what the reporter actually quoted.
    A stand-in word counts at its similarity.
    """
    container = container_of(entity.urn, entity.instance)
    name = name_tokens(entity.name, container)
    spelt = _spelt_out(name)
    named = name | set(spelt)
    desc = tokens(entity.description)
    fields: list[tuple[str, set[str]]] = [
        ("name", named),
        ("container", name_tokens(entity.name) - name),
        ("description", set(desc)),
        ("tags", {w for tag in entity.tags for w in tokens(tag.rsplit(":", 1)[-1])}),
        ("terms", terms),
        ("columns", {w for f in entity.fields for w in tokens(f.path)}),
        ("owners", {w for o in entity.owners for w in tokens(o.urn.rsplit(":", 1)[-1])} - _OWNER_NOISE),
    ]
    points = {label: pts for label, pts, _, _ in _FIELDS}
    hits: dict[str, list[tuple[float, str]]] = {label: [] for label, _ in fields}
    in_name: dict[str, float] = {}
    for word in words:
        best: tuple[float, str, str] | None = None
        for label, vocab in fields:
            strength, said = _match(word, vocab, aliases)
            if strength and (best is None or points[label] * strength > points[best[1]] * best[0]):
                best = (strength, label, said)
        if best:
            hits[best[1]].append((best[0], best[2]))
        if name:
            strength, _ = _match(word, named, aliases)
            for w in named:
                if strength and (w == word or any(a == w for a, _ in aliases.get(word, ()))):
                    covered = w if w in name else spelt[w]  # a word of its expansion covers an acronym
                    in_name[covered] = max(in_name.get(covered, 0.0), strength)
    score, reasons = 0.0, []
    for label, pts, cap, says in _FIELDS:
        if hits[label]:
            score += min(cap, pts * sum(strength for strength, _ in hits[label]))
            reasons.append(f"{says} {', '.join(said for _, said in hits[label])}")
    if hits["name"] and set(in_name) >= name:
        # a one-word name is easily covered by chance ("revenue" in "revenue by state"): half the bonus
        score += _FULL_NAME * min(in_name.values()) * min(1.0, len(name) / 2)
        reasons.append(f"every word of the name {entity.name!r} is in the text")
    pairs = _shared_pairs(words, [*desc, "", *tokens(entity.name)])
    if pairs:
        score += min(_PAIR_CAP, _PAIR * len(pairs))
        reasons.append(f"phrase {', '.join(repr(p) for p in pairs)} matches")
    return score, reasons


def _spelt_out(name: set[str]) -> dict[str, str]:
    """The words of the acronyms in a name, spelt out ('fct_mrr': monthly, recurring, revenue -> mrr):
    a name that abbreviates a metric is named by the metric's words too."""
    out: dict[str, str] = {}
    for word in sorted(name):
        for part in content_tokens(vocabulary().expand(word) or ""):
            if part not in name:
                out.setdefault(part, word)
    return out


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
    own = name_tokens(entity.name, container_of(entity.urn, entity.instance))
    out = [(f"its name {entity.name!r}", frozenset(own))]
    for phrase in type_phrases(tokens(entity.description)):
        if phrase.words and _fit(phrase.type_word, kind) > 0:
            out.append((f"its description's {phrase.said()!r}", frozenset(phrase.words)))
    return out


def _overlap(said: frozenset[str], words: frozenset[str], aliases: Aliases) -> float:
    """Jaccard of two word sets, where a stand-in word counts as a share of the word it stands for."""
    if not words:
        return 0.0
    shared = sum(_match(w, words, aliases)[0] for w in said)
    return shared / (len(said) + len(words) - shared)


def _subject_bonus(
    phrases: Sequence[TypePhrase], entity: Entity, kind: str, aliases: Aliases
) -> tuple[float, str | None, TypePhrase | None]:
    """The text's "<phrase> <type word>" against what the entity is called, of a kind the word fits.

    A type word binds to the words right before it: in "orders table has orders whose customer..." the
    table meant is orders, not customers. Overlap is Jaccard, so 'orders' fits shop_orders better than
    shop_order_items.
    """
    best, why, bound = 0.0, None, None
    for phrase in phrases:
        fit = _fit(phrase.type_word, kind)
        if not phrase.words or fit == 0:
            continue
        said = frozenset(phrase.words)
        for label, words in _labels(entity, kind):
            overlap = _overlap(said, words, aliases)
            if overlap > 0 and _SUBJECT * fit * overlap > best:
                best = _SUBJECT * fit * overlap
                why = f"the text's {phrase.said()!r} matches {label}"
                bound = phrase
    return best, why, bound


def _parts_first(
    ranked: list[Ranked], entities: Mapping[str, Entity], named: Mapping[str, TypePhrase]
) -> None:
    """ "The payment mix chart on the revenue dashboard": a chart named by its own phrase together with
    the dashboard that holds it (named by another phrase) is the part the text is about; it goes first.
    """
    for i, whole in enumerate(ranked):
        phrase = named.get(whole.ref.urn)
        inputs = set(entities[whole.ref.urn].inputs) if whole.ref.urn in entities else set()
        if phrase is None or not inputs:
            continue
        for part in ranked[i + 1 :]:
            own = named.get(part.ref.urn)
            if part.ref.urn in inputs and own is not None and own != phrase:
                part.score = whole.score + _PART
                part.reasons.append(f"named with {whole.ref.name!r}, which holds it: the part is meant")
                break


def rank_entities(
    text: str,
    entities: Sequence[Entity],
    *,
    production_instance: str | None = None,
    catalog_scores: Mapping[str, float] | None = None,
    meaning: Meaning | None = None,
) -> list[Ranked]:
    """Score every entity against the incident text, best first.

    Args:
        text: the incident in the user's words.
        entities: candidate entities (from catalog searches), with descriptions, columns and tags.
        production_instance: platform instance to prefer over its baseline twin.
        catalog_scores: the catalog's own search scores, used only to break exact ties.
        meaning: what the semantic index made of the text (`understand`); None ranks on letters only.
    """
    if meaning is not None:
        text = meaning.text
    aliases: Aliases = meaning.aliases if meaning else {}
    fixes = {**meaning.expanded, **meaning.corrected} if meaning else {}
    read_as = "read " + ", ".join(f"{w!r} as {c!r}" for w, c in fixes.items()) if fixes else ""
    close = meaning.closeness([e.urn for e in entities]) if meaning else {}
    words = content_tokens(text)
    raw = tokens(text)
    phrases = type_phrases(raw)
    scores = catalog_scores or {}
    ranked: list[Ranked] = []
    bound: dict[str, TypePhrase] = {}
    for entity in entities:
        ref = EntityRef(**{k: getattr(entity, k) for k in EntityRef.model_fields})
        terms = meaning.term_words(entity) if meaning else _term_ids(entity)
        content, reasons = _words_score(words, entity, aliases, terms)
        if content > 0 and read_as:
            reasons.insert(0, read_as)
        nearness = close.get(entity.urn, 0.0)
        if nearness > _CLOSE_FLOOR:
            content += _CLOSE * (nearness - _CLOSE_FLOOR) / (1 - _CLOSE_FLOOR)
            reasons.append(f"close in meaning to the text ({nearness:.2f})")
        bonus, why = _type_bonus(raw, ref)
        # the subject bonus rewards words matched in the right place: it needs some words matched
        subject, named, phrase = (
            _subject_bonus(phrases, entity, entity_kind(ref), aliases) if content > 0 else (0.0, None, None)
        )
        if phrase is not None:
            bound[entity.urn] = phrase
        reasons += [r for r in (named, why) if r]
        score = content + bonus + subject
        if production_instance and entity.instance == production_instance and content > 0:
            score += _PRODUCTION
            reasons.append(f"in the production instance {production_instance!r}")
        ranked.append(Ranked(ref=ref, score=score, content_score=content, reasons=reasons))
    order = lambda r: (-r.score, -scores.get(r.ref.urn, 0.0), r.ref.urn)  # noqa: E731
    ranked.sort(key=order)
    _parts_first(ranked, {e.urn: e for e in entities}, bound)
    ranked.sort(key=order)
    return ranked
