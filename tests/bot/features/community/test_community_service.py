"""When the community views count a server again: on SQLite after a write (this process sees them
all), on PostgreSQL after tally_seconds (other shards write too); past that, in the background; a small
server (under FRESH_BELOW members with ratings) afresh whenever a write may have changed it. And
what a hidden member adds to the figures every community command shows."""

import asyncio

import numpy as np
import pytest

from animerec.bot.features.community.service import FRESH_BELOW, Community
from animerec.bot.service import UserError
from animerec.recsys.algorithms.coldstart import CONTENT
from animerec.recsys.community import PRIVATE_MIN_MEMBERS, RARE_MEMBERS
from animerec.recsys.serving.rules import member_floor
from botkit import ALICE, BOB, CODE_GEASS, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE


class CountingStore:
    """A server of ``members`` members with ratings (by default as many as the tally window applies to)."""

    def __init__(self, dialect: str, members: int = FRESH_BELOW) -> None:
        self.dialect = dialect
        self.members = members
        self.commits = 0
        self.counts = 0

    async def guild_title_counts(self, guild_id: int, loved: float, disliked: float):
        self.counts += 1
        return [(1, False, 1, 1, 9.0, 9.0, 1)], {False: self.members}

    async def set_hidden(self, user_id: int, hidden: bool) -> None:
        self.commits += 1


def community(store: CountingStore, catalog, seconds: float) -> Community:
    c = Community(store, catalog, served=lambda: None)  # type: ignore[arg-type]
    c.tally_seconds = seconds
    return c


async def test_sqlite_counts_again_only_after_a_write(catalog):
    store = CountingStore("sqlite")
    c = community(store, catalog, 0)
    await c.server(7)
    await c.server(7)
    assert store.counts == 1  # nothing written: the count stands, however old
    store.commits += 1
    assert (await c.server(7)).tally.members == FRESH_BELOW and store.counts == 2


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_a_member_turning_hidden_is_counted_afresh_however_young_the_count(catalog, dialect):
    store = CountingStore(dialect)
    c = community(store, catalog, 30.0)
    first = await c.server(7)
    assert await c.server(7) is first  # a young count of a server with a tally window: kept
    await c.set_privacy(101, True)
    assert await c.server(7) is not first and store.counts == 2  # not a figure that still holds them


async def test_postgresql_counts_again_when_the_count_ages_out(catalog):
    store = CountingStore("postgresql")
    c = community(store, catalog, 0)
    await c.server(7)
    await c.server(7)
    assert store.counts == 2  # another shard may have written: commits here prove nothing


async def test_an_aged_count_is_served_while_a_new_one_runs_in_the_background(catalog):
    store = CountingStore("postgresql")
    c = community(store, catalog, 0.05)
    first = await c.server(7)
    assert await c.server(7) is first and store.counts == 1  # young: served as is
    await asyncio.sleep(0.06)
    assert await c.server(7) is first  # aged: still served at once...
    await asyncio.sleep(0.01)
    assert store.counts == 2 and await c.server(7) is not first  # ...while the recount replaced it
    await c.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_a_small_server_is_counted_afresh_after_a_write_however_young_its_count(catalog, dialect):
    store = CountingStore(dialect, members=FRESH_BELOW - 1)
    c = community(store, catalog, 30.0)
    first = await c.server(7)
    if dialect == "sqlite":  # no write: the count stands
        assert await c.server(7) is first and store.counts == 1
    store.commits += 1
    counts = store.counts
    assert await c.server(7) is not first and store.counts == counts + 1  # at once, not in the background
    store.members = FRESH_BELOW  # grown to where a count costs more: the window applies again
    store.commits += 1
    grown = await c.server(7)
    assert grown.tally.members == FRESH_BELOW and store.counts == counts + 2
    store.commits += 1
    assert await c.server(7) is grown and store.counts == counts + 2
    await c.close()


async def test_compare_offers_titles_both_would_rate_at_their_usual_score_or_better(service):
    # Two generous scorers (means 9.4 and 9.2): a title predicted 8 is below what either usually gives.
    mine = {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, FMA_BROTHERHOOD: 10.0, DEATH_NOTE: 9.0, CODE_GEASS: 9.0}
    theirs = {STEINS_GATE: 9.0, COWBOY_BEBOP: 10.0, FMA_BROTHERHOOD: 9.0, DEATH_NOTE: 9.0, 30: 9.0}
    await service.store.upsert_ratings(ALICE, mine)
    await service.store.upsert_ratings(BOB, theirs)
    result = await service.community.compare(1, ALICE, BOB, other_name="bob")
    assert result.together
    assert all(p >= member_floor(mine) and q >= member_floor(theirs) for _, p, q in result.together)


GUILD, VIEWER, HIDDEN = 7, 900, 901


