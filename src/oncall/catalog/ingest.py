"""Run DataHub's own ingestion framework into the configured catalog: generic pieces every source uses.

- `OfflinePipeline`: DataHub's `Pipeline` without its release check (no outbound traffic), run with the
  framework's chatter and telemetry off (`run_pipeline`).
- `sink_for(catalog)`: the DataHub sink that writes into the catalog's own store (`datahub-lite` for the
  Lite file, `datahub-rest` for a server); each backend says which (its `ingest_sink()`).
- `SqliteSource` and `sqlalchemy_recipe`: DataHub's generic SQLAlchemy source, fixed for SQLite, for any
  database a SQLAlchemy URL reaches.
- `merge_ownership`, `merge_terms`: MCPs that add owners or terms to what an entity already has, so a
  re-run (or a human edit) is never clobbered.
- `settled(catalog, check)`: a server indexes what it is sent after the call returns; read back until
  the index shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from datahub.ingestion.source.sql.sql_generic import SQLAlchemyGenericConfig, SQLAlchemyGenericSource
from pydantic import Field

from oncall.catalog._telemetry import telemetry_off
from oncall.catalog.base import Catalog
from oncall.catalog.urns import ACTOR, ENV, group_urn, term_urn
from oncall.errors import CatalogError

__all__ = [
    "SqliteSource",
    "SqliteSourceConfig",
    "merge_ownership",
    "merge_terms",
    "offline_pipeline",
    "quiet_datahub",
    "run_pipeline",
    "settled",
    "sink_for",
    "sqlalchemy_recipe",
]

T = TypeVar("T")


# ------------------------------------------------------------------------------------------- source


class SqliteSourceConfig(SQLAlchemyGenericConfig):
    """The generic SQLAlchemy config plus descriptions for tables that SQLite cannot comment."""

    descriptions: dict[str, str] = Field(default_factory=dict, description="table or view -> description")


class SqliteSource(SQLAlchemyGenericSource):
    """The generic SQLAlchemy source, fixed for SQLite (REFERENCE.md D1).

    1. SQLite identifiers are `main.<table>` (two parts), so the default/db split of view lineage
       failed and pointed upstreams at ghost URNs without `main.`; the schema is the first part.
    2. SQLite foreign keys are usually unnamed and `ForeignKeyConstraint.name` is required; give
       them a stable name from their columns and referred table.
    """

    config: SqliteSourceConfig

    @classmethod
    def create(cls, config_dict: dict[str, Any], ctx: Any) -> SqliteSource:
        return cls(SqliteSourceConfig.model_validate(config_dict), ctx)

    def get_db_schema(self, dataset_identifier: str) -> tuple[str | None, str]:
        schema_name, _table = dataset_identifier.split(".", 1)
        return None, schema_name

    def get_foreign_key_metadata(self, dataset_urn: str, schema: str, fk_dict: Any, inspector: Any) -> Any:
        if not fk_dict.get("name"):
            columns = "_".join(fk_dict.get("constrained_columns") or [])
            fk_dict = {**fk_dict, "name": f"fk_{columns}__{fk_dict.get('referred_table')}"}
        return super().get_foreign_key_metadata(dataset_urn, schema, fk_dict, inspector)

    def get_db_name(self, inspector: Any) -> str:
        # The database container is keyed by this name; the file name (not its absolute path) keeps
        # the container stable when the project home moves.
        return Path(super().get_db_name(inspector)).name

    def get_table_properties(self, inspector: Any, schema: str, table: str) -> Any:
        description, properties, location = super().get_table_properties(inspector, schema, table)
        return description or self.config.descriptions.get(table), properties, location


# ------------------------------------------------------------------------------------------- recipe


def sink_for(catalog: Catalog) -> dict[str, Any]:
    """The DataHub sink config that writes into `catalog`'s own store (its backend's `ingest_sink()`)."""
    make = getattr(catalog, "ingest_sink", None)
    if make is None:
        raise CatalogError(f"cannot ingest into a {catalog.backend!r} catalog: no DataHub sink for it")
    sink: dict[str, Any] = make()
    return sink


def sqlalchemy_recipe(
    connect_uri: str,
    *,
    platform: str,
    instance: str | None,
    sink: dict[str, Any],
    pipeline_name: str,
    descriptions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A recipe for DataHub's SQLAlchemy source (with the SQLite fixes) over one database."""
    config: dict[str, Any] = {
        "platform": platform,
        "connect_uri": connect_uri,
        "env": ENV,
        "include_tables": True,
        "include_views": True,
        "include_view_lineage": True,
        "include_view_column_lineage": True,
        "profiling": {"enabled": False},
        "descriptions": dict(descriptions or {}),
    }
    if instance:
        config["platform_instance"] = instance
    return {
        "pipeline_name": pipeline_name,
        "source": {"type": f"{SqliteSource.__module__}.{SqliteSource.__name__}", "config": config},
        "sink": sink,
    }


