"""Typed catalog entities built from the world's own schema and BI layer (for pure-function tests).

No catalog involved: these are the same names, descriptions, columns and tags the catalog ingests, so the
Detective's ranking is tested on honest metadata.
"""

from __future__ import annotations

from oncall.catalog.types import Entity, EntityRef, LineageNode, Owner, SchemaField
from oncall.world.bi import CHARTS, DASHBOARDS
from oncall.world.metadata import OWNERS, TAGS
from oncall.world.schema import TABLES, VIEWS


def dataset_urn(instance: str, table: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:sqlite,{instance}.main.{table},PROD)"


def chart_urn(instance: str, chart_id: str) -> str:
    return f"urn:li:chart:(superset,{instance}.{chart_id})"


def dashboard_urn(instance: str, dash_id: str) -> str:
    return f"urn:li:dashboard:(superset,{instance}.{dash_id})"


def world_entities(instances: tuple[str, ...] = ("olist_dirty", "olist_source")) -> list[Entity]:
    """Every dataset, chart and dashboard of the demo world, per instance."""
    out: list[Entity] = []
    for inst in instances:
        for t in TABLES:
            tags = [f"urn:li:tag:{tag}" for tag, tables in TAGS.items() if t.name in tables]
            owners = [Owner(urn=f"urn:li:corpGroup:{g}") for g, tables in OWNERS.items() if t.name in tables]
            out.append(
                Entity(
                    urn=dataset_urn(inst, t.name),
                    type="dataset",
                    name=t.name,
                    platform="sqlite",
                    instance=inst,
                    subtype="Table",
                    description=t.description,
                    fields=[SchemaField(path=c) for c in t.columns],
                    tags=tags,
                    owners=owners,
                )
            )
        for v in VIEWS:
            out.append(
                Entity(
                    urn=dataset_urn(inst, v.name),
                    type="dataset",
                    name=v.name,
                    platform="sqlite",
                    instance=inst,
                    subtype="View",
                    description=v.description,
                    inputs=[dataset_urn(inst, u) for u in v.upstream],
                )
            )
        for c in CHARTS:
            out.append(
                Entity(
                    urn=chart_urn(inst, c.id),
                    type="chart",
                    name=c.title,
                    platform="superset",
                    instance=inst,
                    subtype="Chart",
                    description=c.description,
                    inputs=[dataset_urn(inst, i) for i in c.inputs],
                    owners=[Owner(urn=f"urn:li:corpGroup:{g}") for g in c.owners],
                )
            )
        for d in DASHBOARDS:
            out.append(
                Entity(
                    urn=dashboard_urn(inst, d.id),
                    type="dashboard",
                    name=d.title,
                    platform="superset",
                    instance=inst,
                    subtype="Dashboard",
                    description=d.description,
                    inputs=[chart_urn(inst, c) for c in d.charts],
                    owners=[Owner(urn=f"urn:li:corpGroup:{g}") for g in d.owners],
                )
            )
    return out


def upstream_nodes(entities: list[Entity], start: str) -> list[LineageNode]:
    """Breadth-first walk of `inputs` from `start`: each entity once, at its shortest path."""
    by_urn = {e.urn: e for e in entities}
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for urn in frontier:
            for up in by_urn[urn].inputs:
                if up not in paths:
                    paths[up] = [*paths[urn], up]
                    nxt.append(up)
        frontier = nxt
    return [LineageNode(ref=_ref(by_urn[u]), hops=len(p) - 1, path=p) for u, p in paths.items() if u != start]


def downstream_nodes(entities: list[Entity], start: str) -> list[LineageNode]:
    """The reverse walk: everything that reads `start`, directly or not."""
    readers: dict[str, list[str]] = {}
    for e in entities:
        for up in e.inputs:
            readers.setdefault(up, []).append(e.urn)
    by_urn = {e.urn: e for e in entities}
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for urn in frontier:
            for down in readers.get(urn, []):
                if down not in paths:
                    paths[down] = [*paths[urn], down]
                    nxt.append(down)
        frontier = nxt
    return [LineageNode(ref=_ref(by_urn[u]), hops=len(p) - 1, path=p) for u, p in paths.items() if u != start]


def _ref(entity: Entity) -> EntityRef:
    return EntityRef(**{k: getattr(entity, k) for k in EntityRef.model_fields})
