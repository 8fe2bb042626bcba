"""Put the Olist world into DataHub: both instances through DataHub's ingestion framework, then the BI
layer and the kit metadata through the SDK.

The databases go through `Pipeline.create(recipe)` with the generic SQLAlchemy source on `platform:
sqlite`, using `SqliteSource` below (the two SQLite fixes of REFERENCE.md D1 plus table descriptions),
and sink into the catalog's own store: `datahub-lite` for the Lite file, `datahub-rest` for a server.
Charts, dashboards, tags, glossary terms and owners are MCPs emitted through the `Catalog`, merged with
what is already there so a re-run (or a human edit) is never clobbered. A re-run is idempotent: the
same entities, edges and metadata (the framework stamps lineage and query aspects with the ingestion
time, so Lite keeps one more version of those per run, as DataHub keeps their history).

A server indexes what it is sent after the call returns (and the sink's async batches are only
queued), so against GMS each instance is read back until the index shows all of it, before the kit
metadata is applied and the counts are taken.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from datahub.ingestion.source.sql.sql_generic import SQLAlchemyGenericConfig, SQLAlchemyGenericSource
from pydantic import BaseModel, Field, computed_field

from oncall.catalog._telemetry import telemetry_off
from oncall.catalog.base import Catalog
from oncall.catalog.types import EntityType
from oncall.catalog.urns import (
    DATASET_PLATFORM,
    ENV,
    chart_urn,
    dashboard_urn,
    dataset_urn,
    group_urn,
    platform_instance_urn,
    table_of,
    tag_urn,
    term_urn,
)
from oncall.errors import CatalogError, WorldError
from oncall.world import bi, metadata, schema

__all__ = ["IngestSummary", "InstanceSummary", "SqliteSource", "ingest_world", "recipe"]

Progress = Callable[[str], None]
T = TypeVar("T")
_ACTOR = "urn:li:corpuser:oncall"


# ------------------------------------------------------------------------------------------- source


class SqliteSourceConfig(SQLAlchemyGenericConfig):
    """The generic SQLAlchemy config plus descriptions for tables that SQLite cannot comment."""

    descriptions: dict[str, str] = Field(default_factory=dict, description="table or view -> description")


class SqliteSource(SQLAlchemyGenericSource):
    """The generic SQLAlchemy source, fixed for SQLite (REFERENCE.md D1).

    1. SQLite identifiers are `main.<table>` (two parts), so the default/db split of view lineage
       failed and pointed upstreams at ghost URNs without `main.`; the schema is the first part.
    2. SQLite foreign keys are usually unnamed and `ForeignKeyConstraint.name` is required; give
       them a stable name from their columns and referred table.
    """

    config: SqliteSourceConfig

    @classmethod
    def create(cls, config_dict: dict[str, Any], ctx: Any) -> SqliteSource:
        return cls(SqliteSourceConfig.model_validate(config_dict), ctx)

    def get_db_schema(self, dataset_identifier: str) -> tuple[str | None, str]:
        schema_name, _table = dataset_identifier.split(".", 1)
        return None, schema_name

    def get_foreign_key_metadata(self, dataset_urn: str, schema: str, fk_dict: Any, inspector: Any) -> Any:
        if not fk_dict.get("name"):
            columns = "_".join(fk_dict.get("constrained_columns") or [])
            fk_dict = {**fk_dict, "name": f"fk_{columns}__{fk_dict.get('referred_table')}"}
        return super().get_foreign_key_metadata(dataset_urn, schema, fk_dict, inspector)

    def get_db_name(self, inspector: Any) -> str:
        # The database container is keyed by this name; the file name (not its absolute path) keeps
        # the container stable when the project home moves.
        return Path(super().get_db_name(inspector)).name

    def get_table_properties(self, inspector: Any, schema: str, table: str) -> Any:
        description, properties, location = super().get_table_properties(inspector, schema, table)
        return description or self.config.descriptions.get(table), properties, location


# ------------------------------------------------------------------------------------------ summary


class InstanceSummary(BaseModel):
    """What one platform instance holds after ingestion."""

    instance: str
    db: str
    tables: int
    views: int
    charts: int
    dashboards: int
    lineage_edges: int
    """Table-level view -> table edges."""
    column_edges: int
    """Column-level (fine-grained) lineage entries over all views."""
    seconds: float


class IngestSummary(BaseModel):
    """Result of `ingest_world`."""

    backend: str
    instances: list[InstanceSummary]
    seconds: float

    # pydantic's documented pattern; mypy rejects any decorator stacked on @property (pydantic#6709)
    @computed_field  # type: ignore[prop-decorator]
    @property
    def datasets(self) -> int:
        """Datasets over all instances."""
        return sum(i.tables + i.views for i in self.instances)


# ------------------------------------------------------------------------------------------- recipe


def _sink(catalog: Catalog) -> dict[str, Any]:
    from oncall.catalog.gms import GmsCatalog
    from oncall.catalog.lite import LiteCatalog

    if isinstance(catalog, LiteCatalog):
        options = {"journal_mode": "WAL", "busy_timeout": 5000, "synchronous": "NORMAL"}
        return {
            "type": "datahub-lite",
            "config": {"type": "sqlite", "config": {"file": str(catalog.path), "options": options}},
        }
    if isinstance(catalog, GmsCatalog):
        return {"type": "datahub-rest", "config": catalog.server_config()}
    raise CatalogError(f"cannot ingest into a {catalog.backend!r} catalog: no DataHub sink for it")


def recipe(db: Path, instance: str, sink: dict[str, Any]) -> dict[str, Any]:
    """The ingestion recipe of one world database."""
    descriptions = {t.name: t.description for t in schema.TABLES} | {
        v.name: v.description for v in schema.VIEWS
    }
    return {
        "pipeline_name": f"oncall-{instance}",
        "source": {
            "type": f"{SqliteSource.__module__}.{SqliteSource.__name__}",
            "config": {
                "platform": DATASET_PLATFORM,
                "connect_uri": f"sqlite:///{db.resolve()}",
                "platform_instance": instance,
                "env": ENV,
                "include_tables": True,
                "include_views": True,
                "include_view_lineage": True,
                "include_view_column_lineage": True,
                "profiling": {"enabled": False},
                "descriptions": descriptions,
            },
        },
        "sink": sink,
    }


@contextmanager
def _quiet_datahub() -> Iterator[None]:
    """No telemetry, and the framework's chatter below ERROR kept off the user's terminal."""
    telemetry_off()
    log = logging.getLogger("datahub")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _offline_pipeline() -> type[Any]:
    """DataHub's Pipeline without its version check.

    `Pipeline.run()` asks pypi.org and api.github.com for the latest releases before ingesting (up to
    2 s, and outbound traffic from a tool that must work offline and in loopback-only tests). The
    check only adds a report warning when a server's default CLI is newer, so we skip it.
    """
    from datahub.ingestion.run.pipeline import Pipeline

    class OfflinePipeline(Pipeline):
        def _warn_old_cli_version(self) -> None:
            return None

    return OfflinePipeline


def _run_pipeline(config_dict: dict[str, Any]) -> None:
    pipeline_class = _offline_pipeline()
    with _quiet_datahub():
        try:
            pipeline = pipeline_class.create(config_dict)
            pipeline.run()
        except Exception as exc:  # the framework raises plain exceptions for config and sink errors
            raise CatalogError(f"DataHub ingestion of {config_dict['pipeline_name']} failed: {exc}") from exc
        failures = list(pipeline.source.get_report().failures) + list(pipeline.sink.get_report().failures)
        if failures:
            raise CatalogError(f"DataHub ingestion of {config_dict['pipeline_name']} failed: {failures[:3]}")


# --------------------------------------------------------------------------------------- BI layer


def bi_mcps(instance: str) -> list[Any]:
    """Charts and dashboards of the BI layer (DESIGN.md 6b) for one platform instance."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    dpi = m.DataPlatformInstanceClass(
        platform=f"urn:li:dataPlatform:{bi.BI_PLATFORM}",
        instance=platform_instance_urn(bi.BI_PLATFORM, instance),
    )
    out: list[Any] = []
    for chart in bi.CHARTS:
        urn = chart_urn(instance, chart.id)
        chart_info = m.ChartInfoClass(
            title=chart.title,
            description=chart.description,
            lastModified=m.ChangeAuditStampsClass(),
            inputs=[dataset_urn(instance, name) for name in chart.inputs],
            customProperties={"instance": instance},
        )
        out += [MCPW(entityUrn=urn, aspect=a) for a in (chart_info, dpi, m.StatusClass(removed=False))]
    for dash in bi.DASHBOARDS:
        urn = dashboard_urn(instance, dash.id)
        dash_info = m.DashboardInfoClass(
            title=dash.title,
            description=dash.description,
            lastModified=m.ChangeAuditStampsClass(),
            charts=[chart_urn(instance, c) for c in dash.charts],
            customProperties={"instance": instance},
        )
        out += [MCPW(entityUrn=urn, aspect=a) for a in (dash_info, dpi, m.StatusClass(removed=False))]
    return out


