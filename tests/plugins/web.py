"""Shared pytest fixtures of the web area (registered in tests/conftest.py)."""

from __future__ import annotations
