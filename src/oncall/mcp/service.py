"""The operations behind the MCP tools, each a thin call into the code the CLI and the console use.

Runs go through the console's `RunManager` (each in its own thread and event loop, recorded in the same
run history as `oncall run` and the console), so a slow run never blocks the server's other calls and
an MCP run shows up in `oncall serve` and the other way round. Reads share one read-only catalog handle
opened on first use (the Lite reader never competes with a run's writer).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from oncall.catalog.base import Catalog
from oncall.catalog.types import Incident
from oncall.config import Config
from oncall.errors import NotFoundError, UserError
from oncall.events import Event
from oncall.mcp.views import (
    MAX_ITEMS,
    BlastRadiusView,
    DiffView,
    IncidentChange,
    IncidentList,
    LineagePath,
    RunList,
    RunRow,
    RunView,
    WriteList,
    cut,
    incident_change,
    run_view,
)
from oncall.report.models import RunResult
from oncall.untrusted import one_line
from oncall.web.history import RunStore
from oncall.web.runs import BusyError, RunManager, Runner

if TYPE_CHECKING:
    from oncall.agents.lifecycle.store import TrackedIncident

__all__ = ["MCP_ACTOR", "Baseline", "OncallService", "WritesOffError", "event_line"]

Baseline = Literal["twin", "history", "auto"]
IncidentState = Literal["ACTIVE", "RESOLVED"]
MCP_ACTOR = "urn:li:corpuser:mcp"
"""Who acknowledges or resolves through MCP when the client names no one."""
OnEvent = Callable[[Event], Awaitable[None]]

_GIST_KEYS = ("incident", "task", "tool", "symptom", "root_cause", "verdict", "summary", "message", "text")
_GIST_CHARS = 160


class WritesOffError(UserError):
    """A write was asked of a server started without --allow-writes."""

    http_status = 403


def event_line(event: Event) -> str:
    """One line naming an event, for a progress notification: `[seq] agent kind: gist`."""
    gist = next((event.data[k] for k in _GIST_KEYS if event.data.get(k)), None)
    head = f"[{event.seq}] {event.agent} {event.kind}"
    if gist is None:
        return head
    text = gist if isinstance(gist, str) else json.dumps(gist, ensure_ascii=False)
    return f"{head}: {one_line(text, _GIST_CHARS)}"


def _lazy_runner() -> Runner:
    from oncall.agents import run_incident

    return run_incident


class OncallService:
    """What the tools call. One per server; safe for many concurrent calls."""

    def __init__(self, config: Config, *, allow_writes: bool = False, runner: Runner | None = None) -> None:
        self.config = config
        self.allow_writes = allow_writes
        self.store = RunStore(config.runs_dir)
        self.manager = RunManager(config, runner or _lazy_runner(), self.store)
        self._catalog: Catalog | None = None
        self._catalog_lock = asyncio.Lock()

    # ------------------------------------------------------------------ plumbing

    async def catalog(self) -> Catalog:
        """The shared read-only catalog; a clear error (and a retry next call) when there is none yet."""
        async with self._catalog_lock:
            if self._catalog is None:
                from oncall.catalog import open_catalog

                self._catalog = await asyncio.to_thread(open_catalog, self.config, read_only=True)
            return self._catalog

    async def close(self) -> None:
        """Let live runs finish briefly, then release the catalog."""
        await self.manager.shutdown()
        if self._catalog is not None:
            await asyncio.to_thread(self._catalog.close)
            self._catalog = None

    def require_writes(self, what: str) -> None:
        if not self.allow_writes:
            raise WritesOffError(
                f"{what} writes to DataHub, and writes are off on this server; restart it with "
                "`oncall mcp --allow-writes` (or set mcp_allow_writes: true), or use dry_run=true"
            )

    async def _entity_exists(self, catalog: Catalog, urn: str, role: str = "urn") -> None:
        if not urn.startswith("urn:li:"):
            raise UserError(f"{role} {urn!r} is not a DataHub URN (they start with 'urn:li:')")
        if not await asyncio.to_thread(catalog.exists, urn):
            raise NotFoundError(
                f"{role} {urn!r} is not in the catalog; find entities with investigate_incident(text=...) "
                "or copy an URN from a previous result"
            )

    # ------------------------------------------------------------------ the loop

    async def investigate(
        self,
        *,
        text: str | None,
        urn: str | None,
        baseline: Baseline = "auto",
        dry_run: bool = True,
        llm: str | None = None,
        on_event: OnEvent | None = None,
    ) -> RunView:
        """Run the incident loop; `on_event` gets every event as it happens."""
        if (text is None or not text.strip()) == (urn is None):
            raise UserError(
                "give exactly one of `text` (the incident in plain words, e.g. 'revenue dashboard wrong') "
                "or `urn` (the entity that looks wrong)"
            )
        if not dry_run:
            self.require_writes("investigate_incident with dry_run=false")
        catalog = await self.catalog()
        if urn is not None:  # checked here so an unknown URN is a clear error, not a failed run
            await self._entity_exists(catalog, urn)
        incident = text or f"incident on {urn}"
        run = self.manager.start(incident, dry_run=dry_run, llm=llm, symptom_urn=urn, baseline=baseline)
        if on_event is not None:
            async for event in run.events.subscribe():
                await on_event(event)
        assert run.task is not None
        # A cancelled call stops waiting here; the run itself goes on to its end (never half-written)
        # and stays in the history.
        result: RunResult = await asyncio.shield(run.task)
        if result.verdict == "failed":
            raise UserError(f"{result.summary} (run {result.run_id})")
        return run_view(result)

    async def _result(self, run_id: str, still_going: str) -> RunResult:
        try:
            found = await self.manager.result(run_id, wait_s=0)
        except NotFoundError:
            if self.store.exists(run_id):
                raise  # it stopped before it had a result: the store says so
            raise NotFoundError(f"no run {run_id!r} in the history; list_runs lists them") from None
        if not isinstance(found, RunResult):
            raise BusyError(f"run {run_id} is still going; {still_going}")
        return found

    async def get_run(self, run_id: str) -> RunView:
        return run_view(await self._result(run_id, "call get_run again in a moment"))

    async def list_runs(self, limit: int = 10) -> RunList:
        rows = await self.manager.list()
        shown = [RunRow.model_validate(r.model_dump()) for r in rows[:limit]]
        older = len(rows) - len(shown)
        hints = [f"{older} older runs; raise `limit` to see them"] if older > 0 else []
        return RunList(runs=shown, total=len(rows), hints=hints)

    async def postmortem(self, run_id: str) -> str:
        return (await self._result(run_id, "its postmortem comes when it finishes")).postmortem_markdown

    # ------------------------------------------------------------------ catalog reads

    async def diff(self, urn: str, baseline: Baseline = "auto") -> DiffView:
        from oncall.quality import diff as quality_diff

        catalog = await self.catalog()
        await self._entity_exists(catalog, urn)
        entries = await asyncio.to_thread(
            quality_diff.diff_datasets,
            catalog,
            [urn],
            mode=baseline,
            baseline_instance=self.config.baseline_instance,
            production_instance=self.config.production_instance,
        )
        prod = entries[0].dataset_urn if entries else urn
        order = {"regression": 0, "pre-existing": 1, "recovered": 2, "unchanged": 3}
        entries.sort(key=lambda e: (order[e.status], e.native_type))
        shown, total = cut(entries, MAX_ITEMS)
        hints = [] if entries else [f"{prod} has no assertions in the catalog"]
        if total > len(shown):
            hints.append(f"{total - len(shown)} more entries (unchanged ones last) are not shown")
        return DiffView(
            dataset_urn=prod,
            baseline=baseline,
            entries=shown,
            total=total,
            counts=dict(Counter(e.status for e in entries)),
            hints=hints,
        )

    async def blast_radius(self, urn: str) -> BlastRadiusView:
        from oncall.agents.blast_radius import blast_radius

        catalog = await self.catalog()
        await self._entity_exists(catalog, urn)
        entries, _ = await asyncio.to_thread(blast_radius, catalog, [urn])
        shown, total = cut(entries, MAX_ITEMS)
        hints = [f"{total - len(shown)} more entities not shown"] if total > len(shown) else []
        return BlastRadiusView(
            urn=urn, entries=shown, total=total, counts=dict(Counter(e.type for e in entries)), hints=hints
        )

    async def lineage_path(self, from_urn: str, to_urn: str) -> LineagePath:
        from oncall.mcp.views import Hop

        catalog = await self.catalog()
        await self._entity_exists(catalog, from_urn, "from_urn")
        await self._entity_exists(catalog, to_urn, "to_urn")
        for direction in ("upstream", "downstream"):
            nodes = await asyncio.to_thread(catalog.lineage, from_urn, direction=direction)
            names = {n.ref.urn: n.ref.name for n in nodes}
            node = next((n for n in nodes if n.ref.urn == to_urn), None)
            if node is not None:
                start = await asyncio.to_thread(catalog.get, from_urn)
                names[from_urn] = start.name
                return LineagePath(
                    from_urn=from_urn,
                    to_urn=to_urn,
                    direction=direction,
                    hops=node.hops,
                    path=[Hop(urn=u, name=names.get(u, u)) for u in node.path],
                )
        raise NotFoundError(
            f"no lineage path between {from_urn} and {to_urn} in either direction; they are unrelated "
            "in the catalog's lineage"
        )

    async def incidents(self, state: IncidentState | None = "ACTIVE") -> IncidentList:
        catalog = await self.catalog()
        found = await asyncio.to_thread(catalog.all_incidents, state=state)
        shown, total = cut(found, MAX_ITEMS)
        hints = [f"{total - len(shown)} older incidents not shown"] if total > len(shown) else []
        return IncidentList(incidents=shown, total=total, hints=hints)

    async def incident(self, urn: str) -> Incident:
        import datahub.metadata.schema_classes as m

        _incident_urn(urn)
        catalog = await self.catalog()
        info = await asyncio.to_thread(catalog.get_aspect, urn, m.IncidentInfoClass)
        if info is None:
            raise NotFoundError(f"no incident {urn!r} in the catalog; list them with list_incidents")
        return _incident(urn, info)

    # ------------------------------------------------------------------ writes

    async def reset(self) -> WriteList:
        self.require_writes("reset")
        if self.manager.live:
            raise BusyError("runs are going; reset when they have finished")
        from oncall.agents import reset

        writes = await asyncio.to_thread(reset, self.config)
        return WriteList(writes=writes, total=len(writes), all_verified=all(w.verified for w in writes))

    async def change_incident(
        self,
        action: Literal["acknowledge", "resolve"],
        urn: str,
        *,
        by: str | None = None,
        note: str | None = None,
        stage: Literal["FIXED", "NO_ACTION_REQUIRED"] = "FIXED",
    ) -> IncidentChange:
        """Acknowledge or resolve through the lifecycle's own functions (the CLI's and the console's)."""
        self.require_writes(f"{action}_incident")
        _incident_urn(urn)
        actor = _actor(by)

        def change() -> TrackedIncident:
            from oncall.agents import lifecycle
            from oncall.catalog import open_catalog

            catalog = open_catalog(self.config)
            try:
                if action == "acknowledge":
                    return lifecycle.acknowledge(self.config, catalog, urn, by=actor, note=note)
                return lifecycle.resolve(self.config, catalog, urn, by=actor, stage=stage, note=note)
            finally:
                catalog.close()

        return incident_change(await asyncio.to_thread(change))


def _incident_urn(urn: str) -> None:
    if not urn.startswith("urn:li:incident:"):
        raise UserError(f"{urn!r} is not an incident URN (they start with 'urn:li:incident:')")


def _actor(by: str | None) -> str:
    who = " ".join((by or "").split())
    if not who:
        return MCP_ACTOR
    return who if who.startswith("urn:li:") else f"urn:li:corpuser:{who}"


def _incident(urn: str, info: Any) -> Incident:
    """The domain incident of an IncidentInfo read by URN (from the entity store, not a lagging index)."""
    source = info.source
    created = info.created
    return Incident(
        urn=urn,
        title=info.title or "",
        description=info.description,
        type=str(info.type),
        custom_type=info.customType,
        state="RESOLVED" if info.status.state == "RESOLVED" else "ACTIVE",
        stage=str(info.status.stage) if info.status.stage else None,
        priority=info.priority,
        entities=list(info.entities),
        source_type=str(source.type) if source else None,
        source_urn=source.sourceUrn if source else None,
        created_ms=(created.time if created else None) or info.startedAt,
        created_by=created.actor if created else None,
    )
