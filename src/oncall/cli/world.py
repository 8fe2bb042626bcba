"""Commands of the `world` group: build the Olist demo world and show what was built."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress
from oncall.errors import UserError

if TYPE_CHECKING:
    from oncall.world.build import WorldSummary

__all__ = ["register"]


@click.group("world")
def world_group() -> None:
    """Build and inspect the Olist demo world.

    The world is a clean DB and a production copy with planted faults.

    `world build` writes three files into the home:

    \b
      olist_source.db  the clean baseline (platform instance olist_source)
      olist_dirty.db   a copy with the fault spec applied (platform instance olist_dirty)
      world.json       rows per table in both, and what each fault touched

    \b
    Examples:
      oncall world build --scale 0.05
      oncall world show --json
    """


@world_group.command("build")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Fraction of the Kaggle row counts (0 < scale <= 1); 1.0 reproduces the published facts.",
)
@click.option(
    "--seed", type=int, default=42, show_default=True, help="Generator seed; same seed, byte-identical DBs."
)
@click.option(
    "--faults",
    default="kit",
    show_default=True,
    metavar="kit|FILE",
    help="Fault spec applied to the production copy: a built-in name or a YAML file (DESIGN.md section 6).",
)
@click.option(
    "--geolocation-rows",
    type=int,
    default=None,
    help="Cap olist_geolocation at N rows (1,000,163 at full scale; the kit's DBs kept 500,000). "
    "[default: no cap]",
)
@click.option(
    "--from-csv",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Import the unzipped Kaggle download (9 CSV files) instead of generating.",
)
@click.option(
    "--from-kit-db",
    type=click.Path(path_type=Path),
    nargs=2,
    default=None,
    metavar="CLEAN DIRTY",
    help="Copy the hackathon kit's olist.db and olist_dirty.db (their faults are kept; --faults is ignored).",
)
@click.option("--force", is_flag=True, help="Replace a world that is already built.")
@home_option
@json_option
@oncall_command
def build(
    scale: float,
    seed: int,
    faults: str,
    geolocation_rows: int | None,
    from_csv: Path | None,
    from_kit_db: tuple[Path, Path] | None,
    force: bool,
    home: str | None,
    as_json: bool,
) -> None:
    """Build the world: a clean DB and a copy with planted faults.

    Generates (or imports) the clean DB, then copies it and plants the faults.

    Writes olist_source.db, olist_dirty.db and world.json into the home (and the demo's instances into
    config.yaml when it does not name them). Progress goes to stderr;
    the summary (rows per table in both DBs, rows touched by each fault) to stdout. Nothing is
    written unless everything succeeds, and an existing world is kept unless you pass --force.

    \b
    Examples:
      oncall world build --scale 0.05 --faults my_faults.yaml --force
      oncall world build --from-csv ~/data/olist --geolocation-rows 500000
      oncall world build --from-kit-db olist.db olist_dirty.db
    """
    from oncall.world.build import build_world

    config = make_config(home)
    summary = build_world(
        config.home,
        scale=scale,
        seed=seed,
        faults=faults,
        geolocation_rows=geolocation_rows,
        from_csv=from_csv,
        from_kit_db=from_kit_db or None,  # click gives a (clean, dirty) pair for nargs=2
        force=force,
        progress=progress,
    )
    _print(summary, config.home, as_json)


@world_group.command("show")
@home_option
@json_option
@oncall_command
def show(home: str | None, as_json: bool) -> None:
    """Print the summary of the built world.

    Rows per table in both DBs, and the rows each fault touched.

    Reads world.json in the home; writes nothing.

    \b
    Examples:
      oncall world show
      oncall world show --home /tmp/demo --json
    """
    from oncall.world.build import load_summary

    config = make_config(home)
    summary = load_summary(config.home)
    if summary is None:
        raise UserError(f"no world is built in {config.home}; run `oncall world build` first")
    _print(summary, config.home, as_json)


def _print(summary: WorldSummary, home: Path, as_json: bool) -> None:
    if as_json:
        echo_json(summary)
        return
    for line in summary_lines(summary, home):
        click.echo(line)


def summary_lines(summary: WorldSummary, home: Path) -> list[str]:
    """The human summary: origin, rows per table in both DBs, and each fault with the rows it touched."""
    from oncall.world.build import BASELINE, PRODUCTION

    origin = {"synthetic": f"synthetic, scale {summary.scale:g}, seed {summary.seed}"}.get(
        summary.source, f"{summary.source} {summary.source_path or ''}".strip()
    )
    lines = [f"World in {home} ({origin}; built {summary.built_at} in {summary.seconds:.1f} s)", ""]
    base, prod = summary.rows.get(BASELINE, {}), summary.rows.get(PRODUCTION, {})
    lines.append(f"{'table':<36}{BASELINE:>14}{PRODUCTION:>14}{'change':>10}")
    for table in base:
        before, after = base[table], prod.get(table, 0)
        change = f"{after - before:+,}" if after != before else ""
        lines.append(f"{table:<36}{before:>14,}{after:>14,}{change:>10}")
    lines.append("")
    if summary.fault_spec is None:
        lines.append("faults: as found in the kit's dirty DB (not re-planted)")
    else:
        lines.append(f"faults ({summary.fault_spec}):")
        for f in summary.faults:
            target = f"{f.table}.{f.column}" if f.column else f.table
            lines.append(f"  {f.kind:<15}{target:<48}{f.rows_touched:>10,} rows")
    return lines


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    from oncall.cli.dbt_world import dbt_group

    world_group.add_command(dbt_group)
    main.add_command(world_group)
