"""Errors of datahub-oncall.

Caller mistakes are split from runtime failures so the CLI and the API can tell a person what to fix::

    OncallError                       base; never raised directly
    ├── UserError                     bad input; fix the command, the file or the config (exit 2, HTTP 400)
    │   ├── ConfigError               a setting is missing or malformed
    │   ├── FaultSpecError            a fault spec names an unknown kind/table/column, or asks too much
    │   ├── SuiteError                an assertion suite names an unknown table/column or is malformed
    │   ├── ScenarioError             an eval scenario file is malformed or names unknown entities
    │   ├── WorldError                a world source (CSV folder, kit DB) is unreadable or has wrong tables
    │   ├── WorldExistsError          a world is already built and --force was not given
    │   └── NotFoundError             an URN or a run that does not exist (HTTP 404)
    └── RuntimeFailure                something outside the caller's control failed (exit 1, HTTP 502/503)
        ├── CatalogError              DataHub (Lite file or GMS) failed
        │   ├── CatalogUnavailableError   unreachable, locked, corrupt, timed out
        │   └── CatalogAuthError          401/403 from GMS
        ├── WarehouseError            the warehouse behind the assertions failed
        └── LLMError                  a model endpoint failed (agents fall back and record it)

Every message says what to do next.
"""

from __future__ import annotations

__all__ = [
    "CatalogAuthError",
    "CatalogError",
    "CatalogUnavailableError",
    "ConfigError",
    "FaultSpecError",
    "LLMError",
    "NotFoundError",
    "OncallError",
    "RuntimeFailure",
    "ScenarioError",
    "SuiteError",
    "UserError",
    "WarehouseError",
    "WorldError",
    "WorldExistsError",
]


class OncallError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: int = 1
    http_status: int = 500


class UserError(OncallError):
    """The caller gave bad input: a command, a file or a setting needs fixing."""

    exit_code = 2
    http_status = 400


class ConfigError(UserError):
    """A setting is missing or malformed."""


class FaultSpecError(UserError):
    """A fault spec is malformed or asks for something the world does not have."""


class SuiteError(UserError):
    """An assertion suite is malformed or names tables/columns that do not exist."""


class ScenarioError(UserError):
    """An eval scenario file is malformed, or names a fault, table or entity that does not exist."""


class WorldError(UserError):
    """A world source (CSV folder or kit database) cannot be used."""


class WorldExistsError(UserError):
    """A world is already built; building again needs --force."""


class NotFoundError(UserError):
    """An URN, run or file that does not exist."""

    http_status = 404


class RuntimeFailure(OncallError):
    """Something outside the caller's control failed."""

    exit_code = 1
    http_status = 502


class CatalogError(RuntimeFailure):
    """DataHub (the Lite file or a GMS server) failed."""


class CatalogUnavailableError(CatalogError):
    """DataHub cannot be reached or opened: unreachable, locked, corrupt or timed out."""

    http_status = 503


class CatalogAuthError(CatalogError):
    """The GMS server refused the token (401/403)."""


class WarehouseError(RuntimeFailure):
    """The warehouse that runs the assertions failed."""


class LLMError(RuntimeFailure):
    """A model endpoint failed; agents fall back to their deterministic procedure."""
