"""Assertion suites as data: YAML files of checks (and profile rules), loaded into a `Suite`.

A suite file has a `name`, a `description`, and `checks` (hand-written SQL) and/or a `profile` section
of rules expanded from the schema and the clean baseline (`quality.profile`). The caller names the
files: the demo ships two (`world/suites/kit.yaml`, `profile.yaml`), users pass the path of their own.

Loading checks the file's shape (unknown keys, bad scope, unknown placeholder, duplicate check names)
and raises `SuiteError` naming the field. Whether tables and columns exist in a warehouse is checked
against that warehouse just before running (`suite_problems`); a check that fails it is recorded as
ERROR and the others still run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncall.errors import SuiteError
from oncall.quality.baseline import BaselineNeeds, BaselineStats
from oncall.quality.models import Check, Suite
from oncall.quality.profile import ProfileRules, expand_profile, profile_needs
from oncall.quality.templates import identifier, placeholders, render_values

__all__ = [
    "SuiteSource",
    "load_suite",
    "parse_suite",
    "read_suite",
    "suite_problems",
    "validate_suite",
]


class _CheckSpec(Check):
    model_config = ConfigDict(extra="forbid")


class _SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    checks: list[_CheckSpec] = Field(default_factory=list)
    profile: ProfileRules | None = None


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read(path: str | Path) -> tuple[str, str]:
    """The YAML text of a suite file and where it came from."""
    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"no suite file {str(path)!r}; give the path of a suite YAML file")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read suite file {path}: {exc}") from exc


def _named(name: str, where: str) -> str:
    try:
        return identifier(name)
    except SuiteError as exc:
        raise SuiteError(f"{where}: {exc}") from None


def _render_check(spec: Check, index: int, baseline: BaselineStats | None, source: str) -> Check:
    where = f"{source}: checks[{index}] ({spec.name})"
    values = {"table": _named(spec.table, f"{where}.table")}
    if spec.field:
        values["column"] = _named(spec.field, f"{where}.field")
    texts = [spec.name, spec.sql, spec.description, *spec.parameters.values()]
    if any(name == "baseline_rows" and arg is None for t in texts for name, arg in placeholders(t)):
        rows = baseline.rows(spec.table) if baseline else None
        if rows is None:
            raise SuiteError(
                f"{where}: uses {{{{ baseline_rows }}}} but the clean baseline's row count of "
                f"{spec.table} is unknown; build the world first (oncall world build)"
            )
        values["baseline_rows"] = str(rows)

    def render(text: str, field: str) -> str:
        return render_values(text, values, where=f"{where}.{field}")

    return spec.model_copy(
        update={
            "name": render(spec.name, "name"),
            "sql": render(spec.sql, "sql"),
            "description": render(spec.description, "description"),
            "parameters": {k: render(v, f"parameters.{k}") for k, v in spec.parameters.items()},
        }
    )


def _parse_file(text: str, source: str) -> _SuiteFile:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise SuiteError(f"{source}: expected a mapping with name, description and checks")
    try:
        spec = _SuiteFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_field_path(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SuiteError(f"{source}: {problems}") from exc
    if not spec.checks and spec.profile is None:
        raise SuiteError(f"{source}: the suite has no checks and no profile rules")
    return spec


class SuiteSource(BaseModel):
    """A parsed but not yet expanded suite file: what it needs from the baseline is known."""

    spec: _SuiteFile
    source: str

    def needs(self) -> BaselineNeeds:
        """The baseline facts this suite needs before it can be expanded."""
        rows = {
            c.table
            for c in self.spec.checks
            for t in (c.name, c.sql, c.description, *c.parameters.values())
            if ("baseline_rows", None) in placeholders(t)
        }
        if self.spec.profile is None:
            return BaselineNeeds(row_tables=rows)
        return profile_needs(self.spec.profile, source=self.source).merge(BaselineNeeds(row_tables=rows))

    def build(self, baseline: BaselineStats | None) -> Suite:
        """Expand placeholders and profile rules into the suite's checks."""
        spec, source = self.spec, self.source
        checks = [_render_check(c, i, baseline, source) for i, c in enumerate(spec.checks)]
        if spec.profile is not None:
            if baseline is None:
                raise SuiteError(
                    f"{source}: profile rules need the clean baseline's stats; build the world first"
                )
            checks += expand_profile(spec.profile, baseline, source=source)
        seen: set[tuple[str, str]] = set()
        for i, check in enumerate(checks):
            key = (check.table, check.name)
            if key in seen:
                raise SuiteError(f"{source}: checks[{i}].name: {check.name!r} appears twice on {check.table}")
            seen.add(key)
        return Suite(name=spec.name, description=spec.description, checks=checks)


def read_suite(path: str | Path) -> SuiteSource:
    """Read and shape-check a suite YAML file."""
    text, source = _read(path)
    return SuiteSource(spec=_parse_file(text, source), source=source)


def parse_suite(text: str, *, baseline: BaselineStats | None = None, source: str = "suite") -> Suite:
    """Parse suite YAML into a `Suite`, expanding placeholders and profile rules.

    Args:
        text: the YAML document.
        baseline: stats of the clean baseline; needed by `{{ baseline_rows }}` and by profile rules.
        source: where the text came from, for messages.
    """
    return SuiteSource(spec=_parse_file(text, source), source=source).build(baseline)


def load_suite(path: str | Path, *, baseline: BaselineStats | None = None) -> Suite:
    """Load a suite YAML file.

    Raises `SuiteError` naming the field for a malformed file or a missing baseline.
    """
    return read_suite(path).build(baseline)


def suite_problems(suite: Suite, columns: Mapping[str, Collection[str]]) -> dict[int, str]:
    """Checks that name a table or column the warehouse lacks: index -> reason naming the field.

    Args:
        suite: the suite to check.
        columns: the warehouse's columns per table (lower-case names).
    """
    problems: dict[int, str] = {}
    for i, check in enumerate(suite.checks):
        named: list[tuple[str, str, str | None]] = [("table", check.table, None)]
        if check.field:
            named.append(("field", check.field, check.table))
        ref_table = check.native_parameters.get("referenced_table")
        if ref_table:
            named.append(("native_parameters.referenced_table", ref_table, None))
            ref_col = check.native_parameters.get("referenced_column")
            if ref_col:
                named.append(("native_parameters.referenced_column", ref_col, ref_table))
        for field, name, table in named:
            if table is None and name.lower() not in columns:
                problems[i] = f"checks[{i}].{field}: unknown table {name!r} (not in the warehouse)"
                break
            if table is not None and name.lower() not in columns.get(table.lower(), ()):
                problems[i] = f"checks[{i}].{field}: unknown column {name!r} in table {table}"
                break
    return problems


def validate_suite(suite: Suite, columns: Mapping[str, Collection[str]]) -> None:
    """Raise `SuiteError` listing every check that names an unknown table or column."""
    problems = suite_problems(suite, columns)
    if problems:
        raise SuiteError(f"suite {suite.name}: " + "; ".join(problems.values()))
