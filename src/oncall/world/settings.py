"""The demo's settings: which platform instance is the clean twin and which is production.

The global defaults know no demo (production = every dataset, baseline = each assertion's history), so
`oncall setup` writes these into the demo home's `config.yaml`, where a person can read and change them.
A setting already in the file (even one cleared to empty) is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from oncall.config import Config
from oncall.world.build import BASELINE, PRODUCTION

__all__ = ["DEMO_SETTINGS", "with_demo_settings", "write_demo_settings"]

DEMO_SETTINGS: dict[str, Any] = {"baseline_instance": BASELINE, "production_instance": PRODUCTION}

_HEADER = "# oncall settings (see the README's Settings table); written by `oncall setup` for the demo.\n"


def write_demo_settings(home: Path) -> list[str]:
    """Add the demo settings missing from `home/config.yaml`; returns the names written."""
    path = Path(home) / "config.yaml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = yaml.safe_load(text) if text.strip() else {}
    present = present if isinstance(present, dict) else {}
    missing = {k: v for k, v in DEMO_SETTINGS.items() if k not in present}
    if not missing:
        return []
    lines = "".join(f"{k}: {v}\n" for k, v in missing.items())
    prefix = _HEADER if not text else ("" if text.endswith("\n") else "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + prefix + lines, encoding="utf-8")
    return sorted(missing)


def with_demo_settings(config: Config) -> Config:
    """`config` with the demo settings filling what no file, environment or flag set."""
    return config.with_fallbacks(DEMO_SETTINGS)
