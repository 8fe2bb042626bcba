"""Which DataHub dataset a warehouse table is: the platform and name DataHub's own source gives it.

Published assertions must land on the datasets DataHub ingested, so their URNs follow DataHub's
naming per platform: `<database>.<schema>.<table>` for PostgreSQL, Snowflake, Redshift and SQL Server,
`<database>.<table>` for MySQL, `main.<table>` for SQLite and DuckDB (the SQLAlchemy source), each
prefixed with the platform instance when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from oncall.catalog.urns import make_dataset_urn

__all__ = ["WarehouseNaming", "naming"]

_PLATFORMS = {
    "postgresql": "postgres",
    "mariadb": "mysql",
    "mssql": "mssql",
    "awsathena": "athena",
}
"""SQLAlchemy backend name -> DataHub platform id where they differ."""
_DEFAULT_SCHEMA = {"postgres": "public", "redshift": "public", "mssql": "dbo", "snowflake": "public"}
_FILE_DATABASES = {"sqlite", "duckdb"}


@dataclass(frozen=True)
class WarehouseNaming:
    """How the tables of one warehouse are named in DataHub."""

    platform: str
    prefix: str
    """Dotted name parts before the table ('' when none)."""
    instance: str | None = None

    def dataset_urn(self, table: str) -> str:
        """The dataset URN of `table` in this warehouse."""
        name = f"{self.prefix}.{table}" if self.prefix else table
        return make_dataset_urn(self.platform, name, instance=self.instance)


def naming(url: str, instance: str | None) -> WarehouseNaming:
    """The naming of the warehouse at SQLAlchemy `url`, whose datasets live in platform `instance`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    platform = _PLATFORMS.get(backend, backend)
    if platform in _FILE_DATABASES:
        return WarehouseNaming(platform, "main", instance)
    database, _, schema = (parsed.database or "").partition("/")  # snowflake: db/schema
    schema = schema or str(parsed.query.get("schema") or "") or _DEFAULT_SCHEMA.get(platform, "")
    if platform == "mysql":
        schema = ""  # MySQL has no schema level: <database>.<table>
    prefix = ".".join(p for p in (database, schema) if p)
    return WarehouseNaming(platform, prefix, instance)
