"""The console's HTTP API and pages (FastAPI + sse-starlette).

    POST /api/runs                    start a run -> 202 {run_id, ...}
    GET  /api/runs                    history, newest first (live + stored)
    GET  /api/runs/{id}               the RunResult (202 + summary while it runs)
    GET  /api/runs/{id}/events        SSE: replay then live; id = seq; resume with Last-Event-ID
    GET  /api/runs/{id}/postmortem.html   the postmortem, rendered and sanitised on the server
    POST /api/reset                   undo what runs wrote to the catalog
    GET  /api/entities/{urn}          the embedded entity page
    GET  /api/incidents[/{urn}|/stats], POST /api/incidents/{urn}/ack|resolve   the watcher's incidents
    GET  /api/info, /healthz          settings the page needs; liveness
    GET  /, /entity, /incidents, /docs   the pages (static, no build step, no CDN)

The incident loop is injected (`runner`), so tests and benches drive the same app with the real loop
on a seeded world or with anything that honours its contract.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sse_starlette import EventSourceResponse, ServerSentEvent

from oncall.config import Config
from oncall.errors import UserError
from oncall.report.models import RunResult, Write
from oncall.untrusted import MAX_REQUEST_CHARS
from oncall.web.entities import EntityPage, entity_page
from oncall.web.errors import ERROR_RESPONSES, install_error_handlers
from oncall.web.history import RunStore, RunSummary
from oncall.web.incidents import add_incident_routes
from oncall.web.markdown import render_markdown
from oncall.web.runs import BusyError, LiveRun, RunManager, Runner
from oncall.web.security import LOOPBACK_HOSTS, Guard

__all__ = ["RunAccepted", "RunRequest", "create_app"]

STATIC = Path(__file__).parent / "static"
ROLES = ("coordinator", "detective", "reality_checker", "fixer")


class RunRequest(BaseModel):
    """Body of `POST /api/runs`."""

    model_config = ConfigDict(extra="forbid")
    incident: str = Field(
        max_length=MAX_REQUEST_CHARS,
        description="The incident in plain words (the run keeps the first words; see `degraded`).",
    )
    dry_run: bool = Field(False, description="Investigate only; write nothing to DataHub.")
    llm: str | None = Field(None, description="Model preset for this run (default: the configured one).")
    history: bool = Field(False, description="Compare with each assertion's last passing run, not a twin.")

    @field_validator("incident")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("describe the incident in a few words, e.g. 'revenue dashboard wrong'")
        return value.strip()

    @field_validator("llm")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        from oncall.llm import PRESETS

        if value is not None and value not in PRESETS:
            raise ValueError(f"unknown model preset {value!r}; choose one of {', '.join(PRESETS)}")
        return value


class RunAccepted(BaseModel):
    """Answer of `POST /api/runs`."""

    run_id: str
    events_url: str
    result_url: str


class RunList(BaseModel):
    runs: list[RunSummary]


class ResetResult(BaseModel):
    writes: list[Write]


def _version() -> str:
    try:
        return metadata.version("datahub-oncall")
    except metadata.PackageNotFoundError:
        return "0"


def _default_runner() -> Runner:
    from oncall.agents import run_incident

    return run_incident


def _default_reset(config: Config) -> list[Write]:
    from oncall.agents import reset

    return list(reset(config))


def _read_entity(config: Config, urn: str) -> EntityPage:
    from oncall.catalog import open_catalog

    catalog = open_catalog(config, read_only=True)
    try:
        return entity_page(catalog, urn, ui_url=config.datahub_ui_url)
    finally:
        catalog.close()


def _after_seq(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is None or not last_event_id.strip():
        return after or 0
    try:
        value = int(last_event_id)
    except ValueError:
        raise UserError(f"Last-Event-ID must be an event seq (an integer), not {last_event_id!r}") from None
    if value < 0:
        raise UserError("Last-Event-ID must be >= 0")
    return value


def create_app(
    config: Config,
    *,
    runner: Runner | None = None,
    reset: Callable[[Config], list[Write]] | None = None,
    ping_s: float = 15.0,
    trusted_hosts: Iterable[str] | None = LOOPBACK_HOSTS,
    max_live: int = 8,
) -> FastAPI:
    """Build the console app.

    Args:
        config: resolved settings (`config.token` turns on bearer auth for `/api/*`).
        runner: the incident loop; default `oncall.agents.run_incident` (imported on first use).
        reset: undo of the runs' writes; default `oncall.agents.reset`.
        ping_s: seconds between SSE heartbeats (tests shorten it).
        trusted_hosts: Host header names served; None accepts any (use only with a token).
        max_live: runs allowed at once; more get 409.
    """
    manager = RunManager(config, runner or _LazyRunner(), RunStore(config.runs_dir), max_live=max_live)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # runs a killed server (or CLI) left unfinished: closed as `interrupted`, not "running" forever
        with contextlib.suppress(OSError):
            await asyncio.to_thread(manager.store.finish_interrupted)
        yield
        await manager.shutdown()

    app = FastAPI(
        title="datahub-oncall console",
        version=_version(),
        description="Run an incident through the four agents and watch them work.",
        docs_url=None,  # FastAPI's Swagger page loads from a CDN; /docs is our own offline page
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.manager = manager
    app.state.config = config
    install_error_handlers(app)
    app.add_middleware(Guard, token=config.token, trusted_hosts=trusted_hosts)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_pages(app)
    api = APIRouter(responses=ERROR_RESPONSES)
    _add_run_routes(api, manager, ping_s)
    _add_catalog_routes(api, config, reset or _default_reset)
    add_incident_routes(api, config)
    app.include_router(api)
    return app


class _LazyRunner:
    """Imports the agents on the first run, so the app starts even while they load slowly."""

    def __call__(self, incident: str, **kwargs: Any) -> Any:
        return _default_runner()(incident, **kwargs)


def _add_pages(app: FastAPI) -> None:
    def page(name: str) -> Callable[[], FileResponse]:
        def serve() -> FileResponse:
            return FileResponse(STATIC / name, media_type="text/html", headers={"cache-control": "no-cache"})

        return serve

    app.get("/", include_in_schema=False)(page("index.html"))
    app.get("/entity", include_in_schema=False)(page("entity.html"))
    app.get("/incidents", include_in_schema=False)(page("incidents.html"))
    app.get("/docs", include_in_schema=False)(page("docs.html"))

    @app.get("/healthz", tags=["meta"])
    def healthz(request: Request) -> dict[str, Any]:
        """Liveness: answers without touching the catalog."""
        return {"ok": True, "version": _version(), "live_runs": len(request.app.state.manager.live)}


def _add_run_routes(app: APIRouter, manager: RunManager, ping_s: float) -> None:
    @app.post("/api/runs", status_code=202, tags=["runs"])
    async def start_run(body: RunRequest, response: Response) -> RunAccepted:
        """Start a run; follow it on `events_url`, read the result on `result_url` when it has finished."""
        run = manager.start(body.incident, dry_run=body.dry_run, llm=body.llm, history=body.history)
        result_url = f"/api/runs/{run.run_id}"
        response.headers["location"] = result_url
        return RunAccepted(run_id=run.run_id, events_url=f"{result_url}/events", result_url=result_url)

    @app.get("/api/runs", tags=["runs"])
    async def list_runs() -> RunList:
        """Live and past runs, newest first."""
        return RunList(runs=await manager.list())

    @app.get(
        "/api/runs/{run_id}",
        tags=["runs"],
        response_model=None,
        responses={200: {"model": RunResult}, 202: {"model": RunSummary, "description": "Still running"}},
    )
    async def get_run(run_id: str) -> dict[str, Any] | JSONResponse:
        """The run result (DESIGN.md section 7); 202 with the run's summary while it still runs."""
        found = await manager.result(run_id)
        if isinstance(found, LiveRun):
            return JSONResponse(found.summary().model_dump(mode="json"), status_code=202)
        return found.model_dump(mode="json")

    @app.get("/api/runs/{run_id}/postmortem.html", tags=["runs"], response_class=HTMLResponse)
    async def postmortem(run_id: str, request: Request) -> HTMLResponse:
        """The postmortem rendered to HTML on the server (raw HTML escaped, links allow-listed)."""
        found = await manager.result(run_id)
        if isinstance(found, LiveRun):
            raise BusyError(f"run {run_id} is still going; the postmortem comes when it finishes")
        html = render_markdown(found.postmortem_markdown, ui_url=request.app.state.config.datahub_ui_url)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    @app.get(
        "/api/runs/{run_id}/events",
        tags=["runs"],
        response_model=None,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Event stream"},
            204: {"description": "Nothing after Last-Event-ID"},
        },
    )
    async def run_events(
        run_id: str,
        last_event_id: Annotated[str | None, Header()] = None,
        after: Annotated[int | None, Query(ge=0, description="Replay from after this seq.")] = None,
    ) -> EventSourceResponse | Response:
        """Server-sent events of a run: replay then live, `id` = seq; 204 when nothing is left."""
        start = _after_seq(last_event_id, after)
        if not manager.has_more(run_id, start):
            return Response(status_code=204)  # tells EventSource not to reconnect
        return EventSourceResponse(_sse(manager, run_id, start), ping=ping_s, send_timeout=30)


