"""The eval scenarios' incidents as training texts: every shipped scenario set, Olist's and the dbt
world's; those whose entity this catalog does not have are left out by the export."""

from __future__ import annotations

from oncall.train.export import Incident

__all__ = ["scenario_incidents"]


def scenario_incidents() -> list[Incident]:
    """(incident text, entity type, entity name) of every shipped eval scenario."""
    from oncall.eval import load_scenarios
    from oncall.eval.dbt_world import load_dbt_scenarios

    out = [
        Incident(s.scenario.incident, s.scenario.symptom.entity_type, s.scenario.symptom.title)
        for s in load_scenarios()
    ]
    out += [Incident(s.incident, "dataset", s.symptom) for s in load_dbt_scenarios()]
    return list(dict.fromkeys(out))
