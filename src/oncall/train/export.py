"""Training pairs for the Detective's own model, made from the catalog itself.

Every in-scope entity (the run's scope: never the baseline twin) is named the ways people name it: by
its name, its name's words, its description's opening phrase and its distinctive description words,
its columns, glossary terms and owners, the words nearest in meaning to its name's words (WordLlama,
the same vectors the ranking uses) and typo variants, each with a complaint ("... looks off"). Eval
scenario incidents join them, and texts about nothing in the catalog (answer: null). The answer is the
tuned Detective's (`agents.detective.TunedPick`): the entity's search words, then its URN.

Held-out phrasings (a paraphrase set's `*_held_out.yaml`) and anything close to one (the same content
words, or 85% alike as strings, which catches their typo variants) never reach training or validation;
validation is the paraphrase set's tuning part when given, else a seeded tenth of the generated pairs.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from oncall.agents._text import content_tokens, tokens
from oncall.agents.detective import TUNED_SYSTEM, TunedPick, in_scope, tuned_prompt
from oncall.catalog.base import Catalog
from oncall.catalog.types import Entity
from oncall.config import Config
from oncall.errors import UserError

__all__ = [
    "Dataset",
    "Incident",
    "Pair",
    "Phrasing",
    "close_to",
    "export_pairs",
    "load_phrasings",
    "write_dataset",
]

TOO_ALIKE = 85.0
"""rapidfuzz ratio (0-100) at which a text counts as a copy of a held-out phrasing."""

_KIND_WORDS = {
    "dashboard": ("dashboard", "dashboard", "report"),
    "chart": ("chart", "graph", "report"),
    "Table": ("table", "table", "dataset"),
    "View": ("view", "view", "table"),
    "Model": ("model", "table", "report"),
    "dataset": ("table", "dataset", "model"),
    "dataJob": ("job", "pipeline", "task"),
}
_COMPLAINTS = (
    "is wrong",
    "looks off",
    "is broken",
    "numbers dropped",
    "is empty",
    "has duplicates",
    "is stale",
    "stopped updating",
    "shows nulls",
    "is missing rows",
    "doubled overnight",
    "totals look wrong",
    "has bad numbers",
    "looks weird today",
    "lost rows",
    "has gaps since monday",
)
_COLUMN_COMPLAINTS = ("is null", "is empty for some rows", "has wrong values", "looks off")
_FRAMES = ("{s} {c}", "the {s} {c}", "our {s} {c}", "why is the {s} {c}?", "{s}: {c}", "hey, the {s} {c}")
_NOTHING = (
    "the office wifi is down",
    "my laptop will not boot",
    "the printer on the third floor is jammed",
    "please reset my password",
    "the coffee machine is broken again",
    "the parking lot gate does not open",
    "who moved the meeting room booking",
    "my keyboard stopped working",
)
"""Texts about nothing in any catalog: the answer is null (the Detective then trusts the ranking)."""
_MAX_COLUMNS = 6
_MAX_SYNONYMS = 2
_SYNONYM_MIN = 0.44


@dataclass(frozen=True)
class Pair:
    """One training example: what someone types, and what the tuned Detective answers."""

    text: str
    urn: str | None
    search: str
    source: str
    """Where the text came from: name, description, column, term, owner, synonym, typo, scenario,
    nothing, paraphrase."""

    def answer(self) -> str:
        """The assistant turn: the `TunedPick` JSON, fields in schema order (search first)."""
        return json.dumps(TunedPick(search=self.search, urn=self.urn).model_dump(), ensure_ascii=False)

    def messages(self) -> list[dict[str, str]]:
        """The conversation in the chat format the model's template renders."""
        return [
            {"role": "system", "content": TUNED_SYSTEM},
            {"role": "user", "content": tuned_prompt(self.text)},
            {"role": "assistant", "content": self.answer()},
        ]

    def record(self) -> dict[str, Any]:
        """One JSONL line."""
        return {"messages": self.messages(), "source": self.source, "urn": self.urn, "text": self.text}


@dataclass(frozen=True)
class Phrasing:
    """A paraphrase-set item: a text and the entity it means (type and name)."""

    text: str
    type: str
    name: str
    part: str
    """'held_out' (never trained on) or 'tuning' (validation)."""


@dataclass(frozen=True)
class Incident:
    """An eval scenario's incident text and the entity it must resolve to."""

    text: str
    type: str
    """dataset, chart or dashboard."""
    name: str


