"""Delivering a run's report: the postmortem Markdown (written next to the catalog when the run wrote
back), the Slack post when a webhook is configured, and the closing events."""

from __future__ import annotations

from oncall.agents import writeback
from oncall.agents._runtime import RunContext
from oncall.report.models import RunResult
from oncall.report.postmortem import build_postmortem
from oncall.report.slack import post_slack

__all__ = ["finish_report"]


def finish_report(ctx: RunContext, result: RunResult, follow_ups: list[str]) -> None:
    """Render the postmortem into `result`, write its file and post to Slack (not on a dry run)."""
    postmortem = build_postmortem(result, summary=result.summary, follow_ups=follow_ups)
    result.postmortem_markdown = postmortem.to_markdown()
    if result.symptom and result.writes and not ctx.dry_run:
        path = writeback.postmortem_path(ctx.config, result.symptom.urn)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.postmortem_markdown, encoding="utf-8")
    _post_slack(ctx, result)
    ctx.emit(
        "fixer",
        "agent_finished",
        {"writes": len(result.writes), "verified": all(w.verified for w in result.writes)},
    )
    ctx.emit("coordinator", "message", {"summary": result.summary})
    ctx.emit("coordinator", "agent_finished", {"verdict": result.verdict})


def _post_slack(ctx: RunContext, result: RunResult) -> None:
    if not (ctx.config.slack_webhook_url and result.origins and not ctx.dry_run):
        return
    outcome = post_slack(ctx.config.slack_webhook_url, result.slack_message)
    ctx.emit("fixer", "message", {"slack": outcome})
    if not outcome["ok"]:
        result.degraded.append(f"fixer/slack: posting failed ({outcome['error'] or outcome['status']})")
