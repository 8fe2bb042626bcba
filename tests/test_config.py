from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from oncall.config import SETTINGS, Config, load_config
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


def test_the_settings_table_is_the_config_fields() -> None:
    # SETTINGS is read from Config: every setting is a typed field, and every field but the three
    # bookkeeping ones is a setting, with the field's own annotation and default.
    hints = typing.get_type_hints(Config)
    fields = {f.name: f for f in dataclasses.fields(Config)}
    assert set(fields) - {s.name for s in SETTINGS} == {"home", "environ", "given"}
    for s in SETTINGS:
        assert hints[s.name] != typing.Any and str(fields[s.name].type) == s.type
        assert getattr(load_config(environ={}), s.name) == s.default
    assert hints["production_instance"] == (str | None) and hints["gms_timeout_s"] is float


def test_mypy_sees_each_setting_with_its_type(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed; install the test extra: pip install -e '.[test]'")
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing_extensions import assert_type\n"
        "from oncall.config import load_config\n"
        "config = load_config()\n"
        "assert_type(config.production_instance, str | None)\n"
        "assert_type(config.gms_timeout_s, float)\n"
        "assert_type(config.mcp_allow_writes, bool)\n"
        "config.production_instanse\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", str(probe)],
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root / "src")},  # this checkout's package, not an install
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    # The misspelt setting is the only error: no `Any` from a __getattr__ hides it, and the types hold.
    assert len(errors) == 1 and "production_instanse" in errors[0], proc.stdout + proc.stderr


def test_file_values_are_checked_against_the_declared_types(home: Path) -> None:
    config_file = home / "config.yaml"
    config_file.write_text("gms_timeout_s: '2.5'\nllm_local_port: '9000'\nmcp_allow_writes: 'yes'\n")
    config = load_config(home, environ={})
    assert (config.gms_timeout_s, config.llm_local_port, config.mcp_allow_writes) == (2.5, 9000, True)
    config_file.write_text("gms_timeout_s: 3\n")
    assert isinstance(load_config(home, environ={}).gms_timeout_s, float)
    for text, message in [
        ("production_instance: 2024\n", "production_instance must be text, not 2024"),
        ("gms_timeout_s: soon\n", "gms_timeout_s='soon' is not a number"),
        ("llm_local_port: true\n", "llm_local_port must be a whole number, not True"),
        ("warehouses: [prod]\n", "warehouses must be a mapping"),
    ]:
        config_file.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_config(home, environ={})
    config_file.unlink()
    with pytest.raises(ConfigError, match="llm must be a mapping"):  # a flag's value too
        load_config(home, environ={}, llm=["detective"])


def test_a_null_in_the_file_clears_a_setting(home: Path) -> None:
    (home / "config.yaml").write_text("llm_preset:\nslack_api_url: ''\n")
    config = load_config(home, environ={})
    assert config.llm_preset == "offline" and config.slack_api_url == "https://slack.com/api"


def test_fallbacks_fill_only_what_nobody_set(home: Path) -> None:
    demo = {"baseline_instance": "clean", "production_instance": "prod"}
    assert load_config(home, environ={}).with_fallbacks(demo).production_instance == "prod"
    cleared = load_config(home, environ={"ONCALL_BASELINE": ""}, production_instance="mine")
    filled = cleared.with_fallbacks(demo)
    assert filled.baseline_instance is None and filled.production_instance == "mine"
    with pytest.raises(ConfigError, match="unknown setting"):
        cleared.with_fallbacks({"prod": "x"})


def test_secrets_stay_out_of_the_repr(home: Path) -> None:
    env = {"DATAHUB_GMS_TOKEN": "gms-s3cr3t", "ONCALL_TOKEN": "api-s3cr3t", "SLACK_BOT_TOKEN": "xoxb-1"}
    shown = repr(load_config(home, environ=env))
    assert "s3cr3t" not in shown and "xoxb" not in shown and "home=" in shown
