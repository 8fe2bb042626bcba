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
from oncall.agents.detective import TUNED_SYSTEM, investigate, tuned_prompt
from oncall.catalog import open_catalog
from oncall.config import load_config
from oncall.events import RunEvents
from oncall.llm import RoleModel, load_models
from oncall.llm.models import ModelSet
from oncall.world.urns import chart_urn, dashboard_urn

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


def _investigate(home: Path, text: str, model: RoleModel) -> tuple[object, RunContext]:
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
    assert report.symptom is not None and report.symptom.urn == SELLERS_CHART  # type: ignore[attr-defined]
    assert ctx.decided_by["symptom"] == "model"
    assert "tuned Detective model" in report.symptom.reasons[0]  # type: ignore[attr-defined]


def test_a_urn_neither_candidates_nor_its_search_return_falls_back(seeded_copy: Path) -> None:
    made_up = "urn:li:chart:(superset,olist_dirty.gmv)"
    report, ctx = _investigate(
        seeded_copy, "revenue dashboard wrong", _tuned({"search": "gmv chart", "urn": made_up})
    )
    assert report.symptom.urn == dashboard_urn(PROD, "revenue")  # type: ignore[attr-defined]
    assert ctx.decided_by["symptom"] == "procedure"
    assert any("tuned model named" in d and "used the ranking" in d for d in ctx.degraded), ctx.degraded


def test_the_baseline_twin_is_refused_even_when_its_search_finds_it(seeded_copy: Path) -> None:
    twin = dashboard_urn("olist_source", "revenue")
    report, ctx = _investigate(
        seeded_copy, "revenue dashboard wrong", _tuned({"search": "Revenue", "urn": twin})
    )
    assert report.symptom.urn == dashboard_urn(PROD, "revenue")  # type: ignore[attr-defined]
    assert any("outside the run's scope" in d for d in ctx.degraded), ctx.degraded


def test_a_null_answer_leaves_the_pick_to_the_ranking(seeded_copy: Path) -> None:
    report, ctx = _investigate(seeded_copy, "revenue dashboard wrong", _tuned({"search": "", "urn": None}))
    assert report.symptom.urn == dashboard_urn(PROD, "revenue")  # type: ignore[attr-defined]
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
    from oncall.llm.roles import LOCAL_URL, resolve_endpoints

    config = load_config(home, environ={}, llm_preset="offline", llm={"detective": {field: "/x.gguf"}})
    endpoints = resolve_endpoints(config)
    detective = endpoints["detective"]
    assert detective is not None and detective.base_url == LOCAL_URL and detective.profile == "llamacpp"
    assert getattr(detective, field) == "/x.gguf" and detective.tuned == (field == "lora_path")
    assert all(endpoints[r] is None for r in ("coordinator", "reality_checker", "fixer"))