def _owners_by_entity(instance: str) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for group, tables in metadata.OWNERS.items():
        for t in tables:
            owners.setdefault(dataset_urn(instance, t), []).append(group)
    for chart in bi.CHARTS:
        owners.setdefault(chart_urn(instance, chart.id), []).extend(chart.owners)
    for dash in bi.DASHBOARDS:
        owners.setdefault(dashboard_urn(instance, dash.id), []).extend(dash.owners)
    return owners


def _merge_ownership(catalog: Catalog, urn: str, groups: list[str]) -> list[Any]:
    """Ownership with the kit's DATAOWNER groups added to whatever owners exist."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    current = catalog.get_aspect(urn, m.OwnershipClass)
    owners = list(current.owners) if current else []
    have = {o.owner for o in owners}
    extra = [
        m.OwnerClass(owner=group_urn(g), type=m.OwnershipTypeClass.DATAOWNER)
        for g in dict.fromkeys(groups)
        if group_urn(g) not in have
    ]
    if not extra:
        return []
    return [MCPW(entityUrn=urn, aspect=m.OwnershipClass(owners=owners + extra))]


def _merge_terms(catalog: Catalog, urn: str, terms: list[str]) -> list[Any]:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    current = catalog.get_aspect(urn, m.GlossaryTermsClass)
    have = list(current.terms) if current else []
    known = {t.urn for t in have}
    extra = [m.GlossaryTermAssociationClass(urn=term_urn(t)) for t in terms if term_urn(t) not in known]
    if not extra:
        return []
    stamp = current.auditStamp if current else m.AuditStampClass(time=0, actor=_ACTOR)
    return [MCPW(entityUrn=urn, aspect=m.GlossaryTermsClass(terms=have + extra, auditStamp=stamp))]


def _definitions() -> list[Any]:
    """Tag, glossary-term and group entities (instance-independent)."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    out: list[Any] = []
    for tag in metadata.TAGS:
        out.append(
            MCPW(entityUrn=tag_urn(tag), aspect=m.TagPropertiesClass(name=tag, description=f"Kit tag {tag}"))
        )
    for term, (name, _tables) in metadata.GLOSSARY_TERMS.items():
        term_info = m.GlossaryTermInfoClass(
            definition=f"{name} (Olist kit glossary)", termSource="INTERNAL", name=name
        )
        out.append(MCPW(entityUrn=term_urn(term), aspect=term_info))
    groups = (
        set(metadata.OWNERS)
        | {g for c in bi.CHARTS for g in c.owners}
        | {g for d in bi.DASHBOARDS for g in d.owners}
    )
    for group in sorted(groups):
        group_info = m.CorpGroupInfoClass(
            displayName=group.replace("_", " ").title(), admins=[], members=[], groups=[]
        )
        out.append(MCPW(entityUrn=group_urn(group), aspect=group_info))
    return out


