"""Words near a catalog word in WordLlama's token vectors (the ranking's embedding, loaded offline).

Static token vectors are noisy neighbours ("delivery" sits next to "birth"), so only mutual nearest
neighbours above a similarity floor count, and inflections of the word itself ("delivered") do not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["nearest_words"]

_WHOLE_WORD = re.compile(r"\u2581[a-z]{4,}")
"""SentencePiece pieces that start a word and are a word of four or more letters."""


@functools.cache
def _vocabulary() -> tuple[list[str], dict[str, int], np.ndarray]:
    from oncall.catalog.vectors import _model  # the same offline loader the semantic index uses

    model = _model()
    pieces = model.tokenizer.get_vocab()
    ids = sorted(i for piece, i in pieces.items() if _WHOLE_WORD.fullmatch(piece))
    words = _words(pieces, ids)
    matrix = np.asarray(model.embedding, dtype=np.float32)[ids]
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    return words, {w: k for k, w in enumerate(words)}, matrix


def _words(pieces: dict[str, int], ids: Sequence[int]) -> list[str]:
    by_id = {i: piece for piece, i in pieces.items()}
    return [by_id[i][1:] for i in ids]


def _near(k: int, n: int) -> list[tuple[str, float]]:
    words, _, matrix = _vocabulary()
    scores = matrix @ matrix[k]
    out: list[tuple[str, float]] = []
    for j in np.argsort(-scores)[1 : 8 * n]:
        if words[j][:4] != words[k][:4]:  # not an inflection of the word itself
            out.append((words[j], float(scores[j])))
            if len(out) >= n:
                break
    return out


def nearest_words(words: Sequence[str], *, k: int = 5, minimum: float = 0.44) -> dict[str, list[str]]:
    """Per word: the whole words among its `k` nearest (similarity >= `minimum`) that have it among
    their own `k` nearest. Words WordLlama does not hold as one piece get none."""
    _, index, _ = _vocabulary()
    out: dict[str, list[str]] = {}
    for word in words:
        if word not in index:
            continue
        mutual = [
            other
            for other, score in _near(index[word], k)
            if score >= minimum and word in {w for w, _ in _near(index[other], k)}
        ]
        if mutual:
            out[word] = mutual
    return out
