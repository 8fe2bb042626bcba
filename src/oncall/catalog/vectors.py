"""The semantic index: word and entity vectors derived from the catalog, stored beside it.

Meaning without a model server: WordLlama's 256-d static token embeddings (shipped inside the
`wordllama` wheel, loaded strictly offline) give every catalog word a vector, and every entity one
vector from the words that say what it is (name, title, description, column descriptions, glossary
terms with their names, acronyms and definitions, tags). The Detective uses
them to meet a reporter's words ("merchant", "shipping") with the catalog's own ("seller", "delivery"),
to rank entities by closeness in meaning, and to find the nearest entities when the catalog's search
finds few. Typos are corrected against the same vocabulary (`rapidfuzz`).

The index is catalog-derived, so it is rebuilt from the catalog, never edited: `refresh` after
`oncall setup`, `oncall ingest` or `oncall catalog index`, and `ensure_index` rebuilds lazily when it
is missing or its fingerprint (the catalog's set of URNs) no longer matches. Listing every URN to
tell costs a big catalog half a second per process on Lite and a scroll of pages one after the other
on a server, so the index also keeps the catalog's `entities_version` at which its fingerprint was
last confirmed: while the catalog reports that version, nothing is listed (Lite's counter is exact;
GMS's is its entity count and the hour, so a swap or a rename is caught within the hour). Only a
query word the catalog never uses needs the embedding model itself; it is loaded on first need (about
half a second), so a run whose words are all catalog words never loads it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oncall.catalog.backends import reads_are_round_trips
from oncall.catalog.base import Catalog, parallel
from oncall.catalog.search import STOPWORDS
from oncall.catalog.types import Entity
from oncall.errors import NotFoundError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FORMAT",
    "LAZY_REBUILD_LIMIT",
    "IndexUnavailableError",
    "SemanticIndex",
    "Term",
    "acronyms",
    "catalog_terms",
    "ensure_index",
    "entity_words",
    "fingerprint",
    "refresh",
    "urn_digest",
    "words",
]

FORMAT = "wordllama-l2_supercat-256/v4"
"""Model and layout of the stored vectors; a different value means rebuild."""

_WORD = re.compile(r"[a-z0-9]+")
_SPELT_OUT = re.compile(r"\(([A-Z][A-Za-z0-9]{1,5})\)")
"""An acronym given in parentheses after what it stands for: 'Gross Merchandise Value (GMV)'."""
_INITIALS_MIN = 3
"""Names of this many words or more also answer to their initials ('Net Promoter Score' -> nps)."""
_NAME_WEIGHT = 2
"""Name words count twice in an entity's vector: a name says what the entity is more than prose does."""
_META, _ENTITIES, _VOCAB, _TOKENS = "index.json", "entities.npy", "vocab.npy", "tokens.npy"
_CONFIRMED = "confirmed.json"
"""{"version": the catalog's entities_version, "fingerprint": the index fingerprint it was seen with}:
small and rewritten on its own, so confirming a fingerprint never rewrites the index. Fingerprint
None, with "entities": the catalog was too big to index in a run and no index was kept, at that
version (a run then says so without listing it again)."""

Progress = Callable[[str], None]


def words(text: str | None) -> list[str]:
    """Lower-cased words in order, underscores splitting words ('seller_id' -> seller, id); no numbers."""
    if not text:
        return []
    return [w for w in _WORD.findall(text.lower().replace("_", " ")) if len(w) > 1 and not w.isdigit()]


@dataclass(frozen=True)
class Term:
    """A glossary term as the catalog defines it (`GlossaryTermInfo`): what it is called and means."""

    name: str
    definition: str = ""

    def names(self) -> list[str]:
        """The words the term answers to: its name's words and its acronyms."""
        return list(dict.fromkeys([*words(self.name), *acronyms(self.name, self.definition)]))


def acronyms(name: str, definition: str = "") -> list[str]:
    """Acronyms a glossary term spells out: '(GMV)' after a phrase, or the initials of a 3+ word name."""
    found = [m.lower() for m in _SPELT_OUT.findall(f"{name} {definition}")]
    initials = [w[0] for w in words(name) if w not in STOPWORDS]
    if len(initials) >= _INITIALS_MIN:
        found.append("".join(initials))
    return list(dict.fromkeys(found))


