"""Settings from the environment or a .env file (see .env.example for every variable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from animerec.bot.store.backends import POSTGRES_SCHEMES
from animerec.recsys.lifecycle.meta import CONFIG_NAMES, DEFAULT_CONFIG
from animerec.recsys.lifecycle.overlay import overlay_dir_in

# Seconds between two /admin retrain (across all servers), and between two /import of one member: the
# defaults of the settings below, and of the service built without settings.
RETRAIN_COOLDOWN = 600
IMPORT_COOLDOWN = 60


def models_dir_in(data_dir: Path) -> Path:
    """Where published models live unless ANIMEREC_MODELS_DIR names another directory."""
    return data_dir / "models"


class Settings(BaseSettings):
    # env_ignore_empty: "ANIMEREC_GUILD_ID=" as in .env.example means unset, not an invalid id.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True)

    discord_token: str | None = Field(None, validation_alias="DISCORD_TOKEN")
    data_dir: Path = Field(Path("var"), validation_alias="ANIMEREC_DATA_DIR")
    guild_id: int | None = Field(None, validation_alias="ANIMEREC_GUILD_ID")
    retrain_cron: str = Field("0 4 * * *", validation_alias="ANIMEREC_RETRAIN_CRON")
    # When the catalog fetches new titles from AniList (weekly: a season's list changes slowly).
    catalog_cron: str = Field("30 3 * * 1", validation_alias="ANIMEREC_CATALOG_CRON")
    # SMALL_CONFIG trains a seconds-long model: for smoke runs and tests, not for members.
    train_config: str = Field(DEFAULT_CONFIG, validation_alias="ANIMEREC_TRAIN_CONFIG")
    retrain_cooldown: int = Field(RETRAIN_COOLDOWN, ge=0, validation_alias="ANIMEREC_RETRAIN_COOLDOWN")
    import_cooldown: int = Field(IMPORT_COOLDOWN, ge=0, validation_alias="ANIMEREC_IMPORT_COOLDOWN")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    # Unset: SQLite in the data directory. postgresql://user:password@host:5432/db for several processes.
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    # Where published models live, shared by every process; unset: models_dir_in(data_dir) (see models_dir).
    models_dir_override: Path | None = Field(None, validation_alias="ANIMEREC_MODELS_DIR")
    # Sharding (discord.py AutoShardedBot): the shard count of the whole bot, and this process's shards.
    shard_count: int | None = Field(None, ge=1, validation_alias="ANIMEREC_SHARD_COUNT")
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(None, validation_alias="ANIMEREC_SHARD_IDS")
    # Seconds between two looks at the published model, to serve one another process trained; 0: never.
    # Default: 5 when several processes may share the models (sharded, or on PostgreSQL), else 0.
    model_poll: float | None = Field(None, ge=0, validation_alias="ANIMEREC_MODEL_POLL")

    @field_validator("retrain_cron", "catalog_cron")
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

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part) or None
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("ANIMEREC_SHARD_IDS needs ANIMEREC_SHARD_COUNT (the shard count of the whole bot)")
            wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if wrong or len(set(self.shard_ids)) != len(self.shard_ids):
                raise ValueError(f"ANIMEREC_SHARD_IDS must be distinct numbers from 0 to {self.shard_count - 1}; "
                                 f"got {','.join(map(str, self.shard_ids))}")
        return self

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def database(self) -> Path | str:
        """What the store opens: DATABASE_URL, or the SQLite file in the data directory."""
        return self.database_url or self.db_path

    @property
    def on_postgres(self) -> bool:
        return self.database_url is not None and self.database_url.split(":", 1)[0].lower() in POSTGRES_SCHEMES

    @property
    def model_poll_seconds(self) -> float:
        if self.model_poll is not None:
            return self.model_poll
        return 5.0 if self.sharded or self.on_postgres else 0.0

    @property
    def db_path(self) -> Path:
        return self.data_dir / "animerec.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.models_dir_override or models_dir_in(self.data_dir)

    @property
    def catalog_overlay_dir(self) -> Path:
        """Titles fetched since the bundled catalog (animerec.recsys.lifecycle.overlay); shared by every process."""
        return overlay_dir_in(self.data_dir)

    @property
    def heartbeat_path(self) -> Path:
        # One file per process: shard processes may share a data directory.
        if self.shard_ids is not None:
            return self.data_dir / f"heartbeat-shards-{'-'.join(map(str, self.shard_ids))}"
        return self.data_dir / "heartbeat"
