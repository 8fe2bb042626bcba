"""Sibling groups: a dbt model and its warehouse table are one node for the product.

DataHub's dbt source links the two with the `siblings` aspect (`primary: true` on the dbt side by
default; `dbt_is_primary_sibling: false` flips it, and the warehouse side gets its aspect by PATCH,
which DataHub's CLI Lite sink drops). Both adapters collapse each group to one URN, the
**representative**, and use it everywhere: search hits, lineage nodes and paths, scope, blast radius,
and the `dataset_urn` of the assertions of every member.

The rule, applied the same way by both adapters: the member that declares itself primary; failing
that, a member no one declared secondary (DataHub's UI default makes the dbt node primary, so a dbt
member wins the next tie); then the smallest URN. That is the entity DataHub's UI shows for the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oncall.catalog.types import Entity

__all__ = ["merge_entities", "representative"]


def _platform(urn: str) -> str:
    marker = "urn:li:dataPlatform:"
    start = urn.find(marker)
    return urn[start + len(marker) :].split(",", 1)[0] if start >= 0 else ""


def representative(members: Mapping[str, bool | None]) -> str:
    """The URN that stands for a sibling group; `members` maps each URN to its declared `primary`
    flag (None when it carries no `siblings` aspect).

    The members that declare themselves primary; else those nobody declared secondary (no flag); else
    all. Among them a dbt member, then the smallest URN."""
    pool = [u for u, declared in members.items() if declared is True]
    if len(pool) == 1:  # the usual case: DataHub's dbt source marks the dbt node primary
        return pool[0]
    pool = pool or [u for u, declared in members.items() if declared is None] or list(members)
    dbt = [u for u in pool if _platform(u) == "dbt"]
    return min(dbt or pool)


def merge_entities(rep: Entity, others: Sequence[Entity]) -> Entity:
    """One entity page for a group: the representative's fields first, the others' added."""
    if not others:
        return rep

    def union(*lists: Sequence[object]) -> list[object]:
        return list(dict.fromkeys(item for items in lists for item in items))

    seen_fields = {f.path.lower() for f in rep.fields}
    fields = list(rep.fields)
    for other in others:
        for f in other.fields:
            if f.path.lower() not in seen_fields:
                seen_fields.add(f.path.lower())
                fields.append(f)
    owners = {o.urn: o for e in [rep, *others] for o in e.owners}
    links = {link.url: link for e in [rep, *others] for link in e.links}
    incidents = {i.urn: i for e in [rep, *others] for i in e.incidents}
    return rep.model_copy(
        update={
            "description": rep.description or next((o.description for o in others if o.description), None),
            "fields": fields,
            "owners": list(owners.values()),
            "tags": union(rep.tags, *(o.tags for o in others)),
            "terms": union(rep.terms, *(o.terms for o in others)),
            "links": list(links.values()),
            "incidents": sorted(incidents.values(), key=lambda i: (-(i.created_ms or 0), i.urn)),
            "view_logic": rep.view_logic or next((o.view_logic for o in others if o.view_logic), None),
            "siblings": sorted({o.urn for o in others} | set(rep.siblings)),
        }
    )
