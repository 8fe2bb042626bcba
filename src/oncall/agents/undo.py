"""Undoing what runs wrote (`oncall reset`)."""

from __future__ import annotations

from oncall.agents import writeback
from oncall.agents.lifecycle.people import record_reset
from oncall.catalog.backends import backend_for, check_ready
from oncall.catalog.base import Catalog
from oncall.catalog.urns import ACTOR
from oncall.config import Config
from oncall.report.models import Write

__all__ = ["reset"]


def reset(config: Config, *, catalog: Catalog | None = None) -> list[Write]:
    """Undo what runs wrote: resolve their incidents, remove their tags and links (the ledger's, and
    whatever carries our marker in DataHub)."""
    if not backend_for(config).exists(config) and not writeback.ledger_path(config).exists():
        return []  # never set up, never written to
    owned = catalog is None
    if owned:
        check_ready(config)
        from oncall.catalog import open_catalog

        catalog = open_catalog(config)
    assert catalog is not None
    try:
        writes = writeback.reset_writes(config, catalog)
    finally:
        if owned:
            catalog.close()
    resolved = [w.urn for w in writes if w.action == "resolve" and w.verified]
    record_reset(config, resolved, by=ACTOR)
    return writes
