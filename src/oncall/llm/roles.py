"""Who to call: one OpenAI-compatible endpoint per agent role, from a preset plus overrides.

Roles are the four agents. A preset names a model per role (or none: `offline`); the config can then
move every role to another base URL (`llm_base_url`), swap models (`llm_models`), and finally override
any field of one role (`llm: {role: {...}}`), the most specific layer winning. Keys are never stored
here: an endpoint names the environment variable that holds its key and `Config.secret` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from oncall.config import Config
from oncall.errors import ConfigError
from oncall.llm.local import LOCAL_URL

__all__ = [
    "LOCAL_URL",
    "NEBIUS_BASE_URL",
    "PRESETS",
    "PROFILES",
    "ROLES",
    "Endpoint",
    "Role",
    "api_key_for",
    "resolve_endpoints",
]

Role = Literal["coordinator", "detective", "reality_checker", "fixer"]
ROLES: tuple[Role, ...] = ("coordinator", "detective", "reality_checker", "fixer")

Profile = Literal["openai", "nebius", "ollama", "vllm", "llamacpp", "generic"]
PROFILES: tuple[str, ...] = ("openai", "nebius", "ollama", "vllm", "llamacpp", "generic")
"""Wire quirks per kind of server (strict tool schemas, thinking fields); see `llm/models.py`."""

NEBIUS_BASE_URL = "https://api.tokenfactory.nebius.com/v1"
OPENAI_BASE_URL = "https://api.openai.com/v1"
OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"
VLLM_BASE_URL = "http://127.0.0.1:8000/v1"


@dataclass(frozen=True)
class Endpoint:
    """Where and how one role's model is reached."""

    role: Role
    base_url: str
    model: str
    api_key_env: str | None = None
    """Environment variable holding the API key; None for local servers that need none."""
    price_in: float = 0.0
    """USD per million input tokens."""
    price_out: float = 0.0
    """USD per million output tokens."""
    timeout_s: float = 60.0
    """Wall-clock budget of one `RoleModel.run`, tool calls and retries included."""
    max_tokens: int | None = 4096
    profile: Profile = "generic"
    retries: int = 2
    """How often the model may retry a rejected tool call or answer before the call fails."""
    max_requests: int = 8
    """Upper bound on model round trips in one run, so a looping model cannot run up a bill."""
    model_path: str | None = None
    """The role's own .gguf on the local llama.cpp server (default: the preset's, `llm_model_path`)."""
    lora_path: str | None = None
    """A LoRA adapter (.gguf) the local server applies to the role's model (`oncall train detective`).
    The role then runs on the local server, in its own process, whatever the preset."""

    @property
    def tuned(self) -> bool:
        """True for a model tuned for its role (a LoRA): it is asked in the format it was trained on."""
        return bool(self.lora_path)

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """USD for this many tokens at the endpoint's prices."""
        return (tokens_in * self.price_in + tokens_out * self.price_out) / 1_000_000


def _preset(
    base_url: str, key_env: str | None, profile: Profile, models: Mapping[Role, tuple[str, float, float]]
) -> dict[Role, Endpoint]:
    return {
        role: Endpoint(role, base_url, model, key_env, price_in, price_out, profile=profile)
        for role, (model, price_in, price_out) in models.items()
    }


# Nebius prices (USD per 1M tokens in/out) as listed for these models in pydantic's genai-prices table
# (Nebius route, 2026); they are estimates for the run summary, not a bill.
_KIMI = ("moonshotai/Kimi-K2-Thinking", 0.6, 2.5)
_LLAMA_8B = ("meta-llama/Meta-Llama-3.1-8B-Instruct", 0.03, 0.09)
_MINIMAX = ("MiniMaxAI/MiniMax-M2.5", 0.3, 1.2)
_OPENAI_BIG = ("gpt-4.1", 2.0, 8.0)
_OPENAI_SMALL = ("gpt-4.1-mini", 0.4, 1.6)
_LOCAL = ("llama3.1:8b", 0.0, 0.0)
_VLLM = ("meta-llama/Llama-3.1-8B-Instruct", 0.0, 0.0)
_LLAMACPP = ("local", 0.0, 0.0)
"""`local` = whatever model the local server serves (its id is filled in when the server is up)."""

