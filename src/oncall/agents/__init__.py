"""The incident loop: Coordinator, Detective, Reality-Checker and Fixer (DESIGN.md section 4).

Models decide, code verifies: every model answer is a typed object checked against the catalog, and
every step has a deterministic procedure that runs when no model is configured or a call fails.
"""

from __future__ import annotations

from oncall.agents.coordinator import new_run_id, reset, run_incident, run_incident_sync

__all__ = ["new_run_id", "reset", "run_incident", "run_incident_sync"]
