"""Seed DataHub with the Olist demo world: both instances through DataHub's ingestion framework, then
the BI layer and the kit metadata through the SDK.

The world databases go through the generic SQLAlchemy source (`oncall.catalog.ingest`) on `platform:
sqlite` with the table descriptions of the world schema, sinking into the catalog's own store. Charts,
dashboards, tags, glossary terms and owners are MCPs emitted through the `Catalog`, merged with what is
already there so a re-run (or a human edit) is never clobbered. A re-run is idempotent: the same
entities, edges and metadata (the framework stamps lineage and query aspects with the ingestion time,
so Lite keeps one more version of those per run, as DataHub keeps their history).

A server indexes what it is sent after the call returns (and the sink's async batches are only
queued), so against GMS each instance is read back until the index shows all of it, before the kit
metadata is applied and the counts are taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel, computed_field

from oncall.catalog.base import Catalog
from oncall.catalog.ingest import (
    merge_ownership,
    merge_terms,
    run_pipeline,
    settled,
    sink_for,
    sqlalchemy_recipe,
)
from oncall.catalog.types import EntityType
from oncall.catalog.urns import group_urn, platform_instance_urn, table_of, tag_urn, term_urn
from oncall.errors import CatalogError, WorldError
from oncall.world import bi, metadata, schema
from oncall.world.build import BASELINE, DIRTY_DB, PRODUCTION, SOURCE_DB
from oncall.world.urns import DATASET_PLATFORM, chart_urn, dashboard_urn, dataset_urn

__all__ = ["IngestSummary", "InstanceSummary", "bi_mcps", "ingest_world", "recipe", "verify_lineage"]

Progress = Callable[[str], None]


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


def recipe(db: Path, instance: str, sink: dict[str, Any]) -> dict[str, Any]:
    """The ingestion recipe of one world database."""
    descriptions = {t.name: t.description for t in schema.TABLES} | {
        v.name: v.description for v in schema.VIEWS
    }
    return sqlalchemy_recipe(
        f"sqlite:///{db.resolve()}",
        platform=DATASET_PLATFORM,
        instance=instance,
        sink=sink,
        pipeline_name=f"oncall-{instance}",
        descriptions=descriptions,
    )


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
    for business in metadata.BUSINESS_TERMS:
        info = m.GlossaryTermInfoClass(
            definition=business.definition, termSource="INTERNAL", name=business.name
        )
        out.append(MCPW(entityUrn=term_urn(business.id), aspect=info))
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
    for business in metadata.BUSINESS_TERMS:
        carriers = [
            *(dataset_urn(instance, t) for t in business.datasets),
            *(chart_urn(instance, c) for c in business.charts),
            *(dashboard_urn(instance, d) for d in business.dashboards),
        ]
        for urn in carriers:
            terms.setdefault(urn, []).append(business.id)
    mcps: list[Any] = []
    for urn, term_ids in terms.items():
        mcps += merge_terms(catalog, urn, term_ids)
    for urn, groups in _owners_by_entity(instance).items():
        mcps += merge_ownership(catalog, urn, groups)
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


# ------------------------------------------------------------------------------------------- ingest


def ingest_world(home: Path, catalog: Catalog, progress: Progress | None = None) -> IngestSummary:
    """Ingest both world instances of `home`, the BI layer and the kit metadata; verify the lineage.

    Instances: `olist_source` from `olist_source.db` (the clean twin) and `olist_dirty` from
    `olist_dirty.db` (production). Raises `WorldError` if a world database is missing, `CatalogError`
    if ingestion or the lineage check fails.
    """
    say = progress or (lambda _m: None)
    start = time.perf_counter()
    pairs = [(BASELINE, Path(home) / SOURCE_DB), (PRODUCTION, Path(home) / DIRTY_DB)]
    for _instance, db in pairs:
        if not db.is_file():
            raise WorldError(f"world database {db} is missing; build the world first (`oncall setup`)")
    catalog.emit(_definitions())
    summaries = []
    for instance, db in pairs:
        summaries.append(_ingest_instance(catalog, instance, db, say))
    reindex = getattr(catalog, "reindex_browse", None)  # Lite: browse paths of what the sink wrote
    if reindex is not None:
        reindex()
    total = time.perf_counter() - start
    say(f"catalog: {sum(s.tables + s.views for s in summaries)} datasets ingested in {total:.1f} s")
    return IngestSummary(backend=catalog.backend, instances=summaries, seconds=round(total, 3))


def _ingest_instance(catalog: Catalog, instance: str, db: Path, say: Progress) -> InstanceSummary:
    began = time.perf_counter()
    say(f"catalog: ingesting {instance} from {db.name} (DataHub sqlalchemy source)")
    # Lite: the sink opens its own writer on the file; pause ours so there is one writer at a time.
    exclusive = getattr(catalog, "exclusive", None)
    with exclusive() if exclusive else nullcontext():
        run_pipeline(recipe(db, instance, sink_for(catalog)))
    catalog.emit(bi_mcps(instance))
    listed, (edges, columns) = settled(
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
