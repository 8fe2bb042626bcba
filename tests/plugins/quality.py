"""Shared pytest fixtures of the quality area (registered in tests/conftest.py)."""

from __future__ import annotations
