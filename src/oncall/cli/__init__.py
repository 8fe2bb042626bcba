"""The `oncall` command: a click group of thin commands, one module per command group."""

from __future__ import annotations

import click

from oncall.cli import assertions, catalog, eval, incident, incidents, ingest, mcp, train, watch, web, world

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="datahub-oncall", prog_name="oncall")
def main() -> None:
    """Answer a data incident from DataHub with four agents.

    Describe what looks wrong in plain words; the agents find the symptom in DataHub, walk its
    lineage, diff the assertion results against a clean baseline, name the origin and the blast
    radius, and write incidents back to DataHub.

    \b
    Examples (embedded DataHub Lite, no server, no API key):
      oncall demo                          build the world, set up DataHub, run the demo incident
      oncall demo --serve                  ... then replay that run in the web console
      oncall run "revenue dashboard wrong" run an incident in your own words

    Everything is written under --home DIR (default ./.oncall, or $ONCALL_HOME): the world DBs,
    the DataHub Lite file datahub.db, and the run history runs/. Settings come from flags, then
    environment variables, then <home>/config.yaml. `oncall COMMAND --help` shows examples for each
    command. Exit codes: 0 ok, 1 something outside failed, 2 bad input or a missing step.
    """


for _module in (world, catalog, ingest, assertions, incident, watch, incidents, web, mcp, eval, train):
    _module.register(main)
