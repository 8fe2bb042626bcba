"""Data quality: assertion suites as data, SQL pushdown to any warehouse, publishing, and the diff.

`publish_suites(config, catalog)` is what `oncall setup` calls: derive the suites from the clean
baseline, run them on the baseline and production instances, and write assertions and run events to
DataHub. The Reality-Checker later reads those results back and diffs them (`diff_instances`,
`diff_history`) without touching raw data.
"""

from __future__ import annotations

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
