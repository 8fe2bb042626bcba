"""Shared pytest fixtures of the report area (registered in tests/conftest.py)."""

from __future__ import annotations
