"""The incident lifecycle (DESIGN.md section 9): failing assertion runs open, group, route and resolve
incidents by themselves.

- `watcher`: `oncall watch` (the catalog's run-event feed since a persisted cursor);
- `handler`: one batch of run events -> incidents (also what the DataHub Actions action calls);
- `grouping`: origin groups, priority (pure);
- `changes`: incident state changes in DataHub, a person's edit wins;
- `store`: the lifecycle's own state (cursor, runs seen, incidents, Slack outbox) in one transaction;
- `notify`: Slack, one message per incident updated in place;
- `people`: list, show, acknowledge, resolve, timings.
"""

from __future__ import annotations

from oncall.agents.lifecycle.handler import BatchReport, Handler
from oncall.agents.lifecycle.people import acknowledge, incident_stats, list_incidents, resolve, show_incident
from oncall.agents.lifecycle.store import TrackedIncident
from oncall.agents.lifecycle.watcher import Watcher

__all__ = [
    "BatchReport",
    "Handler",
    "TrackedIncident",
    "Watcher",
    "acknowledge",
    "incident_stats",
    "list_incidents",
    "resolve",
    "show_incident",
]
