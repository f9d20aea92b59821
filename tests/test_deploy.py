"""deploy/docker-compose.yml (no Docker engine here): the services and settings it names are the ones
the bot reads, and they make one bot of N shards on one PostgreSQL with one shared models volume."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from animerec.bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
SETTING_NAMES = {field.validation_alias for field in Settings.model_fields.values()}


def interpolate(value: str) -> str:
    """Compose's ${VAR:?message} with stand-in values, as `docker compose` fills them from .env."""
    return re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", lambda m: f"test-{m.group(1).lower()}", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def bot_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if s.get("image") == "animerec"}


def environment(service: dict) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in service["environment"].items()}


def test_every_bot_setting_named_is_one_the_bot_reads(compose):
    bots = bot_services(compose)
    assert sorted(bots) == ["shard-0", "shard-1"]
    for service in bots.values():
        assert set(service["environment"]) <= SETTING_NAMES
        assert {"DISCORD_TOKEN", "DATABASE_URL", "ANIMEREC_SHARD_COUNT", "ANIMEREC_SHARD_IDS",
                "ANIMEREC_MODELS_DIR"} <= set(service["environment"])
        assert service["build"]["context"] == ".." and (COMPOSE.parent / ".." / "Dockerfile").resolve().exists()


def test_the_shards_are_one_bot_on_the_compose_postgres(compose, monkeypatch):
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    pg_env = {k: interpolate(str(v)) for k, v in postgres["environment"].items()}
    shards: list[int] = []
    for service in bot_services(compose).values():
        for key, value in environment(service).items():
            monkeypatch.setenv(key, value)
        settings = Settings(_env_file=None)  # what the bot in that container reads
        assert settings.on_postgres and settings.sharded and settings.model_poll_seconds > 0
        url = urlsplit(settings.database_url)
        assert url.hostname == "postgres" and url.port == 5432 and "postgres" in service["depends_on"]
        assert (url.username, url.password, url.path) == (
            pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"], f"/{pg_env['POSTGRES_DB']}")
        assert settings.shard_count == len(bot_services(compose))
        shards += settings.shard_ids
        for key in service["environment"]:
            monkeypatch.delenv(key)
    assert sorted(shards) == list(range(len(bot_services(compose))))  # every shard run once


def test_the_models_volume_is_shared_and_each_shard_has_its_own_data(compose):
    mounts = {name: dict(reversed(v.split(":", 1)) for v in s["volumes"]) for name, s in bot_services(compose).items()}
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ANIMEREC_DATA_DIR=/data" in dockerfile  # the data directory inside the image
    models = {m["/models"] for m in mounts.values()}
    data = [m["/data"] for m in mounts.values()]
    assert models == {"models"} and len(set(data)) == len(data)
    assert {s["environment"]["ANIMEREC_MODELS_DIR"] for s in bot_services(compose).values()} == {"/models"}
    assert set(compose["volumes"]) == {"pgdata", "models", *data}
    # The image installs the built wheel (not the source tree) with PostgreSQL's driver, and can write
    # the models volume.
    assert "pip wheel --no-deps" in dockerfile and '.whl)[postgres]"' in dockerfile
    assert "pip install -e" not in dockerfile and "mkdir -p /data /models" in dockerfile
    assert "asyncpg" in (ROOT / "pyproject.toml").read_text().split("postgres = [", 1)[1].split("]", 1)[0]
