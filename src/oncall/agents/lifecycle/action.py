"""The lifecycle as a DataHub Actions action (acryl-datahub-actions), for a DataHub that emits
`EntityChangeEvent_v1` events for assertion runs: the same handler as `oncall watch`, fed by DataHub.

Pipeline config (the action is found by its dotted path; no entry point is needed)::

    name: oncall_lifecycle
    source: {type: kafka, config: {connection: {bootstrap: ..., schema_registry_url: ...}}}
    filter: {event_type: EntityChangeEvent_v1, event: {entityType: assertion, category: RUN}}
    action:
      type: oncall.agents.lifecycle.action:OncallLifecycleAction
      config: {home: /srv/oncall}

It follows the framework's documented Action interface (`create(config_dict, ctx)`, `act(event)`,
`close()`) without importing the framework, so this module loads whether or not it is installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from oncall.agents.lifecycle.handler import BatchReport
from oncall.agents.lifecycle.watcher import Watcher
from oncall.catalog.run_events import RunEvent
from oncall.config import load_config

__all__ = ["OncallLifecycleAction", "run_event_from_change"]

_RESULTS = {"SUCCESS", "FAILURE", "ERROR", "INIT"}


def _as_dict(event: Any) -> dict[str, Any]:
    if isinstance(event, Mapping):
        return dict(event)
    for method in ("to_obj", "as_json"):  # the framework's event classes serialise themselves
        if hasattr(event, method):
            value = getattr(event, method)()
            if isinstance(value, str):
                import json

                value = json.loads(value)
            return dict(value)
    return dict(vars(event))


def run_event_from_change(event: Any) -> RunEvent | None:
    """The assertion run an EntityChangeEvent reports (entityType assertion, category RUN), or None."""
    data = _as_dict(event)
    if (
        str(data.get("entityType", "")).lower() != "assertion"
        or str(data.get("category", "")).upper() != "RUN"
    ):
        return None
    params = data.get("parameters") or {}
    result = str(params.get("runResult") or params.get("result") or "").upper()
    dataset = params.get("asserteeUrn") or params.get("entityUrn")
    if result not in _RESULTS or not dataset:
        return None
    stamp = int((data.get("auditStamp") or {}).get("time") or params.get("timestampMillis") or 0)
    return RunEvent(
        position=stamp,
        assertion_urn=str(params.get("assertionUrn") or data.get("entityUrn")),
        dataset_urn=str(dataset),
        timestamp_ms=stamp,
        run_id=str(params.get("runId") or ""),
        result=result,
    )


class OncallLifecycleAction:
    """Each assertion-run change event goes through the lifecycle handler, as `oncall watch` would."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.last: BatchReport | None = None

    @classmethod
    def create(cls, config_dict: Mapping[str, Any] | None, ctx: Any = None) -> OncallLifecycleAction:
        from oncall.catalog import open_catalog

        config = load_config((config_dict or {}).get("home"))
        return cls(Watcher(config, lambda: open_catalog(config)))

    def act(self, event: Any) -> None:
        """Handle one EventEnvelope (anything else is ignored)."""
        if getattr(event, "event_type", None) != "EntityChangeEvent_v1":
            return
        run = run_event_from_change(getattr(event, "event", None))
        if run is not None:
            self.last = asyncio.run(self.watcher.handle_events([run]))

    def close(self) -> None:
        self.watcher.close()
