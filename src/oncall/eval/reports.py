"""The eval report: totals over scored scenarios, rendered as a terminal table, Markdown and JSON.

The Markdown is what the README's "Measured" section quotes, so it carries the command that
reproduces it.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from oncall.eval.scoring import ScenarioScore

__all__ = [
    "EvalReport",
    "RoleJudgement",
    "Summary",
    "WorldRun",
    "render_markdown",
    "render_table",
    "summarize",
    "write_reports",
]


class WorldRun(BaseModel):
    """One built and set-up world, shared by the scenarios with its faults."""

    key: str
    label: str
    faults: list[dict[str, Any]]
    """The faults as the spec gives them (empty for the clean control world)."""
    rows_touched: list[int] = Field(default_factory=list)
    """Rows each fault changed, in order (from the world build)."""
    scenarios: list[str] = Field(default_factory=list)
    build_s: float | None = None
    setup_s: float | None = None
    error: str | None = None


class Summary(BaseModel):
    """Totals over all scenarios. Ratios are None when nothing was measured for them."""

    scenarios: int = 0
    passed: int = 0
    errors: int = 0
    symptom_accuracy: float | None = None
    origin_precision: float | None = None
    """Micro-averaged: correct origins over all origins named."""
    origin_recall: float | None = None
    """Micro-averaged: correct origins over all origins expected."""
    grounded_rate: float | None = None
    """Scenarios whose every named origin is path-grounded."""
    elsewhere_accuracy: float | None = None
    control_accuracy: float | None = None
    verdict_accuracy: float | None = None
    verdict_ms_median: float | None = None
    verdict_ms_max: float | None = None
    catalog_calls: int = 0
    catalog_queries: int = 0
    model_calls: int = 0
    model_roles: dict[str, RoleJudgement] = Field(default_factory=dict)
    """Per role, over every scenario that ran with a model for it."""
    model_server_load_ms: float | None = None
    """Time the local model server took to load (the `local` preset starts it once per eval)."""


class RoleJudgement(BaseModel):
    """One role's model over all scenarios: what became of its answers, latency per call, tokens."""

    model: str = ""
    calls: int = 0
    used: int = 0
    rejected: int = 0
    """Calls with an answer sent back by verification (some recovered on the retry)."""
    replaced: int = 0
    """Calls that failed, so the deterministic procedure produced the result."""
    rejections: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)
    latency_ms_median: float | None = None
    latency_ms_max: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0


class EvalReport(BaseModel):
    """Everything one `oncall eval` measured."""

    started_at: float
    total_s: float
    options: dict[str, Any]
    worlds: list[WorldRun]
    scores: list[ScenarioScore]
    summary: Summary
    work_dir: str | None = None


def summarize(scores: Sequence[ScenarioScore]) -> Summary:
    """Totals over scored scenarios."""
    ran = [s for s in scores if s.error is None]
    predicted = sum(s.predicted for s in scores)
    expected = sum(s.expected for s in scores)
    tp = sum(s.true_positives for s in scores)
    times = [s.verdict_ms for s in ran if s.verdict_ms is not None]
    controls = [s for s in scores if s.control]
    with_elsewhere = [s for s in scores if s.elsewhere.ok is not None]
    return Summary(
        scenarios=len(scores),
        passed=sum(s.passed for s in scores),
        errors=len(scores) - len(ran),
        symptom_accuracy=_ratio(sum(bool(s.symptom.ok) for s in scores), len(scores)),
        origin_precision=_ratio(tp, predicted) if predicted else (1.0 if ran else None),
        origin_recall=_ratio(tp, expected),
        grounded_rate=_ratio(sum(bool(s.grounded.ok) for s in scores), len(scores)),
        elsewhere_accuracy=_ratio(sum(bool(s.elsewhere.ok) for s in with_elsewhere), len(with_elsewhere)),
        control_accuracy=_ratio(sum(s.passed for s in controls), len(controls)),
        verdict_accuracy=_ratio(sum(bool(s.verdict.ok) for s in scores), len(scores)),
        verdict_ms_median=round(statistics.median(times), 1) if times else None,
        verdict_ms_max=round(max(times), 1) if times else None,
        catalog_calls=sum(s.catalog_calls for s in scores),
        catalog_queries=sum(s.catalog_queries for s in scores),
        model_calls=sum(s.model_calls for s in scores),
        model_roles=_judgement(scores),
        model_server_load_ms=max(
            (s.model_server_load_ms for s in scores if s.model_server_load_ms), default=None
        ),
    )


