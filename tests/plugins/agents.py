"""Shared pytest fixtures of the agents area (registered in tests/conftest.py)."""

from __future__ import annotations
