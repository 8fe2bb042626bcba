"""Scenario files: the shipped set covers what issue 7 asks, and bad files fail with a clear message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oncall.errors import ScenarioError, UserError
from oncall.eval import FAULT_KINDS, LoadedScenario, load_scenarios, select
from oncall.world.faults import load_spec
from oncall.world.schema import VIEWS


def faults_of(item: LoadedScenario) -> list[dict[str, object]]:
    if item.world.builtin:
        return [f.model_dump() for f in load_spec(item.world.builtin).faults]
    return list(item.world.faults)


@pytest.fixture(scope="module")
def shipped() -> list[LoadedScenario]:
    return load_scenarios()


def test_shipped_set_covers_the_required_cases(shipped: list[LoadedScenario]) -> None:
    faults = [f for item in shipped for f in faults_of(item)]
    assert len(shipped) >= 20
    assert len({f["kind"] for f in faults}) >= 8
    assert {f["kind"] for f in faults} <= set(FAULT_KINDS)
    assert len({f["table"] for f in faults}) >= 7
    assert {s.scenario.symptom.type for s in shipped} == {"dashboard", "chart", "view", "table"}
    controls = [s for s in shipped if s.scenario.control]
    assert len(controls) >= 2 and all(s.world.is_clean for s in controls)
    outside = [
        s for s in shipped if not s.scenario.control and not s.scenario.origins and s.scenario.elsewhere
    ]
    assert len(outside) >= 2
    assert any(len(s.scenario.origins) >= 2 for s in shipped)
    assert len({s.name for s in shipped}) == len(shipped)


def test_every_faulted_table_is_expected_somewhere(shipped: list[LoadedScenario]) -> None:
    """A planted fault that no scenario expects as an origin would measure nothing."""
    expected = {t for s in shipped for t in s.scenario.origins}
    planted = {f["table"] for s in shipped for f in faults_of(s)}
    assert planted <= expected


def test_scenarios_sharing_faults_share_one_world(shipped: list[LoadedScenario]) -> None:
    worlds = {s.world.key for s in shipped}
    assert len(worlds) < len(shipped) / 3  # built and set up once per world, not per scenario
    assert {s.world.key for s in shipped if s.scenario.faults == "kit"} == {"builtin:kit"}


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


GOOD = """
    scenarios:
      - name: one
        faults: kit
        incident: revenue dashboard wrong
        symptom: {type: dashboard, name: revenue}
        origins: [olist_customers]
"""


def test_a_good_file_loads_and_titles_are_case_insensitive(tmp_path: Path) -> None:
    [item] = load_scenarios(write(tmp_path, GOOD))
    assert item.scenario.symptom.title == "Revenue"
    assert item.world.builtin == "kit" and item.scenario.expected_verdict == "root_cause_found"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenarios: [\n  - name: x\n", "not valid YAML"),
        ("- name: x\n", "expected a mapping with a `scenarios:` list"),
        ("scenarios: []\nsecnarios: []\n", "unknown top-level key(s) secnarios"),
        (
            """
            scenarios:
              - name: x
                faults: [{table: olist_orders, kind: melt_rows, fraction: 0.1}]
                incident: orders wrong
                symptom: {type: table, name: olist_orders}
                origins: [olist_orders]
            """,
            "scenario x: faults[0].kind: unknown kind 'melt_rows'; one of delete_rows",
        ),
        (
            """
            scenarios:
              - name: x
                faults: [{table: olist_orders, kind: set_null, column: nope, fraction: 0.1}]
                incident: orders wrong
                symptom: {type: table, name: olist_orders}
                origins: [olist_orders]
            """,
            "faults[0].column: 'nope' is not a column of olist_orders",
        ),
        (
            """
            fault_specs:
              bad: [{table: olist_orders, kind: scale, column: order_status, fraction: 0.1}]
            scenarios: []
            """,
            "fault_specs.bad: faults[0].factor: required by kind scale",
        ),
        (GOOD.replace("faults: kit", "faults: kitt"), "no fault spec named 'kitt'"),
        (
            GOOD.replace("name: revenue", "name: Profit"),
            "symptom: no dashboard titled 'Profit'; known: Customer",
        ),
        (GOOD.replace("type: dashboard", "type: report"), "symptom.type: Input should be 'dashboard'"),
        (GOOD.replace("olist_customers]", "olist_customer]"), "origins: unknown dataset(s) olist_customer"),
        (GOOD.replace("origins:", "origin:"), "origin: Extra inputs are not permitted"),
        (GOOD.replace("name: one", "name: One Two"), "name: String should match pattern"),
        (
            GOOD.replace("        faults: kit\n", ""),
            "no faults given; a no-fault scenario must say `control: true`",
        ),
        (
            GOOD.replace("faults: kit", "faults: kit\n        control: true"),
            "a control scenario has no faults",
        ),
        (
            GOOD + "        elsewhere: [olist_customers]\n",
            "olist_customers cannot be both an origin and elsewhere",
        ),
        (
            GOOD.replace("incident: revenue dashboard wrong", "incident: ''"),
            "incident: String should have at least 1",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenarios(write(tmp_path, text))
    assert message in str(info.value)
    assert str(tmp_path / "s.yaml") in str(info.value)
    assert isinstance(info.value, UserError) and info.value.exit_code == 2


def test_names_are_unique_across_files(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ScenarioError, match=r"'one' is already used in .*a\.yaml"):
        load_scenarios(tmp_path)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file or folder"):
        load_scenarios(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match=r"no \*\.yaml scenario files"):
        load_scenarios(tmp_path)


def test_equal_inline_faults_share_a_world_across_files(tmp_path: Path) -> None:
    fault = "{table: olist_sellers, kind: delete_rows, fraction: 0.1}"
    for name in ("a", "b"):
        write(
            tmp_path,
            f"""
            scenarios:
              - name: {name}
                faults: [{fault}]
                incident: sellers table lost rows
                symptom: {{type: table, name: olist_sellers}}
                origins: [olist_sellers]
            """,
            f"{name}.yaml",
        )
    a, b = load_scenarios(tmp_path)
    assert a.world.key == b.world.key and a.world.key.startswith("inline:")
    assert a.world.spec_document()["faults"] == [
        {"table": "olist_sellers", "kind": "delete_rows", "fraction": 0.1}
    ]


def test_select_by_name_or_pattern(shipped: list[LoadedScenario]) -> None:
    kit = select(shipped, ["kit-*"])
    assert kit and all(s.name.startswith("kit-") for s in kit)
    assert [s.name for s in select(shipped, ["control-revenue-dashboard,kit-customers-table"])] == [
        "control-revenue-dashboard",
        "kit-customers-table",
    ]
    assert select(shipped, []) == shipped
    with pytest.raises(ScenarioError, match=r"--only 'kti-\*' matches no scenario"):
        select(shipped, ["kti-*"])


def test_view_symptoms_are_views() -> None:
    assert {v.name for v in VIEWS} >= {
        s.scenario.symptom.name for s in load_scenarios() if s.scenario.symptom.type == "view"
    }