def _judgement(scores: Sequence[ScenarioScore]) -> dict[str, RoleJudgement]:
    out: dict[str, RoleJudgement] = {}
    latencies: dict[str, list[float]] = {}
    for score in scores:
        for role, usage in score.model_roles.items():
            total = out.setdefault(role, RoleJudgement(model=usage.model))
            total.calls += usage.calls
            total.used += usage.used
            total.rejected += usage.rejected
            total.replaced += usage.replaced
            total.tokens_in += usage.tokens_in
            total.tokens_out += usage.tokens_out
            for mine, theirs in ((total.rejections, usage.rejections), (total.failures, usage.failures)):
                for reason, count in theirs.items():
                    mine[reason] = mine.get(reason, 0) + count
            latencies.setdefault(role, []).extend(usage.latency_ms)
    for role, times in latencies.items():
        if times:
            out[role].latency_ms_median = round(statistics.median(times), 1)
            out[role].latency_ms_max = round(max(times), 1)
    return out


_COLUMNS = (
    "scenario",
    "symptom",
    "origins P/R",
    "grounded",
    "elsewhere",
    "verdict",
    "verdict ms",
    "run ms",
    "catalog calls",
    "model calls",
    "result",
)


def _row(s: ScenarioScore) -> tuple[str, ...]:
    return (
        s.name,
        _mark(s.symptom.ok),
        "-" if s.error else f"{s.precision:.2f}/{s.recall:.2f}",
        _mark(s.grounded.ok),
        _mark(s.elsewhere.ok),
        _mark(s.verdict.ok),
        "-" if s.verdict_ms is None else f"{s.verdict_ms:.0f}",
        "-" if s.wall_ms is None else f"{s.wall_ms:.0f}",
        str(s.catalog_calls),
        str(s.model_calls),
        "pass" if s.passed else ("ERROR" if s.error else "FAIL"),
    )


def _totals(summary: Summary) -> list[tuple[str, str]]:
    return [
        ("scenarios passed", f"{summary.passed}/{summary.scenarios}"),
        ("symptom accuracy", _pct(summary.symptom_accuracy)),
        ("origin precision", _pct(summary.origin_precision)),
        ("origin recall", _pct(summary.origin_recall)),
        ("origins path-grounded", _pct(summary.grounded_rate)),
        ("elsewhere correct", _pct(summary.elsewhere_accuracy)),
        ("controls correct", _pct(summary.control_accuracy)),
        ("verdict correct", _pct(summary.verdict_accuracy)),
        (
            "time to verdict, median / max",
            f"{_ms(summary.verdict_ms_median)} / {_ms(summary.verdict_ms_max)}",
        ),
        ("catalog calls (queries)", f"{summary.catalog_calls} ({summary.catalog_queries})"),
        ("model calls", str(summary.model_calls)),
        *(
            [("local model server load", _ms(summary.model_server_load_ms))]
            if summary.model_server_load_ms
            else []
        ),
    ]


