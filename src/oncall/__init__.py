"""datahub-oncall: a multi-agent incident responder for the DataHub metadata catalog."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
