"""The postmortem as a typed object (summary, impact, root cause with evidence chain, resolution,
follow-ups), built from a run result and rendered to Markdown.

Building is deterministic; a model may supply the summary and follow-ups (the Coordinator's synthesis),
but the evidence chain always comes from the run's verified findings.

The incident text and catalog names are untrusted: in the Markdown they are escaped (`md_escape`), so a
report like `[x](https://evil.example)` is shown as typed, never as a link or an image.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from pydantic import BaseModel, Field

from oncall.catalog.types import trusted
from oncall.report.models import DiffEntry, RunResult
from oncall.untrusted import md_escape, strip_controls

__all__ = [
    "CauseEvidence",
    "FailingCheck",
    "ImpactItem",
    "Postmortem",
    "build_postmortem",
    "default_follow_ups",
    "default_summary",
    "display_name",
    "rerun_steps",
]

_DATASET_NAME = re.compile(r"urn:li:dataset:\(urn:li:dataPlatform:[^,]+,(?:[^,]*\.)?([^.,]+),[A-Z]+\)")
_BI_NAME = re.compile(r"urn:li:(?:chart|dashboard):\([^,]+,(?:[^,]*\.)?([^.,)]+)\)")


def display_name(urn: str, names: dict[str, str] | None = None) -> str:
    """The human name of an URN: from the run's names, else the last part of the URN."""
    if names and urn in names:
        return names[urn]
    match = _DATASET_NAME.fullmatch(urn) or _BI_NAME.fullmatch(urn)
    return match.group(1) if match else urn


class FailingCheck(BaseModel):
    """An assertion that fails in production, with what it saw and what the baseline saw."""

    assertion_urn: str
    dataset_urn: str
    native_type: str
    description: str | None = None
    observed: float | None = None
    """Production's value (violations counted)."""
    expected: float | None = None
    """The baseline's value (or the last passing run's), what 'right' looked like."""
    baseline_result: str | None = None
    baseline_kind: str = "twin"
    """'twin' (the clean twin's latest run) or 'history' (this assertion's own last passing run)."""

    @classmethod
    def from_diff(cls, entry: DiffEntry) -> FailingCheck:
        """A failing check from a diff entry."""
        return cls(
            assertion_urn=entry.assertion_urn,
            dataset_urn=entry.dataset_urn,
            native_type=entry.native_type,
            description=entry.description,
            observed=entry.production.value,
            expected=entry.baseline.value,
            baseline_result=entry.baseline.result,
            baseline_kind=entry.baseline_kind,
        )

    def line(self) -> str:
        """'seller_id_length_eq_32: 5632 observed, 0 expected (baseline: twin, SUCCESS)'."""
        obs = _num(self.observed)
        exp = _num(self.expected)
        result = f", {self.baseline_result}" if self.baseline_result else ""
        against = f"(baseline: {self.baseline_kind}{result})"
        return f"{_code(self.native_type)}: {obs} observed, {exp} expected {against}"


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _code(text: str) -> str:
    """`text` as a code span: nothing inside is Markdown, so only a backtick could break out."""
    return "`" + strip_controls(text).replace("`", "'") + "`"


class CauseEvidence(BaseModel):
    """One root cause with its evidence chain: the lineage path and the failing checks."""

    dataset_urn: str
    name: str
    origin: bool
    confidence: float
    via: str
    path: list[str]
    """URNs from the symptom to the dataset."""
    path_names: list[str]
    failing: list[FailingCheck] = Field(default_factory=list)


class ImpactItem(BaseModel):
    """An affected entity downstream of an origin."""

    urn: str
    name: str
    type: str
    owners: list[str] = Field(default_factory=list)


