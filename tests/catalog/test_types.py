"""`trusted`: models built from values already typed must be the models validation would build."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oncall.catalog.types import EntityRef, trusted
from oncall.report.models import BlastRadiusEntry

REF: dict[str, Any] = {
    "urn": "urn:li:dataset:(urn:li:dataPlatform:dbt,analytics.orders,PROD)",
    "type": "dataset",
    "name": "orders",
    "platform": "dbt",
    "instance": None,
    "subtype": "Model",
    "siblings": ["urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.orders,PROD)"],
}


def test_a_trusted_model_equals_the_validated_one() -> None:
    built = trusted(EntityRef, **REF)
    validated = EntityRef(**REF)
    assert built == validated
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_copy(update={"name": "o"}).name == "o"
    owners = ["urn:li:corpGroup:a"]
    entry: dict[str, Any] = {
        "urn": REF["urn"],
        "type": "dataset",
        "name": "orders",
        "owners": owners,
        "origins": [],
    }
    assert trusted(BlastRadiusEntry, **entry) == BlastRadiusEntry(**entry)


def test_a_trusted_model_stays_frozen() -> None:
    built = trusted(EntityRef, **REF)
    with pytest.raises(ValidationError):
        built.name = "other"


@pytest.mark.parametrize(
    "fields",
    [
        {k: v for k, v in REF.items() if k != "siblings"},  # a default is not filled in
        {**REF, "colour": "red"},
    ],
    ids=["missing", "unknown"],
)
def test_every_field_must_be_given_and_known(fields: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="EntityRef"):
        trusted(EntityRef, **fields)