Glossary = Mapping[str, Term]
"""Glossary term URN -> the term (terms the catalog does not define are absent)."""


def term_of(urn: str, glossary: Glossary) -> Term:
    """The catalog's term, or one named after its URN's id ('urn:li:glossaryTerm:order_status')."""
    return glossary.get(urn) or Term(urn.rsplit(":", 1)[-1].replace("_", " "))


def entity_words(entity: Entity, glossary: Glossary | None = None) -> tuple[list[str], list[str]]:
    """(words that say what the entity is, every word of it) for the entity's vector and the vocabulary.

    The first list is the name (twice), description, column descriptions, glossary terms (their names,
    acronyms and definitions) and tags without stopwords; the second adds column names and owning
    groups, so their words are known words too. (A dashboard's vector leaves out its charts' titles:
    with them "revenue by state" came closer to the dashboard than to the chart of that name.)
    """
    glossary = glossary or {}
    name = words(entity.name)
    terms = [term_of(urn, glossary) for urn in entity.terms]
    about = [
        *words(entity.description),
        *(w for f in entity.fields for w in words(f.description)),
        *(w for t in terms for w in [*t.names(), *words(t.definition)]),
        *(w for urn in entity.tags for w in words(urn.rsplit(":", 1)[-1])),
    ]
    said = [w for w in name * _NAME_WEIGHT + about if w not in STOPWORDS]
    columns = [w for f in entity.fields for w in words(f.path)]
    owners = [w for o in entity.owners for w in words(o.urn.rsplit(":", 1)[-1])]
    return said, [*name, *about, *columns, *owners]


@functools.cache
def _model() -> Any:
    """WordLlama from the files inside its wheel; never downloads (a missing file is an error)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama  # its import calls logging.basicConfig(INFO): undo that below

    root.handlers[:], root.level = handlers, level
    return wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def _token_means(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's mean token vector (not normalised) and its token count.

    WordLlama's sentence vector is the mean of its token vectors, whose lengths act as learnt weights;
    keeping each word's mean and count lets a bag of words be pooled exactly as one sentence would be.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, 256), dtype=np.float32), np.zeros(0, dtype=np.int32)
    model = _model()
    means = np.asarray(model.embed(list(texts), norm=False), dtype=np.float32)
    counts = np.array([sum(e.attention_mask) for e in model.tokenize(list(texts))], dtype=np.int32)
    return means, counts


def _pool(means: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The unit vector of the words' tokens pooled together."""
    return _unit((means * counts[:, None]).sum(axis=0))


