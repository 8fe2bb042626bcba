"""Commands of the `catalog` group (search, show, lineage, ping, index) and the top-level `setup`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from oncall.cli._common import (
    clean,
    echo_json,
    home_option,
    json_option,
    make_config,
    oncall_command,
    open_setup_catalog,
    progress,
)

if TYPE_CHECKING:
    from oncall.catalog import Catalog
    from oncall.catalog.types import Entity, EntityType, LineageNode, SearchHit

__all__ = ["register"]

_TYPES = click.Choice(["dataset", "chart", "dashboard"])


def _open(home: str | None) -> Catalog:
    return open_setup_catalog(make_config(home), read_only=True)


@click.group("catalog")
def catalog_group() -> None:
    """Read DataHub: search, show, lineage, ping, index.

    Reads the embedded DataHub Lite file in the home (<home>/datahub.db, made by `oncall setup`),
    or a DataHub server when catalog=gms (DATAHUB_GMS_URL). These commands write nothing to DataHub;
    `index` writes the semantic index into the home.

    \b
    Examples:
      oncall catalog search "revenue dashboard"
      oncall catalog show 'urn:li:dashboard:(superset,olist_dirty.revenue)'
      oncall catalog lineage 'urn:li:dashboard:(superset,olist_dirty.revenue)' --hops 3
    """


@catalog_group.command("search")
@click.argument("text")
@click.option(
    "--type",
    "types",
    type=_TYPES,
    multiple=True,
    help="Only this entity type; repeat for several. [default: all types]",
)
@click.option(
    "--instance", default=None, help="Only this platform instance, e.g. olist_dirty. [default: all]"
)
@click.option(
    "--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="At most N hits (1-500)."
)
@home_option
@json_option
@oncall_command
def search(
    text: str,
    types: tuple[EntityType, ...],  # click.Choice(_TYPES) admits only entity types
    instance: str | None,
    limit: int,
    home: str | None,
    as_json: bool,
) -> None:
    """Find datasets, charts and dashboards by words.

    Best first, with why each matched. Matches names, descriptions, columns, tags, glossary terms and
    owners. Writes nothing.

    \b
    Examples:
      oncall catalog search "revenue dashboard"
      oncall catalog search orders --type dataset --instance olist_dirty
      oncall catalog search "customer" --json | jq -r '.[0].ref.urn'
    """
    catalog = _open(home)
    try:
        hits = catalog.search(text, types=list(types) or None, instance=instance, limit=limit)
    finally:
        catalog.close()
    if as_json:
        echo_json([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo(f"no match for {clean(text)!r}")
    for hit in hits:
        _echo_hit(hit)


def _echo_hit(hit: SearchHit) -> None:
    ref = hit.ref
    click.echo(f"{hit.score:6.2f}  {ref.type:<9} {clean(ref.name)}  [{clean(ref.instance or '-')}]")
    click.echo(f"        {clean(ref.urn)}")
    click.echo(f"        why: {'; '.join(clean(hit.reasons))}")


@catalog_group.command("show")
@click.argument("urn")
@home_option
@json_option
@oncall_command
def show(urn: str, home: str | None, as_json: bool) -> None:
    """Show one entity's page.

    Description, columns, owners, tags, glossary terms, links, active incidents and inputs.
    Writes nothing. Find URNs with `oncall catalog search`.

    \b
    Examples:
      oncall catalog show 'urn:li:dashboard:(superset,olist_dirty.revenue)'
      oncall catalog show --json \\
          'urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_orders,PROD)'
    """
    catalog = _open(home)
    try:
        entity = catalog.get(urn)
    finally:
        catalog.close()
    if as_json:
        echo_json(entity)
        return
    _echo_entity(entity)


def _echo_entity(entity: Entity) -> None:
    # every string of the page is catalog text: printed without its escape sequences
    e = type(entity).model_validate(clean(entity.model_dump(), keep_newlines=True))
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
    """Upstream (or downstream) lineage of an entity.

    Nearest first. Each line gives the hop count, type, name, instance and URN. Writes nothing.

    \b
    Examples:
      oncall catalog lineage 'urn:li:dashboard:(superset,olist_dirty.revenue)'
      oncall catalog lineage --downstream --hops 2 \\
          'urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)'
    """
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
    name, instance, urn = clean([ref.name, ref.instance or "-", ref.urn])
    click.echo(f"{node.hops}  {ref.type:<9} {name}  [{instance}]  {urn}")


@catalog_group.command("ping")
@home_option
@json_option
@oncall_command
def ping(home: str | None, as_json: bool) -> None:
    """Tell whether the catalog answers.

    Prints its backend, location and version; exits 1 when it does not answer. Writes nothing.

    \b
    Examples:
      oncall catalog ping
      ONCALL_CATALOG=gms DATAHUB_GMS_URL=http://localhost:8080 oncall catalog ping --json
    """
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


@catalog_group.command("index")
@home_option
@json_option
@oncall_command
def index_command(home: str | None, as_json: bool) -> None:
    """Build the Detective's semantic index of the catalog.

    `oncall setup` and `oncall ingest` build it themselves, and a run rebuilds a missing or stale one
    only up to 5,000 entities. Run this when the catalog was filled another way (DataHub's own
    ingestion into your server, a Lite file made elsewhere) or when a run says the index is missing
    or stale. Reads every entity's words (on a server, 250 entities a request); writes only <home>/vectors/,
    nothing to DataHub. Progress goes to stderr.

    \b
    Examples:
      oncall catalog index
      ONCALL_CATALOG=gms DATAHUB_GMS_URL=http://localhost:8080 oncall catalog index --json
    """
    from oncall.catalog.vectors import refresh

    config = make_config(home)
    catalog = open_setup_catalog(config, read_only=True)
    try:
        index = refresh(catalog, config.vectors_dir, progress=progress, must_store=True)
    finally:
        catalog.close()
    summary = {
        "backend": config.catalog,
        "entities": len(index.urns),
        "words": len(index.vocab),
        "build_seconds": round(index.build_seconds, 2),
        "directory": str(config.vectors_dir),
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"Semantic index of the {config.catalog} catalog: {len(index.urns):,} entities, "
        f"{len(index.vocab):,} words, built in {index.build_seconds:.1f} s; stored in {config.vectors_dir}"
    )


@click.command("setup")
@click.option("--force", is_flag=True, help="Rebuild the world and the catalog from scratch.")
@click.option(
    "--scale",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="World scale (fraction of the Kaggle row counts) when the world is built; must match an "
    "existing world unless --force. [default: 1.0]",
)
@home_option
@json_option
@oncall_command
def setup_command(force: bool, scale: float | None, home: str | None, as_json: bool) -> None:
    """Build the world, ingest it into DataHub, publish assertions.

    Writes the world (olist_source.db, olist_dirty.db, world.json) into the home if it is missing,
    then both instances, the BI layer and the assertion results into DataHub (the Lite file
    <home>/datahub.db, or the GMS server when catalog=gms). Idempotent: running it again changes
    nothing in the catalog but appends fresh assertion runs. Progress goes to stderr.

    \b
    Examples:
      oncall setup                      full scale (about a minute)
      oncall setup --scale 0.05         a small world, a few seconds
      oncall setup --force --json       rebuild everything, print the summary as JSON
    """
    from oncall.bootstrap import setup

    summary = setup(make_config(home), force=force, scale=scale, progress=progress)
    if as_json:
        echo_json(summary)
    else:
        click.echo('Ready: try `oncall run "revenue dashboard wrong"` or `oncall serve`.')


def register(main: click.Group) -> None:
    """Add the `catalog` group and `setup` to the main group."""
    main.add_command(catalog_group)
    main.add_command(setup_command)
