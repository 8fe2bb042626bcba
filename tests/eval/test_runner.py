"""The runner's configuration of the temporary homes: nothing planted may leave the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("eval_stack")


def test_temporary_homes_ignore_a_configured_gms_and_slack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncall.eval.runner import EvalOptions, _config

    monkeypatch.setenv("ONCALL_CATALOG", "gms")
    monkeypatch.setenv("DATAHUB_GMS_URL", "http://datahub.example:8080")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.example/T000/B000/xyz")
    monkeypatch.setenv("ONCALL_PRODUCTION", "prod_copy")
    config = _config(tmp_path, EvalOptions(llm_preset="offline"))
    assert config.catalog == "lite" and config.lite_path.parent == tmp_path
    assert not config.slack_webhook_url
    assert (config.baseline_instance, config.production_instance) == ("olist_source", "olist_dirty")
    assert config.llm_preset == "offline"
