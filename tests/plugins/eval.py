"""Shared pytest fixtures of the eval area (registered in tests/conftest.py)."""

from __future__ import annotations
