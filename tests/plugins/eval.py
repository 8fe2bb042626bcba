"""Shared pytest fixtures of the eval area (registered in tests/conftest.py)."""

from __future__ import annotations

import importlib

import pytest

# What an end-to-end eval calls, by module and name. Other areas write these in parallel; until they
# land, end-to-end eval tests skip and say which are missing. Once present, the tests run.
EVAL_STACK = {
    "oncall.world.build": "build_world",
    "oncall.bootstrap": "setup",
    "oncall.catalog": "open_catalog",
    "oncall.agents": "run_incident",
}


def missing_stack() -> list[str]:
    """`module.name` of every missing piece; a module that exists but fails to import is not skipped."""
    missing = []
    for module, name in EVAL_STACK.items():
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise  # the module exists and one of *its* imports is broken: a real failure
            missing.append(f"{module}.{name}")
            continue
        if not hasattr(loaded, name):
            missing.append(f"{module}.{name}")
    return missing


@pytest.fixture(scope="session")
def eval_stack() -> None:
    """Skip (naming what is missing) until world building, setup, catalog and the loop all exist."""
    missing = missing_stack()
    if missing:
        pytest.skip(f"the eval needs {', '.join(missing)}, not in the tree yet (written by other areas)")
