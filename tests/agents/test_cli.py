"""`oncall run`, `oncall demo` and `oncall reset` through click's CliRunner, on real homes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from oncall.cli import main
from oncall.cli.incident import format_event
from oncall.events import Event
from oncall.world.urns import dashboard_urn


def _invoke(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    out = runner.invoke(main, list(args), catch_exceptions=False)
    return out.exit_code, out.stdout, out.stderr


def test_run_json_prints_only_the_result_and_saves_history(seeded_copy: Path) -> None:
    code, out, _ = _invoke(
        "run", "revenue dashboard wrong", "--json", "--dry-run", "--home", str(seeded_copy)
    )
    assert code == 0
    data = json.loads(out)
    assert data["symptom"]["urn"] == dashboard_urn("olist_dirty", "revenue")
    assert data["verdict"] == "root_cause_found" and data["dry_run"] is True and data["writes"] == []
    runs = seeded_copy / "runs"
    assert (runs / f"{data['run_id']}.json").is_file()
    lines = (runs / f"{data['run_id']}.events.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "run_started" and json.loads(lines[-1])["kind"] == "run_finished"


def test_run_streams_lanes_then_verdict_and_postmortem(seeded_copy: Path) -> None:
    code, out, _ = _invoke("run", "customers table lost rows", "--home", str(seeded_copy))
    assert code == 0
    for lane in ("coordinator │", "detective │", "reality-checker │", "fixer │"):
        assert lane in out
    assert "sql: SELECT" not in out  # the steps and the verdict; the queries only with --verbose
    assert "Verdict: root_cause_found" in out and "# Postmortem: olist_customers" in out
    assert out.index("Verdict:") > out.index("detective │")


def test_run_verbose_shows_the_queries_behind_each_step(seeded_copy: Path) -> None:
    code, out, _ = _invoke(
        "run", "customers table lost rows", "--dry-run", "--verbose", "--home", str(seeded_copy)
    )
    assert code == 0 and "sql: SELECT" in out and "Verdict: root_cause_found" in out


def test_reset_undoes_the_run(seeded_copy: Path) -> None:
    assert _invoke("run", "customers table lost rows", "--json", "--home", str(seeded_copy))[0] == 0
    code, out, _ = _invoke("reset", "--json", "--home", str(seeded_copy))
    assert code == 0
    writes = json.loads(out)
    assert {w["action"] for w in writes} == {"resolve", "remove"} and all(w["verified"] for w in writes)
    code, out, _ = _invoke("reset", "--home", str(seeded_copy))
    assert code == 0 and "Nothing to undo" in out


def test_bad_input_exits_2_with_a_message(home: Path, seeded_copy: Path) -> None:
    code, _, err = _invoke("run", "revenue dashboard wrong", "--home", str(home))
    assert code == 2 and "oncall setup" in err
    code, _, err = _invoke("run", "  ", "--home", str(seeded_copy))
    assert code == 2 and "empty" in err
    code, _, err = _invoke("run", "x", "--llm", "nonsense", "--home", str(seeded_copy))
    assert code == 2 and "nonsense" in err


def test_demo_sets_up_once_then_runs(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    code, out, err = _invoke("demo", "--scale", "0.01", "--json", "--home", str(home))
    assert code == 0, err
    data = json.loads(out)
    assert data["symptom"]["urn"] == dashboard_urn("olist_dirty", "revenue")
    assert len([w for w in data["writes"] if w["aspect"] == "incidentInfo"]) == 3
    assert "Setting up" in err
    code, out, err = _invoke("demo", "--json", "--home", str(home))  # already set up: just runs
    assert code == 0 and "Setting up" not in err
    assert not [w for w in json.loads(out)["writes"] if w["action"] == "create"]


def test_format_event_shows_thinking_dimmed_and_queries() -> None:
    think = Event(run_id="r", seq=1, ts=0, agent="coordinator", kind="thinking", data={"text": "hmm"})
    assert "\x1b[2m" in (format_event(think) or "")  # dim
    call = Event(
        run_id="r",
        seq=2,
        ts=0,
        agent="detective",
        kind="tool_call",
        data={
            "tool": "lineage",
            "args": ["urn:x"],
            "queries": [{"language": "graphql", "text": "query { x }"}],
            "ms": 1.5,
        },
    )
    text = format_event(call) or ""
    assert "detective" in text and "lineage" in text and "graphql" not in text
    assert "graphql: query { x }" in (format_event(call, verbose=True) or "")
    done = Event(run_id="r", seq=3, ts=0, agent="detective", kind="agent_finished", data={})
    assert format_event(done) is None
