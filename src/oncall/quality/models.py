"""Typed results of the quality layer: the assertion diff entries (DESIGN.md section 7, `diff[]`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["DiffEntry", "DiffSide", "DiffStatus"]

DiffStatus = Literal["regression", "pre-existing", "recovered", "unchanged"]


class DiffSide(BaseModel):
    """An assertion's latest result on one side of the diff."""

    result: str | None = None
    """SUCCESS / FAILURE / ERROR, or None when the side has no run."""
    value: float | None = None
    """Observed value (violations counted)."""
    assertion_urn: str | None = None
    timestamp_ms: int | None = None


class DiffEntry(BaseModel):
    """One assertion compared between baseline and production (or latest run vs last passing run)."""

    dataset_urn: str
    """The production dataset."""
    assertion_urn: str
    """The production assertion."""
    native_type: str
    status: DiffStatus
    baseline: DiffSide
    production: DiffSide
    description: str | None = None
    referenced_dataset: str | None = None
    """For FK checks: the production dataset the check expects rows in."""
