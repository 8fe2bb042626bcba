"""Shared pytest fixtures of the llm area (registered in tests/conftest.py)."""

from __future__ import annotations
