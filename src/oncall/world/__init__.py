"""The Olist demo world: schema, synthetic generator, importers, fault specs and the BI layer.

Entry points: `build_world(home, ...)` writes the clean and the production SQLite DBs and `world.json`;
`load_summary(home)` reads that summary back. Fault specs: `load_spec`, `apply_faults`. This package
knows nothing of DataHub.
"""

from __future__ import annotations

from oncall.world.build import WorldSummary, build_world, load_summary
from oncall.world.faults import FaultResult, FaultSpec, apply_faults, load_spec

__all__ = [
    "FaultResult",
    "FaultSpec",
    "WorldSummary",
    "apply_faults",
    "build_world",
    "load_spec",
    "load_summary",
]
