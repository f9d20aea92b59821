"""The heartbeat behind the Docker HEALTHCHECK, and settings validation."""

import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from animerec.bot.app import health
from animerec.bot.settings import Settings

pytestmark = pytest.mark.timeout(60)


async def test_heartbeat_is_fresh_only_while_connected(simcord_env, settings):
    path = settings.heartbeat_path
    assert simcord_env.bot.connected and health.check(path)[0]
    await simcord_env.bot.on_disconnect()
    assert not path.exists() and not health.check(path)[0]


@pytest.mark.parametrize("event", ["on_resumed", "on_ready"])
async def test_heartbeat_is_written_as_soon_as_the_gateway_is_back(simcord_env, settings, event):
    bot, path = simcord_env.bot, settings.heartbeat_path
    await bot.on_disconnect()
    await getattr(bot, event)()  # a resume, or a fresh session after a failed resume
    ok, why = health.check(path)
    assert bot.connected and ok and why.startswith("connected"), why


def test_stale_heartbeat_is_unhealthy(tmp_path):
    path = tmp_path / "heartbeat"
    health.beat(path)
    old = time.time() - health.MAX_AGE - 1
    os.utime(path, (old, old))
    ok, why = health.check(path)
    assert not ok and "not connected" in why


def test_settings_reject_a_bad_cron_and_default_to_nightly(monkeypatch):
    monkeypatch.setenv("ANIMEREC_RETRAIN_CRON", "every night please")
    with pytest.raises(ValidationError, match="ANIMEREC_RETRAIN_CRON"):
        Settings(_env_file=None)
    monkeypatch.delenv("ANIMEREC_RETRAIN_CRON")
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    settings = Settings(_env_file=None)
    assert settings.retrain_cron == "0 4 * * *" and settings.discord_token is None
    assert (settings.retrain_cooldown, settings.import_cooldown) == (600, 60)


def test_cooldowns_are_configurable(monkeypatch):
    monkeypatch.setenv("ANIMEREC_RETRAIN_COOLDOWN", "1800")
    monkeypatch.setenv("ANIMEREC_IMPORT_COOLDOWN", "0")
    settings = Settings(_env_file=None)
    assert (settings.retrain_cooldown, settings.import_cooldown) == (1800, 0)
    monkeypatch.setenv("ANIMEREC_IMPORT_COOLDOWN", "-1")
    with pytest.raises(ValidationError, match="ANIMEREC_IMPORT_COOLDOWN"):
        Settings(_env_file=None)


def test_env_example_documents_every_setting():
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    names = [field.validation_alias for field in Settings.model_fields.values()]
    assert len(names) == 13 and all(f"\n{name}=" in example for name in names)
