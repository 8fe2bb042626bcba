"""Who to call: presets, the override layers and their precedence, and missing keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from oncall.config import load_config
from oncall.errors import ConfigError
from oncall.llm import PRESETS, ROLES, load_models, resolve_endpoints
from oncall.llm.roles import NEBIUS_BASE_URL

NEBIUS_KEY = {"NEBIUS_API_KEY": "nb-key"}


def _write_config(home: Path, data: dict[str, object]) -> None:
    (home / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_offline_is_the_default_and_gives_no_role_a_model(home: Path) -> None:
    models = load_models(load_config(home, environ={}))
    assert models.preset == "offline" and not models.live
    assert all(models.for_role(role) is None for role in ROLES)
    assert models.models == dict.fromkeys(ROLES, "")
    assert models.summary().calls == 0


def test_nebius_preset_models_prices_and_key(home: Path) -> None:
    models = load_models(load_config(home, environ=NEBIUS_KEY), "nebius")
    assert models.models == {
        "coordinator": "moonshotai/Kimi-K2-Thinking",
        "detective": "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "reality_checker": "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "fixer": "MiniMaxAI/MiniMax-M2.5",
    }
    coordinator = models.for_role("coordinator")
    assert coordinator is not None
    assert coordinator.endpoint.base_url == NEBIUS_BASE_URL
    assert coordinator.endpoint.price_out > coordinator.endpoint.price_in > 0
    assert coordinator._api_key == "nb-key"


@pytest.mark.parametrize(("preset", "env"), [("nebius", "NEBIUS_API_KEY"), ("openai", "OPENAI_API_KEY")])
def test_missing_key_names_the_variable_and_the_fix(home: Path, preset: str, env: str) -> None:
    with pytest.raises(ConfigError, match=f"{env}.*export {env}=.*--llm offline"):
        load_models(load_config(home, environ={}), preset)


def test_empty_key_counts_as_missing(home: Path) -> None:
    with pytest.raises(ConfigError, match="NEBIUS_API_KEY"):
        load_models(load_config(home, environ={"NEBIUS_API_KEY": ""}), "nebius")


@pytest.mark.parametrize(
    ("preset", "url"), [("ollama", "http://127.0.0.1:11434/v1"), ("vllm", "http://127.0.0.1:8000/v1")]
)
def test_local_presets_need_no_key(home: Path, preset: str, url: str) -> None:
    endpoints = resolve_endpoints(load_config(home, environ={}), preset)
    assert {e.base_url for e in endpoints.values() if e} == {url}
    assert all(e and e.api_key_env is None for e in endpoints.values())


def test_preset_argument_beats_env_and_file(home: Path) -> None:
    _write_config(home, {"llm_preset": "ollama"})
    config = load_config(home, environ={"ONCALL_LLM": "vllm"})
    assert load_models(config).preset == "vllm"
    assert load_models(config, "offline").preset == "offline"


def test_openai_base_url_only_moves_the_openai_preset(home: Path) -> None:
    env = {"OPENAI_API_KEY": "sk", "OPENAI_BASE_URL": "http://proxy.local/v1"}
    config = load_config(home, environ=env)
    assert {e.base_url for e in resolve_endpoints(config, "openai").values() if e} == {
        "http://proxy.local/v1"
    }
    assert {e.base_url for e in resolve_endpoints(config, "ollama").values() if e} != {
        "http://proxy.local/v1"
    }


def test_layers_from_general_to_specific(home: Path) -> None:
    # preset < llm_base_url (every role) < llm_models (env) < llm.<role> (one role's own fields)
    _write_config(
        home,
        {"llm": {"fixer": {"base_url": "http://fixer.local/v1", "model": "own-fixer", "timeout_s": "7"}}},
    )
    env = {
        **NEBIUS_KEY,
        "ONCALL_LLM_BASE_URL": "http://eu.nebius.local/v1",
        "ONCALL_LLM_MODELS": "detective=small-model, fixer=ignored-model",
    }
    endpoints = resolve_endpoints(load_config(home, environ=env), "nebius")
    coordinator, detective, fixer = endpoints["coordinator"], endpoints["detective"], endpoints["fixer"]
    assert coordinator and detective and fixer
    assert coordinator.base_url == detective.base_url == "http://eu.nebius.local/v1"
    assert coordinator.model == "moonshotai/Kimi-K2-Thinking"
    assert detective.model == "small-model"
    assert (fixer.base_url, fixer.model, fixer.timeout_s) == ("http://fixer.local/v1", "own-fixer", 7.0)
    assert fixer.api_key_env == "NEBIUS_API_KEY", "unset fields keep the preset's"


def test_a_role_can_be_switched_off(home: Path) -> None:
    _write_config(home, {"llm": {"detective": None, "fixer": {"model": None}}})
    models = load_models(load_config(home, environ=NEBIUS_KEY), "nebius")
    assert models.for_role("detective") is None and models.for_role("fixer") is None
    assert models.for_role("coordinator") is not None


def test_offline_plus_one_configured_role(home: Path) -> None:
    llm = {"detective": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "MY_KEY"}}
    models = load_models(load_config(home, environ={"MY_KEY": "k"}, llm=llm))
    detective = models.for_role("detective")
    assert detective and detective.endpoint.profile == "generic"
    assert [role for role in ROLES if models.for_role(role)] == ["detective"]


def test_custom_key_variable_is_checked(home: Path) -> None:
    llm = {"detective": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "MY_KEY"}}
    with pytest.raises(ConfigError, match=r"MY_KEY.*detective"):
        load_models(load_config(home, environ={}, llm=llm))


@pytest.mark.parametrize(
    ("llm", "message"),
    [
        ({"detektive": {"model": "m"}}, "unknown role 'detektive'"),
        ({"detective": {"modle": "m"}}, r"llm\.detective\.modle: unknown field"),
        ({"detective": {"model": "m"}}, r"llm\.detective: .*set both base_url and model"),
        (
            {"detective": {"base_url": "u", "model": "m", "timeout_s": "soon"}},
            "timeout_s='soon' is not a number",
        ),
        ({"detective": {"base_url": "u", "model": "m", "price_in": -1}}, "must not be negative"),
        ({"detective": {"base_url": "u", "model": "m", "profile": "azure"}}, "profile='azure'"),
        ({"detective": "gpt"}, r"llm\.detective must be a mapping"),
        (["detective"], "llm must be a mapping"),
    ],
)
def test_bad_overrides_are_named(home: Path, llm: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_endpoints(load_config(home, environ={}, llm=llm))


def test_bad_model_list_names_the_variable(home: Path) -> None:
    config = load_config(home, environ={**NEBIUS_KEY, "ONCALL_LLM_MODELS": "detective"})
    with pytest.raises(ConfigError, match="ONCALL_LLM_MODELS"):
        resolve_endpoints(config, "nebius")


def test_unknown_preset_lists_the_known_ones(home: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown LLM preset 'nebuis'.*offline, nebius, openai, ollama, vllm"
    ):
        load_models(load_config(home, environ={}), "nebuis")


def test_every_preset_covers_all_roles_or_none() -> None:
    for name, roles in PRESETS.items():
        assert set(roles) in (set(), set(ROLES)), name


def test_secret_never_shows_in_config_repr(home: Path) -> None:
    config = load_config(home, environ=NEBIUS_KEY)
    assert config.secret("NEBIUS_API_KEY") == "nb-key"
    assert "nb-key" not in repr(config)
    assert config.secret("ABSENT") is None
