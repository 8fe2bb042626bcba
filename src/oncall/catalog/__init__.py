"""DataHub as the agents' shared memory: one `Catalog` interface, two adapters (Lite, GMS).

`open_catalog(config)` picks the adapter from `config.catalog`: `lite` (the embedded DataHub Lite file in
the project home, the default) or `gms` (a DataHub server). Everything downstream talks to the
`Catalog` protocol and the domain types only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall.catalog.base import Catalog, Direction, record_query, tracing
from oncall.catalog.types import (
    Assertion,
    AssertionRun,
    Entity,
    EntityRef,
    EntityType,
    Incident,
    LineageNode,
    Link,
    Owner,
    Query,
    SchemaField,
    SearchHit,
)
from oncall.catalog.urns import InvalidUrnError, parse_urn, table_of

if TYPE_CHECKING:
    from oncall.config import Config

__all__ = [
    "Assertion",
    "AssertionRun",
    "Catalog",
    "Direction",
    "Entity",
    "EntityRef",
    "EntityType",
    "Incident",
    "InvalidUrnError",
    "LineageNode",
    "Link",
    "Owner",
    "Query",
    "SchemaField",
    "SearchHit",
    "open_catalog",
    "parse_urn",
    "record_query",
    "table_of",
    "tracing",
]


def open_catalog(config: Config, *, read_only: bool = False) -> Catalog:
    """Open the configured catalog; raises `CatalogUnavailableError` if it cannot be reached or opened.

    Lite: the file must exist (`oncall setup` creates it). GMS: the server is not contacted until the
    first call (`ping()` checks it).
    """
    if config.catalog == "gms":
        from oncall.catalog.gms import GmsCatalog

        return GmsCatalog.from_config(config, read_only=read_only)
    from oncall.catalog.lite import LiteCatalog

    return LiteCatalog(config.lite_path, read_only=read_only)
