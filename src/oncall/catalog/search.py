"""Ranked free-text search shared by both adapters: tokenising, entity-type hints, scoring with reasons.

DataHub Lite's own search is a LIKE on the URN and `$.name`; people type "revenue dashboard wrong".
Each adapter fetches candidate entities with their searchable text (name, description, columns, tags,
terms, subtype) and this module scores them, so both backends rank the same way and explain why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from oncall.catalog.types import EntityRef, SearchHit
from oncall.catalog.urns import InvalidUrnError, parse_urn
from oncall.untrusted import bound_words

__all__ = ["ParsedQuery", "SearchRow", "rank", "tokens"]

# Words that name a kind of entity: (entity type, subtype or None).
TYPE_WORDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "dashboard": (("dashboard", None),),
    "dashboards": (("dashboard", None),),
    "chart": (("chart", None),),
    "charts": (("chart", None),),
    "graph": (("chart", None),),
    "plot": (("chart", None),),
    "report": (("dashboard", None), ("chart", None)),
    "reports": (("dashboard", None), ("chart", None)),
    "table": (("dataset", "table"),),
    "tables": (("dataset", "table"),),
    "view": (("dataset", "view"),),
    "views": (("dataset", "view"),),
    "dataset": (("dataset", None),),
    "datasets": (("dataset", None),),
}

_STOPWORDS_TEXT = """
a an and are as at be bad broken but by data does doesn't down error for from has have in incorrect is
isn't issue issues it its look looks my no not numbers of off on or our problem seems show shows that
the this to too was weird were what when why with wrong
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
"""Words of an incident report that say nothing about which entity is meant."""

# Weight of a word matched in each field, and how the reason reads.
_WEIGHTS = {"name": 2.0, "tag": 1.5, "term": 1.5, "description": 1.0, "subtype": 1.0, "column": 0.75}
_EXACT_NAME = 3.0
_TYPE_HINT = 2.5
_EXTRA_FIELD = 0.25


@dataclass(frozen=True)
class SearchRow:
    """One searchable text of an entity: field is name|description|column|tag|term|subtype|instance."""

    field: str
    text: str


@dataclass(frozen=True)
class ParsedQuery:
    """What a search text asks for."""

    words: tuple[str, ...]
    """Content words, lower-cased and lightly stemmed."""
    type_words: tuple[str, ...] = ()
    urn: str | None = None
    raw: str = ""
    hints: tuple[tuple[str, str | None], ...] = field(default=())


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> ParsedQuery:
    """Split search text into content words and entity-type words; an URN is taken as is.

    Words are bounded (`oncall.untrusted.bound_words`): a backend builds one match per word.
    """
    raw = text.strip()
    if raw.startswith("urn:li:"):
        return ParsedQuery(words=(), urn=raw, raw=raw)
    words: list[str] = []
    type_words: list[str] = []
    for word in re.findall(r"\w+", raw.lower()):
        if word in TYPE_WORDS:
            type_words.append(word)
        elif len(word) >= 2 and word not in STOPWORDS:
            words.append(_stem(word))
    hints = tuple(dict.fromkeys(h for w in type_words for h in TYPE_WORDS[w]))
    return ParsedQuery(
        words=tuple(dict.fromkeys(bound_words(words)[0])),
        type_words=tuple(dict.fromkeys(type_words)),
        raw=raw,
        hints=hints,
    )


def _name_words(name: str) -> set[str]:
    return {_stem(w) for w in re.split(r"[\W_]+", name.lower()) if w}


def _short_name(urn: str) -> str:
    """Table name or chart/dashboard id from the URN ('' if it does not parse)."""
    try:
        return parse_urn(urn).short_name
    except InvalidUrnError:
        return ""


def _word_score(word: str, ref: EntityRef, rows: list[SearchRow]) -> tuple[float, list[str]]:
    """Best field weight for one word plus a little for each further field, with reasons."""
    found: dict[str, tuple[float, str]] = {}
    names = [n for n in [ref.name, _short_name(ref.urn)] + [r.text for r in rows if r.field == "name"] if n]
    exact = next((n for n in names if word in _name_words(n)), None)
    partial = next((n for n in names if word in n.lower()), None)
    if exact:
        found["name"] = (_EXACT_NAME, f"name '{exact}' has the word '{word}'")
    elif partial:
        found["name"] = (_WEIGHTS["name"], f"name '{partial}' contains '{word}'")
    for row in rows:
        if row.field in found or row.field not in _WEIGHTS or row.field == "name":
            continue
        if word in row.text.lower():
            label = {
                "description": f"description mentions '{word}'",
                "column": f"column '{row.text}' matches '{word}'",
                "tag": f"tag '{row.text}' matches '{word}'",
                "term": f"glossary term '{row.text}' matches '{word}'",
                "subtype": f"subtype '{row.text}' matches '{word}'",
            }[row.field]
            found[row.field] = (_WEIGHTS[row.field], label)
    if not found:
        return 0.0, []
    ordered = sorted(found.values(), key=lambda x: -x[0])
    return ordered[0][0] + _EXTRA_FIELD * (len(ordered) - 1), [r for _, r in ordered]


def _type_bonus(query: ParsedQuery, ref: EntityRef) -> tuple[float, list[str]]:
    for (etype, subtype), word in zip(query.hints, _hint_words(query), strict=False):
        if ref.type == etype and (subtype is None or (ref.subtype or "").lower() == subtype):
            return _TYPE_HINT, [f"type '{word}' named in text"]
    return 0.0, []


def _hint_words(query: ParsedQuery) -> list[str]:
    """The type word behind each hint, in the same order as `query.hints`."""
    words = []
    seen: set[tuple[str, str | None]] = set()
    for word in query.type_words:
        for hint in TYPE_WORDS[word]:
            if hint not in seen:
                seen.add(hint)
                words.append(word)
    return words


def score(query: ParsedQuery, ref: EntityRef, rows: list[SearchRow]) -> tuple[float, list[str]]:
    """Score one entity; 0 means it does not match."""
    if query.urn:
        return (100.0, ["URN given"]) if ref.urn == query.urn else (0.0, [])
    total, reasons, matched = 0.0, [], 0
    for word in query.words:
        points, why = _word_score(word, ref, rows)
        if points:
            matched += 1
            total += points
            reasons += why
    if query.words and not matched:
        return 0.0, []
    bonus, why = _type_bonus(query, ref)
    if not query.words and not bonus:
        return 0.0, []
    if query.words:
        total *= (matched / len(query.words)) ** 0.5
    return round(total + bonus, 3), reasons + why


def rank(
    query: ParsedQuery, candidates: Mapping[str, tuple[EntityRef, list[SearchRow]]], limit: int
) -> list[SearchHit]:
    """Score every candidate and keep the best `limit`, ties broken by name then URN."""
    hits = []
    for ref, rows in candidates.values():
        points, reasons = score(query, ref, rows)
        if points > 0:
            hits.append(SearchHit(ref=ref, score=points, reasons=reasons))
    hits.sort(key=lambda h: (-h.score, h.ref.name.lower(), h.ref.urn))
    return hits[: max(limit, 0)]
