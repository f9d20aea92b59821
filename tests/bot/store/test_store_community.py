"""The store's community tables: servers' members, privacy, parties and their confirmations, and the
migration that adds them to a database of the release before; on SQLite and PostgreSQL alike."""

from animerec.bot.store.store import SCHEMA_VERSION, Store, group_key, group_members

ALICE, BOB, CAROL = 101, 102, 103
STEINS_GATE, COWBOY_BEBOP = 9253, 1


async def test_a_database_from_before_the_community_tables_is_migrated_and_keeps_its_ratings(database):
    store = await Store.open(database)

    def second_release(db):  # schema 2: no community tables
        for table in ("guild_members", "member_privacy", "parties", "party_watched"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP INDEX ratings_by_anime")
        db.execute("DELETE FROM schema_version WHERE version > 2")

    await store._write(second_release)
    await store.upsert_ratings(ALICE, {STEINS_GATE: 9.0})
    await store.close()
    store = await Store.open(database)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 3
        await store.add_guild_members(7, [ALICE])
        assert await store.guild_title_ratings(7, STEINS_GATE) == [(ALICE, 9.0, False)]
    finally:
        await store.close()


async def test_server_counts_cover_its_members_only(database):
    store = await Store.open(database)
    try:
        await store.upsert_ratings(ALICE, {STEINS_GATE: 10.0, COWBOY_BEBOP: -1.0})
        await store.upsert_ratings(BOB, {STEINS_GATE: 7.0})
        await store.upsert_ratings(CAROL, {STEINS_GATE: 9.0})  # in another server
        await store.add_guild_members(7, [ALICE, BOB])
        await store.add_guild_members(7, [ALICE])  # again: no error, no duplicate
        await store.add_guild_members(8, [CAROL])
        rows, members = await store.guild_title_counts(7, 9.0)
        assert members == 2
        assert rows == [(COWBOY_BEBOP, 1, 0, 0.0, 0), (STEINS_GATE, 2, 2, 17.0, 1)]
        await store.set_hidden(BOB, True)
        assert sorted(await store.guild_title_ratings(7, STEINS_GATE)) == [(ALICE, 10.0, False), (BOB, 7.0, True)]
        await store.remove_guild_member(7, BOB)
        assert await store.guild_member_ids(7) == {ALICE} and CAROL in await store.guild_member_ids(8)
    finally:
        await store.close()


async def test_watched_confirmations_mark_the_title_once_and_keep_a_score(database):
    store = await Store.open(database)
    try:
        assert group_key([BOB, ALICE, BOB]) == f",{ALICE},{BOB},"
        await store.upsert_ratings(BOB, {COWBOY_BEBOP: 8.0})
        await store.open_party_picks(55, [ALICE, BOB], [COWBOY_BEBOP, STEINS_GATE])
        assert await store.party(55) == (group_key([ALICE, BOB]), [COWBOY_BEBOP, STEINS_GATE])
        assert group_members((await store.party(55))[0]) == {ALICE, BOB}
        assert await store.confirm_watched(55, ALICE, COWBOY_BEBOP) is True
        assert await store.confirm_watched(55, ALICE, COWBOY_BEBOP) is False
        assert await store.confirm_watched(55, BOB, COWBOY_BEBOP) is True
        assert await store.rating_map(ALICE) == {COWBOY_BEBOP: -1.0}  # watched, no score
        assert await store.rating_map(BOB) == {COWBOY_BEBOP: 8.0}  # his score stands
        [(anime, confirmed, _)] = await store.watched_by_group([BOB, ALICE])
        assert (anime, confirmed) == (COWBOY_BEBOP, 2)
        assert await store.watched_by_group([ALICE]) == []  # another group

        await store.set_hidden(ALICE, True)
        await store.add_guild_members(7, [ALICE])
        await store.forget(ALICE)
        assert await store.party(55) is None and await store.watched_by_group([ALICE, BOB]) == []
        assert await store.guild_member_ids(7) == set() and not await store.is_hidden(ALICE)
    finally:
        await store.close()
