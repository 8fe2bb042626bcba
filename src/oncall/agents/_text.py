"""Word handling shared by the Detective's ranking: tokens, light stemming, stopwords.

Deliberately small and predictable: the ranking must be explainable in one line per reason, so we match
stemmed words, not embeddings.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from oncall.catalog.urns import InvalidUrnError, parse_urn

__all__ = [
    "STOPWORDS",
    "TYPE_WORDS",
    "TypePhrase",
    "container_of",
    "content_tokens",
    "name_tokens",
    "stem",
    "tokens",
    "type_phrases",
]

_WORD = re.compile(r"[a-z0-9]+")

_GLUE = (
    "a an and are as at be been but by for from has have i in is it its look looks looking me my of on or "
    "our seem seems so that the their there this to too was we were what when why with you your all any "
    "some since today yesterday now again still very just also can cant t s don doesn isn per whose which "
    "who not no than"
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
    "panel": {"chart": 4.0, "dashboard": 2.0},
    "tile": {"chart": 4.0, "dashboard": 2.0},
    "widget": {"chart": 4.0, "dashboard": 2.0},
    # BI words: what a chart or a dashboard is called by the people reading it
    "report": {"chart": 3.0, "dashboard": 3.0},
    "leaderboard": {"chart": 3.0, "dashboard": 3.0},
    "table": {"Table": 4.0, "View": 2.0},
    "view": {"View": 4.0, "Table": 2.0},
    "dataset": {"Table": 3.0, "View": 3.0},
}
"""Entity-type words people use, and how well each fits an entity kind."""

_CONNECTORS = frozenset({"by", "per", "of"})
"""Words that may join the parts of one noun phrase ("revenue by customer state chart")."""
_MAX_PHRASE_WORDS = 4

_NAME_NOISE = frozenset({"v", "main", "dataset", "prod", "dim", "fct", "stg"})


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


def name_tokens(name: str, container: str | None = None) -> set[str]:
    """The meaningful words of an entity name ('v_order_details' -> {order, detail}).

    Words of its `container` (`container_of`) say where it lives, not what it is: the `acme` of
    `acme_orders` in database `acme_prod` is dropped, unless nothing else would be left.
    """
    words = {w for w in tokens(name) if w not in _NAME_NOISE and w not in STOPWORDS}
    own = words - set(tokens(container)) if container else words
    return own or words


def container_of(urn: str, instance: str | None = None) -> str:
    """Where an entity lives, as text: its platform instance and the dotted parts of its URN name before
    its own ('warehouse.sales' of a table `warehouse.sales.orders`); '' when the URN holds no more than a
    name."""
    try:
        parts = parse_urn(urn)
    except InvalidUrnError:
        return ""
    inside = parts.name[: -len(parts.short_name)].rstrip(".")
    return " ".join(p for p in (instance, inside) if p)


class TypePhrase(NamedTuple):
    """An entity-type word and the words it binds to: 'category sales report' -> report, {category, sale}."""

    type_word: str
    words: tuple[str, ...]
    """In text order, each once."""

    def said(self) -> str:
        """The phrase as matched (stemmed), for reasons: 'category sale report'."""
        return " ".join([*self.words, self.type_word])


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and word not in TYPE_WORDS and not word.isdigit()


def _phrase_before(toks: list[str], end: int) -> list[str]:
    """Content words right before `end`, across connectors, up to the first glue or type word."""
    out: list[str] = []
    for word in reversed(toks[:end]):
        if len(out) >= _MAX_PHRASE_WORDS or not (_is_content(word) or word in _CONNECTORS):
            break
        if _is_content(word):
            out.append(word)
    return out[::-1]


def _phrase_after(toks: list[str], start: int) -> list[str]:
    """'leaderboard of sellers', 'graph per seller': content words after a connector that follows."""
    if start >= len(toks) or toks[start] not in _CONNECTORS:
        return []
    out: list[str] = []
    for word in toks[start + 1 :]:
        if len(out) >= _MAX_PHRASE_WORDS or not _is_content(word):
            break
        out.append(word)
    return out


def type_phrases(toks: list[str]) -> list[TypePhrase]:
    """Each entity-type word of a token list with the noun phrase it names (possibly empty).

    A type word names the words right before it ("orders table", "seller leaderboard") and, after 'of',
    'per' or 'by', the words right after it ("leaderboard of sellers"). Name noise ('v', 'dim') is
    dropped so "v_product_sales view" binds to {product, sale}.
    """
    out = []
    for i, word in enumerate(toks):
        if word in TYPE_WORDS:
            phrase = _phrase_before(toks, i) + _phrase_after(toks, i + 1)
            kept = [w for w in phrase if w not in _NAME_NOISE]
            out.append(TypePhrase(word, tuple(dict.fromkeys(kept))))
    return out
