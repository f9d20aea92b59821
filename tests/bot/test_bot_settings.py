"""The settings (settings.py): validation, defaults, and .env.example naming each one."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from animerec.bot.settings import Settings

pytestmark = pytest.mark.timeout(60)


def test_settings_reject_a_bad_cron_and_default_to_nightly(monkeypatch):
    monkeypatch.setenv("ANIMEREC_RETRAIN_CRON", "every night please")
    with pytest.raises(ValidationError, match="ANIMEREC_RETRAIN_CRON"):
        Settings(_env_file=None)
    monkeypatch.delenv("ANIMEREC_RETRAIN_CRON")
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    settings = Settings(_env_file=None)
    assert settings.retrain_cron == "0 4 * * *" and settings.discord_token is None
    assert (settings.retrain_cooldown, settings.import_cooldown) == (600, 60)


def test_the_catalog_refresh_is_weekly_by_default_and_its_cron_is_checked(monkeypatch, tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.catalog_cron == "30 3 * * 1" and settings.catalog_overlay_dir == tmp_path / "catalog"
    monkeypatch.setenv("ANIMEREC_CATALOG_CRON", "weekly")
    with pytest.raises(ValidationError, match="ANIMEREC_CATALOG_CRON"):
        Settings(_env_file=None)


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
    assert len(names) == 14 and all(f"\n{name}=" in example for name in names)