class Postmortem(BaseModel):
    """The incident write-up."""

    title: str
    run_id: str
    incident: str
    verdict: str
    generated_at: float
    symptom_urn: str | None = None
    symptom_name: str | None = None
    summary: str
    impact: list[ImpactItem] = Field(default_factory=list)
    root_cause: list[CauseEvidence] = Field(default_factory=list)
    also_failing: list[FailingCheck] = Field(default_factory=list)
    resolution: list[str] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)

    def to_markdown(self) -> str:
        """The postmortem as Markdown (what the run links from DataHub and the CLI prints)."""
        out = [f"# {md_escape(self.title)}", ""]
        out += [
            f"*Run {_code(self.run_id)} · reported as \u201c{md_escape(self.incident)}\u201d · "
            f"verdict {_code(self.verdict)}*",
            "",
        ]
        out += ["## Summary", "", md_escape(self.summary), ""]
        out += ["## Impact", ""]
        out += _impact_lines(self.impact) or ["No downstream entity affected."]
        out += ["", "## Root cause", ""]
        for cause in self.root_cause:
            out += _cause_lines(cause)
        if not self.root_cause:
            out += [_NO_CAUSE.get(self.verdict, "No root cause named.")]
        if self.also_failing:
            out += ["", "### Also failing elsewhere (not connected to the symptom)", ""]
            out += [f"- {c.line()} on {_code(display_name(c.dataset_urn))}" for c in self.also_failing]
        out += ["", "## Resolution", ""]
        out += [f"- {strip_controls(r)}" for r in self.resolution] or ["- Nothing was written."]
        out += ["", "## Follow-ups", ""]
        out += [f"- [ ] {md_escape(f)}" for f in self.follow_ups] or ["- [ ] None."]
        return "\n".join(out).rstrip() + "\n"


_NO_CAUSE = {
    "no_regression": "No root cause named: no data-quality regression was found upstream of the symptom.",
    "no_symptom": "No root cause named: no catalog entity matched the report, so nothing was investigated.",
    "failed": "No root cause named: the run did not complete.",
    "interrupted": "No root cause named: the process running it stopped before it finished.",
}


IMPACT_LINES_PER_TYPE = 50
"""How many affected entities of each type the Markdown lists; the rest are counted (every one is in
`Postmortem.impact` and the run's JSON). A page of 28,000 lines helps nobody at 3 a.m."""


def _impact_lines(items: Sequence[ImpactItem]) -> list[str]:
    """Up to `IMPACT_LINES_PER_TYPE` lines per entity type (types in order of first appearance), each
    type's rest counted after its lines."""
    by_type: dict[str, list[ImpactItem]] = {}
    for item in items:
        by_type.setdefault(item.type, []).append(item)
    out: list[str] = []
    for kind, group in by_type.items():
        out += [_impact_line(i) for i in group[:IMPACT_LINES_PER_TYPE]]
        rest = len(group) - IMPACT_LINES_PER_TYPE
        if rest > 0:
            plural = "" if rest == 1 else "s"
            out.append(f"- \u2026 and {rest:,} more {kind}{plural} (every one is in the run's JSON result)")
    return out


def _impact_line(item: ImpactItem) -> str:
    owners = ", ".join(md_escape(o.rsplit(":", 1)[-1]) for o in item.owners) or "no owner"
    return f"- {item.type} **{md_escape(item.name)}** (owners: {owners})"


def _cause_lines(cause: CauseEvidence) -> list[str]:
    role = "Origin" if cause.origin else "Explained by an upstream origin"
    via = " (entered through a failing foreign-key check)" if cause.via == "foreign_key" else ""
    lines = [
        f"### {md_escape(cause.name)}: {role}, confidence {cause.confidence:.2f}",
        "",
        f"Lineage path{via}: " + " \u2192 ".join(_code(n) for n in cause.path_names),
        "",
        "Failing checks (fail in production, pass in the baseline: the clean twin, or their own "
        "last passing run):",
    ]
    lines += [f"- {c.line()}" for c in cause.failing]
    return [*lines, ""]


def default_summary(result: RunResult) -> str:
    """The deterministic summary sentence(s) of a run."""
    names = result.names
    if result.verdict == "no_symptom" or result.symptom is None:
        return f"No catalog entity matches \u201c{result.incident}\u201d; nothing was investigated."
    symptom = display_name(result.symptom.urn, names)
    if result.verdict == "no_regression":
        return f"No data-quality regression found upstream of {symptom}." + _already_failing(result)
    origins = result.origins
    if not origins:
        return f"The investigation of {symptom} did not complete."
    parts = []
    for rc in origins:
        checks = ", ".join(f"{a.native_type} ({_num(a.production.value)})" for a in rc.assertions)
        parts.append(f"{display_name(rc.dataset_urn, names)} [{checks}]")
    n = len(origins)
    return (
        f"{symptom} is wrong because of {n} upstream data-quality regression{'s' if n > 1 else ''}: "
        + "; ".join(parts)
        + f". Blast radius: {len(result.blast_radius)} downstream entities."
    )