def render_table(report: EvalReport) -> str:
    """A plain-text table per scenario, the failures, and the totals (for the terminal)."""
    rows = [_COLUMNS, *(_row(s) for s in report.scores)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failures = [f"{s.name}: {f}" for s in report.scores for f in s.failures]
    if failures:
        lines += ["", "Failures:", *(f"  {f}" for f in failures)]
    lines += _judgement_table(report.summary)
    lines += ["", *(f"{k:<32}{v}" for k, v in _totals(report.summary))]
    lines.append(
        f"{'total time':<32}{report.total_s:.1f} s ({_setup_s(report):.1f} s building and setting up worlds)"
    )
    return "\n".join(lines)


def render_markdown(report: EvalReport, command: str = "oncall eval") -> str:
    """The report as Markdown: totals, per-scenario table, failures, worlds, and how to reproduce."""
    opts = report.options
    head = [
        "## Scenario eval",
        "",
        f"{report.summary.scenarios} scenarios on {len(report.worlds)} worlds, scale {opts.get('scale')}, "
        f"seed {opts.get('seed')}, LLM preset `{opts.get('llm_preset')}`; "
        f"{report.total_s:.0f} s in total ({_setup_s(report):.0f} s building and setting up worlds). "
        f"Reproduce with `{command}`.",
        "",
        "| Measure | Value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in _totals(report.summary)),
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
        *("| " + " | ".join(_md_cell(c) for c in _row(s)) + " |" for s in report.scores),
    ]
    failures = [f"- `{s.name}`: {_md_cell(f)}" for s in report.scores for f in s.failures]
    if failures:
        head += ["", "### Failures", "", *failures]
    head += _judgement_markdown(report.summary)
    head += [
        "",
        "### Worlds",
        "",
        "| world | faults | scenarios | build s | setup s |",
        "|---|---|---|---|---|",
    ]
    for w in report.worlds:
        build = "failed: " + _md_cell(w.error) if w.error else _num(w.build_s)
        faults = _md_cell(_fault_summary(w))
        head.append(f"| {w.label} | {faults} | {len(w.scenarios)} | {build} | {_num(w.setup_s)} |")
    return "\n".join(head) + "\n"


_JUDGEMENT_COLUMNS = (
    "role",
    "model",
    "calls",
    "used",
    "rejected by verification",
    "replaced by the procedure",
    "latency median / max",
    "tokens in / out",
)


def _judgement_row(role: str, j: RoleJudgement) -> tuple[str, ...]:
    return (
        role,
        j.model,
        str(j.calls),
        str(j.used),
        str(j.rejected),
        str(j.replaced),
        f"{_ms(j.latency_ms_median)} / {_ms(j.latency_ms_max)}",
        f"{j.tokens_in} / {j.tokens_out}",
    )


def _reasons(j: RoleJudgement) -> str:
    parts = [f"{n} x {reason}" for reason, n in sorted(j.rejections.items(), key=lambda kv: -kv[1])]
    failed = ", ".join(f"{kind} {n}" for kind, n in sorted(j.failures.items()))
    return "; ".join(parts) + (f" (calls that failed: {failed})" if failed else "")


def _judgement_markdown(summary: Summary) -> list[str]:
    """The models' judgement per role: how often verification took, sent back or replaced an answer."""
    if not summary.model_roles:
        return []
    lines = [
        "",
        "### Model judgement per role",
        "",
        "| " + " | ".join(_JUDGEMENT_COLUMNS) + " |",
        "|" + "---|" * len(_JUDGEMENT_COLUMNS),
    ]
    roles = summary.model_roles
    lines += ["| " + " | ".join(_md_cell(c) for c in _judgement_row(r, j)) + " |" for r, j in roles.items()]
    why = [f"- {role}: {_md_cell(_reasons(j))}" for role, j in roles.items() if j.rejections or j.failures]
    if why:
        lines += ["", "Why answers were sent back or replaced:", "", *why]
    return lines


def _judgement_table(summary: Summary) -> list[str]:
    if not summary.model_roles:
        return []
    rows = [_JUDGEMENT_COLUMNS, *(_judgement_row(r, j) for r, j in summary.model_roles.items())]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_JUDGEMENT_COLUMNS))]
    lines = ["", "Model judgement per role:"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for role, j in summary.model_roles.items():
        if j.rejections or j.failures:
            lines.append(f"  {role}: {_reasons(j)}")
    return lines


def write_reports(report: EvalReport, out_dir: Path, command: str = "oncall eval") -> tuple[Path, Path]:
    """Write `eval-<time>.md/.json` and `latest.md/.json` into `out_dir`; returns the timestamped pair."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(report.started_at))
    markdown = render_markdown(report, command)
    data = json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    paths = (out_dir / f"eval-{stamp}.md", out_dir / f"eval-{stamp}.json")
    for name, text in ((paths[0], markdown), (paths[1], data)):
        _write_atomic(name, text)
    _write_atomic(out_dir / "latest.md", markdown)
    _write_atomic(out_dir / "latest.json", data)
    return paths


def _write_atomic(path: Path, text: str) -> None:
    """Readers never see half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _fault_summary(world: WorldRun) -> str:
    if not world.faults:
        return "none (control)"
    parts = []
    for i, f in enumerate(world.faults):
        column = f".{f['column']}" if f.get("column") else ""
        rows = f" ({world.rows_touched[i]:,} rows)" if i < len(world.rows_touched) else ""
        parts.append(f"{f.get('kind')} {f.get('table')}{column}{rows}")
    return "; ".join(parts)


def _setup_s(report: EvalReport) -> float:
    return sum((w.build_s or 0) + (w.setup_s or 0) for w in report.worlds)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "NO")


def _md_cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
