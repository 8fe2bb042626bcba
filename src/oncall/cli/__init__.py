"""The `oncall` command: a click group of thin commands, one module per command group."""

from __future__ import annotations

import click

from oncall.cli import assertions, catalog, eval, incident, web, world

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="datahub-oncall", prog_name="oncall")
def main() -> None:
    """Answer a data incident from DataHub with four agents.

    \b
    Quick start (embedded DataHub Lite, no server, no API key):
      oncall demo                          build the world, set up DataHub, run the demo incident
      oncall run "revenue dashboard wrong" run an incident in your own words
      oncall serve                         open the live web console

    Every command takes --home DIR (default ./.oncall, or $ONCALL_HOME).
    """


for _module in (world, catalog, assertions, incident, web, eval):
    _module.register(main)
