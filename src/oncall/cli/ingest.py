"""`oncall ingest RECIPE.yml`: run a DataHub ingestion recipe into the configured catalog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

if TYPE_CHECKING:
    from oncall.catalog.recipes import RecipeSummary
    from oncall.config import Config

__all__ = ["register"]


@click.command("ingest")
@click.argument("recipe", type=click.Path(path_type=Path, dir_okay=False))
@home_option
@json_option
@oncall_command
def ingest_command(recipe: Path, home: str | None, as_json: bool) -> None:
    """Run a DataHub ingestion recipe into the catalog.

    Any source DataHub ships (dbt, file, any SQLAlchemy source...) runs in DataHub's own ingestion
    framework. The recipe's sink may be left out: it is replaced by the configured catalog, the Lite
    file <home>/datahub.db (created if missing) or the GMS server when catalog=gms (datahub-rest with
    gms_url/gms_token). On Lite, what DataHub's Lite sink drops is applied too: PATCH proposals (the
    warehouse side's dbt lineage) and the siblings a server's hook would link (dbt model <->
    warehouse table). Offline: no version check. A bad recipe is refused with the field that is
    wrong and nothing is written; on Lite a failed run leaves the file as it was. Re-running a recipe
    is idempotent.

    \b
    Examples:
      oncall ingest dbt_recipe.yml                     dbt artifacts into <home>/datahub.db
      oncall ingest --home /tmp/h h/dbt/recipes/1_pass.yml --json
      ONCALL_CATALOG=gms DATAHUB_GMS_URL=http://localhost:8080 oncall ingest recipe.yml

    \b
    A dbt recipe (no sink needed):
      source:
        type: dbt
        config:
          manifest_path: target/manifest.json
          catalog_path: target/catalog.json
          test_results_path: target/run_results.json
          target_platform: duckdb
    """
    from oncall.catalog.recipes import run_recipe

    config = make_config(home)
    summary = run_recipe(config, recipe, progress=progress)
    _refresh_vectors(config)
    if as_json:
        echo_json(summary)
        return
    for line in summary_lines(summary):
        click.echo(line)


def _refresh_vectors(config: Config) -> None:
    """The Detective's semantic index follows the catalog: rebuild it after what ingest changed."""
    from oncall.bootstrap import refresh_vectors
    from oncall.catalog import open_catalog

    catalog = open_catalog(config, read_only=True)
    try:
        refresh_vectors(config, catalog, progress)
    finally:
        catalog.close()


def summary_lines(summary: RecipeSummary) -> list[str]:
    """The human summary of one ingestion."""
    lines = [
        f"Ingested {summary.recipe} ({summary.source} source) into {summary.backend} at {summary.location}",
        f"  entities {summary.entities}, aspects {summary.aspects}, patches applied {summary.patches}, "
        f"siblings linked {summary.siblings}, in {summary.seconds:.1f} s",
        f"  warnings {len(summary.warnings)}, failures {len(summary.failures)}",
    ]
    lines += [f"  warning: {w}" for w in summary.warnings[:10]]
    return lines


def register(main: click.Group) -> None:
    """Add `oncall ingest` to the main group."""
    main.add_command(ingest_command)
