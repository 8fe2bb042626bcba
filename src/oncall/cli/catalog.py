"""Commands of the `catalog` group (search, show, lineage, ping) and the top-level `setup`."""

from __future__ import annotations

import sys

import click

from oncall.catalog import Catalog, open_catalog
from oncall.catalog.types import Entity, LineageNode, SearchHit
from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

__all__ = ["register"]

_TYPES = click.Choice(["dataset", "chart", "dashboard"])


def _open(home: str | None, *, read_only: bool = True) -> Catalog:
    return open_catalog(make_config(home), read_only=read_only)


@click.group("catalog")
def catalog_group() -> None:
    """Look things up in DataHub (the embedded Lite file, or a server when catalog=gms).

    \b
    oncall catalog search "revenue dashboard"
    oncall catalog show 'urn:li:dashboard:(superset,olist_dirty.revenue)'
    oncall catalog lineage 'urn:li:dashboard:(superset,olist_dirty.revenue)' --hops 3
    oncall catalog ping
    """


@catalog_group.command("search")
@click.argument("text")
@click.option("--type", "types", type=_TYPES, multiple=True, help="Only this entity type (repeatable).")
@click.option("--instance", default=None, help="Only this platform instance, e.g. olist_dirty.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@home_option
@json_option
@oncall_command
def search(
    text: str, types: tuple[str, ...], instance: str | None, limit: int, home: str | None, as_json: bool
) -> None:
    """Find datasets, charts and dashboards by words; best first, with why each matched."""
    catalog = _open(home)
    try:
        hits = catalog.search(text, types=list(types) or None, instance=instance, limit=limit)  # type: ignore[arg-type]
    finally:
        catalog.close()
    if as_json:
        echo_json([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo(f"no match for {text!r}")
    for hit in hits:
        _echo_hit(hit)


def _echo_hit(hit: SearchHit) -> None:
    ref = hit.ref
    click.echo(f"{hit.score:6.2f}  {ref.type:<9} {ref.name}  [{ref.instance or '-'}]")
    click.echo(f"        {ref.urn}")
    click.echo(f"        why: {'; '.join(hit.reasons)}")


@catalog_group.command("show")
@click.argument("urn")
@home_option
@json_option
@oncall_command
def show(urn: str, home: str | None, as_json: bool) -> None:
    """Show one entity: description, columns, owners, tags, terms, links, incidents, inputs."""
    catalog = _open(home)
    try:
        entity = catalog.get(urn)
    finally:
        catalog.close()
    if as_json:
        echo_json(entity)
        return
    _echo_entity(entity)


def _echo_entity(e: Entity) -> None:
    click.echo(f"{e.name}  ({e.subtype or e.type} on {e.platform}, instance {e.instance or '-'})")
    click.echo(e.urn)
    if e.description:
        click.echo(f"\n{e.description}")
    sections = {
        "owners": [f"{o.urn} ({o.type})" for o in e.owners],
        "tags": e.tags,
        "glossary terms": e.terms,
        "inputs": e.inputs,
        "columns": [f"{f.path} {f.native_type or ''}".rstrip() for f in e.fields],
        "links": [f"{link.label}: {link.url}" for link in e.links],
        "active incidents": [f"{i.title} ({i.urn})" for i in e.incidents],
    }
    for title, items in sections.items():
        if items:
            click.echo(f"\n{title}:")
            for item in items:
                click.echo(f"  - {item}")
    if e.view_logic:
        click.echo(f"\nview logic:\n{e.view_logic}")


@catalog_group.command("lineage")
@click.argument("urn")
@click.option("--downstream", is_flag=True, help="Walk downstream (what it feeds) instead of upstream.")
@click.option("--hops", type=click.IntRange(1, 100), default=None, help="Stop after N hops. [default: all]")
@home_option
@json_option
@oncall_command
def lineage(urn: str, downstream: bool, hops: int | None, home: str | None, as_json: bool) -> None:
    """Upstream (or downstream) lineage with the path to each entity, nearest first."""
    catalog = _open(home)
    try:
        nodes = catalog.lineage(urn, direction="downstream" if downstream else "upstream", hops=hops)
    finally:
        catalog.close()
    if as_json:
        echo_json([n.model_dump(mode="json") for n in nodes])
        return
    if not nodes:
        click.echo(f"no {'downstream' if downstream else 'upstream'} lineage for {urn}")
    for node in nodes:
        _echo_node(node)


def _echo_node(node: LineageNode) -> None:
    ref = node.ref
    click.echo(f"{node.hops}  {ref.type:<9} {ref.name}  [{ref.instance or '-'}]  {ref.urn}")


@catalog_group.command("ping")
@home_option
@json_option
@oncall_command
def ping(home: str | None, as_json: bool) -> None:
    """Tell whether the catalog answers, and its version."""
    catalog = _open(home)
    try:
        info = catalog.ping()
    finally:
        catalog.close()
    if as_json:
        echo_json(info)
    elif info.get("ok"):
        click.echo(f"{info['backend']} catalog at {info['location']} answers: {info['version']}")
    else:
        where = f"{info['backend']} catalog at {info['location']}"
        click.echo(f"Error: {where} does not answer: {info['error']}", err=True)
    if not info.get("ok"):
        sys.exit(1)


@click.command("setup")
@click.option("--force", is_flag=True, help="Rebuild the world and the catalog from scratch.")
@click.option(
    "--scale",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="World scale when the world is built (default 1.0; must match an existing world unless --force).",
)
@home_option
@json_option
@oncall_command
def setup_command(force: bool, scale: float | None, home: str | None, as_json: bool) -> None:
    """Build the world if missing, ingest it into DataHub, and publish the assertion suites.

    Idempotent: running it again changes nothing in the catalog but appends fresh assertion runs.
    """
    from oncall.bootstrap import setup

    summary = setup(make_config(home), force=force, scale=scale, progress=progress)
    if as_json:
        echo_json(summary)


def register(main: click.Group) -> None:
    """Add the `catalog` group and `setup` to the main group."""
    main.add_command(catalog_group)
    main.add_command(setup_command)