@contextmanager
def quiet_datahub() -> Iterator[None]:
    """No telemetry, and the framework's chatter below ERROR kept off the user's terminal."""
    telemetry_off()
    log = logging.getLogger("datahub")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def offline_pipeline() -> type[Any]:
    """DataHub's Pipeline without its version check.

    `Pipeline.run()` asks pypi.org and api.github.com for the latest releases before ingesting (up to
    2 s, and outbound traffic from a tool that must work offline and in loopback-only tests). The
    check only adds a report warning when a server's default CLI is newer, so we skip it.
    """
    from datahub.ingestion.run.pipeline import Pipeline

    class OfflinePipeline(Pipeline):
        def _warn_old_cli_version(self) -> None:
            return None

    return OfflinePipeline


def run_pipeline(config_dict: dict[str, Any]) -> None:
    pipeline_class = offline_pipeline()
    with quiet_datahub():
        try:
            pipeline = pipeline_class.create(config_dict)
            pipeline.run()
        except Exception as exc:  # the framework raises plain exceptions for config and sink errors
            raise CatalogError(f"DataHub ingestion of {config_dict['pipeline_name']} failed: {exc}") from exc
        failures = list(pipeline.source.get_report().failures) + list(pipeline.sink.get_report().failures)
        if failures:
            raise CatalogError(f"DataHub ingestion of {config_dict['pipeline_name']} failed: {failures[:3]}")


# ------------------------------------------------------------------------------------------ merging


def merge_ownership(catalog: Catalog, urn: str, groups: list[str]) -> list[Any]:
    """Ownership with these DATAOWNER groups added to whatever owners exist (no MCP if none is new)."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    current = catalog.get_aspect(urn, m.OwnershipClass)
    owners = list(current.owners) if current else []
    have = {o.owner for o in owners}
    extra = [
        m.OwnerClass(owner=group_urn(g), type=m.OwnershipTypeClass.DATAOWNER)
        for g in dict.fromkeys(groups)
        if group_urn(g) not in have
    ]
    if not extra:
        return []
    return [MCPW(entityUrn=urn, aspect=m.OwnershipClass(owners=owners + extra))]


def merge_terms(catalog: Catalog, urn: str, terms: list[str]) -> list[Any]:
    """Glossary terms with these term ids added to whatever terms exist (no MCP if none is new)."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    current = catalog.get_aspect(urn, m.GlossaryTermsClass)
    have = list(current.terms) if current else []
    known = {t.urn for t in have}
    extra = [m.GlossaryTermAssociationClass(urn=term_urn(t)) for t in terms if term_urn(t) not in known]
    if not extra:
        return []
    stamp = current.auditStamp if current else m.AuditStampClass(time=0, actor=ACTOR)
    return [MCPW(entityUrn=urn, aspect=m.GlossaryTermsClass(terms=have + extra, auditStamp=stamp))]


def settled(catalog: Catalog, check: Callable[[], T], *, what: str) -> T:
    """`check()` once on Lite (it reads its own writes); on a server, until its index shows them."""
    wait = getattr(catalog, "until_indexed", None)
    return wait(check, what=what) if wait else check()
