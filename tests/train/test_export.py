"""`oncall train export` on both worlds: pairs from the catalog, held-out phrasings never trained on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from oncall.agents.detective import TunedPick
from oncall.catalog import open_catalog
from oncall.cli import main
from oncall.config import load_config
from oncall.errors import UserError
from oncall.train.export import Dataset, close_to, export_pairs, load_phrasings
from oncall.train.sources import scenario_incidents
from tests.agents.paraphrases import HERE as PARAPHRASES

OLIST_PROD = "olist_dirty"


def _export(home: Path, tmp_path: Path, seed: int = 0) -> Dataset:
    copy = tmp_path / f"home-{seed}"
    shutil.copytree(home, copy)
    config = load_config(copy, environ={})
    catalog = open_catalog(config, read_only=True)
    try:
        return export_pairs(
            catalog,
            config,
            phrasings=load_phrasings(PARAPHRASES),
            incidents=scenario_incidents(),
            seed=seed,
        )
    finally:
        catalog.close()


def _assert_held_out_kept_out(dataset: Dataset, world: str) -> None:
    held = [p.text for p in load_phrasings(PARAPHRASES / f"{world}_held_out.yaml")]
    every_held = [p.text for p in load_phrasings(PARAPHRASES) if p.part == "held_out"]
    seen = [p.text for p in dataset.train + dataset.validation]
    assert len(dataset.held_out) == len(held)  # every phrasing of this world names an entity it has
    assert not {t.lower() for t in seen} & {t.lower() for t in every_held}
    close = [(t, close_to(t, every_held)) for t in seen if close_to(t, every_held)]
    assert not close, close[:5]


def test_olist_export_names_every_entity_and_keeps_the_held_out_part_out(
    seeded_home: Path, tmp_path: Path
) -> None:
    dataset = _export(seeded_home, tmp_path)
    _assert_held_out_kept_out(dataset, "olist")
    urns = {p.urn for p in dataset.train}
    assert all(u is None or OLIST_PROD in u for u in urns)  # never the baseline twin
    assert len(urns - {None}) == dataset.entities == 22
    sources = dataset.summary()["sources"]
    for source in ("name", "description", "column", "term", "owner", "typo", "scenario", "nothing"):
        assert sources.get(source), (source, sources)
    # Validation is the tuning part: human phrasings the model never trains on.
    assert {p.source for p in dataset.validation} == {"paraphrase"}
    assert not {p.text for p in dataset.validation} & {p.text for p in dataset.train}


def test_dbt_export_answers_with_the_dbt_nodes(dbt_lite: Path, tmp_path: Path) -> None:
    dataset = _export(dbt_lite, tmp_path)
    _assert_held_out_kept_out(dataset, "dbt")
    urns = {p.urn for p in dataset.train if p.urn is not None}
    assert len(urns) == dataset.entities >= 13
    assert all(u.startswith("urn:li:dataset:") for u in urns)
    assert any(p.source == "scenario" and p.text == "MRR report is wrong" for p in dataset.train)


def test_a_typo_of_a_held_out_phrasing_counts_as_a_copy() -> None:
    held = ["revenue per categroy is wrong", "the customers table has fewer rows than the orders table"]
    assert close_to("revenue per category is wrong", held) == held[0]
    assert close_to("the customers table has fewer rows than the orders tabel", held) == held[1]
    assert close_to("revenue by seller chart is stale", held) is None


def test_the_export_is_seeded(seeded_home: Path, tmp_path: Path) -> None:
    first, again = _export(seeded_home, tmp_path, seed=1), _export(seeded_home, tmp_path / "again", seed=1)
    assert [p.text for p in first.train] == [p.text for p in again.train]


def test_cli_writes_chat_format_jsonl(seeded_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    out = tmp_path / "data"
    args = ["--home", str(home), "--paraphrases", str(PARAPHRASES), "--out", str(out), "--json"]
    result = CliRunner().invoke(main, ["train", "export", *args])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    lines = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == summary["train"] > 300
    record = json.loads(lines[0])
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    answer = TunedPick.model_validate_json(record["messages"][2]["content"])
    assert answer.urn == record["urn"]
    assert json.loads((out / "export.json").read_text(encoding="utf-8"))["held_out"] == 23


def test_export_refuses_a_paraphrase_file_of_unknown_part(tmp_path: Path) -> None:
    bad = tmp_path / "olist_extra.yaml"
    bad.write_text("phrasings: []\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"_held_out\.yaml or _tuning\.yaml"):
        load_phrasings(bad)