@pytest.mark.parametrize("hidden, visible", [(1, 0), (1, 1), (1, PRIVATE_MIN_MEMBERS - 1), (PRIVATE_MIN_MEMBERS, 1)])
async def test_hidden_members_ratings_count_only_as_a_group_of_five(service, hidden, visible):
    """`hidden` hidden members who loved Steins;Gate (10) and `visible` visible ones who gave it 6. The viewer
    rated only Cowboy Bebop. Fewer than five hidden members are left out of every figure, however many
    visible members are in it (their 6s, which anyone reads, and the figure would give a 10 away); five count,
    as one group, unnamed."""
    community = service.community
    community.tally_seconds = 0
    secret = [HIDDEN + i for i in range(hidden)]
    others = [HIDDEN + 100 + i for i in range(visible)]
    for member in secret:
        await service.store.upsert_ratings(member, {STEINS_GATE: 10.0})
        await community.set_privacy(member, True)
    for member in others:
        await service.store.upsert_ratings(member, {STEINS_GATE: 6.0})
    await service.store.upsert_ratings(VIEWER, {COWBOY_BEBOP: 8.0})
    await community.seen(GUILD, VIEWER, *secret, *others)
    counted = hidden >= PRIVATE_MIN_MEMBERS
    anime = service.catalog.get(STEINS_GATE)

    score = await community.score(GUILD, VIEWER, anime)  # /score
    expected = [10.0] * (hidden * counted) + [6.0] * visible
    assert score.tally.given == score.tally.scored == len(expected)
    assert score.tally.mean == (sum(expected) / len(expected) if expected else None)
    assert score.tally.histogram[9] == hidden * counted and score.tally.histogram[5] == visible
    assert score.tally.loved_by == () and score.hidden_lovers == hidden * counted
    own = await community.score(GUILD, HIDDEN, anime)  # the hidden member's own rating is theirs to see
    assert own.tally.histogram[9] >= 1 and HIDDEN in own.tally.loved_by

    members = 1 + visible + hidden * counted  # the viewer has ratings too
    top = await community.server_top(GUILD, VIEWER)  # /server top
    assert top.members == members
    assert dict(top.top.most_watched).get(STEINS_GATE, 0) == len(expected)
    assert all(a != STEINS_GATE or n == len(expected) for a, _, n in top.top.favourites)
    assert all(a != STEINS_GATE for a, *_ in top.top.loved_here) or counted  # "loved here" only from five

    taste = await community.taste(GUILD, VIEWER, viewer_id=VIEWER, name="viewer")  # /taste: the server beside
    if members > 1:
        assert f"server: {members} member" in taste.picture.subtitle
    else:  # the hidden member not counted, the viewer is the server's only member with ratings
        assert "the server's only member with ratings" in taste.picture.subtitle and taste.alone
    # The hidden member's own /taste: set beside the server when a visible member rated (it does not count them).
    mine = await community.taste(GUILD, HIDDEN, viewer_id=HIDDEN, name="h")
    assert not mine.alone
    tally = await community.tally(GUILD)
    i = tally.index_of(STEINS_GATE)
    assert (int(tally.given[i]) if i is not None else 0) == len(expected)
    assert (float(tally.score_sum[i]) if i is not None else 0.0) == sum(expected)

    for look in (community.taste(GUILD, HIDDEN, viewer_id=VIEWER, name="h"),  # /taste and /compare: never
                 community.compare(GUILD, VIEWER, HIDDEN, other_name="h")):
        with pytest.raises(UserError, match="keeps their taste private"):
            await look


async def test_score_says_where_a_prediction_that_names_no_title_comes_from(service, monkeypatch):
    """A trained title's prediction is the members'; a title without interactions says its vector's source,
    and whether its bias came from its MyAnimeList score; one the model does not serve yet is the prior."""
    await service.store.upsert_ratings(VIEWER, {COWBOY_BEBOP: 8.0, STEINS_GATE: 9.0})
    served = service.community.served()
    cold = served.model.cold
    rows = np.flatnonzero(cold.source == CONTENT)
    with_score, without = rows[cold.scored[rows]][0], rows[~cold.scored[rows]][0]
    trained = await service.community.score(GUILD, VIEWER, service.catalog.get(DEATH_NOTE))
    assert trained.source is None and not trained.scored
    for row, scored in ((with_score, True), (without, False)):
        new = await service.community.score(GUILD, VIEWER, service.catalog.get(int(cold.anime_ids[row])))
        assert new.source == "content" and new.scored == scored
        assert new.predicted is not None and new.because is None
    monkeypatch.setattr(served, "index_of", lambda anime_id: None)  # as for a title added since the last retrain
    unserved = await service.community.score(GUILD, VIEWER, service.catalog.get(int(cold.anime_ids[with_score])))
    assert unserved.source == "prior" and not unserved.scored


