"""The lifecycle scenarios: the watcher on the kit world and a clean control, scored."""

from __future__ import annotations

from oncall.eval import load_scenarios, select
from oncall.eval.lifecycle import run_lifecycle_eval
from oncall.eval.runner import EvalOptions


def test_kit_world_groups_resolves_and_relapses_and_the_control_stays_quiet() -> None:
    scenarios = select(load_scenarios(None), ("kit-revenue-dashboard", "control-*"))
    assert {s.world.is_clean for s in scenarios} == {True, False}
    report = run_lifecycle_eval(scenarios, EvalOptions(scale=0.02))
    kit = next(w for w in report.worlds if w.expected)
    assert kit.error is None and sorted(kit.opened) == kit.expected  # one incident per planted origin
    assert (report.precision, report.recall, report.duplicates) == (1.0, 1.0, 0)
    assert (report.auto_resolve, report.relapse) == (1.0, 1.0)
    assert report.controls_quiet
