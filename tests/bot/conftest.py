import shutil
from pathlib import Path

import pytest
from pgserver import PostgresServer, find_binaries

from animerec.bot import create_bot
from animerec.bot.service import Service
from animerec.bot.settings import Settings
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Catalog

# botkit's helpers assert too (user_errors): their failures read like the tests' own.
pytest.register_assert_rewrite("botkit")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def data_dir(tmp_path, small_models_root) -> Path:
    """A bot data directory holding its own copy of the session's model (tests/conftest.py), so a test may
    corrupt or replace it."""
    shutil.copytree(small_models_root, tmp_path / "data" / "models")
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir) -> Settings:
    return Settings(data_dir=data_dir, discord_token=None, train_config="small", _env_file=None)


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (tests/pgserver.py), stopped at its end whatever happened."""
    bindir = find_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb, pg_ctl and postgres are not installed: "
                    "the store's PostgreSQL tests need them (apt-get install postgresql)")
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path):
    """What Store.open takes, for each backend: the data directory's SQLite file (the one data_dir's
    bot would use), or a fresh database on the session's PostgreSQL server, dropped afterwards."""
    if request.param == "sqlite":
        yield tmp_path / "data" / "animerec.sqlite3"
        return
    server = request.getfixturevalue("postgres_server")
    url = await server.create_database()
    try:
        yield url
    finally:
        await server.drop_database(url)


@pytest.fixture
async def service(data_dir, catalog, database):
    store = await Store.open(database)
    service = Service(store, catalog, data_dir, train_config="small")
    await service.start()
    yield service
    await service.close()


@pytest.fixture
async def simcord_bot(settings, catalog):
    bot = create_bot(settings, catalog=catalog)
    yield bot
    # simcord detaches the bot without closing it. Left to garbage collection, the store's
    # aiosqlite thread (not a daemon) outlives a failed test, whose traceback keeps the bot
    # alive: pytest would then never exit.
    await bot.close()


@pytest.fixture
def world(simcord_env):
    """A server with a text channel and one member, alice: (guild, channel, alice)."""
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("anime")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return guild, channel, alice
