"""The package's curated surface: `__all__` lists exactly the public names, and each one exists."""

from __future__ import annotations

import oncall.llm
import oncall.llm.models
import oncall.llm.roles


def test_all_names_exist_and_are_the_public_surface() -> None:
    for module in (oncall.llm, oncall.llm.models, oncall.llm.roles):
        assert sorted(module.__all__) == sorted(set(module.__all__)), module.__name__
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module.__name__} exports missing names {missing}"


def test_package_exports_what_agents_call() -> None:
    for name in ("load_models", "ModelSet", "RoleModel", "Retry", "ROLES", "sequential_calls"):
        assert name in oncall.llm.__all__
