"""Paraphrase sets for the Detective's symptom pick: a tuning part and a frozen held-out part per world.

Files: `<world>_tuning.yaml` (the ranking may be tuned on these) and `<world>_held_out.yaml` (frozen
before tuning; only measured). Each phrasing names the symptom the reporter means by type and name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["HERE", "Phrasing", "load"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Phrasing:
    """One incident text and the entity it means."""

    text: str
    type: str
    name: str
    kind: str
    world: str
    part: str
    """'tuning' or 'held_out'."""


def load(world: str, part: str) -> list[Phrasing]:
    """The phrasings of one world and part, in file order."""
    data = yaml.safe_load((HERE / f"{world}_{part}.yaml").read_text(encoding="utf-8"))
    return [
        Phrasing(p["text"], p["type"], p["name"], p["kind"], data["world"], part) for p in data["phrasings"]
    ]