def _already_failing(result: RunResult) -> str:
    """Checks in scope that fail on both sides: not a regression, but worth saying."""
    scope = set(result.scope)
    failing = [e for e in result.diff if e.status == "pre-existing" and e.dataset_urn in scope]
    if not failing:
        return ""
    names = sorted({display_name(e.dataset_urn, result.names) for e in failing})
    against = "never passed in their history" if result.history else "fail in the baseline too"
    return f" {len(failing)} assertions upstream already fail and {against} ({', '.join(names)})."


def default_follow_ups(result: RunResult) -> list[str]:
    """Deterministic follow-ups: fix each origin, re-run its checks, then lift the quarantine."""
    items = []
    for rc in result.origins:
        name = display_name(rc.dataset_urn, result.names)
        checks = ", ".join(a.native_type for a in rc.assertions)
        items.append(f"Find the load that changed {name} and repair it ({checks}).")
    if result.verdict == "no_symptom":
        items.append(
            "Name the dashboard, chart or table you look at (`oncall catalog search WORDS` lists them)."
        )
    if result.origins:
        items += rerun_steps([a for rc in result.origins for a in rc.assertions])
        items.append("Resolve the incidents and remove the `quarantined` tags (`oncall reset`).")
    return items


def rerun_steps(failing: Sequence[DiffEntry]) -> list[str]:
    """How to run the failing checks again, by who runs them: `oncall assertions` suites here, dbt
    tests by dbt (their results reach DataHub by ingestion), any other tool where it runs."""
    steps = []
    if any(e.suite for e in failing):
        steps.append("Re-run the assertions (`oncall assertions run`) and confirm they pass.")
    if any(e.source == "dbt" and not e.suite for e in failing):
        steps.append(
            "Re-run the dbt tests (`dbt build`), ingest the new run_results.json "
            "(`oncall ingest RECIPE.yml`) and confirm they pass."
        )
    others = {e.source for e in failing if not e.suite and e.source != "dbt"}
    if others:
        named = ", ".join(sorted(o for o in others if o))
        what = f"the {named} checks" if named else "the checks"
        steps.append(f"Re-run {what} where they run and confirm they pass in DataHub.")
    return steps


def build_postmortem(
    result: RunResult,
    *,
    summary: str | None = None,
    follow_ups: Sequence[str] | None = None,
    resolution: Sequence[str] | None = None,
) -> Postmortem:
    """Assemble the postmortem of a run (the evidence always comes from `result`)."""
    names = result.names
    symptom_name = display_name(result.symptom.urn, names) if result.symptom else None
    causes = [
        CauseEvidence(
            dataset_urn=rc.dataset_urn,
            name=display_name(rc.dataset_urn, names),
            origin=rc.origin,
            confidence=rc.confidence,
            via=rc.via,
            path=rc.lineage_path,
            path_names=[display_name(u, names) for u in rc.lineage_path],
            failing=[FailingCheck.from_diff(a) for a in rc.assertions],
        )
        for rc in result.root_causes
    ]
    impact = [  # built from the run's own validated entries: no second validation (9k at 100k)
        trusted(
            ImpactItem, urn=b.urn, name=b.name or display_name(b.urn, names), type=b.type, owners=b.owners
        )
        for b in result.blast_radius
    ]
    title = f"Postmortem: {symptom_name or result.incident}"
    return Postmortem(
        title=title,
        run_id=result.run_id,
        incident=result.incident,
        verdict=result.verdict,
        generated_at=time.time(),
        symptom_urn=result.symptom.urn if result.symptom else None,
        symptom_name=symptom_name,
        summary=summary or result.summary or default_summary(result),
        impact=impact,
        root_cause=causes,
        also_failing=[FailingCheck.from_diff(e) for e in result.elsewhere],
        resolution=list(resolution) if resolution is not None else _resolution(result),
        follow_ups=list(follow_ups) if follow_ups is not None else default_follow_ups(result),
    )


def _resolution(result: RunResult) -> list[str]:
    if result.dry_run:
        return ["Dry run: nothing was written to DataHub."]
    lines = []
    for w in result.writes:
        if w.action in ("create", "update", "unchanged"):
            check = "verified" if w.verified else "NOT verified"
            name = display_name(w.urn, result.names)
            lines.append(f"{w.action} {_code(w.aspect)} on {_code(name)} ({check})")
    return lines
