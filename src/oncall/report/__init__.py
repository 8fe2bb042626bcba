"""What a run tells people: the run result, the postmortem, the Slack message, the quarantine call.

Everything here is built from a `RunResult`, deterministically; the agents decide what goes into it.
"""

from __future__ import annotations

from oncall.report.models import (
    BlastRadiusEntry,
    DiffEntry,
    DiffSide,
    LLMUsage,
    RootCause,
    RunResult,
    Symptom,
    Verdict,
    Write,
)
from oncall.report.postmortem import Postmortem, build_postmortem, display_name
from oncall.report.quarantine import QUARANTINE_TAG, quarantine_snippet
from oncall.report.slack import draft_slack, post_slack

__all__ = [
    "QUARANTINE_TAG",
    "BlastRadiusEntry",
    "DiffEntry",
    "DiffSide",
    "LLMUsage",
    "Postmortem",
    "RootCause",
    "RunResult",
    "Symptom",
    "Verdict",
    "Write",
    "build_postmortem",
    "display_name",
    "draft_slack",
    "post_slack",
    "quarantine_snippet",
]
