"""Data quality: assertion suites as data, SQL pushdown to any warehouse, publishing, and the diff.

`publish_suites(config, catalog, suites=...)` is what `oncall setup` calls with the demo's suite files:
derive the suites from the clean baseline, run them on the baseline and production instances, and
write assertions and run events to DataHub. The Reality-Checker later reads those results back and
diffs them (`diff_instances`, `diff_history`) without touching raw data.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oncall.quality.diff import diff_assertions, diff_history, diff_instances
    from oncall.quality.models import (
        Check,
        CheckResult,
        DiffEntry,
        DiffSide,
        DiffStatus,
        PublishSummary,
        Suite,
        SuiteRun,
    )
    from oncall.quality.publish import publish_runs, publish_suites
    from oncall.quality.runner import build_suites, run_suite, run_suites, warehouse_url
    from oncall.quality.suites import load_suite

__all__ = [
    "Check",
    "CheckResult",
    "DiffEntry",
    "DiffSide",
    "DiffStatus",
    "PublishSummary",
    "Suite",
    "SuiteRun",
    "build_suites",
    "diff_assertions",
    "diff_history",
    "diff_instances",
    "load_suite",
    "publish_runs",
    "publish_suites",
    "run_suite",
    "run_suites",
    "warehouse_url",
]

# Names are loaded on first use (PEP 562): `oncall.quality.models` is imported by the run result
# models, and must not drag DataHub and SQLAlchemy (publish, runner) into every `oncall` startup.
_MODULE_OF = {
    "diff_assertions": "diff",
    "diff_history": "diff",
    "diff_instances": "diff",
    "publish_runs": "publish",
    "publish_suites": "publish",
    "build_suites": "runner",
    "run_suite": "runner",
    "run_suites": "runner",
    "warehouse_url": "runner",
    "load_suite": "suites",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'oncall.quality' has no attribute {name!r}")
    return getattr(importlib.import_module(f"oncall.quality.{_MODULE_OF.get(name, 'models')}"), name)
