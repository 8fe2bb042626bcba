"""`oncall eval` on bad input: a clear message and exit 2, before any world is built."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from oncall.cli import main


def test_unknown_fault_kind_exits_2_naming_the_field(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "scenarios:\n"
        "  - name: x\n"
        "    faults: [{table: olist_orders, kind: explode, fraction: 0.1}]\n"
        "    incident: orders wrong\n"
        "    symptom: {type: table, name: olist_orders}\n"
        "    origins: [olist_orders]\n"
    )
    result = CliRunner().invoke(main, ["eval", "--scenarios", str(spec), "--home", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert "scenario x: faults[0].kind: unknown kind 'explode'" in result.stderr
    assert not (tmp_path / "h" / "eval").exists()  # nothing half-written


def test_only_with_no_match_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--only", "nothing-like-this", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "--only 'nothing-like-this' matches no scenario; known: control-revenue-dashboard" in result.stderr


def test_scale_out_of_range_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--scale", "0", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "--scale" in result.stderr
