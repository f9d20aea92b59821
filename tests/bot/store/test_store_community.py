"""The community's tables (animerec.bot.store.community): servers' members and privacy, on SQLite
and PostgreSQL alike."""

from animerec.bot.store import Store

ALICE, BOB, CAROL = 101, 102, 103
STEINS_GATE, COWBOY_BEBOP = 9253, 1


async def test_server_counts_cover_its_members_only(database):
    store = await Store.open(database)
    try:
        await store.upsert_ratings(ALICE, {STEINS_GATE: 10.0, COWBOY_BEBOP: -1.0})
        await store.upsert_ratings(BOB, {STEINS_GATE: 7.0, COWBOY_BEBOP: 3.0})
        await store.upsert_ratings(CAROL, {STEINS_GATE: 9.0})  # in another server
        await store.add_guild_members(7, [ALICE, BOB])
        await store.add_guild_members(7, [ALICE])  # again: no error, no duplicate
        await store.add_guild_members(8, [CAROL])
        rows, members = await store.guild_title_counts(7, 9.0, 4.0)
        assert members == {False: 2}
        # Cowboy Bebop: Alice watched it, Bob gave it 3 (a score, not one liked: above 4 only in the liked sum).
        assert rows == [(COWBOY_BEBOP, False, 2, 1, 3.0, 0.0, 0), (STEINS_GATE, False, 2, 2, 17.0, 17.0, 1)]
        await store.set_hidden(BOB, True)
        rows, members = await store.guild_title_counts(7, 9.0, 4.0)  # hidden members' counts apart
        assert members == {False: 1, True: 1}
        assert rows == [(COWBOY_BEBOP, False, 1, 0, 0.0, 0.0, 0), (COWBOY_BEBOP, True, 1, 1, 3.0, 0.0, 0),
                        (STEINS_GATE, False, 1, 1, 10.0, 10.0, 1), (STEINS_GATE, True, 1, 1, 7.0, 7.0, 0)]
        assert sorted(await store.guild_title_ratings(7, STEINS_GATE)) == [(ALICE, 10.0, False), (BOB, 7.0, True)]
        await store.remove_guild_member(7, BOB)
        assert await store.guild_member_ids(7) == {ALICE} and CAROL in await store.guild_member_ids(8)
    finally:
        await store.close()