PRESETS: dict[str, dict[Role, Endpoint]] = {
    "offline": {},
    "nebius": _preset(
        NEBIUS_BASE_URL,
        "NEBIUS_API_KEY",
        "nebius",
        {"coordinator": _KIMI, "detective": _LLAMA_8B, "reality_checker": _LLAMA_8B, "fixer": _MINIMAX},
    ),
    "openai": _preset(
        OPENAI_BASE_URL,
        "OPENAI_API_KEY",
        "openai",
        {r: _OPENAI_BIG if r == "coordinator" else _OPENAI_SMALL for r in ROLES},
    ),
    "ollama": _preset(OLLAMA_BASE_URL, None, "ollama", dict.fromkeys(ROLES, _LOCAL)),
    "vllm": _preset(VLLM_BASE_URL, None, "vllm", dict.fromkeys(ROLES, _VLLM)),
    "local": _preset(LOCAL_URL, None, "llamacpp", dict.fromkeys(ROLES, _LLAMACPP)),
}
"""Built-in presets; `offline` (the default) gives no role a model. `local` is a llama.cpp server this
process starts (or reuses) on loopback, serving a model file from an installed package (`llm/local.py`)."""

# A small model on CPU: short answers (the server's context is 4096 tokens) and a budget that a stuck
# server still ends. No retries: llama-cpp-python's server refuses the replayed tool turn a retry sends
# (HTTP 422), so a rejected answer goes straight to the procedure, with the reason recorded.
for _role in ROLES:
    PRESETS["local"][_role] = replace(PRESETS["local"][_role], max_tokens=384, timeout_s=90.0, retries=0)

# Kimi thinks before it answers: a small budget ends in reasoning with no answer (the original build hit
# this with max_tokens=20), and thinking takes longer than a plain reply.
PRESETS["nebius"]["coordinator"] = replace(PRESETS["nebius"]["coordinator"], max_tokens=16384, timeout_s=90.0)

_FIELDS = {f.name: f for f in fields(Endpoint) if f.name != "role"}
_FLOATS = ("price_in", "price_out", "timeout_s")
_INTS = ("max_tokens", "retries", "max_requests")
_NULLABLE = ("api_key_env", "max_tokens", "model_path", "lora_path")


def resolve_endpoints(config: Config, preset: str | None = None) -> dict[Role, Endpoint | None]:
    """The endpoint of every role (None = no model), checked for completeness and keys.

    Args:
        config: resolved settings (`llm_preset`, `llm_base_url`, `llm_models`, `llm`, ...).
        preset: overrides `config.llm_preset` (the `--llm` flag).

    Raises:
        ConfigError: unknown preset/role/field, a role with a model but no base URL, or a missing key.
    """
    name = preset or config.llm_preset or "offline"
    if name not in PRESETS:
        raise ConfigError(f"unknown LLM preset {name!r}; choose one of {', '.join(PRESETS)}")
    layers = _role_layers(config, name)
    endpoints = {role: _build(role, PRESETS[name].get(role), layers[role]) for role in ROLES}
    _check_keys(config, name, endpoints)
    return endpoints


def api_key_for(config: Config, endpoint: Endpoint) -> str:
    """The key to send: the secret named by the endpoint, or a placeholder for keyless local servers."""
    if endpoint.api_key_env is None:
        return "not-needed"
    key = config.secret(endpoint.api_key_env)
    if not key:
        raise ConfigError(_missing_key_message(endpoint.api_key_env, [endpoint.role], None))
    return key


def _role_layers(config: Config, preset: str) -> dict[Role, dict[str, Any]]:
    """Overrides per role, general to specific, merged into one dict each (later keys win)."""
    layers: dict[Role, dict[str, Any]] = {role: {} for role in ROLES}
    base_url = config.openai_base_url if preset == "openai" else None
    base_url = config.llm_base_url or base_url
    for role in ROLES:
        if base_url and preset != "offline":
            layers[role]["base_url"] = base_url
    if config.llm_detective_lora:
        layers["detective"]["lora_path"] = str(config.llm_detective_lora)
    for role, model in _parse_models(config.llm_models).items():
        layers[role]["model"] = model
    for role, override in _role_overrides(config.llm).items():
        if override is None:
            layers[role]["model"] = None
        else:
            layers[role].update(override)
    return layers


