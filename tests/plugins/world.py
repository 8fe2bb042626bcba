"""Shared pytest fixtures of the world area (registered in tests/conftest.py)."""

from __future__ import annotations
