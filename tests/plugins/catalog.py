"""Shared pytest fixtures of the catalog area (registered in tests/conftest.py)."""

from __future__ import annotations
