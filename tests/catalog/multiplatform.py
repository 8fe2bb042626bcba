"""A multi-platform catalog in the shapes DataHub's own sources emit, with no platform instances.

Airflow tasks load Postgres tables into Snowflake (`dataJobInputOutput`); dbt sources, staging models
and marts sit on those tables (`siblings`: the dbt node primary, the Snowflake table secondary, and
the table's COPY lineage to its dbt node, as the dbt source writes them); Looker views, a Looker chart
and dashboard, and a Tableau chart read the marts. Owners on marts and dashboards. Assertions of every
kind: dbt tests (`not_null`, `unique`, `accepted_values`, `relationships`, one skipped in the second
invocation), a Snowflake DMF, a Great Expectations expectation, native FRESHNESS, VOLUME, SQL, FIELD
and DATA_SCHEMA assertions, with two runs each: the first dbt invocation passes, the second fails
some tests.

`write(path)` builds a DataHub Lite file from these MCPs; the GMS stand-in serves the same file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
from datahub.emitter.mce_builder import make_schema_field_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

T1 = 1_793_512_800_000  # 2026-11-01 06:00 UTC: first dbt invocation, everything passes
T2 = T1 + 86_400_000  # a day later: the second invocation, some tests fail
INV1, INV2 = "3f2c1a9e-0001-4c55-9a0b-000000000001", "3f2c1a9e-0002-4c55-9a0b-000000000002"
DAY = 86_400_000


def ds(platform: str, name: str) -> str:
    """A dataset URN with no platform instance, env PROD."""
    return f"urn:li:dataset:(urn:li:dataPlatform:{platform},{name},PROD)"


def job(flow: str, task: str) -> str:
    return f"urn:li:dataJob:(urn:li:dataFlow:(airflow,{flow},prod),{task})"


PG_ORDERS, PG_CUSTOMERS, PG_PAYMENTS = (
    ds("postgres", f"shop.public.{t}") for t in ("orders", "customers", "payments")
)
RAW = {t: ds("snowflake", f"analytics.raw.{t}") for t in ("orders", "customers", "payments")}
SRC = {t: ds("dbt", f"analytics.raw.{t}") for t in ("orders", "customers", "payments")}
STG = {t: ds("dbt", f"analytics.staging.stg_{t}") for t in ("orders", "customers", "payments")}
STG_WH = {t: ds("snowflake", f"analytics.staging.stg_{t}") for t in ("orders", "customers", "payments")}
MART = {t: ds("dbt", f"analytics.marts.{t}") for t in ("orders", "customers")}
MART_WH = {t: ds("snowflake", f"analytics.marts.{t}") for t in ("orders", "customers")}
LOOKER_VIEW = ds("looker", "ecommerce.view.orders")
LOAD = {t: job("load_raw", f"load_{t}") for t in ("orders", "customers", "payments")}
FLOW = "urn:li:dataFlow:(airflow,load_raw,prod)"
CHART = "urn:li:chart:(looker,dashboard_elements.11)"
CHART_LTV = "urn:li:chart:(tableau,8a6d2f0e-5b1c-4c1e-9f4e-2b7c3d9a1e20)"
DASHBOARD = "urn:li:dashboard:(looker,dashboards.7)"

ANALYTICS = "urn:li:corpGroup:analytics_engineering"
FINANCE = "urn:li:corpGroup:finance"

COLUMNS = {
    "orders": ["order_id", "customer_id", "status", "order_date", "amount"],
    "customers": ["customer_id", "first_name", "last_name", "first_order", "lifetime_value"],
    "payments": ["payment_id", "order_id", "payment_method", "amount"],
}
MART_COLUMNS = {"orders": COLUMNS["orders"], "customers": COLUMNS["customers"]}


def assertion_urn(key: str) -> str:
    return f"urn:li:assertion:{key}"


# Assertion keys the tests look up.
NOT_NULL = assertion_urn("dbt-not-null-orders-order-id")
UNIQUE = assertion_urn("dbt-unique-customers-customer-id")
ACCEPTED = assertion_urn("dbt-accepted-values-orders-status")
REL_ORDERS = assertion_urn("dbt-relationships-orders-customer-id-on-orders")
REL_CUSTOMERS = assertion_urn("dbt-relationships-orders-customer-id-on-customers")
SKIPPED = assertion_urn("dbt-not-null-stg-payments-amount")
STG_PAYMENTS_UNIQUE = assertion_urn("dbt-unique-stg-payments-payment-id")
DMF = assertion_urn("snowflake-dmf-raw-orders-null-count")
GE = assertion_urn("ge-raw-customers-not-null")
FRESHNESS = assertion_urn("native-freshness-marts-orders")
VOLUME = assertion_urn("native-volume-raw-payments")
SQL = assertion_urn("native-sql-marts-customers")
FIELD = assertion_urn("native-field-stg-customers")
SCHEMA = assertion_urn("native-schema-raw-orders")


def _schema(urn: str, platform: str, columns: list[str]) -> m.SchemaMetadataClass:
    return m.SchemaMetadataClass(
        schemaName=urn,
        platform=f"urn:li:dataPlatform:{platform}",
        version=0,
        hash="",
        platformSchema=m.OtherSchemaClass(rawSchema=""),
        fields=[
            m.SchemaFieldClass(
                fieldPath=c,
                type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()),
                nativeDataType="VARCHAR",
            )
            for c in columns
        ],
    )


def _dataset(
    urn: str,
    name: str,
    columns: list[str],
    *,
    subtype: str,
    description: str | None = None,
    upstreams: list[str] = (),  # type: ignore[assignment]
    lineage_type: str = m.DatasetLineageTypeClass.TRANSFORMED,
    owners: list[str] = (),  # type: ignore[assignment]
    custom: dict[str, str] | None = None,
) -> list[MCPW]:
    platform = urn.split("urn:li:dataPlatform:", 1)[1].split(",", 1)[0]
    out = [
        MCPW(entityUrn=urn, aspect=m.StatusClass(removed=False)),
        MCPW(
            entityUrn=urn,
            aspect=m.DatasetPropertiesClass(
                name=name, description=description, customProperties=custom or {}
            ),
        ),
        MCPW(entityUrn=urn, aspect=_schema(urn, platform, columns)),
        MCPW(entityUrn=urn, aspect=m.SubTypesClass(typeNames=[subtype])),
    ]
    if upstreams:
        out.append(
            MCPW(
                entityUrn=urn,
                aspect=m.UpstreamLineageClass(
                    upstreams=[m.UpstreamClass(dataset=u, type=lineage_type) for u in upstreams]
                ),
            )
        )
    if owners:
        out.append(
            MCPW(
                entityUrn=urn,
                aspect=m.OwnershipClass(
                    owners=[m.OwnerClass(owner=o, type=m.OwnershipTypeClass.TECHNICAL_OWNER) for o in owners]
                ),
            )
        )
    return out


def _siblings(dbt_urn: str, warehouse_urn: str) -> list[MCPW]:
    """What the dbt source writes: the dbt node primary; the table (by PATCH) secondary + COPY lineage."""
    return [
        MCPW(entityUrn=dbt_urn, aspect=m.SiblingsClass(siblings=[warehouse_urn], primary=True)),
        MCPW(entityUrn=warehouse_urn, aspect=m.SiblingsClass(siblings=[dbt_urn], primary=False)),
    ]


def _copy_lineage(dbt_urn: str, warehouse_urn: str) -> MCPW:
    return MCPW(
        entityUrn=warehouse_urn,
        aspect=m.UpstreamLineageClass(
            upstreams=[m.UpstreamClass(dataset=dbt_urn, type=m.DatasetLineageTypeClass.COPY)]
        ),
    )


def _platform(assertion: str, platform: str) -> MCPW:
    return MCPW(
        entityUrn=assertion, aspect=m.DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{platform}")
    )


def _dbt_test(
    urn: str,
    entity: str,
    node_name: str,
    test: str,
    column: str | None,
    kwargs: dict[str, Any],
    upstream_id: str,
) -> list[MCPW]:
    """A dbt test as `datahub.ingestion.source.dbt.dbt_tests.make_assertion_from_test` builds it."""
    fields = [make_schema_field_urn(entity, column)] if column else []
    operator, aggregation, parameters, logic = {
        "not_null": (
            m.AssertionStdOperatorClass.NOT_NULL,
            m.AssertionStdAggregationClass.IDENTITY,
            None,
            None,
        ),
        "unique": (
            m.AssertionStdOperatorClass.EQUAL_TO,
            m.AssertionStdAggregationClass.UNIQUE_PROPOTION,
            m.AssertionStdParametersClass(
                value=m.AssertionStdParameterClass(value="1.0", type=m.AssertionStdParameterTypeClass.NUMBER)
            ),
            None,
        ),
        "accepted_values": (
            m.AssertionStdOperatorClass.IN,
            m.AssertionStdAggregationClass.IDENTITY,
            m.AssertionStdParametersClass(
                value=m.AssertionStdParameterClass(
                    value=json.dumps(kwargs.get("values")), type=m.AssertionStdParameterTypeClass.SET
                )
            ),
            None,
        ),
        "relationships": (
            m.AssertionStdOperatorClass._NATIVE_,
            m.AssertionStdAggregationClass.IDENTITY,
            m.AssertionStdParametersClass(
                value=m.AssertionStdParameterClass(value="null", type=m.AssertionStdParameterTypeClass.SET)
            ),
            "orders.customer_id referential integrity to customers.customer_id",
        ),
    }[test]
    info = m.AssertionInfoClass(
        type=m.AssertionTypeClass.CUSTOM,
        customProperties={
            "dbt_unique_id": f"test.shop.{node_name}.5f1d2c3b4a",
            "dbt_test_upstream_unique_id": upstream_id,
        },
        source=m.AssertionSourceClass(type=m.AssertionSourceTypeClass.EXTERNAL),
        customAssertion=m.CustomAssertionInfoClass(
            type="dbt",
            entity=entity,
            field=fields[0] if fields else None,
            fields=fields or None,
            scope=m.DatasetAssertionScopeClass.DATASET_COLUMN,
            operator=operator,
            aggregation=aggregation,
            parameters=parameters,
            nativeType=node_name,
            logic=logic,
            nativeParameters={k: str(v) for k, v in kwargs.items()},
        ),
    )
    return [_platform(urn, "dbt"), MCPW(entityUrn=urn, aspect=info)]


def _run(
    urn: str,
    entity: str,
    ts: int,
    run_id: str,
    result: str,
    *,
    native: dict[str, str] | None = None,
    **extra: Any,
) -> MCPW:
    return MCPW(
        entityUrn=urn,
        aspect=m.AssertionRunEventClass(
            timestampMillis=ts,
            runId=run_id,
            asserteeUrn=entity,
            assertionUrn=urn,
            status=m.AssertionRunStatusClass.COMPLETE,
            result=m.AssertionResultClass(type=result, nativeResults=native, **extra),
        ),
    )


def _dbt_runs(urn: str, entity: str, second: tuple[str, int] | None) -> list[MCPW]:
    """Invocation 1 passes; invocation 2 gives `second` = (status, failures), None = skipped."""
    out = [_run(urn, entity, T1, INV1, m.AssertionResultTypeClass.SUCCESS, native={})]
    if second is not None:
        status, failures = second
        native = (
            {}
            if status == "SUCCESS"
            else {"message": f"Got {failures} results, configured to fail if != 0", "failures": str(failures)}
        )
        out.append(_run(urn, entity, T2, INV2, status, native=native))
    return out


def _lineage_and_entities() -> list[MCPW]:
    out: list[MCPW] = []
    for t, pg in (("orders", PG_ORDERS), ("customers", PG_CUSTOMERS), ("payments", PG_PAYMENTS)):
        out += _dataset(pg, t, COLUMNS[t], subtype="Table")
        out += _dataset(
            RAW[t], t.upper(), COLUMNS[t], subtype="Table", description=f"Raw {t} loaded nightly by Airflow"
        )
        out += _dataset(
            SRC[t],
            t,
            COLUMNS[t],
            subtype="Source",
            upstreams=[RAW[t]],
            lineage_type=m.DatasetLineageTypeClass.COPY,
        )
        out += _siblings(SRC[t], RAW[t])
        out += [
            MCPW(
                entityUrn=LOAD[t], aspect=m.DataJobInfoClass(name=f"load_{t}", type="COMMAND", flowUrn=FLOW)
            ),
            MCPW(
                entityUrn=LOAD[t],
                aspect=m.DataJobInputOutputClass(inputDatasets=[pg], outputDatasets=[RAW[t]]),
            ),
            MCPW(entityUrn=LOAD[t], aspect=m.StatusClass(removed=False)),
        ]
        out += _dataset(
            STG[t], f"stg_{t}", COLUMNS[t], subtype="Model", upstreams=[SRC[t]], description=f"Cleaned {t}"
        )
        out += _dataset(STG_WH[t], f"STG_{t.upper()}", COLUMNS[t], subtype="View")
        out += _siblings(STG[t], STG_WH[t])
        out.append(_copy_lineage(STG[t], STG_WH[t]))
    out += [
        MCPW(entityUrn=FLOW, aspect=m.DataFlowInfoClass(name="load_raw")),
        MCPW(entityUrn=FLOW, aspect=m.StatusClass(removed=False)),
    ]
    out += _dataset(
        MART["orders"],
        "orders",
        MART_COLUMNS["orders"],
        subtype="Model",
        description="One row per order, with its payment total",
        upstreams=[STG_WH["orders"], STG_WH["payments"]],
        owners=[ANALYTICS],
        custom={"materialization": "table"},
    )
    out += _dataset(
        MART["customers"],
        "customers",
        MART_COLUMNS["customers"],
        subtype="Model",
        description="One row per customer with lifetime value",
        upstreams=[STG_WH["customers"], MART_WH["orders"]],
        owners=[ANALYTICS],
    )
    for t in ("orders", "customers"):
        out += _dataset(
            MART_WH[t], t.upper(), MART_COLUMNS[t], subtype="Table", owners=[FINANCE] if t == "orders" else []
        )
        out += _siblings(MART[t], MART_WH[t])
        out.append(_copy_lineage(MART[t], MART_WH[t]))
    out += _dataset(
        LOOKER_VIEW, "orders", MART_COLUMNS["orders"], subtype="View", upstreams=[MART_WH["orders"]]
    )
    out += [
        MCPW(
            entityUrn=CHART,
            aspect=m.ChartInfoClass(
                title="Revenue by month",
                description="Monthly revenue from completed orders",
                lastModified=m.ChangeAuditStampsClass(),
                inputs=[LOOKER_VIEW],
            ),
        ),
        MCPW(
            entityUrn=CHART_LTV,
            aspect=m.ChartInfoClass(
                title="Customer lifetime value",
                description="Lifetime value per customer",
                lastModified=m.ChangeAuditStampsClass(),
                inputEdges=[m.EdgeClass(destinationUrn=MART_WH["customers"])],
            ),
        ),
        MCPW(
            entityUrn=DASHBOARD,
            aspect=m.DashboardInfoClass(
                title="Sales Overview",
                description="Revenue and orders for the sales team",
                lastModified=m.ChangeAuditStampsClass(),
                chartEdges=[m.EdgeClass(destinationUrn=CHART), m.EdgeClass(destinationUrn=CHART_LTV)],
            ),
        ),
        MCPW(
            entityUrn=DASHBOARD,
            aspect=m.OwnershipClass(
                owners=[m.OwnerClass(owner=FINANCE, type=m.OwnershipTypeClass.BUSINESS_OWNER)]
            ),
        ),
    ]
    return out


# (urn, entity, node name, test, column, kwargs, upstream node id, second run): a `_dbt_test` and its runs.
_DbtTest = tuple[str, str, str, str, str | None, dict[str, Any], str, tuple[str, int] | None]


def _dbt_assertions() -> list[MCPW]:
    out: list[MCPW] = []
    tests: list[_DbtTest] = [
        (
            NOT_NULL,
            MART["orders"],
            "not_null_orders_order_id",
            "not_null",
            "order_id",
            {"column_name": "order_id", "model": "{{ get_where_subquery(ref('orders')) }}"},
            "model.shop.orders",
            ("SUCCESS", 0),
        ),
        (
            UNIQUE,
            MART["customers"],
            "unique_customers_customer_id",
            "unique",
            "customer_id",
            {"column_name": "customer_id", "model": "{{ get_where_subquery(ref('customers')) }}"},
            "model.shop.customers",
            ("FAILURE", 3),
        ),
        (
            ACCEPTED,
            MART["orders"],
            "accepted_values_orders_status__placed__shipped__completed",
            "accepted_values",
            "status",
            {
                "column_name": "status",
                "values": ["placed", "shipped", "completed"],
                "model": "{{ get_where_subquery(ref('orders')) }}",
            },
            "model.shop.orders",
            ("FAILURE", 2),
        ),
        (
            SKIPPED,
            STG["payments"],
            "not_null_stg_payments_amount",
            "not_null",
            "amount",
            {"column_name": "amount", "model": "{{ get_where_subquery(ref('stg_payments')) }}"},
            "model.shop.stg_payments",
            None,
        ),
        (
            STG_PAYMENTS_UNIQUE,
            STG["payments"],
            "unique_stg_payments_payment_id",
            "unique",
            "payment_id",
            {"column_name": "payment_id", "model": "{{ get_where_subquery(ref('stg_payments')) }}"},
            "model.shop.stg_payments",
            ("SUCCESS", 0),
        ),
    ]
    rel_kwargs = {
        "column_name": "customer_id",
        "to": "ref('customers')",
        "field": "customer_id",
        "model": "{{ get_where_subquery(ref('orders')) }}",
    }
    tests += [
        (
            REL_ORDERS,
            MART["orders"],
            "relationships_orders_customer_id__customer_id__ref_customers_",
            "relationships",
            "customer_id",
            rel_kwargs,
            "model.shop.orders",
            ("FAILURE", 5),
        ),
        (
            REL_CUSTOMERS,
            MART["customers"],
            "relationships_orders_customer_id__customer_id__ref_customers_",
            "relationships",
            "customer_id",
            rel_kwargs,
            "model.shop.customers",
            ("FAILURE", 5),
        ),
    ]
    for urn, entity, name, test, column, kwargs, upstream, second in tests:
        out += _dbt_test(urn, entity, name, test, column, kwargs, upstream)
        out += _dbt_runs(urn, entity, second)
    return out


def _native(urn: str, info: m.AssertionInfoClass, platform: str) -> list[MCPW]:
    return [_platform(urn, platform), MCPW(entityUrn=urn, aspect=info)]


def _other_assertions() -> list[MCPW]:
    stamp = m.AuditStampClass(time=T1 - DAY, actor="urn:li:corpuser:datahub")
    native = m.AssertionSourceClass(type=m.AssertionSourceTypeClass.NATIVE, created=stamp)
    out: list[MCPW] = []
    # Snowflake DMF, as `snowflake_assertion.SnowflakeAssertionsHandler` writes an external one.
    out += _native(
        DMF,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.CUSTOM,
            customAssertion=m.CustomAssertionInfoClass(
                type="Snowflake Data Metric Function",
                entity=RAW["orders"],
                field=make_schema_field_urn(RAW["orders"], "customer_id"),
            ),
            source=m.AssertionSourceClass(type=m.AssertionSourceTypeClass.EXTERNAL),
            description="External Snowflake DMF: NULL_COUNT",
            customProperties={
                "snowflake_dmf_name": "NULL_COUNT",
                "snowflake_reference_id": "ref-1",
                "snowflake_dmf_columns": "customer_id",
            },
        ),
        "snowflake",
    )
    out += [
        _run(DMF, RAW["orders"], T1, "2026-11-01T06:00:00Z", m.AssertionResultTypeClass.SUCCESS),
        _run(DMF, RAW["orders"], T2, "2026-11-02T06:00:00Z", m.AssertionResultTypeClass.FAILURE),
    ]
    # Great Expectations (its DataHub action writes DATASET assertions with the expectation name).
    out += _native(
        GE,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.DATASET,
            datasetAssertion=m.DatasetAssertionInfoClass(
                dataset=RAW["customers"],
                scope=m.DatasetAssertionScopeClass.DATASET_COLUMN,
                fields=[make_schema_field_urn(RAW["customers"], "customer_id")],
                aggregation=m.AssertionStdAggregationClass.IDENTITY,
                operator=m.AssertionStdOperatorClass.NOT_NULL,
                nativeType="expect_column_values_to_not_be_null",
                nativeParameters={"column": "customer_id"},
            ),
            source=m.AssertionSourceClass(type=m.AssertionSourceTypeClass.EXTERNAL),
        ),
        "great-expectations",
    )
    out += [
        _run(
            GE,
            RAW["customers"],
            T1,
            "ge-1",
            m.AssertionResultTypeClass.SUCCESS,
            unexpectedCount=0,
            rowCount=120,
        ),
        _run(
            GE,
            RAW["customers"],
            T2,
            "ge-2",
            m.AssertionResultTypeClass.SUCCESS,
            unexpectedCount=0,
            rowCount=124,
        ),
    ]
    # Native DataHub assertions of the other types.
    out += _native(
        FRESHNESS,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.FRESHNESS,
            freshnessAssertion=m.FreshnessAssertionInfoClass(
                type=m.FreshnessAssertionTypeClass.DATASET_CHANGE,
                entity=MART_WH["orders"],
                schedule=m.FreshnessAssertionScheduleClass(
                    type=m.FreshnessAssertionScheduleTypeClass.FIXED_INTERVAL,
                    fixedInterval=m.FixedIntervalScheduleClass(unit=m.CalendarIntervalClass.HOUR, multiple=6),
                ),
            ),
            source=native,
        ),
        "snowflake",
    )
    out += [
        _run(FRESHNESS, MART_WH["orders"], T1, "fresh-1", m.AssertionResultTypeClass.SUCCESS),
        _run(
            FRESHNESS,
            MART_WH["orders"],
            T2,
            "fresh-2",
            m.AssertionResultTypeClass.ERROR,
            error=m.AssertionResultErrorClass(
                type=m.AssertionResultErrorTypeClass.SOURCE_QUERY_FAILED,
                properties={"message": "warehouse timed out"},
            ),
        ),
    ]
    out += _native(
        VOLUME,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.VOLUME,
            volumeAssertion=m.VolumeAssertionInfoClass(
                type=m.VolumeAssertionTypeClass.ROW_COUNT_TOTAL,
                entity=RAW["payments"],
                rowCountTotal=m.RowCountTotalClass(
                    operator=m.AssertionStdOperatorClass.GREATER_THAN_OR_EQUAL_TO,
                    parameters=m.AssertionStdParametersClass(
                        value=m.AssertionStdParameterClass(
                            value="100", type=m.AssertionStdParameterTypeClass.NUMBER
                        )
                    ),
                ),
            ),
            source=native,
        ),
        "snowflake",
    )
    out += [
        _run(VOLUME, RAW["payments"], T1, "vol-1", m.AssertionResultTypeClass.SUCCESS, actualAggValue=130.0),
        _run(VOLUME, RAW["payments"], T2, "vol-2", m.AssertionResultTypeClass.FAILURE, actualAggValue=10.0),
    ]
    out += _native(
        SQL,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.SQL,
            sqlAssertion=m.SqlAssertionInfoClass(
                type=m.SqlAssertionTypeClass.METRIC,
                entity=MART_WH["customers"],
                statement="SELECT COUNT(*) FROM analytics.marts.customers WHERE lifetime_value < 0",
                operator=m.AssertionStdOperatorClass.EQUAL_TO,
                parameters=m.AssertionStdParametersClass(
                    value=m.AssertionStdParameterClass(
                        value="0", type=m.AssertionStdParameterTypeClass.NUMBER
                    )
                ),
            ),
            description="No negative lifetime value",
            source=native,
        ),
        "snowflake",
    )
    out.append(_run(SQL, MART_WH["customers"], T2, "sql-1", m.AssertionResultTypeClass.INIT))
    out += _native(
        FIELD,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.FIELD,
            fieldAssertion=m.FieldAssertionInfoClass(
                type=m.FieldAssertionTypeClass.FIELD_METRIC,
                entity=STG_WH["customers"],
                fieldMetricAssertion=m.FieldMetricAssertionClass(
                    field=m.SchemaFieldSpecClass(path="first_name", type="STRING", nativeType="VARCHAR"),
                    metric=m.FieldMetricTypeClass.NULL_PERCENTAGE,
                    operator=m.AssertionStdOperatorClass.LESS_THAN_OR_EQUAL_TO,
                    parameters=m.AssertionStdParametersClass(
                        value=m.AssertionStdParameterClass(
                            value="5", type=m.AssertionStdParameterTypeClass.NUMBER
                        )
                    ),
                ),
            ),
            source=native,
        ),
        "snowflake",
    )
    out += [
        _run(
            FIELD, STG_WH["customers"], T1, "field-1", m.AssertionResultTypeClass.SUCCESS, actualAggValue=1.5
        ),
        _run(
            FIELD, STG_WH["customers"], T2, "field-2", m.AssertionResultTypeClass.SUCCESS, actualAggValue=1.2
        ),
    ]
    out += _native(
        SCHEMA,
        m.AssertionInfoClass(
            type=m.AssertionTypeClass.DATA_SCHEMA,
            schemaAssertion=m.SchemaAssertionInfoClass(
                entity=RAW["orders"],
                schema=_schema(RAW["orders"], "snowflake", COLUMNS["orders"]),
                compatibility=m.SchemaAssertionCompatibilityClass.SUPERSET,
            ),
            source=native,
        ),
        "snowflake",
    )
    out.append(_run(SCHEMA, RAW["orders"], T2, "schema-1", m.AssertionResultTypeClass.SUCCESS))
    return out


def mcps() -> list[MCPW]:
    """Every MCP of the catalog, entities first."""
    return [*_lineage_and_entities(), *_dbt_assertions(), *_other_assertions()]


def write(path: Path) -> Path:
    """A DataHub Lite file holding the catalog (written through the Lite adapter, i.e. the SDK)."""
    from oncall.catalog.lite import LiteCatalog

    with LiteCatalog(path, create=True) as catalog:
        catalog.emit(mcps())
    return path
