"""The nightly command's early start of Prefect's ephemeral server launches nothing when a real server may be
configured (the server itself, launched and handed to Prefect, is exercised by the nightly command's tests)."""

from __future__ import annotations

import subprocess

from govreports.runs import prefect_env


def test_no_early_server_when_an_api_url_or_a_profile_may_name_one(tmp_path, monkeypatch):
    launched = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: launched.append(a))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    prefect_env.start_ephemeral_server()()
    monkeypatch.delenv("PREFECT_API_URL")
    (tmp_path / "profiles.toml").write_text("active = 'x'\n", encoding="utf-8")
    prefect_env.start_ephemeral_server()()
    assert launched == []
