"""SQL templates of the checks: `{{ name }}` values and `{{ fn(arg) }}` dialect macros.

A check's SQL is written once and runs on every warehouse. Two kinds of placeholder make that work:

- `{{ name }}`: a value known when the suite is built, e.g. `{{ baseline_rows }}` (the clean baseline's
  row count of the check's table) or, in the profile's SQL files, `{{ table }}` and `{{ column }}`.
  Values are SQL fragments already quoted by the caller (`identifier()`, `literal()`).
- `{{ fn(arg) }}`: a predicate whose spelling differs between dialects, expanded just before the
  statement runs (`render_macros`): `hex32(col)` (32-char lowercase hex) and `num(col)` (the text
  column as a number, NULL when blank).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from oncall.errors import SuiteError

__all__ = ["MACROS", "identifier", "literal", "placeholders", "render_macros", "render_values"]

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*(?:\(\s*(\w+)\s*\))?\s*\}\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEX = "0123456789abcdef"


def identifier(name: str) -> str:
    """A table or column name safe to splice into SQL (plain names only, as in the Olist schema)."""
    if not _IDENTIFIER.match(name):
        raise SuiteError(f"{name!r} is not a plain SQL identifier (letters, digits and _ only)")
    return name


def literal(value: str | float | int) -> str:
    """A SQL literal: numbers as they are, strings single-quoted with quotes doubled."""
    if isinstance(value, bool):
        raise SuiteError(f"{value!r} is not a SQL literal (use a number or a string)")
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def placeholders(sql: str) -> list[tuple[str, str | None]]:
    """The (name, argument) of every placeholder in `sql`, in order."""
    return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(sql)]


def render_values(sql: str, values: Mapping[str, str], *, where: str) -> str:
    """Replace `{{ name }}` by its value; in `{{ fn(arg) }}` macros, replace a known `arg` only.

    Raises `SuiteError` naming `where` for a `{{ name }}` that has no value and is not a macro.
    """

    def substitute(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if arg is not None:
            if name not in MACROS:
                raise SuiteError(f"{where}: unknown SQL macro {name!r}; known: {', '.join(sorted(MACROS))}")
            return "{{ " + f"{name}({values.get(arg, arg)})" + " }}"
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise SuiteError(f"{where}: unknown placeholder {{{{ {name} }}}}; known here: {known}")
        return values[name]

    return _PLACEHOLDER.sub(substitute, sql)


def render_macros(sql: str, dialect: str) -> str:
    """Expand `{{ fn(col) }}` macros for a SQLAlchemy dialect name (sqlite, duckdb, postgresql, ...)."""

    def substitute(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if arg is None or name not in MACROS:
            raise SuiteError(f"unexpanded placeholder {match.group(0)!r} in: {sql}")
        return MACROS[name](identifier(arg), dialect)

    return _PLACEHOLDER.sub(substitute, sql)


def _hex32(col: str, dialect: str) -> str:
    if dialect == "sqlite":
        # One character class per position: a fixed-length match, no backtracking search.
        return f"({col} GLOB '{'[0-9a-f]' * 32}')"
    if dialect == "duckdb":
        return f"regexp_full_match({col}, '[0-9a-f]{{32}}')"
    if dialect == "postgresql":
        return f"({col} ~ '^[0-9a-f]{{32}}$')"
    # Any other dialect: strip every hex digit; a valid id leaves nothing behind.
    stripped = col
    for digit in _HEX:
        stripped = f"REPLACE({stripped}, '{digit}', '')"
    return f"(LENGTH({col}) = 32 AND LENGTH({stripped}) = 0)"


def _num(col: str, dialect: str) -> str:
    # Columns are TEXT in the Olist world; blanks are not numbers. DuckDB has a non-failing cast.
    cast = "TRY_CAST" if dialect == "duckdb" else "CAST"
    return f"(CASE WHEN TRIM({col}) <> '' THEN {cast}({col} AS DOUBLE PRECISION) END)"


MACROS: dict[str, Callable[[str, str], str]] = {"hex32": _hex32, "num": _num}
"""Dialect macros by name: each takes the (quoted) column and the dialect name."""