def _parse_models(raw: str | Mapping[str, str] | None) -> dict[Role, str]:
    if not raw:
        return {}
    if isinstance(raw, str):
        pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ConfigError(
                f"ONCALL_LLM_MODELS={raw!r}: expected 'role=model' pairs separated by commas, "
                "e.g. 'coordinator=moonshotai/Kimi-K2-Thinking,fixer=MiniMaxAI/MiniMax-M2.5'"
            )
        raw = {key.strip(): value.strip() for key, _, value in pairs}
    if not isinstance(raw, Mapping):
        raise ConfigError("llm_models must be 'role=model,...' or a mapping of role to model name")
    return {_check_role(role, "llm_models"): str(model) for role, model in raw.items()}


def _role_overrides(raw: Any) -> dict[Role, dict[str, Any] | None]:
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("llm must be a mapping of role to settings, e.g. {detective: {model: ...}}")
    result: dict[Role, dict[str, Any] | None] = {}
    for role, override in raw.items():
        checked = _check_role(role, "llm")
        if override is None:
            result[checked] = None
            continue
        if not isinstance(override, Mapping):
            raise ConfigError(f"llm.{role} must be a mapping of settings or null (no model for the role)")
        result[checked] = {key: _coerce_field(role, key, value) for key, value in override.items()}
    return result


def _check_role(role: Any, where: str) -> Role:
    if role not in ROLES:
        raise ConfigError(f"{where}: unknown role {role!r}; roles are {', '.join(ROLES)}")
    return role


def _coerce_field(role: str, key: str, value: Any) -> Any:
    if key not in _FIELDS:
        raise ConfigError(f"llm.{role}.{key}: unknown field; known: {', '.join(sorted(_FIELDS))}")
    if value is None:
        return None
    try:
        if key in _FLOATS:
            value = float(value)
        elif key in _INTS:
            value = int(value)
        else:
            value = str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"llm.{role}.{key}={value!r} is not a number") from exc
    if key in _FLOATS + _INTS and value < 0:
        raise ConfigError(f"llm.{role}.{key}={value!r} must not be negative")
    if key == "profile" and value not in PROFILES:
        raise ConfigError(f"llm.{role}.profile={value!r}; choose one of {', '.join(PROFILES)}")
    return value


def _build(role: Role, base: Endpoint | None, layer: dict[str, Any]) -> Endpoint | None:
    if not layer:
        return base
    if "model" in layer and not layer["model"]:
        return None  # explicitly switched off
    if layer.get("lora_path") or layer.get("model_path"):
        # An adapter or a model file: only the local server serves them, with the local preset's limits.
        local = PRESETS["local"][role]
        base = local if base is None or base.base_url != LOCAL_URL else base
        layer = {k: v for k, v in layer.items() if k not in ("base_url", "profile")}
    if base is None:
        if not layer.get("base_url") or not layer.get("model"):
            raise ConfigError(
                f"llm.{role}: the preset gives this role no model, so set both base_url and model "
                "(or choose a preset with --llm / ONCALL_LLM)"
            )
        base = Endpoint(role, layer["base_url"], layer["model"])
    return replace(base, **{k: v for k, v in layer.items() if v is not None or k in _NULLABLE})


def _check_keys(config: Config, preset: str, endpoints: Mapping[Role, Endpoint | None]) -> None:
    missing: dict[str, list[str]] = {}
    for role, endpoint in endpoints.items():
        if endpoint and endpoint.api_key_env and not config.secret(endpoint.api_key_env):
            missing.setdefault(endpoint.api_key_env, []).append(role)
    if missing:
        env, roles = next(iter(missing.items()))
        raise ConfigError(_missing_key_message(env, roles, preset))


def _missing_key_message(env: str, roles: list[str], preset: str | None) -> str:
    which = f"the {preset} preset" if preset else "this model"
    return (
        f"{which} needs an API key in {env} (for {', '.join(roles)}): export {env}=<your key>, "
        "or run offline with --llm offline"
    )
