"""The lifecycle scenarios: the watcher on the kit world and a clean control, scored."""

from __future__ import annotations

from oncall.eval import load_scenarios, select
from oncall.eval.lifecycle import run_lifecycle_eval
from oncall.eval.runner import EvalOptions


def test_kit_world_groups_resolves_and_relapses_and_the_control_stays_quiet() -> None:
    scenarios = select(load_scenarios(None), ("kit-*", "control-*"))
    assert {s.world.is_clean for s in scenarios} == {True, False}
    report = run_lifecycle_eval(scenarios, EvalOptions(scale=0.02))
    kit = next(w for w in report.worlds if w.expected)
    # Orders regresses (its FK check to the deleted customers fails) but the kit's faults never touched
    # it: not a planted origin, and its failure joins the customers incident.
    assert not any(u.endswith("olist_orders,PROD)") for u in kit.expected) and len(kit.expected) == 3
    assert kit.error is None and sorted(kit.opened) == kit.expected  # one incident per planted origin
    assert (report.precision, report.recall, report.duplicates) == (1.0, 1.0, 0)
    assert (report.auto_resolve, report.relapse) == (1.0, 1.0)
    assert kit.resolved_again == 3 and (kit.next_opened, kit.late_reopened) == (3, 0)
    assert report.late_relapse == 1.0
    assert report.controls_quiet