def _unit(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


@dataclass
class SemanticIndex:
    """Vectors of a catalog's vocabulary and entities."""

    urns: list[str]
    entity_vectors: np.ndarray
    """(len(urns), 256) unit vectors, float16 on disk."""
    vocab: list[str]
    """Every word the catalog uses (sorted)."""
    vocab_vectors: np.ndarray
    """Each word's mean token vector (not normalised)."""
    vocab_tokens: np.ndarray
    """Each word's token count."""
    fingerprint: str = ""
    catalog_version: str | None = None
    """The catalog's `entities_version` when `fingerprint` was last seen to match it (None: unknown)."""
    build_seconds: float = 0.0
    stale: bool = False
    """The catalog's entities changed since the build (too many to rebuild during a run)."""
    glossary: dict[str, Term] = field(default_factory=dict)
    """The glossary terms the indexed entities carry, as the catalog defines them."""

    def __post_init__(self) -> None:
        self._position = {w: i for i, w in enumerate(self.vocab)}
        self._extra: dict[str, tuple[np.ndarray, int]] = {}
        self._memo: dict[Any, object] = {}

    @classmethod
    def from_entities(
        cls,
        entities: Iterable[Entity],
        *,
        fingerprint: str = "",
        define: Callable[[str], Term | None] | None = None,
    ) -> SemanticIndex:
        """Build the index from entity pages (what `refresh` does with every entity of a catalog).

        `define(term_urn)` reads a glossary term's definition (once per term); without it a term is
        known by its URN's id only.
        """
        import numpy as np

        started = time.perf_counter()
        listed = list(entities)
        glossary = _define_terms(listed, define)
        urns, said_lists, vocab = [], [], set()
        for entity in listed:
            said, every = entity_words(entity, glossary)
            urns.append(entity.urn)
            said_lists.append(said)
            vocab.update(every)
        ordered = sorted(vocab)
        means, counts = _token_means(ordered)
        position = {w: i for i, w in enumerate(ordered)}
        entity_vectors = np.zeros((len(urns), means.shape[1]), dtype=np.float32)
        for row, said in enumerate(said_lists):
            if said:
                rows = [position[w] for w in said]
                entity_vectors[row] = _pool(means[rows], counts[rows])
        return cls(
            urns=urns,
            entity_vectors=entity_vectors.astype(np.float16),
            vocab=ordered,
            vocab_vectors=means.astype(np.float16),
            vocab_tokens=counts,
            fingerprint=fingerprint,
            build_seconds=round(time.perf_counter() - started, 3),
            glossary=glossary,
        )

    # ------------------------------------------------------------------------------------- words

    def term_names(self, term_urns: Iterable[str]) -> set[str]:
        """Words the given glossary terms answer to (names and acronyms), for matching text words."""
        return {w for urn in term_urns for w in term_of(urn, self.glossary).names()}

    def knows(self, word: str) -> bool:
        """True if the catalog uses this word somewhere."""
        return word in self._position

    def _words(self, text_words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Mean token vectors and token counts of words: stored for catalog words, the model's else."""
        import numpy as np

        unknown = [w for w in dict.fromkeys(text_words) if w not in self._position and w not in self._extra]
        if unknown:
            means, tokens = _token_means(unknown)
            self._extra.update({w: (m, int(c)) for w, m, c in zip(unknown, means, tokens, strict=True)})
        rows: list[np.ndarray] = []
        counts: list[int] = []
        for w in text_words:
            if w in self._position:
                i = self._position[w]
                rows.append(self.vocab_vectors[i].astype(np.float32))
                counts.append(int(self.vocab_tokens[i]))
            else:
                rows.append(self._extra[w][0])
                counts.append(self._extra[w][1])
        dim = self.vocab_vectors.shape[1] if len(self.vocab_vectors.shape) == 2 else 256
        return np.array(rows, dtype=np.float32).reshape(len(rows), dim), np.array(counts, dtype=np.int32)

    def similar_words(
        self, text_words: Sequence[str], threshold: float
    ) -> dict[str, list[tuple[str, float]]]:
        """For each word, the catalog words at least `threshold` close in meaning (itself excluded)."""
        import numpy as np

        if not text_words or not self.vocab:
            return {w: [] for w in text_words}
        units = self.memo("unit vocab", lambda: _unit(self.vocab_vectors.astype(np.float32)))
        sims = _unit(self._words(text_words)[0]) @ units.T
        out: dict[str, list[tuple[str, float]]] = {}
        for word, row in zip(text_words, sims, strict=True):
            close = np.flatnonzero(row >= threshold)
            ranked = sorted(close, key=lambda i: (-row[i], self.vocab[i]))
            out[word] = [(self.vocab[i], round(float(row[i]), 3)) for i in ranked if self.vocab[i] != word]
        return out

    def correct(self, word: str, *, also: Iterable[str] = ()) -> str | None:
        """The catalog word (or one of `also`) a misspelt word most likely means, or None.

        Only for words of 4+ letters the catalog does not use: one edit (a transposition counts as one)
        for 5 to 7 letters, two beyond, so 'revnue' -> 'revenue' and 'costumer' -> 'customer'; a word of
        4 letters only when two neighbouring letters swapped ('lsit' -> 'list'), so a short real word
        ('late', 'map') is never bent into a catalog word.
        """
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if len(word) < 4 or word in self._position:
            return None
        if len(word) == 4:
            return self._swapped(word, frozenset(also))
        limit = 1 if len(word) <= 7 else 2
        found = process.extractOne(
            word, self._choices(frozenset(also)), scorer=OSA.distance, score_cutoff=limit
        )
        return str(found[0]) if found else None

    def _swapped(self, word: str, also: frozenset[str]) -> str | None:
        """The catalog word that is `word` with two neighbouring letters swapped back, if exactly one is."""
        found = {
            swapped
            for i in range(len(word) - 1)
            if word[i] != word[i + 1]
            and (swapped := word[:i] + word[i + 1] + word[i] + word[i + 2 :]) in self._swap_choices(also)
        }
        return found.pop() if len(found) == 1 else None

    def _swap_choices(self, also: frozenset[str]) -> frozenset[str]:
        return self.memo(("swap choices", also), lambda: frozenset({*self.vocab, *also}))

    # ------------------------------------------------------------------------------------- entities

    def query_vector(self, text_words: Sequence[str]) -> np.ndarray | None:
        """One unit vector for a bag of words (None when there are none)."""
        if not text_words:
            return None
        return _pool(*self._words(text_words))

    def similarity(self, vector: np.ndarray, urns: Iterable[str] | None = None) -> dict[str, float]:
        """Cosine similarity of `vector` to entities (all, or the given URNs the index has)."""
        import numpy as np

        if urns is None:
            rows = np.arange(len(self.urns))
        else:
            where = self._rows()
            rows = np.array([where[u] for u in urns if u in where], dtype=np.int64)
        if rows.size == 0:
            return {}
        sims = self._entity_matrix()[rows] @ vector.astype(np.float32)
        return {self.urns[r]: round(float(s), 4) for r, s in zip(rows, sims, strict=True)}

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The `k` entities closest in meaning to `vector`, best first (ties by URN)."""
        import numpy as np

        if not self.urns or k <= 0:
            return []
        sims = self._entity_matrix() @ vector.astype(np.float32)
        top = (
            np.argpartition(-sims, min(k, len(sims) - 1))[: k + 1] if len(sims) > k else np.arange(len(sims))
        )
        ranked = sorted(top, key=lambda i: (-sims[i], self.urns[i]))[:k]
        return [(self.urns[i], round(float(sims[i]), 4)) for i in ranked]

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """A value derived from this index, computed once (e.g. a caller's stemmed vocabulary)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def _entity_matrix(self) -> np.ndarray:
        """The entity vectors as float32 (BLAS speed), converted once per process."""
        import numpy as np

        return self.memo("entities f32", lambda: np.ascontiguousarray(self.entity_vectors, dtype=np.float32))

    def _choices(self, also: frozenset[str]) -> list[str]:
        """Catalog words plus `also` (the caller's own words, e.g. entity-type words), sorted."""
        return self.memo(("choices", also), lambda: sorted({*self.vocab, *also}))

    def _rows(self) -> dict[str, int]:
        return self.memo("rows", lambda: {u: i for i, u in enumerate(self.urns)})

    # ------------------------------------------------------------------------------------- storage

    def save(self, directory: Path) -> None:
        """Write the arrays, then the metadata that names them (a torn write reads as stale)."""
        import numpy as np

        directory.mkdir(parents=True, exist_ok=True)
        arrays = (
            (_ENTITIES, self.entity_vectors),
            (_VOCAB, self.vocab_vectors),
            (_TOKENS, self.vocab_tokens),
        )
        for name, array in arrays:
            tmp = directory / f".{name}.{os.getpid()}.tmp.npy"
            np.save(tmp, array)
            os.replace(tmp, directory / name)
        meta = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "build_seconds": self.build_seconds,
            "urns": self.urns,
            "vocab": self.vocab,
            "glossary": {u: [t.name, t.definition] for u, t in sorted(self.glossary.items())},
        }
        tmp = directory / f".{_META}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, directory / _META)

    @classmethod
    def load(cls, directory: Path) -> SemanticIndex | None:
        """The stored index, or None if missing, of another format, or torn."""
        import numpy as np

        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
            entities = np.load(directory / _ENTITIES, mmap_mode="r")
            vocab = np.load(directory / _VOCAB)
            counts = np.load(directory / _TOKENS)
        except (OSError, ValueError):
            return None
        if (
            meta.get("format") != FORMAT
            or len(meta["urns"]) != len(entities)
            or len(meta["vocab"]) != len(vocab)
        ):
            return None
        return cls(
            urns=meta["urns"],
            entity_vectors=entities,
            vocab=meta["vocab"],
            vocab_vectors=vocab,
            vocab_tokens=counts,
            fingerprint=meta["fingerprint"],
            catalog_version=_confirmed_version(directory, meta["fingerprint"]),
            build_seconds=meta.get("build_seconds", 0.0),
            glossary={u: Term(name, about) for u, (name, about) in meta.get("glossary", {}).items()},
        )


def _read_confirmed(directory: Path) -> dict[str, Any]:
    """The `_CONFIRMED` entry ({} when there is none or it cannot be read)."""
    try:
        found = json.loads((directory / _CONFIRMED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _confirmed_version(directory: Path, fingerprint: str) -> str | None:
    """The catalog version stored as confirmed for this fingerprint (None if another's, or none)."""
    found = _read_confirmed(directory)
    if found.get("fingerprint") != fingerprint:
        return None
    version = found.get("version")
    return version if isinstance(version, str) else None


def _confirm(index: SemanticIndex, version: str | None, directory: Path) -> None:
    """Remember that the catalog at `version` has the index's fingerprint (best effort on disk)."""
    if version is None or index.catalog_version == version:
        return
    index.catalog_version = version
    _write_confirmed(directory, {"version": version, "fingerprint": index.fingerprint})


def _list_beside_version(
    catalog: Catalog, directory: Path, limit: int
) -> tuple[str | None, list[str]] | None:
    """In a home that keeps nothing for the catalog (no index, no record), on a server: its version and
    its URNs up to `limit`, read side by side (None elsewhere). The listing is needed whatever the
    version says there, and in a row the two are a round trip more before the Detective's first read.

    Read together, an entity written between the two can be in the count and not in the list; on GMS
    the version is the count and the hour, so the index sees it within the hour, as it sees a swap."""
    if not reads_are_round_trips(catalog) or (directory / _META).exists() or _read_confirmed(directory):
        return None
    listing = functools.partial(catalog.list_urns, at_most=limit)
    calls: list[Callable[[], Any]] = [catalog.entities_version, listing]
    version, urns = parallel(calls)
    return version, urns


def _too_big(directory: Path, version: str | None) -> int | None:
    """The entities of a catalog found too big to index in a run at `version`, with no index kept."""
    found = _read_confirmed(directory)
    if version is None or found.get("fingerprint") is not None:
        return None
    entities = found.get("entities")
    return entities if found.get("version") == version and isinstance(entities, int) else None


def _write_confirmed(directory: Path, found: dict[str, Any]) -> None:
    if found["version"] is None:
        return
    tmp = directory / f".{_CONFIRMED}.{os.getpid()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(found), encoding="utf-8")
        os.replace(tmp, directory / _CONFIRMED)
    except OSError:
        pass  # a read-only home: the next process lists the URNs again


def _unavailable(limit: int) -> str:
    return (
        f"no semantic index for this catalog of more than {limit:,} entities (too many to read during "
        "a run); `oncall catalog index` builds it (`oncall ingest` does too)"
    )


def _define_terms(entities: Sequence[Entity], define: Callable[[str], Term | None] | None) -> dict[str, Term]:
    if define is None:
        return {}
    out = {}
    for urn in sorted({t for e in entities for t in e.terms}):
        term = define(urn)
        if term is not None:
            out[urn] = term
    return out


def catalog_terms(catalog: Catalog) -> Callable[[str], Term | None]:
    """Read a glossary term's name and definition from the catalog (`GlossaryTermInfo`), or None."""
    import datahub.metadata.schema_classes as m

    def define(urn: str) -> Term | None:
        try:
            info = catalog.get_aspect(urn, m.GlossaryTermInfoClass)
        except NotFoundError:
            return None
        if info is None:
            return None
        return Term(info.name or urn.rsplit(":", 1)[-1].replace("_", " "), info.definition or "")

    return define


def fingerprint(catalog: Catalog) -> str:
    """What the index depends on, cheaply: the catalog's set of entities (and the vector format)."""
    return urn_digest(catalog.list_urns())


def urn_digest(urns: Iterable[str]) -> str:
    """The fingerprint of a URN list (what `fingerprint` hashes)."""
    return hashlib.sha1("\n".join([FORMAT, *urns]).encode()).hexdigest()


def _entities(catalog: Catalog, urns: Sequence[str], say: Progress) -> Iterable[Entity]:
    step = 5000  # read in bulk (one request per batch on GMS, not one per entity)
    for start in range(0, len(urns), step):
        chunk = urns[start : start + step]
        found = catalog.describe_many(chunk)
        yield from (found[u] for u in chunk if u in found)  # one removed while we read is left out
        done = start + len(chunk)
        if done % 20000 == 0:
            say(f"vectors: read {done:,} of {len(urns):,} entities")


def refresh(
    catalog: Catalog,
    directory: Path,
    *,
    progress: Progress | None = None,
    urns: Sequence[str] | None = None,
    version: str | None = None,
    must_store: bool = False,
) -> SemanticIndex:
    """Rebuild the index from every entity of the catalog (`urns`, when just listed, with the catalog's
    `entities_version` read before listing them) and store it; a store that fails is only reported
    unless `must_store` (`oncall catalog index`: then the OSError, naming the file, is raised)."""
    say = progress or (lambda _m: None)
    if urns is None:
        version = catalog.entities_version()  # before the listing: a write in between makes it older
        urns = catalog.list_urns()
    urns = list(urns)
    index = SemanticIndex.from_entities(
        _entities(catalog, urns, say), fingerprint=urn_digest(urns), define=catalog_terms(catalog)
    )
    try:
        index.save(directory)
    except OSError as exc:  # a read-only home still gets an index, for this process
        if must_store:
            raise
        say(f"vectors: not stored ({exc})")
    else:
        _confirm(index, version, directory)
    _cache[str(directory)] = index
    say(f"vectors: {len(index.urns):,} entities, {len(index.vocab):,} words in {index.build_seconds:.1f} s")
    return index


_cache: dict[str, SemanticIndex] = {}


LAZY_REBUILD_LIMIT = 5000
"""Entities up to which a run rebuilds a missing or stale index itself (a second or two). Beyond it,
reading every entity page would hold the run up (minutes on a server): the run uses the stale index, or
none, and the caller says to refresh it (`oncall setup`, `oncall ingest`)."""


class IndexUnavailableError(ValueError):
    """No usable index, and the catalog is too big to build one in the middle of a run."""


def ensure_index(
    catalog: Catalog,
    directory: Path,
    *,
    progress: Progress | None = None,
    rebuild_limit: int = LAZY_REBUILD_LIMIT,
) -> SemanticIndex:
    """The index for this catalog: from memory, else from disk, rebuilt when missing or stale.

    A stale index of a catalog over `rebuild_limit` entities is returned as is, marked `stale`;
    a missing one raises `IndexUnavailableError`.
    """
    cached = _cache.get(str(directory))
    listed = _list_beside_version(catalog, directory, rebuild_limit) if cached is None else None
    version = catalog.entities_version() if listed is None else listed[0]
    if cached is not None and version is not None and cached.catalog_version == version:
        return cached
    stored = SemanticIndex.load(directory) if version is not None else None
    if stored is not None and stored.catalog_version == version:
        _cache[str(directory)] = stored
        return stored
    # With no version the stored index was not read yet: "nothing kept" is known only with one.
    nothing_kept = cached is None and stored is None and version is not None
    counted = _too_big(directory, version) if nothing_kept else None
    if counted is not None and counted > rebuild_limit:  # seen at this version: listing it again
        raise IndexUnavailableError(_unavailable(rebuild_limit))  # would only say so again
    # With no index to compare, a list longer than the limit is not needed whole (on a server it is
    # a page of 10,000 after another): reading past the limit only says it is too big.
    if listed is not None and version is not None:
        urns = listed[1]
    else:
        urns = catalog.list_urns(at_most=rebuild_limit if nothing_kept else None)
    current = urn_digest(urns)
    if cached is not None and cached.fingerprint == current:
        _confirm(cached, version, directory)
        return cached
    stored = stored if version is not None else SemanticIndex.load(directory)
    if stored is not None and stored.fingerprint == current:
        _confirm(stored, version, directory)
        _cache[str(directory)] = stored
        return stored
    if len(urns) > rebuild_limit:
        if stored is None:
            _write_confirmed(directory, {"version": version, "fingerprint": None, "entities": len(urns)})
            raise IndexUnavailableError(_unavailable(rebuild_limit))
        stored.stale = True
        return stored
    return refresh(catalog, directory, progress=progress, urns=urns, version=version)