async def _sse(manager: RunManager, run_id: str, after: int) -> AsyncIterator[ServerSentEvent]:
    first = True
    async for event in manager.events(run_id, after):
        yield ServerSentEvent(data=event.model_dump_json(), id=str(event.seq), retry=1000 if first else None)
        first = False


def _add_catalog_routes(app: APIRouter, config: Config, reset: Callable[[Config], list[Write]]) -> None:
    @app.post("/api/reset", tags=["catalog"])
    async def reset_catalog(request: Request) -> ResetResult:
        """Resolve or remove what runs wrote to DataHub (refused while runs are going)."""
        if request.app.state.manager.live:
            raise BusyError("runs are going; reset when they have finished")
        return ResetResult(writes=await asyncio.to_thread(reset, config))

    @app.get("/api/entities/{urn:path}", tags=["catalog"])
    async def get_entity(urn: str) -> EntityPage:
        """The entity page: description, active incidents, assertions with latest results, lineage, owners."""
        if not urn.startswith("urn:li:"):
            raise UserError(f"{urn!r} is not a DataHub URN (they start with 'urn:li:')")
        return await asyncio.to_thread(_read_entity, config, urn)

    @app.get("/api/info", tags=["meta"])
    def info() -> dict[str, Any]:
        """What the page needs to know: catalog backend, where entity links go, the model preset."""
        return {
            "version": _version(),
            "catalog": config.catalog,
            "datahub_ui_url": config.datahub_ui_url,
            "llm_preset": config.llm_preset,
            "baseline_instance": config.baseline_instance,
            "production_instance": config.production_instance,
            "roles": list(ROLES),
        }
