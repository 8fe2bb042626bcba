"""`oncall eval --llm local` for real: a scenario of each world with every role on the packaged small model.

One scenario per world (each call of the 135M model takes seconds on two shared cores). The model
answers what it answers; what must hold whatever it says: the verdict is the code's (right), and the
report accounts for every call per role (used, or replaced by the procedure, with why), with latency
and tokens. The eval's temporary homes read no configuration of their own, so the user's local-model
settings (here: the session server's port) must reach them, or a second server would be started on
the default port.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.eval import load_scenarios, select
from oncall.eval.reports import EvalReport, render_markdown
from oncall.eval.runner import EvalOptions, run_eval
from oncall.llm.local import LocalServer

pytestmark = pytest.mark.llm_local


def _port(server: LocalServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1].split("/")[0])


def _load_ms(server: LocalServer) -> float | None:
    """What the eval reports as the server's load time when it used this server (a second one that it
    started would report its own)."""
    return round(server.load_s * 1000, 1) if server.started else None


def _accounts_for_every_call(report: EvalReport, server: LocalServer) -> None:
    roles = report.summary.model_roles
    assert roles, "no role used the model"
    assert set(roles) <= {"coordinator", "detective", "reality_checker", "fixer"}
    # a call is one step a role asked; model_calls counts round trips (tool turns too)
    assert 0 < sum(j.calls for j in roles.values()) <= report.summary.model_calls
    for role, j in roles.items():
        assert j.used + j.replaced == j.calls, role
        assert sum(j.failures.values()) == j.replaced, role  # every replaced call says why
        assert j.latency_ms_median is not None and j.latency_ms_median > 0, role
        assert j.model == server.model, role  # the id the server answers to, filled in at run time
    # tokens are counted even when the answer was refused; a call that timed out got no response
    answered = [j for j in roles.values() if j.failures.get("timeout", 0) < j.calls]
    assert all(j.tokens_in > 0 for j in answered), roles
    assert "### Model judgement per role" in render_markdown(report)


def test_olist_eval_on_the_local_model_keeps_every_verdict(local_server: LocalServer) -> None:
    scenarios = select(load_scenarios(), ("kit-revenue-dashboard",))
    options = EvalOptions(scale=0.02, llm_preset="local", local_model={"llm_local_port": _port(local_server)})
    report = run_eval(scenarios, options)
    assert [s.error for s in report.scores] == [None] * len(scenarios)
    assert report.summary.verdict_accuracy == 1.0, [s.failures for s in report.scores]
    assert report.summary.model_server_load_ms == _load_ms(local_server)  # the session's server
    _accounts_for_every_call(report, local_server)


def test_dbt_eval_on_the_local_model_keeps_every_verdict(local_server: LocalServer, dbt_world: Path) -> None:
    from oncall.eval.dbt_world import load_dbt_scenarios, run_dbt_eval

    chosen = [s for s in load_dbt_scenarios() if s.name == "dbt-mrr-report"]
    report = run_dbt_eval(
        chosen, llm_preset="local", world=dbt_world, local_model={"llm_local_port": _port(local_server)}
    )
    assert [s.error for s in report.scores] == [None]
    assert report.summary.verdict_accuracy == 1.0, [s.failures for s in report.scores]
    assert report.summary.model_server_load_ms == _load_ms(local_server)
    _accounts_for_every_call(report, local_server)
