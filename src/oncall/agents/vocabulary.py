"""Generic business vocabulary for words a catalog never uses: common acronyms and synonym groups.

The data is `vocabulary.yaml` beside this module (what is in it and how it was made is written there).
It knows no catalog: the Detective consults it only for a text word the catalog does not use, and only
points at words the catalog does use, so a catalog's own words and glossary always come first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

from oncall.agents._text import stem

__all__ = ["Vocabulary", "vocabulary"]


@dataclass(frozen=True)
class Vocabulary:
    """Acronym expansions and synonym groups (stemmed words)."""

    acronyms: dict[str, str]
    """acronym (lower case) -> its expansion in plain words."""
    synonyms: dict[str, tuple[str, ...]]
    """stemmed word -> the other stemmed words of every group it is in."""
    strength: float

    def expand(self, word: str) -> str | None:
        """The expansion of an acronym, or None."""
        return self.acronyms.get(word)

    def others(self, word: str) -> tuple[str, ...]:
        """Words used for this (stemmed) word, in the file's order."""
        return self.synonyms.get(stem(word), ())


@functools.cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once."""
    text = (resources.files("oncall.agents") / "vocabulary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    synonyms: dict[str, list[str]] = {}
    for group in data["synonyms"]:
        stems = [stem(str(w).lower()) for w in group]
        for word in stems:
            known = synonyms.setdefault(word, [])
            known += [w for w in stems if w != word and w not in known]
    return Vocabulary(
        acronyms={str(k).lower(): str(v) for k, v in data["acronyms"].items()},
        synonyms={w: tuple(others) for w, others in synonyms.items()},
        strength=float(data["strength"]),
    )
