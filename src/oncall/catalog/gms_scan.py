"""How the GMS adapter splits its failing-checks scan into parts read side by side.

A scroll's pages follow each other, so past one page the scan (`GmsCatalog.failing_assertions`) is
read as one scroll per platform the server counts, plus one for the platforms it left out. A sibling
group (dbt model + warehouse table) is read through one member: a platform's part leaves out its
datasets grouped with a platform read before it, whose row names the whole group and carries its
checks. Where that row does not name them (a `siblings` aspect written on one side only, as a server
without the sibling hook keeps it), `lost_groups` sees the shortfall from the counts and reads those
datasets after all. Pure functions over GraphQL filters and result rows; no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Filters = list[dict[str, Any]]
_DBT = "urn:li:dataPlatform:dbt"


@dataclass(frozen=True)
class Part:
    """One scroll of the scan: the datasets of `platform` (None: of the platforms the count left out)
    not in a sibling group with a dataset of a platform in `before`."""

    platform: str | None
    before: tuple[str, ...]
    filters: Filters


def scan_parts(base: Filters | None, platforms: dict[str, int], *, page: int) -> list[Part]:
    """The parts of the scan: each counted platform's (two past a `page`: its datasets in a sibling
    group and the others), then the platforms the count left out. dbt is read first (DataHub's dbt
    source writes the dbt side's `siblings` itself, the warehouse side's only by PATCH, which some
    sinks drop), then the biggest."""
    order = sorted(platforms, key=lambda p: (p != _DBT, -platforms[p], p))
    parts: list[Part] = []
    for i, platform in enumerate(order):
        before = tuple(order[:i])
        own = _with(base, platform_filter([platform]))
        if platforms[platform] <= page:
            parts.append(Part(platform, before, _not_grouped_with(own, before)))
            continue
        grouped, alone = (_with(own, _grouped(negated=n)) for n in (False, True))
        parts += [Part(platform, before, _not_grouped_with(grouped, before)), Part(platform, before, alone)]
    others = _with(base, platform_filter(order, negated=True))
    parts.append(Part(None, tuple(order), _not_grouped_with(others, order)))
    return parts


def lost_groups(
    base: Filters | None,
    platforms: dict[str, int],
    total: int | None,
    parts: Sequence[Part],
    read: Sequence[Sequence[dict[str, Any]]],
) -> list[Filters]:
    """The scrolls that read what `parts` left out and no row it read carries: for each platform whose
    count is more than the datasets read of it plus those named as siblings by a row read, its datasets
    grouped with an earlier platform. None in the usual case (each group named from the side read
    first), so it costs no request. `total` is the whole scan's count (for the left-out platforms)."""
    rows: dict[str | None, set[str]] = {}
    named: set[str] = set()
    for part, found in zip(parts, read, strict=True):
        for row in found:
            entity = row.get("entity") or {}
            rows.setdefault(part.platform, set()).add(entity.get("urn", ""))
            named.update(s["urn"] for s in (entity.get("siblings") or {}).get("siblings") or [] if s)
    counts: dict[str | None, int] = {p: n for p, n in platforms.items()}
    if total is not None:
        counts[None] = max(total - sum(platforms.values()), 0)
    out: list[Filters] = []
    for platform, before in dict((p.platform, p.before) for p in parts if p.before).items():
        got = rows.get(platform, set())
        carried = {u for u in named if _platform_key(u, platforms) == platform} - got
        if len(carried) < counts.get(platform, 0) - len(got):
            scope = platform_filter([platform]) if platform else platform_filter(before, negated=True)
            out.append(_with(_with(base, scope), _sibling_of(before, negated=False)))
    return out


def platform_filter(platforms: Sequence[str], *, negated: bool = False) -> dict[str, Any]:
    """Datasets of any of these platforms (of none of them, `negated`)."""
    return {"field": "platform", "values": list(platforms), "condition": "EQUAL", "negated": negated}


def _platform_key(urn: str, counted: dict[str, int]) -> str | None:
    """The counted platform of a dataset URN, None for any other."""
    platform = urn.removeprefix("urn:li:dataset:(").split(",", 1)[0]
    return platform if platform in counted else None


def _not_grouped_with(part: Filters, platforms: Iterable[str]) -> Filters:
    """`part` without the datasets in a sibling group with a dataset of `platforms`."""
    platforms = tuple(platforms)
    return _with(part, _sibling_of(platforms, negated=True)) if platforms else part


def _sibling_of(platforms: Iterable[str], *, negated: bool) -> dict[str, Any]:
    """Datasets with a sibling of one of these platforms (`siblings` is a searchable URN field)."""
    prefixes = [f"urn:li:dataset:({p}," for p in platforms]
    return {"field": "siblings", "values": prefixes, "condition": "START_WITH", "negated": negated}


def _grouped(*, negated: bool) -> dict[str, Any]:
    return {"field": "siblings", "condition": "EXISTS", "negated": negated}


def _with(or_filters: Filters | None, extra: dict[str, Any]) -> Filters:
    """`or_filters` with `extra` added to each of its AND groups (one group of it alone when none)."""
    return [{"and": [*group["and"], extra]} for group in or_filters] if or_filters else [{"and": [extra]}]
