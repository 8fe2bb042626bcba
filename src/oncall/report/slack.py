"""The Slack message of a run: drafted always, posted only to a configured incoming webhook."""

from __future__ import annotations

from typing import Any

import httpx

from oncall.report.models import RunResult
from oncall.report.postmortem import display_name

__all__ = ["draft_slack", "post_slack"]

_ICON = {"root_cause_found": ":rotating_light:", "no_regression": ":white_check_mark:"}


def draft_slack(result: RunResult, *, summary: str | None = None) -> str:
    """A short mrkdwn message: verdict, origins with their failing checks, blast radius, next step."""
    names = result.names
    icon = _ICON.get(result.verdict, ":grey_question:")
    lines = [f"{icon} *Data incident*: \u201c{result.incident}\u201d", summary or result.summary]
    for rc in result.origins:
        checks = ", ".join(f"`{a.native_type}`" for a in rc.assertions)
        path = " \u2192 ".join(display_name(u, names) for u in rc.lineage_path)
        lines.append(f"\u2022 *{display_name(rc.dataset_urn, names)}*: {checks} \u2014 {path}")
    owners = sorted({o.rsplit(":", 1)[-1] for b in result.blast_radius for o in b.owners})
    if result.blast_radius:
        lines.append(
            f"Blast radius: {len(result.blast_radius)} entities; owners: {', '.join(owners) or 'none'}."
        )
    if result.origins and not result.dry_run:
        lines.append("Origins are tagged `quarantined` in DataHub, with an open incident each.")
    return "\n".join(line for line in lines if line)


def post_slack(webhook_url: str, text: str, *, timeout_s: float = 5.0) -> dict[str, Any]:
    """POST the message to a Slack incoming webhook; never raises (the run must finish regardless).

    Returns `{ok, status, error}` so the caller can record the outcome.
    """
    try:
        response = httpx.post(webhook_url, json={"text": text}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return {"ok": False, "status": None, "error": f"{type(exc).__name__}: {exc}"}
    ok = 200 <= response.status_code < 300
    return {"ok": ok, "status": response.status_code, "error": None if ok else response.text[:200]}
