"""The lifecycle's incidents on the HTTP API (the same functions as `oncall incidents ...`).

GET  /api/incidents[?state=ACTIVE|RESOLVED]   the watcher's incidents, newest first
GET  /api/incidents/stats                     time to open / acknowledge / resolve, medians
GET  /api/incidents/{urn}                     one incident: assertions, paths, owners, timeline
POST /api/incidents/{urn}/ack                 {by?, note?} -> stage INVESTIGATION
POST /api/incidents/{urn}/resolve             {by?, stage?, note?} -> RESOLVED (final for the watcher)
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from oncall.agents import lifecycle
from oncall.agents.lifecycle import TrackedIncident
from oncall.config import Config

__all__ = ["AckRequest", "ResolveRequest", "add_incident_routes"]

_CONSOLE_ACTOR = "urn:li:corpuser:console"


class AckRequest(BaseModel):
    """Body of `POST /api/incidents/{urn}/ack`."""

    model_config = ConfigDict(extra="forbid")
    by: str | None = Field(None, max_length=200, description="Who acknowledges (username or corpuser URN).")
    note: str | None = Field(None, max_length=500, description="A line for the timeline and Slack.")


class ResolveRequest(AckRequest):
    """Body of `POST /api/incidents/{urn}/resolve`."""

    stage: Literal["FIXED", "NO_ACTION_REQUIRED"] = "FIXED"


def _actor(by: str | None) -> str:
    who = (by or "").strip()
    if not who:
        return _CONSOLE_ACTOR
    return who if who.startswith("urn:li:") else f"urn:li:corpuser:{who}"


def _change(config: Config, action: str, urn: str, **kwargs: Any) -> TrackedIncident:
    from oncall.catalog import open_catalog

    catalog = open_catalog(config)
    try:
        result: TrackedIncident = getattr(lifecycle, action)(config, catalog, urn, **kwargs)
        return result
    finally:
        catalog.close()


def add_incident_routes(app: APIRouter, config: Config) -> None:
    """Mount the incident routes on the API router."""

    @app.get("/api/incidents", tags=["incidents"])
    async def list_incidents(
        state: Literal["ACTIVE", "RESOLVED"] | None = Query(None),
    ) -> list[TrackedIncident]:
        """The incidents the watcher opened, newest first."""
        return await asyncio.to_thread(lifecycle.list_incidents, config, state=state)

    @app.get("/api/incidents/stats", tags=["incidents"])
    async def incident_stats() -> dict[str, Any]:
        """Seconds to open (failing run -> incident), to acknowledge and to resolve; medians."""
        return await asyncio.to_thread(lifecycle.incident_stats, config)

    @app.get("/api/incidents/{urn}", tags=["incidents"])
    async def show_incident(urn: str) -> TrackedIncident:
        """One incident (the full URN or a unique end of it)."""
        return await asyncio.to_thread(lifecycle.show_incident, config, urn)

    @app.post("/api/incidents/{urn}/ack", tags=["incidents"])
    async def ack_incident(urn: str, body: AckRequest) -> TrackedIncident:
        """Acknowledge: stage INVESTIGATION, written to DataHub and read back."""
        return await asyncio.to_thread(
            _change, config, "acknowledge", urn, by=_actor(body.by), note=body.note
        )

    @app.post("/api/incidents/{urn}/resolve", tags=["incidents"])
    async def resolve_incident(urn: str, body: ResolveRequest) -> TrackedIncident:
        """Resolve as a person; the watcher leaves it alone from then on."""
        return await asyncio.to_thread(
            _change, config, "resolve", urn, by=_actor(body.by), stage=body.stage, note=body.note
        )
