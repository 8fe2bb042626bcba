"""Helpers of the lifecycle tests: one watcher pass, the world repaired or broken again, raw run events."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.agents.lifecycle import BatchReport, Watcher
from oncall.agents.lifecycle.notify import Notifier
from oncall.catalog import open_catalog
from oncall.catalog.lite import LiteCatalog
from oncall.config import Config, load_config
from oncall.quality.publish import publish_suites
from oncall.world.build import BASELINE, PRODUCTION
from oncall.world.demo_suites import DEMO_SUITES, resolve_suites
from oncall.world.schema import warehouse_schema

ITEMS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_order_items,PROD)"
PRODUCTS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_products,PROD)"
CUSTOMERS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"
ORDERS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_orders,PROD)"
KIT_ORIGINS = {ITEMS, PRODUCTS, CUSTOMERS}


def config_of(home: Path, **values: Any) -> Config:
    return load_config(home, environ={}, **values)


def watch_once(config: Config, *, notifier: Notifier | None = None) -> BatchReport:
    watcher = Watcher(config, lambda: open_catalog(config), notifier=notifier)
    try:
        return asyncio.run(watcher.run(once=True))
    finally:
        watcher.close()


def publish(config: Config) -> None:
    """Run both suites on both instances and publish the runs (what `oncall assertions run` does)."""
    with LiteCatalog(config.lite_path) as catalog:
        publish_suites(config, catalog, suites=resolve_suites(DEMO_SUITES), schema=warehouse_schema())


def repair(config: Config) -> Path:
    """Production gets the clean data back, then a passing run; returns a copy of the broken DB."""
    broken = config.home / "broken.db"
    shutil.copy(config.instance_db(PRODUCTION), broken)
    shutil.copy(config.instance_db(BASELINE), config.instance_db(PRODUCTION))
    publish(config)
    return broken


def rebreak(config: Config, broken: Path) -> None:
    """The faults come back, then a failing run."""
    shutil.copy(broken, config.instance_db(PRODUCTION))
    publish(config)


def incident_info(config: Config, urn: str) -> m.IncidentInfoClass:
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        info = catalog.get_aspect(urn, m.IncidentInfoClass)
    assert info is not None, urn
    return info


def incident_urns_in_catalog(config: Config) -> list[str]:
    conn = sqlite3.connect(config.lite_path)
    try:
        rows = conn.execute(
            "SELECT DISTINCT urn FROM metadata_aspect_v2 WHERE aspect_name = 'incidentInfo' AND version = 0"
        ).fetchall()
    finally:
        conn.close()
    return sorted(r[0] for r in rows)


def emit(config: Config, urn: str, aspect: Any) -> None:
    with LiteCatalog(config.lite_path) as catalog:
        catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=aspect)])


def run_event(assertion: str, dataset: str, result: str, ts: int, run_id: str) -> m.AssertionRunEventClass:
    return m.AssertionRunEventClass(
        timestampMillis=ts,
        runId=run_id,
        asserteeUrn=dataset,
        assertionUrn=assertion,
        status=m.AssertionRunStatusClass.COMPLETE,
        result=m.AssertionResultClass(type=result, actualAggValue=0.0 if result == "SUCCESS" else 5.0),
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
