"""Keep acryl-datahub's usage telemetry off in this process.

The SDK decides at import time from `DATAHUB_TELEMETRY_ENABLED` (read once, whenever the telemetry
module is first imported), so setting the variable late is not enough: the instance is switched off
directly, without persisting anything to the user's `~/.datahub` folder.
"""

from __future__ import annotations

__all__ = ["telemetry_off"]


def telemetry_off() -> None:
    """Disable the SDK's telemetry for the rest of the process (idempotent)."""
    from datahub.telemetry import telemetry

    telemetry.telemetry_instance.enabled = False
    telemetry.telemetry_instance.mp = None
