from __future__ import annotations

from pathlib import Path

import pytest

from oncall.config import SETTINGS, load_config
from oncall.errors import ConfigError


def test_home_defaults_to_dot_oncall_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).home == tmp_path / ".oncall"


def test_precedence_argument_over_env_over_file(home: Path) -> None:
    (home / "config.yaml").write_text("llm_preset: ollama\nbaseline_instance: file_base\n")
    env = {"ONCALL_LLM": "openai"}
    cfg = load_config(home, environ=env)
    assert cfg.llm_preset == "openai"
    assert cfg.baseline_instance == "file_base"
    assert load_config(home, environ=env, llm_preset="vllm").llm_preset == "vllm"


def test_unknown_setting_in_file_is_named(home: Path) -> None:
    (home / "config.yaml").write_text("llm_presset: ollama\n")
    with pytest.raises(ConfigError, match="llm_presset"):
        load_config(home, environ={})


def test_gms_without_url_says_what_to_set(home: Path) -> None:
    with pytest.raises(ConfigError, match="DATAHUB_GMS_URL"):
        load_config(home, environ={"ONCALL_CATALOG": "gms"})


def test_every_setting_has_help() -> None:
    assert all(s.help for s in SETTINGS)


def test_demo_free_defaults(home: Path) -> None:
    cfg = load_config(home, environ={})
    assert cfg.production_instance is None and cfg.baseline_instance is None


def test_an_empty_env_var_or_flag_clears_a_setting(home: Path) -> None:
    (home / "config.yaml").write_text(
        "baseline_instance: clean\nproduction_instance: prod\nllm_preset: ollama\n"
    )
    assert load_config(home, environ={}).production_instance == "prod"
    cleared = load_config(home, environ={"ONCALL_BASELINE": "", "ONCALL_LLM": " "})
    assert cleared.baseline_instance is None and cleared.llm_preset == "offline"  # back to the defaults
    assert cleared.production_instance == "prod"
    flag = load_config(home, environ={"ONCALL_PRODUCTION": "other"}, production_instance="")
    assert flag.production_instance is None
    assert load_config(home, environ={}, production_instance=None).production_instance == "prod"  # not given
