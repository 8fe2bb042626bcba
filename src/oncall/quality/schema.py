"""The shape of a warehouse the profile suite needs: tables, their columns and keys, foreign keys.

Read from the warehouse itself (`inspect_schema`, SQLAlchemy's inspector: primary keys, else the first
unique constraint, as keys), or handed in by a caller that knows more than the DDL says (the demo world
declares keys only as metadata, so its faults can break them).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

__all__ = ["ForeignKeyShape", "TableShape", "WarehouseSchema", "inspect_schema"]


class TableShape(BaseModel):
    """A base table: its columns in order and its key columns (empty when it has none)."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ()


class ForeignKeyShape(BaseModel):
    """`table.column` references `ref_table.ref_column`."""

    table: str
    column: str
    ref_table: str
    ref_column: str


class WarehouseSchema(BaseModel):
    """The base tables (views excluded) and single-column foreign keys of a warehouse."""

    tables: list[TableShape] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyShape] = Field(default_factory=list)

    def table(self, name: str) -> TableShape | None:
        """The table called `name`, or None."""
        return next((t for t in self.tables if t.name == name), None)


def inspect_schema(engine: Engine, schema: str | None = None) -> WarehouseSchema:
    """The tables, keys and foreign keys the warehouse behind `engine` declares (metadata only)."""
    inspector = inspect(engine)
    tables: list[TableShape] = []
    fks: list[ForeignKeyShape] = []
    for name in sorted(inspector.get_table_names(schema=schema)):
        columns = tuple(c["name"] for c in inspector.get_columns(name, schema=schema))
        key = tuple(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
        if not key:
            uniques = inspector.get_unique_constraints(name, schema=schema)
            key = tuple(uniques[0]["column_names"]) if uniques else ()
        tables.append(TableShape(name=name, columns=columns, key=key))
        for fk in inspector.get_foreign_keys(name, schema=schema):
            local, remote = fk.get("constrained_columns") or [], fk.get("referred_columns") or []
            if len(local) == 1 and len(remote) == 1 and fk.get("referred_table"):
                fks.append(
                    ForeignKeyShape(
                        table=name, column=local[0], ref_table=fk["referred_table"], ref_column=remote[0]
                    )
                )
    return WarehouseSchema(tables=tables, foreign_keys=fks)
