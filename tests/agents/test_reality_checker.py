"""The Reality-Checker's coverage rule: told from a lineage node, the same set `list_urns` would list."""

from __future__ import annotations

from pathlib import Path

from oncall.agents.reality_checker import covers
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.world.build import BASELINE, PRODUCTION


def test_a_node_is_covered_exactly_when_the_production_listing_holds_it(seeded_copy: Path) -> None:
    """The join used to list every production dataset to ask; `covers` reads the node's own instance.
    On the demo catalog (two instances, plus charts and dashboards) both answers agree for every entity,
    with the production instance set and with none."""
    with LiteCatalog(load_config(seeded_copy, environ={}).lite_path, read_only=True) as catalog:
        refs = catalog._refs(catalog.list_urns())
        for instance in (PRODUCTION, BASELINE, None):
            listed = set(catalog.list_urns("dataset", instance))
            told = {urn for urn, ref in refs.items() if covers(ref, instance)}
            assert told == listed, instance
        assert any(not covers(ref, PRODUCTION) for ref in refs.values() if ref.type == "dataset")
