"""The tuned Detective's path, without torch: how its answer is asked, verified and used, and the
fallback when its adapter file is missing.

The tuned model is scripted (pydantic-ai's FunctionModel behind `RoleModel.scripted`, with a
`lora_path` so it counts as tuned); the catalog, search and ranking are the seeded world's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from oncall.agents import run_incident
from oncall.agents._runtime import RunContext
from oncall.agents.detective import (
    CLOSE_TO_BEST,
    TUNED_SYSTEM,
    DetectiveReport,
    investigate,
    tuned_objection,
    tuned_prompt,
)
from oncall.agents.ranking import Ranked
from oncall.catalog import open_catalog
from oncall.catalog.types import EntityRef, EntityType
from oncall.config import load_config
from oncall.events import RunEvents
from oncall.llm import RoleModel, load_models
from oncall.llm.models import ModelSet
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn

PROD = "olist_dirty"
SELLERS_CHART = chart_urn(PROD, "revenue_by_seller")
seen: list[str] = []


def _tuned(answer: dict[str, object]) -> RoleModel:
    async def reply(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        seen.append(str(messages))
        yield {
            0: DeltaToolCall(name=info.output_tools[0].name, json_args=json.dumps(answer), tool_call_id="t")
        }

    return RoleModel.scripted("detective", FunctionModel(stream_function=reply), lora_path="detective.gguf")


def _investigate(home: Path, text: str, model: RoleModel) -> tuple[DetectiveReport, RunContext]:
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    ctx = RunContext(
        config=config,
        catalog=catalog,
        events=RunEvents("tuned"),
        models=ModelSet("test", {"detective": model}),
    )
    try:
        report = asyncio.run(investigate(ctx, text))
    finally:
        catalog.close()
    return report, ctx


def test_the_tuned_model_is_asked_with_its_training_format(seeded_copy: Path) -> None:
    seen.clear()
    model = _tuned({"search": "Revenue by seller", "urn": SELLERS_CHART})
    report, ctx = _investigate(seeded_copy, "top vendors ranking looks wrong", model)
    assert (
        TUNED_SYSTEM.split("\n")[0] in seen[0] and tuned_prompt("top vendors ranking looks wrong") in seen[0]
    )
    assert report.symptom is not None and report.symptom.urn == SELLERS_CHART
    assert ctx.decided_by["symptom"] == "model"
    assert "tuned Detective model" in report.symptom.reasons[0]


def test_a_urn_neither_candidates_nor_its_search_return_falls_back(seeded_copy: Path) -> None:
    made_up = "urn:li:chart:(superset,olist_dirty.gmv)"
    report, ctx = _investigate(
        seeded_copy, "revenue dashboard wrong", _tuned({"search": "gmv chart", "urn": made_up})
    )
    assert report.symptom is not None and report.symptom.urn == dashboard_urn(PROD, "revenue")
    assert ctx.decided_by["symptom"] == "procedure"
    assert any("tuned model named" in d and "used the ranking" in d for d in ctx.degraded), ctx.degraded


def test_the_baseline_twin_is_refused_even_when_its_search_finds_it(seeded_copy: Path) -> None:
    twin = dashboard_urn("olist_source", "revenue")
    report, ctx = _investigate(
        seeded_copy, "revenue dashboard wrong", _tuned({"search": "Revenue", "urn": twin})
    )
    assert report.symptom is not None and report.symptom.urn == dashboard_urn(PROD, "revenue")
    assert any("outside the run's scope" in d for d in ctx.degraded), ctx.degraded


def test_a_null_answer_leaves_the_pick_to_the_ranking(seeded_copy: Path) -> None:
    report, ctx = _investigate(seeded_copy, "revenue dashboard wrong", _tuned({"search": "", "urn": None}))
    assert report.symptom is not None and report.symptom.urn == dashboard_urn(PROD, "revenue")
    assert ctx.decided_by["symptom"] == "procedure"


def test_a_missing_adapter_means_the_ranking_with_a_clear_note(seeded_copy: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "detective-lora.gguf"
    config = load_config(seeded_copy, environ={"ONCALL_LLM_DETECTIVE_LORA": str(missing)})
    models = load_models(config)  # offline preset: no other role has a model, and no server starts
    assert models.for_role("detective") is None and models.local_server is None
    assert str(missing) in models.notes[0] and "oncall train detective" in models.notes[0]
    result = asyncio.run(run_incident("revenue dashboard wrong", config=config, dry_run=True))
    assert result.verdict == "root_cause_found"
    assert result.decided_by["symptom"] == "procedure"
    assert any(str(missing) in d for d in result.degraded), result.degraded


@pytest.mark.parametrize("field", ["lora_path", "model_path"])
def test_an_adapter_or_model_file_puts_the_role_on_the_local_server(home: Path, field: str) -> None:
    from oncall.llm.roles import LOCAL_URL, Role, resolve_endpoints

    config = load_config(home, environ={}, llm_preset="offline", llm={"detective": {field: "/x.gguf"}})
    endpoints = resolve_endpoints(config)
    detective = endpoints["detective"]
    assert detective is not None and detective.base_url == LOCAL_URL and detective.profile == "llamacpp"
    assert getattr(detective, field) == "/x.gguf" and detective.tuned == (field == "lora_path")
    others: tuple[Role, ...] = ("coordinator", "reality_checker", "fixer")
    assert all(endpoints[r] is None for r in others)


# The code check of a tuned pick against the run's evidence (`tuned_objection`): a pick that exists
# and is in scope may still be refused by the text's words.


def _ref(kind: EntityType, name: str, *, subtype: str | None = None) -> EntityRef:
    return EntityRef(urn=f"urn:li:{kind}:({name})", type=kind, name=name, platform="p", subtype=subtype)


def _ranked(ref: EntityRef, score: float, content: float | None = None) -> Ranked:
    return Ranked(ref=ref, score=score, content_score=score if content is None else content)


DASH = _ref("dashboard", "Sales")
CHART = _ref("chart", "Shipping")
TABLE = _ref("dataset", "orders", subtype="Table")


def test_a_pick_the_ranking_clearly_beats_is_refused() -> None:
    ranked = [_ranked(DASH, 13.6), _ranked(CHART, 4.0)]
    why = tuned_objection("sales report is off", CHART, ranked)
    assert why is not None and DASH.urn in why and "13.6" in why
    assert tuned_objection("sales report is off", DASH, ranked) is None  # the ranking's own best


def test_a_pick_the_ranking_never_considered_is_refused_when_it_has_an_answer() -> None:
    why = tuned_objection("sales report is off", CHART, [_ranked(DASH, 9.0)])
    assert why is not None and "not among the ranked candidates" in why


def test_a_pick_close_to_the_best_may_overrule_it() -> None:
    ranked = [_ranked(DASH, 4.7), _ranked(CHART, 4.7 - CLOSE_TO_BEST)]
    assert tuned_objection("payment breakdown is wrong", CHART, ranked) is None
    ranked = [_ranked(DASH, 4.7), _ranked(CHART, 4.7 - CLOSE_TO_BEST - 0.1)]
    assert tuned_objection("payment breakdown is wrong", CHART, ranked) is not None


def test_no_confident_ranking_leaves_the_pick_to_the_model() -> None:
    # only type words matched (content below MIN_CONTENT_SCORE): the ranking has no answer
    ranked = [_ranked(DASH, 4.0, content=0.0), _ranked(TABLE, 2.0, content=0.0)]
    assert tuned_objection("earnings dashboard numbers dropped", DASH, ranked) is None


def test_a_pick_of_a_kind_the_text_does_not_name_is_refused() -> None:
    ranked = [_ranked(DASH, 4.0, content=0.0), _ranked(TABLE, 2.0, content=0.0)]
    why = tuned_objection("earnings dashboard numbers dropped", TABLE, ranked)
    assert why is not None and "'dashboard'" in why and "table" in why
    assert tuned_objection("earnings numbers dropped", TABLE, ranked) is None  # no type word: no objection


def test_a_type_word_counts_only_for_kinds_the_candidates_have() -> None:
    # a catalog of datasets only (dbt models): its "MRR report" is a table
    mrr = _ref("dataset", "fct_mrr", subtype="Table")
    ranked = [_ranked(TABLE, 0.5, content=0.5), _ranked(mrr, 0.4, content=0.4)]
    assert tuned_objection("MRR report is wrong", mrr, ranked) is None
    # "model" names a dataset: a chart is refused when a dataset candidate exists
    ranked = [_ranked(TABLE, 0.5, content=0.5), _ranked(CHART, 0.4, content=0.4)]
    assert tuned_objection("the orders staging model lost rows", CHART, ranked) is not None


def test_a_plausible_wrong_chart_cannot_overrule_a_clear_ranking(seeded_copy: Path) -> None:
    # what the LoRA Detective did in the eval: an existing, in-scope chart its search finds
    text = "category sales report shows blank categories"
    delivery = chart_urn(PROD, "delivery_times")
    report, ctx = _investigate(seeded_copy, text, _tuned({"search": "Delivery times", "urn": delivery}))
    assert report.symptom is not None and report.symptom.urn == chart_urn(PROD, "revenue_by_category")
    assert ctx.decided_by["symptom"] == "procedure"
    assert any(delivery in d and "ranking's best" in d for d in ctx.degraded), ctx.degraded
    raw = [e.data for e in ctx.events.events if e.data.get("tuned_urn")]
    assert raw and raw[0]["tuned_urn"] == delivery  # the raw answer stays visible (the bench counts it)


def test_the_tuned_model_decides_where_the_ranking_has_no_answer(seeded_copy: Path) -> None:
    # no word of the text names the Revenue dashboard; only the type word matched
    text = "earnings dashboard numbers dropped"
    revenue = dashboard_urn(PROD, "revenue")
    report, ctx = _investigate(seeded_copy, text, _tuned({"search": "Revenue", "urn": revenue}))
    assert report.symptom is not None and report.symptom.urn == revenue
    assert ctx.decided_by["symptom"] == "model"
    _, ctx = _investigate(
        seeded_copy, text, _tuned({"search": "orders", "urn": dataset_urn(PROD, "olist_orders")})
    )
    assert ctx.decided_by["symptom"] == "procedure"
    assert any("the text says 'dashboard'" in d for d in ctx.degraded), ctx.degraded


def test_dashboard_alone_names_no_chart_but_table_names_a_view_too() -> None:
    ranked = [_ranked(DASH, 4.0, content=0.0), _ranked(CHART, 3.0, content=0.0)]
    assert tuned_objection("turnover dashboard is wrong", CHART, ranked) is not None
    assert tuned_objection("the payments chart on the turnover dashboard", CHART, ranked) is None
    view = _ref("dataset", "v_orders", subtype="View")
    assert tuned_objection("orders table is stale", view, [_ranked(TABLE, 0.5, content=0.0)]) is None


def test_the_eval_homes_of_both_worlds_carry_the_detectives_adapter(home: Path) -> None:
    from oncall.eval import dbt_world, runner

    config = load_config(home, environ={"ONCALL_LLM_DETECTIVE_LORA": "/x/detective-lora.gguf"})
    carried = runner.local_model_settings(config)
    # the dbt world's homes read no environment: without this its eval never asked the tuned model
    assert dbt_world._config(home, None, carried).llm_detective_lora == "/x/detective-lora.gguf"
    options = runner.EvalOptions(local_model=carried)
    assert runner._config(home, options).llm_detective_lora == "/x/detective-lora.gguf"