def apply_kit_metadata(catalog: Catalog, instance: str) -> None:
    """Tags, glossary terms and owners of one instance, merged into what is already there."""
    for tag, tables in metadata.TAGS.items():
        for t in tables:
            catalog.add_tags(dataset_urn(instance, t), [tag_urn(tag)])
    terms: dict[str, list[str]] = {}
    for term, (_name, tables) in metadata.GLOSSARY_TERMS.items():
        for t in tables:
            terms.setdefault(dataset_urn(instance, t), []).append(term)
    mcps: list[Any] = []
    for urn, term_ids in terms.items():
        mcps += _merge_terms(catalog, urn, term_ids)
    for urn, groups in _owners_by_entity(instance).items():
        mcps += _merge_ownership(catalog, urn, groups)
    if mcps:
        catalog.emit(mcps)


# ------------------------------------------------------------------------------------ verification


def verify_lineage(catalog: Catalog, instance: str) -> tuple[int, int]:
    """Check view lineage against the world schema; returns (table edges, column edges).

    Table level: each view's one-hop upstreams are exactly its tables. Column level: every
    fine-grained entry points from a column of one of those tables to a column of the view.
    """
    import datahub.metadata.schema_classes as m

    edges = columns = 0
    for view in schema.VIEWS:
        urn = dataset_urn(instance, view.name)
        got = {n.ref.urn for n in catalog.lineage(urn, direction="upstream", hops=1)}
        want = {dataset_urn(instance, t) for t in view.upstream}
        if got != want:
            raise CatalogError(
                f"view lineage of {urn} does not match the world schema: expected {sorted(want)}, got "
                f"{sorted(got)}; the SQLite source fixes did not apply"
            )
        edges += len(got)
        lineage = catalog.get_aspect(urn, m.UpstreamLineageClass)
        fine = list(lineage.fineGrainedLineages or []) if lineage else []
        for entry in fine:
            sources = {u[len("urn:li:schemaField:(") :].rsplit(",", 1)[0] for u in entry.upstreams or []}
            if not sources <= want:
                raise CatalogError(
                    f"column lineage of {urn} points outside its tables: {sorted(sources - want)}"
                )
        if not fine:
            raise CatalogError(f"view {urn} has no column-level lineage after ingestion")
        columns += len(fine)
    return edges, columns