@dataclass
class Dataset:
    """The export: training and validation pairs, and what was kept out."""

    train: list[Pair]
    validation: list[Pair]
    held_out: list[Pair] = field(default_factory=list)
    """The held-out phrasings that resolve in this catalog, as pairs (measured, never trained on)."""
    dropped: list[tuple[Pair, str]] = field(default_factory=list)
    """Generated pairs kept out because they were close to a held-out phrasing (and which one)."""
    unresolved: list[str] = field(default_factory=list)
    """Phrasings and incidents naming an entity this catalog does not have (another world's)."""
    entities: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "train": len(self.train),
            "validation": len(self.validation),
            "held_out": len(self.held_out),
            "dropped_close_to_held_out": len(self.dropped),
            "unresolved": len(self.unresolved),
            "sources": dict(sorted(Counter(p.source for p in self.train).items())),
        }


def load_phrasings(path: Path) -> list[Phrasing]:
    """Paraphrase-set YAML (`{phrasings: [{text, type, name}, ...]}`) from a file or every `*.yaml` of a
    folder; the part is the file name's suffix (`_held_out.yaml` or `_tuning.yaml`)."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise UserError(
            f"no paraphrase files at {path}: give a *_held_out.yaml / *_tuning.yaml file or folder"
        )
    out: list[Phrasing] = []
    for file in files:
        part = (
            "held_out" if file.stem.endswith("held_out") else "tuning" if file.stem.endswith("tuning") else ""
        )
        if not part:
            raise UserError(f"{file}: a paraphrase file's name ends in _held_out.yaml or _tuning.yaml")
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        items = data.get("phrasings") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise UserError(f"{file}: expected a 'phrasings:' list of {{text, type, name}}")
        try:
            out.extend(Phrasing(str(p["text"]), str(p["type"]), str(p["name"]), part) for p in items)
        except (KeyError, TypeError) as exc:
            raise UserError(f"{file}: every phrasing needs text, type and name ({exc})") from exc
    return out


def close_to(text: str, held: Sequence[str]) -> str | None:
    """The held-out text this one copies (same content words, or `TOO_ALIKE` as strings), or None."""
    norm = _norm(text)
    words = frozenset(content_tokens(text))
    for other in held:
        if norm == _norm(other) or fuzz.ratio(norm, _norm(other)) >= TOO_ALIKE:
            return other
        if words and words == frozenset(content_tokens(other)):
            return other
    return None


def export_pairs(
    catalog: Catalog,
    config: Config,
    *,
    phrasings: Sequence[Phrasing] = (),
    incidents: Sequence[Incident] = (),
    seed: int = 0,
    per_entity: int = 24,
) -> Dataset:
    """Pairs for every in-scope entity of the catalog, split as the module docstring says."""
    rng = random.Random(seed)
    entities = _entities(catalog, config)
    if not entities:
        raise UserError("the catalog has no entities in the run's scope: ingest something first")
    by_key = {(_kind(e), e.name.lower()): e for e in entities}
    held_texts = [p.text for p in phrasings if p.part == "held_out"]
    unresolved: list[str] = []

    def resolve(kind: str, name: str, text: str, source: str) -> Pair | None:
        entity = by_key.get((_kind_of(kind), name.lower()))
        if entity is None:
            unresolved.append(f"{text!r} ({kind} {name})")
            return None
        return Pair(text, entity.urn, _search_words(entity), source)

    held_out = [
        p
        for p in (resolve(h.type, h.name, h.text, "paraphrase") for h in phrasings if h.part == "held_out")
        if p
    ]
    tuning = [
        p
        for p in (resolve(t.type, t.name, t.text, "paraphrase") for t in phrasings if t.part == "tuning")
        if p
    ]
    generated = _generate(entities, rng, per_entity)
    generated += [p for p in (resolve(i.type, i.name, i.text, "scenario") for i in incidents) if p]
    generated += [Pair(text, None, "", "nothing") for text in _NOTHING]
    kept, dropped = _keep_away(_dedupe(generated), held_texts)
    if tuning:
        validation, dropped_v = _keep_away(tuning, held_texts)
        dropped += dropped_v
        seen = {_norm(p.text) for p in validation}
        train = [p for p in kept if _norm(p.text) not in seen]
    else:
        rng.shuffle(kept)
        cut = max(1, len(kept) // 10)
        validation, train = kept[:cut], kept[cut:]
    rng.shuffle(train)
    return Dataset(train, validation, held_out, dropped, unresolved, len(entities))


def write_dataset(dataset: Dataset, out_dir: Path) -> dict[str, Path]:
    """train.jsonl, validation.jsonl, held_out.jsonl and export.json (the summary) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.jsonl" for name in ("train", "validation", "held_out")}
    for name, pairs in (
        ("train", dataset.train),
        ("validation", dataset.validation),
        ("held_out", dataset.held_out),
    ):
        with paths[name].open("w", encoding="utf-8") as fh:
            for pair in pairs:
                fh.write(json.dumps(pair.record(), ensure_ascii=False) + "\n")
    summary = dataset.summary() | {
        "dropped": [{"text": p.text, "close_to": why} for p, why in dataset.dropped],
        "unresolved": dataset.unresolved,
    }
    paths["summary"] = out_dir / "export.json"
    paths["summary"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def _entities(catalog: Catalog, config: Config) -> list[Entity]:
    out = []
    for urn in catalog.list_urns():
        entity = catalog.get(urn)
        if entity.type != "dataJob" and in_scope(config, entity):
            out.append(entity)
    return out


def _kind(entity: Entity) -> str:
    return entity.type


def _kind_of(kind: str) -> str:
    """A phrasing's or scenario's type ('view', 'table', 'dataset', 'chart') as an entity type."""
    return "dataset" if kind in ("view", "table", "dataset", "model") else kind


def _search_words(entity: Entity) -> str:
    """What the Detective searches for the entity: its name, which the catalog's search matches."""
    return entity.name


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return re.findall(r"[a-z0-9]+", spaced.lower().replace("_", " "))


def _affixes(entities: Sequence[Entity]) -> set[str]:
    """Short first words many names share (a platform or layer prefix: `stg`, `v`), dropped for the
    short form of a name."""
    firsts = Counter(w[0] for w in (_words(e.name) for e in entities) if len(w) > 1)
    return {word for word, n in firsts.items() if n >= 2 and len(word) <= 5}


def _generate(entities: Sequence[Entity], rng: random.Random, per_entity: int) -> list[Pair]:
    affixes = _affixes(entities)
    column_owners = Counter(f.path.lower() for e in entities for f in e.fields)
    term_owners = Counter(t for e in entities for t in e.terms)
    owner_kinds = Counter((o.urn, _kind_word(e, 0)) for e in entities for o in e.owners)
    described = _distinctive_words(entities)
    synonyms = _synonyms(entities)
    out: list[Pair] = []
    for entity in entities:
        search = entity.name
        subjects = _subjects(entity, affixes, described.get(entity.urn, []), synonyms)
        pairs: list[Pair] = []
        for phrase, source in subjects:
            for _ in range(3):
                pairs.append(
                    Pair(
                        _say(rng, f"{phrase} {_kind_word(entity, rng.randrange(3))}"),
                        entity.urn,
                        search,
                        source,
                    )
                )
            pairs.append(Pair(_say(rng, phrase), entity.urn, search, source))
        name_phrase = " ".join(_words(entity.name))
        for f in entity.fields[:_MAX_COLUMNS]:
            column = f.path.replace("_", " ")
            complaint = rng.choice(_COLUMN_COMPLAINTS)
            if column_owners[f.path.lower()] == 1:
                pairs.append(Pair(f"{column} {complaint}", entity.urn, search, "column"))
            pairs.append(
                Pair(
                    f"{f.path} {complaint} in the {name_phrase} {_kind_word(entity, 0)}",
                    entity.urn,
                    search,
                    "column",
                )
            )
        for term in entity.terms:
            words = " ".join(_words(term.rsplit(":", 1)[-1]))
            if term_owners[term] == 1:
                pairs.append(Pair(_say(rng, words), entity.urn, search, "term"))
            pairs.append(Pair(_say(rng, f"{words} {_kind_word(entity, 0)}"), entity.urn, search, "term"))
        for owner in entity.owners:
            if owner_kinds[(owner.urn, _kind_word(entity, 0))] == 1:
                who = " ".join(_words(owner.urn.rsplit(":", 1)[-1]))
                text = f"the {who}'s {_kind_word(entity, 0)} {rng.choice(_COMPLAINTS)}"
                pairs.append(Pair(text, entity.urn, search, "owner"))
        pairs = _balanced(_dedupe(pairs), rng, per_entity)
        typos = [
            Pair(t, p.urn, p.search, "typo")
            for p in rng.sample(pairs, k=len(pairs) // 4)
            if (t := _typo(p.text, rng))
        ]
        out.extend(pairs + typos)
    return out


def _kind_word(entity: Entity, i: int) -> str:
    words = _KIND_WORDS.get(entity.subtype or "", _KIND_WORDS.get(entity.type, ("entity",) * 3))
    return words[i % len(words)]


def _say(rng: random.Random, subject: str) -> str:
    return rng.choice(_FRAMES).format(s=subject, c=rng.choice(_COMPLAINTS))


def _subjects(
    entity: Entity, affixes: set[str], described: Sequence[str], synonyms: dict[str, list[str]]
) -> list[tuple[str, str]]:
    """Phrases naming the entity, each with where it came from."""
    words = _words(entity.name)
    out = [(entity.name, "name"), (" ".join(words), "name")]
    if len(words) > 1 and words[0] in affixes:
        out.append((" ".join(words[1:]), "name"))
    head = _description_head(entity.description)
    if head:
        out.append((head, "description"))
    if described:
        out.append((" ".join(described[:2]), "description"))
    for i, word in enumerate(words):
        for other in synonyms.get(word, [])[:_MAX_SYNONYMS]:
            swapped = [*words[:i], other, *words[i + 1 :]]
            if words[0] in affixes and len(swapped) > 1:
                swapped = swapped[1:]
            out.append((" ".join(swapped), "synonym"))
    return list(dict.fromkeys(out))


def _description_head(description: str | None) -> str | None:
    """The description's opening phrase when it is a short name ("Seller leaderboard: ...")."""
    if not description:
        return None
    head = re.split(r"[:.;(,]", description, maxsplit=1)[0].strip()
    head = re.sub(r"^(the|a|an)\s+", "", head, flags=re.IGNORECASE)
    return head.lower() if 1 <= len(head.split()) <= 5 else None


def _distinctive_words(entities: Sequence[Entity]) -> dict[str, list[str]]:
    """Per entity, its description's words no other entity's name or description uses."""
    said = {e.urn: content_tokens(f"{e.description or ''}") for e in entities}
    named = {e.urn: set(tokens(e.name)) for e in entities}
    everywhere = Counter(w for e in entities for w in set(said[e.urn]) | named[e.urn])
    return {
        urn: [w for w in words if everywhere[w] == 1 and len(w) > 3 and w not in named[urn]]
        for urn, words in said.items()
    }


def _synonyms(entities: Sequence[Entity]) -> dict[str, list[str]]:
    """Name words -> whole words near them in WordLlama's vectors that the catalog never uses (mutual
    nearest neighbours only: static vectors put 'birth' next to 'delivery' otherwise)."""
    try:
        from oncall.train.synonyms import nearest_words
    except ImportError:
        return {}
    used = {w for e in entities for w in tokens(f"{e.name} {e.description or ''}")}
    names = sorted({w for e in entities for w in _words(e.name) if len(w) > 3})
    try:
        near = nearest_words(names, k=5, minimum=_SYNONYM_MIN)
    except (ImportError, OSError, ValueError):
        return {}
    return {w: [o for o in others if tokens(o)[0] not in used] for w, others in near.items()}


def _typo(text: str, rng: random.Random) -> str | None:
    """The text with one longer word misspelt (letters swapped, dropped or doubled)."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    edit = rng.randrange(3)
    if edit == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif edit == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    return " ".join([*words[:i], w, *words[i + 1 :]])


def _dedupe(pairs: Iterable[Pair]) -> list[Pair]:
    seen: dict[str, Pair] = {}
    for pair in pairs:
        seen.setdefault(_norm(pair.text), pair)
    return list(seen.values())


def _balanced(pairs: list[Pair], rng: random.Random, limit: int) -> list[Pair]:
    """At most `limit` pairs, taken round-robin over sources so every kind of phrasing stays."""
    by_source: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_source.setdefault(pair.source, []).append(pair)
    for items in by_source.values():
        rng.shuffle(items)
    out: list[Pair] = []
    while len(out) < limit and any(by_source.values()):
        for items in by_source.values():
            if items and len(out) < limit:
                out.append(items.pop())
    return out


def _keep_away(pairs: Sequence[Pair], held: Sequence[str]) -> tuple[list[Pair], list[tuple[Pair, str]]]:
    kept: list[Pair] = []
    dropped: list[tuple[Pair, str]] = []
    for pair in pairs:
        other = close_to(pair.text, held)
        if other is None:
            kept.append(pair)
        else:
            dropped.append((pair, other))
    return kept, dropped
