"""Word handling shared by the Detective's ranking: tokens, light stemming, stopwords.

Deliberately small and predictable: the ranking must be explainable in one line per reason, so we match
stemmed words, not embeddings.
"""

from __future__ import annotations

import re

__all__ = ["STOPWORDS", "TYPE_WORDS", "content_tokens", "name_tokens", "stem", "tokens"]

_WORD = re.compile(r"[a-z0-9]+")

_GLUE = (
    "a an and are as at be been but by for from has have i in is it its look looks looking me my of on or "
    "our seem seems so that the their there this to too was we were what when why with you your all any "
    "some since today yesterday now again still very just also can cant t s don doesn isn"
)
_TROUBLE = (
    "wrong broken bad weird off odd strange incorrect missing lost lose drop dropped drops dropping blank "
    "empty show shows showing down up low high fail failed failing issue issues problem problems error "
    "errors incident anomaly spike dip zero null nulls stale gone fix help"
)
STOPWORDS: frozenset[str] = frozenset(_GLUE.split()) | frozenset(_TROUBLE.split())
"""Words ignored when matching: English glue, and words that describe the trouble, not the thing."""

TYPE_WORDS: dict[str, dict[str, float]] = {
    # word -> {kind: bonus}; kind is 'dashboard', 'chart', 'Table' or 'View'.
    "dashboard": {"dashboard": 4.0, "chart": 2.0},
    "chart": {"chart": 4.0, "dashboard": 2.0},
    "graph": {"chart": 4.0, "dashboard": 2.0},
    "plot": {"chart": 4.0},
    "report": {"chart": 3.0, "dashboard": 3.0},
    "table": {"Table": 4.0, "View": 2.0},
    "view": {"View": 4.0, "Table": 2.0},
    "dataset": {"Table": 3.0, "View": 3.0},
}
"""Entity-type words people use, and how well each fits an entity kind."""

_NAME_NOISE = frozenset({"olist", "v", "main", "dataset", "prod", "dim", "fct", "stg"})


def stem(word: str) -> str:
    """Reduce plurals so 'categories' meets 'category' and 'orders' meets 'order'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str | None) -> list[str]:
    """Lower-cased, stemmed words in order (underscores split words: 'seller_id' -> seller, id)."""
    if not text:
        return []
    return [stem(w) for w in _WORD.findall(text.lower().replace("_", " "))]


def content_tokens(text: str) -> list[str]:
    """The words of an incident text that can name a thing: no stopwords, no entity-type words."""
    seen: list[str] = []
    for word in tokens(text):
        if word in STOPWORDS or word in TYPE_WORDS or word.isdigit() or word in seen:
            continue
        seen.append(word)
    return seen


def name_tokens(name: str) -> set[str]:
    """The meaningful words of an entity name ('v_order_details' -> {order, detail})."""
    return {w for w in tokens(name) if w not in _NAME_NOISE and w not in STOPWORDS}
