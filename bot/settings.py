"""Settings from the environment or a .env file (see .env.example for every variable)."""

from __future__ import annotations

from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from recsys.meta import CONFIG_NAMES, DEFAULT_CONFIG


class Settings(BaseSettings):
    # env_ignore_empty: "ANIMEREC_GUILD_ID=" as in .env.example means unset, not an invalid id.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True)

    discord_token: str | None = Field(None, validation_alias="DISCORD_TOKEN")
    data_dir: Path = Field(Path("var"), validation_alias="ANIMEREC_DATA_DIR")
    guild_id: int | None = Field(None, validation_alias="ANIMEREC_GUILD_ID")
    retrain_cron: str = Field("0 4 * * *", validation_alias="ANIMEREC_RETRAIN_CRON")
    # SMALL_CONFIG trains a seconds-long model: for smoke runs and tests, not for members.
    train_config: str = Field(DEFAULT_CONFIG, validation_alias="ANIMEREC_TRAIN_CONFIG")
    # Seconds between two /admin retrain (across all servers), and between two /import of one member.
    retrain_cooldown: int = Field(600, ge=0, validation_alias="ANIMEREC_RETRAIN_COOLDOWN")
    import_cooldown: int = Field(60, ge=0, validation_alias="ANIMEREC_IMPORT_COOLDOWN")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")

    @field_validator("retrain_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        CronTrigger.from_crontab(value)  # raises ValueError with the reason
        return value

    @field_validator("train_config")
    @classmethod
    def _known_config(cls, value: str) -> str:
        if value not in CONFIG_NAMES:
            raise ValueError(f"use one of {', '.join(CONFIG_NAMES)}")
        return value

    @field_validator("discord_token")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "animerec.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def heartbeat_path(self) -> Path:
        return self.data_dir / "heartbeat"
