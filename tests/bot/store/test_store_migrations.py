"""The schema (animerec.bot.store.migrations), on SQLite and PostgreSQL alike: a database is migrated
once, whichever release created it, and keeps its members' data; a newer schema is refused; TABLES
names every table and column."""

import asyncio

import pytest

from animerec.bot.store import SCHEMA_VERSION, SQLITE, Store
from animerec.bot.store.migrations import TABLES
from botkit import STEINS_GATE

pytestmark = pytest.mark.timeout(60)

ALICE = 101


async def test_schema_is_migrated_once(database):
    path = database
    for _ in range(2):  # reopening finds the schema current and applies nothing twice
        store = await Store.open(path)
        assert await store.schema_version() == SCHEMA_VERSION
        await store.close()


COMMUNITY_TABLES = ("guild_members", "member_privacy", "parties", "party_watched")  # schema 3's


async def as_released(database, schema: int, later_tables: tuple[str, ...]) -> None:
    """Leave database as the release at `schema` did, without the tables and index later migrations
    added, holding one rating of Alice's."""
    store = await Store.open(database)

    def earlier_release(db):
        for table in later_tables:
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP INDEX ratings_by_anime")
        db.execute("DELETE FROM schema_version WHERE version > ?", (schema,))

    await store._write(earlier_release)
    await store.upsert_ratings(ALICE, {STEINS_GATE: 9.0})
    await store.close()


async def test_a_database_from_before_watch_party_votes_is_migrated(database):
    await as_released(database, 1, ("party_votes", *COMMUNITY_TABLES))  # the first release
    store = await Store.open(database)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 3
        await store.open_party(1, [ALICE])
        assert await store.vote(1, ALICE, 1) and await store.party_tally(1) == {1: 1}
        assert await store.rating_map(ALICE) == {STEINS_GATE: 9.0}
    finally:
        await store.close()


async def test_a_database_from_before_the_community_tables_is_migrated_and_keeps_its_ratings(database):
    await as_released(database, 2, COMMUNITY_TABLES)
    store = await Store.open(database)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 3
        await store.add_guild_members(7, [ALICE])
        assert await store.guild_title_ratings(7, STEINS_GATE) == [(ALICE, 9.0, False)]
    finally:
        await store.close()


async def test_stores_opened_at_once_migrate_once(database):
    stores = await asyncio.gather(*(Store.open(database) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [SCHEMA_VERSION] * 4
        assert await stores[0]._all("SELECT version FROM schema_version ORDER BY version") == [
            (v,) for v in range(1, SCHEMA_VERSION + 1)]
    finally:
        for s in stores:
            await s.close()


async def test_a_newer_schema_is_refused(database):
    store = await Store.open(database)
    await store._write(lambda db: db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,)))
    await store.close()
    with pytest.raises(RuntimeError, match=f"schema {SCHEMA_VERSION + 1} is newer than this bot"):
        await Store.open(database)


async def test_tables_names_every_table_and_column(store):
    if store.dialect == SQLITE:
        rows = await store._all(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND m.name NOT IN ('schema_version', 'sqlite_sequence')")
    else:
        rows = await store._all("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = 'public' AND table_name <> 'schema_version'")
    assert {(t, c) for t, c in rows} == {(t, c) for t, cols in TABLES.items() for c in cols}