def _listed(catalog: Catalog, instance: str) -> dict[EntityType, list[str]]:
    """The instance's URNs per type; CatalogError if any table, view, chart or dashboard is missing."""
    names = [t.name for t in schema.TABLES] + [v.name for v in schema.VIEWS]
    expected: dict[EntityType, set[str]] = {
        "dataset": {dataset_urn(instance, name) for name in names},
        "chart": {chart_urn(instance, c.id) for c in bi.CHARTS},
        "dashboard": {dashboard_urn(instance, d.id) for d in bi.DASHBOARDS},
    }
    listed = {kind: catalog.list_urns(kind, instance) for kind in expected}
    missing = sorted(u for kind, want in expected.items() for u in want - set(listed[kind]))
    if missing:
        raise CatalogError(
            f"{len(missing)} tables, views, charts or dashboards of {instance} are not in the catalog "
            f"after ingestion, e.g. {missing[0]}"
        )
    return listed


def _settled(catalog: Catalog, check: Callable[[], T], *, what: str) -> T:
    """`check()` once on Lite (it reads its own writes); on a server, until its index shows them."""
    wait = getattr(catalog, "until_indexed", None)
    return wait(check, what=what) if wait else check()


# ------------------------------------------------------------------------------------------- ingest


def ingest_world(config: Any, catalog: Catalog, progress: Progress | None = None) -> IngestSummary:
    """Ingest both world instances, the BI layer and the kit metadata; verify the view lineage.

    Instances: `config.baseline_instance` from `config.source_db` and `config.production_instance`
    from `config.dirty_db`. Raises `WorldError` if a world database is missing, `CatalogError` if
    ingestion or the lineage check fails.
    """
    say = progress or (lambda _m: None)
    start = time.perf_counter()
    pairs = [
        (config.baseline_instance, Path(config.source_db)),
        (config.production_instance, Path(config.dirty_db)),
    ]
    for _instance, db in pairs:
        if not db.is_file():
            raise WorldError(f"world database {db} is missing; build the world first (`oncall setup`)")
    catalog.emit(_definitions())
    summaries = []
    for instance, db in pairs:
        summaries.append(_ingest_instance(catalog, instance, db, say))
    from oncall.catalog.lite import LiteCatalog

    if isinstance(catalog, LiteCatalog):
        catalog.reindex_browse()
    total = time.perf_counter() - start
    say(f"catalog: {sum(s.tables + s.views for s in summaries)} datasets ingested in {total:.1f} s")
    return IngestSummary(backend=catalog.backend, instances=summaries, seconds=round(total, 3))


def _ingest_instance(catalog: Catalog, instance: str, db: Path, say: Progress) -> InstanceSummary:
    began = time.perf_counter()
    say(f"catalog: ingesting {instance} from {db.name} (DataHub sqlalchemy source)")
    # Lite: the sink opens its own writer on the file; pause ours so there is one writer at a time.
    exclusive = getattr(catalog, "exclusive", None)
    with exclusive() if exclusive else nullcontext():
        _run_pipeline(recipe(db, instance, _sink(catalog)))
    catalog.emit(bi_mcps(instance))
    listed, (edges, columns) = _settled(
        catalog,
        lambda: (_listed(catalog, instance), verify_lineage(catalog, instance)),
        what=f"the ingested {instance} instance",
    )
    apply_kit_metadata(catalog, instance)  # tags need the datasets in place: listed implies stored
    names = [table_of(u) for u in listed["dataset"]]
    view_names = {v.name for v in schema.VIEWS}
    summary = InstanceSummary(
        instance=instance,
        db=str(db),
        tables=sum(n not in view_names for n in names),
        views=sum(n in view_names for n in names),
        charts=len(listed["chart"]),
        dashboards=len(listed["dashboard"]),
        lineage_edges=edges,
        column_edges=columns,
        seconds=round(time.perf_counter() - began, 3),
    )
    say(
        f"catalog: {instance}: {summary.tables} tables, {summary.views} views, {summary.charts} charts, "
        f"{summary.dashboards} dashboards; lineage {edges} table / {columns} column edges verified"
    )
    return summary
