"""Watch parties (animerec.bot.store.watchparty), on SQLite and PostgreSQL alike: votes, and the
confirmations of what a group watched."""

import pytest

from animerec.bot.store import Store, group_key, group_members

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly
STEINS_GATE, COWBOY_BEBOP = 9253, 1


async def test_watch_party_votes_move_and_count_party_members_only(store):
    await store.open_party(2**60, [ALICE, BOB])
    assert await store.vote(2**60, ALICE, 3) and await store.vote(2**60, BOB, 3)
    assert await store.vote(2**60, BOB, 1)  # moved
    assert not await store.vote(2**60, 5, 1)  # not in the party
    assert await store.party_tally(2**60) == {1: 1, 3: 1}


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