async def test_taste_sets_a_member_beside_the_server_only_once_someone_else_has_rated(service):
    """Bob's first ratings come seconds after Alice's /taste, well inside the tally window (TALLY_SECONDS)."""
    community = service.community
    await service.store.upsert_ratings(ALICE, {STEINS_GATE: 10.0, DEATH_NOTE: 9.0, CODE_GEASS: 8.0})
    await community.seen(GUILD, ALICE)
    alone = await community.taste(GUILD, ALICE, viewer_id=ALICE, name="alice")
    assert alone.alone and alone.picture.server_place is None and alone.picture.server_shares == ()
    assert alone.picture.member_shares and "only member with ratings" in alone.picture.subtitle
    await service.store.upsert_ratings(BOB, {COWBOY_BEBOP: 9.0, FMA_BROTHERHOOD: 8.0})
    await community.seen(GUILD, BOB)
    beside = await community.taste(GUILD, ALICE, viewer_id=ALICE, name="alice")
    assert not beside.alone and beside.picture.server_place is not None
    assert len(beside.picture.server_shares) == len(beside.picture.genres)
    assert "server: 2 members with ratings" in beside.picture.subtitle


async def test_a_member_whose_only_titles_the_catalog_does_not_know_yet_has_no_taste_to_show(service):
    """An import keeps the titles the catalog does not know yet; drawn from those alone, /taste said they had
    scored nothing above 4 and /compare that two members were 50% alike."""
    community = service.community
    await service.store.upsert_ratings(HIDDEN, {99_999_991: 9.0, 99_999_992: 10.0})
    await service.store.upsert_ratings(VIEWER, {COWBOY_BEBOP: 8.0})
    with pytest.raises(UserError, match="Rate a few titles first"):
        await community.taste(GUILD, HIDDEN, viewer_id=HIDDEN, name="h")
    with pytest.raises(UserError, match="h hasn't rated anything yet"):
        await community.compare(GUILD, VIEWER, HIDDEN, other_name="h")
    assert await service.store.rating_map(HIDDEN, service.catalog) == {}
    assert len(await service.store.rating_map(HIDDEN)) == 2  # kept, to count once the catalog knows them


async def test_two_members_who_scored_the_same_titles_10_and_1_are_not_said_to_be_alike(service):
    """The taste vectors are folded in from what each member liked: from every title given, the same three
    titles scored 10 and 1 made the pair 62% alike."""
    community = service.community
    titles = (COWBOY_BEBOP, STEINS_GATE, DEATH_NOTE)
    await service.store.upsert_ratings(VIEWER, dict.fromkeys(titles, 10.0))
    await service.store.upsert_ratings(HIDDEN, dict.fromkeys(titles, 1.0))
    result = await community.compare(GUILD, VIEWER, HIDDEN, other_name="h")
    assert result.affinity.agreement == 0.0 and result.affinity.taste == 0.5  # they liked nothing of it
    assert result.affinity.score < 0.35


async def test_loved_here_rare_elsewhere_counts_myanimelist_members_of_new_titles_too(service, catalog):
    # Frieren (2023) has no share of the 2016 training sample, but a million MyAnimeList members: not rare. A
    # TV series with about 100,000 is.
    frieren, rare = 52991, min((a.anime_id for a in catalog if a.type == "TV" and not a.is_adult and a.members),
                               key=lambda a: abs(catalog.members_now([a])[0] - 100_000))
    assert catalog.members_now([frieren])[0] >= RARE_MEMBERS > catalog.members_now([rare])[0]
    for member in (ALICE, BOB):
        await service.store.upsert_ratings(member, {frieren: 10.0, rare: 10.0})
        await service.community.seen(GUILD, member)
    top = await service.community.server_top(GUILD, ALICE)
    assert [a for a, *_ in top.top.loved_here] == [rare]


async def test_a_count_older_than_stale_at_most_is_counted_again_before_it_is_served(catalog):
    # With PostgreSQL another shard may have turned a member hidden: an hours-old count is not served once more.
    store = CountingStore("postgresql")
    c = community(store, catalog, 0.01)
    c.stale_at_most = 0.05
    first = await c.server(7)
    await asyncio.sleep(0.06)
    assert await c.server(7) is not first and store.counts == 2  # counted in the foreground
    await c.close()


async def test_a_count_begun_before_a_member_turned_hidden_is_never_kept(catalog):
    class SlowStore(CountingStore):
        async def guild_title_counts(self, guild_id, loved, disliked):
            await asyncio.sleep(0.05)  # the member turns hidden while this count reads the ratings
            return await super().guild_title_counts(guild_id, loved, disliked)

    store = SlowStore("sqlite")
    c = community(store, catalog, 30.0)
    counting = asyncio.create_task(c.server(7))
    await asyncio.sleep(0.01)
    await c.set_privacy(101, True)
    await counting
    await c.server(7)
    assert store.counts == 2  # the count that began before the change was not kept for the next ask


async def test_taste_says_when_the_titles_a_member_liked_have_no_genres_listed(service, catalog):
    bare = [a.anime_id for a in catalog if not a.genres and a.type == "Movie" and not a.is_adult][:3]
    assert len(bare) == 3
    await service.store.upsert_ratings(ALICE, {a: 9.0 for a in bare})
    taste = await service.community.taste(GUILD, ALICE, viewer_id=ALICE, name="you")
    assert taste.liked_without_genres and taste.picture.liked_without_genres and not taste.profile.genres
