"""DataHub as the agents' shared memory: one `Catalog` interface, adapters registered by name.

`open_catalog(config)` opens the backend `config.catalog` names (`backends.py`): `lite` (the embedded
DataHub Lite file in the project home, the default), `gms` (a DataHub server), or any backend registered
with `register_backend`. Everything downstream talks to the `Catalog` protocol and the domain types only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall.catalog.backends import Backend, backend_for, register_backend
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
    "Backend",
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
    "register_backend",
    "table_of",
    "tracing",
]


def open_catalog(config: Config, *, read_only: bool = False) -> Catalog:
    """Open the configured catalog; raises `CatalogUnavailableError` if it cannot be reached or opened,
    `ConfigError` if `config.catalog` names no registered backend.

    Lite: the file must exist (`oncall setup` creates it). GMS: the server is not contacted until the
    first call (`ping()` checks it).
    """
    return backend_for(config).open(config, read_only)
