"""The quarantine call: Python the user can run against their DataHub to tag the origins.

Generated from the run's verified origins only (never from model text), so it can touch nothing outside
the run's scope. It uses PATCH so existing tags and human edits stay.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["QUARANTINE_TAG", "quarantine_snippet"]

QUARANTINE_TAG = "urn:li:tag:quarantined"


def quarantine_snippet(origin_urns: Sequence[str], *, gms_url: str | None = None) -> str:
    """Python source that adds the `quarantined` tag to each origin through the DataHub SDK."""
    if not origin_urns:
        return "# Nothing to quarantine: the run named no origin.\n"
    urns = "".join(f"    {u!r},\n" for u in origin_urns)
    server = repr(gms_url) if gms_url else 'os.environ.get("DATAHUB_GMS_URL", "http://localhost:8080")'
    return (
        "# Quarantine the origins of the incident: adds a tag, keeps every existing tag (PATCH).\n"
        "import os\n\n"
        "from datahub.emitter.mcp import MetadataChangeProposalWrapper\n"
        "from datahub.ingestion.graph.client import DatahubClientConfig, DataHubGraph\n"
        "from datahub.metadata.schema_classes import TagAssociationClass, TagPropertiesClass\n"
        "from datahub.specific.dataset import DatasetPatchBuilder\n\n"
        f"ORIGINS = [\n{urns}]\n"
        f"TAG = {QUARANTINE_TAG!r}\n\n"
        f"graph = DataHubGraph(DatahubClientConfig(server={server}, "
        'token=os.environ.get("DATAHUB_GMS_TOKEN")))\n'
        "graph.emit(MetadataChangeProposalWrapper(entityUrn=TAG, aspect=TagPropertiesClass(\n"
        '    name="quarantined", description="Do not consume: an open data incident", colorHex="#d0021b")))\n'
        "for urn in ORIGINS:\n"
        "    for mcp in DatasetPatchBuilder(urn).add_tag(TagAssociationClass(tag=TAG)).build():\n"
        "        graph.emit(mcp)\n"
    )
