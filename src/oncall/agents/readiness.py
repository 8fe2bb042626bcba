"""Whether the configured catalog is there to open: a clear `UserError` before a run or a reset
rather than a failure deep inside the backend."""

from __future__ import annotations

from oncall.config import Config
from oncall.errors import UserError

__all__ = ["check_ready"]


def check_ready(config: Config) -> None:
    """Raise `UserError` when the configured catalog is a Lite file that is missing or empty."""
    if config.catalog != "lite":
        return
    if not config.lite_path.exists():
        raise UserError(
            f"no DataHub Lite catalog at {config.lite_path}; run `oncall setup` (or `oncall demo`) first"
        )
    if config.lite_path.is_file() and config.lite_path.stat().st_size == 0:
        raise UserError(f"the DataHub Lite catalog {config.lite_path} is empty (0 bytes); run `oncall setup`")
