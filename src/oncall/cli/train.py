"""`oncall train`: the Detective's own small model (export the catalog's pairs, train a LoRA adapter)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

if TYPE_CHECKING:
    from oncall.config import Config

__all__ = ["register"]


def _work_dir(config: Config) -> Path:
    """Where the Detective's training data and adapter live: derived from the home, never configured."""
    return config.home / "train" / "detective"


@click.group("train")
def train_group() -> None:
    """Train the Detective's own small model on the catalog.

    Needs the `train` extra (`pip install -e '.[train]'`).

    `export` writes (incident text -> search words + URN) pairs made from the catalog itself and the
    eval scenarios, in the model's chat format; `detective` trains a LoRA adapter on the packaged
    SmolLM2-135M-Instruct on the CPU and writes it as a GGUF LoRA for the local llama.cpp server.

    \b
    Examples:
      oncall train export --paraphrases tests/agents/paraphrases
      oncall train detective --time-budget 300
      export ONCALL_LLM_DETECTIVE_LORA=.oncall/train/detective/detective-lora.gguf
      oncall run "revenue dashboard wrong"             the Detective asks the tuned model
    """


@train_group.command("export")
@click.option(
    "--paraphrases",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="A paraphrase set (file or folder of *_held_out.yaml / *_tuning.yaml): held-out phrasings and "
    "anything close to them stay out of training; tuning phrasings become the validation set.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for train/validation/held_out.jsonl and export.json. "
    "[default: $ONCALL_HOME/train/detective/data]",
)
@click.option(
    "--per-entity",
    type=click.IntRange(4, 500),
    default=24,
    show_default=True,
    help="Pairs per entity, before typo variants.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the phrasings and the split.")
@click.option("--no-scenarios", is_flag=True, help="Leave the eval scenarios' incidents out.")
@home_option
@json_option
@oncall_command
def export_command(
    paraphrases: Path | None,
    out: Path | None,
    per_entity: int,
    seed: int,
    no_scenarios: bool,
    home: str | None,
    as_json: bool,
) -> None:
    """Write the Detective's training pairs, made from the catalog.

    Reads the configured catalog (and the shipped eval scenarios); writes train.jsonl, validation.jsonl,
    held_out.jsonl and export.json (counts per source, what was kept out) to --out.

    \b
    Examples:
      oncall train export --paraphrases tests/agents/paraphrases
      oncall train export --per-entity 40 --json
    """
    config = make_config(home)
    summary = _export(config, paraphrases, out, per_entity, seed, not no_scenarios)
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"{summary['train']} training and {summary['validation']} validation pairs for "
        f"{summary['entities']} entities ({summary['dropped_close_to_held_out']} kept out as close to a "
        f"held-out phrasing; {summary['held_out']} held-out phrasings resolve here) in {summary['out']}"
    )
    click.echo("sources: " + ", ".join(f"{k} {v}" for k, v in summary["sources"].items()))


def _export(
    config: Config, paraphrases: Path | None, out: Path | None, per_entity: int, seed: int, scenarios: bool
) -> dict[str, Any]:
    from oncall.cli._common import open_setup_catalog
    from oncall.train.export import export_pairs, load_phrasings, write_dataset
    from oncall.train.sources import scenario_incidents

    out_dir = out or _work_dir(config) / "data"
    phrasings = load_phrasings(paraphrases) if paraphrases else []
    catalog = open_setup_catalog(config)
    try:
        dataset = export_pairs(
            catalog,
            config,
            phrasings=phrasings,
            incidents=scenario_incidents() if scenarios else [],
            seed=seed,
            per_entity=per_entity,
        )
    finally:
        catalog.close()
    write_dataset(dataset, out_dir)
    return dataset.summary() | {"out": str(out_dir)}


@train_group.command("detective")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Exported pairs (train.jsonl, validation.jsonl); exported now when missing. "
    "[default: $ONCALL_HOME/train/detective/data]",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the adapter, detective-lora.gguf and training.json. "
    "[default: $ONCALL_HOME/train/detective]",
)
@click.option(
    "--epochs", type=click.IntRange(1, 100), default=2, show_default=True, help="Passes over the data."
)
@click.option("--rank", type=click.IntRange(1, 256), default=8, show_default=True, help="LoRA rank.")
@click.option("--alpha", type=float, default=16.0, show_default=True, help="LoRA alpha (scale alpha/rank).")
@click.option(
    "--lr", "learning_rate", type=float, default=3e-3, show_default=True, help="Peak learning rate."
)
@click.option(
    "--batch-size", type=click.IntRange(1, 256), default=8, show_default=True, help="Pairs per step."
)
@click.option(
    "--layers",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Adapt only the top N decoder layers (0: all); fewer layers, shorter backpropagation.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="torch CPU threads (one is faster while other work shares the cores).",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(1),
    default=None,
    help="Stop training after this many seconds (the adapter is saved).",
)
@click.option(
    "--max-steps", type=click.IntRange(1), default=None, help="Stop after this many optimizer steps."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of torch and the batch order.")
@click.option("--fp32", is_flag=True, help="Matrix products in float32 instead of bfloat16.")
@home_option
@json_option
@oncall_command
def detective_command(
    data: Path | None,
    out: Path | None,
    epochs: int,
    rank: int,
    alpha: float,
    learning_rate: float,
    batch_size: int,
    layers: int,
    threads: int,
    time_budget: float | None,
    max_steps: int | None,
    seed: int,
    fp32: bool,
    home: str | None,
    as_json: bool,
) -> None:
    """Train the Detective's LoRA adapter on the CPU, as a GGUF LoRA.

    Loads the packaged SmolLM2-135M-Instruct with transformers, trains a LoRA adapter with peft on the
    exported pairs (seeded; loss per epoch on stderr) and writes the adapter, detective-lora.gguf and
    training.json (options, losses, timings) to --out. Needs `pip install -e '.[train]'`.

    \b
    Examples:
      oncall train detective --time-budget 300
      oncall train detective --epochs 1 --max-steps 20 --threads 1
    """
    from oncall.llm.local import find_model_file
    from oncall.train.detective import TrainOptions, read_messages, train_detective

    config = make_config(home)
    data_dir = data or _work_dir(config) / "data"
    if not (data_dir / "train.jsonl").is_file():
        progress(f"no training data in {data_dir}: exporting it from the catalog")
        _export(config, None, data_dir, 24, seed, True)
    model_file = find_model_file(config)
    options = TrainOptions(
        epochs=epochs,
        rank=rank,
        alpha=alpha,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
        threads=threads,
        time_budget_s=time_budget,
        max_steps=max_steps,
        layers=layers or None,
        bf16=not fp32,
        progress=not as_json,
    )
    report = train_detective(
        read_messages(data_dir / "train.jsonl"),
        read_messages(data_dir / "validation.jsonl"),
        model_file,
        out or _work_dir(config),
        options,
        cache=config.home / "train" / "base" / model_file.stem,
        say=progress,
    )
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(
        f"adapter: {report.adapter_dir} ({report.steps} steps in {report.train_seconds:.0f} s, "
        f"stopped by {report.stopped_by})"
    )
    click.echo(f"GGUF LoRA: {report.gguf_path}")
    click.echo(f"use it: ONCALL_LLM_DETECTIVE_LORA={report.gguf_path} (or llm_detective_lora in config.yaml)")


def register(main: click.Group) -> None:
    main.add_command(train_group)
