"""The watcher on the GMS path: run events read through GraphQL (validated against DataHub's schema by
the stand-in), incidents written through the SDK and read back, grouped as on Lite."""

from __future__ import annotations

from pathlib import Path

import graphql

from oncall.agents.lifecycle import list_incidents
from oncall.agents.writeback import incident_urn
from oncall.config import load_config
from tests.agents._lifecycle import KIT_ORIGINS, watch_once
from tests.catalog.gms_standin import GmsStandin, Store


def test_watch_on_gms_opens_the_same_grouped_incidents(
    seeded_copy: Path, datahub_schema: graphql.GraphQLSchema
) -> None:
    store = Store.from_lite(load_config(seeded_copy, environ={}).lite_path)
    with GmsStandin(datahub_schema, store) as server:
        config = load_config(seeded_copy, environ={"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": server.url})
        report = watch_once(config)
        assert sorted(report.opened) == sorted(incident_urn(o, 0) for o in KIT_ORIGINS)
        for tracked in list_incidents(config):
            info = store.get(tracked.urn)["incidentInfo"]
            assert info["status"]["state"] == "ACTIVE" and info["source"]["type"] == "ASSERTION_FAILURE"
            assert info["source"]["sourceUrn"] == tracked.assertions[0].urn
        again = watch_once(config)  # the feed re-reads its overlap window: nothing is handled twice
        assert again.events > 0 and again.fresh == 0 and not again.opened
        assert not server.rejected, server.rejected
        proposals = [p for p in server.proposals if p.get("aspectName") == "incidentInfo"]
        assert len({p["entityUrn"] for p in proposals}) == 3
