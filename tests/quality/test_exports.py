"""The package's public names: `__all__` lists exactly what other areas import."""

from __future__ import annotations

import oncall.quality


def test_all_names_exist_and_the_agreed_api_is_exported() -> None:
    assert all(hasattr(oncall.quality, name) for name in oncall.quality.__all__)
    agreed = {"publish_suites", "load_suite", "run_suite", "diff_instances", "diff_history", "DiffEntry"}
    assert agreed <= set(oncall.quality.__all__)
    assert sorted(oncall.quality.__all__) == oncall.quality.__all__
