"""The store's schema migrations, on SQLite and PostgreSQL alike: applied once, and a database from before
watch-party votes brought up to date with its ratings."""

import pytest

from animerec.bot.store.store import SCHEMA_VERSION, Store
from botkit import ALICE, STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_schema_is_migrated_once(database):
    path = database
    for _ in range(2):  # reopening finds the schema current and applies nothing twice
        store = await Store.open(path)
        assert await store.schema_version() == SCHEMA_VERSION
        await store.close()


async def test_a_database_from_before_watch_party_votes_is_migrated(database):
    path = database
    store = await Store.open(path)
    def first_release(db):  # as the first release left it: schema 1, no party_votes
        for table in ("party_votes", "guild_members", "member_privacy", "parties", "party_watched"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP INDEX ratings_by_anime")
        db.execute("DELETE FROM schema_version WHERE version > 1")

    await store._write(first_release)
    await store.upsert_ratings(ALICE, {STEINS_GATE: 9.0})
    await store.close()
    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 3
        await store.open_party(1, [ALICE])
        assert await store.vote(1, ALICE, 1) and await store.party_tally(1) == {1: 1}
        assert await store.rating_map(ALICE) == {STEINS_GATE: 9.0}
    finally:
        await store.close()
