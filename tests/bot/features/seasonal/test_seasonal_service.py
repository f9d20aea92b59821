"""/seasonal's service (features/seasonal/service.py) on the planted catalog of tests/coldkit.py: spring
2026 has 1030 (franchise B's new season), summer 2026 has 1020 (block 1's genres) and 1023, fall 2026
has 1021 (block 0's); the trained titles aired in the spring of 2001-2010."""

import asyncio
from datetime import date

import coldkit
import pytest

from animerec.bot.features.seasonal.render import seasonal_embed
from animerec.bot.features.seasonal.service import Seasonal
from animerec.bot.service import UserError
from animerec.bot.store import Store

pytestmark = pytest.mark.timeout(60)
FAN, NEWCOMER, NOBODY, BEHIND = 1, 2, 3, 4


class Holder:
    """The one thing the service asks of the model holder: the served model of the moment."""

    def __init__(self, served):
        self._served = served

    def served(self):
        return self._served

    async def ranked(self, work, *args, **kwargs):
        return await asyncio.to_thread(work, *args, **kwargs)


@pytest.fixture(scope="module")
def planted():
    return coldkit.cold_plant()


@pytest.fixture
async def seasonal(planted, tmp_path):
    served, catalog = planted
    store = await Store.open(tmp_path / "animerec.sqlite3")
    await store.upsert_ratings(FAN, {1010: 9.0, 1011: 9.0, 1020: 8.0})
    await store.upsert_ratings(NEWCOMER, {1015: 8.0, 1016: 9.0})
    await store.upsert_ratings(BEHIND, {1010: 9.0, 1015: 8.0})
    yield Seasonal(store, catalog, Holder(served))
    await store.close()


async def test_the_default_is_the_season_airing_today(seasonal):
    result = await seasonal.season(FAN, today=date(2026, 4, 20))
    assert (result.year, result.season, result.note) == (2026, "spring", None)
    assert [s.anime.anime_id for s in result.shows] == [1030]


async def test_a_season_the_catalog_lacks_falls_back_to_the_newest_it_has_and_says_so(seasonal):
    result = await seasonal.season(FAN, today=date(2027, 2, 1))
    assert (result.year, result.season) == (2026, "fall")
    assert result.note is not None and "Winter 2027" in result.note and "Fall 2026" in result.note
    assert "Winter 2027" in seasonal_embed(result).description
    with pytest.raises(UserError, match="Spring 2001 to Fall 2026"):  # asked for by name: no fallback
        await seasonal.season(FAN, "winter", 2027, today=date(2027, 2, 1))
    with pytest.raises(UserError, match="no season"):
        await seasonal.season(FAN, "monsoon", 2026)


async def test_a_new_season_of_a_franchise_the_member_loves_is_marked_as_continuing_it(seasonal):
    result = await seasonal.season(FAN, "spring", 2026)
    [show] = result.shows
    assert show.continues and show.because is not None and show.because.anime.anime_id == 1011
    assert show.because.rating == 9.0
    text = seasonal_embed(result).fields[0].value
    assert "Continues title 1011 (you rated it 9/10)" in text


async def test_shows_the_member_gave_are_left_out_and_counted(seasonal):
    result = await seasonal.season(FAN, "summer", 2026)
    assert [s.anime.anime_id for s in result.shows] == [1023]  # 1020 was given
    assert (result.total, result.given) == (2, 1)
    assert "the one you rated or watched is left out" in seasonal_embed(result).description


async def test_a_member_with_no_ratings_gets_the_most_watched_with_onboarding(seasonal):
    result = await seasonal.season(NOBODY, "summer", 2026)
    assert result.shows == [] and [a.anime_id for a in result.popular] == [1020, 1023]  # 85,000 then 70,000 members
    embed = seasonal_embed(result)
    assert "most watched" in embed.title and "/rate" in embed.description
    assert embed.fields[0].value.endswith(" · about 85,000 MyAnimeList members")


async def test_a_newcomer_gets_the_season_ranked_by_taste(seasonal):
    """Two block 1 ratings: block 1's new work ranks above a work of genres nobody rated."""
    result = await seasonal.season(NEWCOMER, "summer", 2026)
    assert [s.anime.anime_id for s in result.shows] == [1020, 1023]
    assert all(not s.continues for s in result.shows)
    matches = [s.match for s in result.shows]
    assert matches == sorted(matches, reverse=True)


async def test_a_season_alone_is_this_years_and_a_year_alone_its_newest_season(seasonal):
    assert seasonal.choose("spring", None, date(2026, 12, 1))[:2] == (2026, "spring")
    assert seasonal.choose(None, 2010, date(2026, 12, 1))[:2] == (2010, "spring")
    assert seasonal.years()[:2] == [2026, 2019]
    assert seasonal.season_counts(2026) == {"spring": 1, "summer": 2, "fall": 1}


async def test_a_new_title_no_member_rated_is_never_said_to_be_popular_with_members(seasonal):
    """1020 started on 2026-07-05; its vector is a content estimate, and for the newcomer its score
    stands under DRIVES_ABOVE sd of the member's taste, so popularity put it there: its reason says
    so, as this season's in August and as MyAnimeList's in December, never naming members."""
    august = await seasonal.season(NEWCOMER, "summer", 2026, today=date(2026, 8, 1))
    december = await seasonal.season(NEWCOMER, "summer", 2026, today=date(2026, 12, 5))
    first = {s.anime.anime_id: s for s in august.shows}[1020]
    assert first.because is None and first.source == "prior" and first.this_season
    reason = seasonal_embed(august).fields[0].value
    assert "One of this season's most watched" in reason and "members" not in reason
    assert not {s.anime.anime_id: s for s in december.shows}[1020].this_season
    assert "Widely watched on MyAnimeList" in seasonal_embed(december).fields[0].value


async def test_a_later_season_of_a_series_the_member_has_not_started_says_where_it_starts(seasonal):
    """1030 is franchise B's new season; the newcomer gave nothing of B: not a pick to start with."""
    result = await seasonal.season(NEWCOMER, "spring", 2026)
    [show] = result.shows
    assert not show.continues and show.starts_at is not None and show.starts_at.anime_id == 1010
    embed = seasonal_embed(result)
    assert [f.name for f in embed.fields] == ["Later seasons of series you haven't started"]
    assert embed.fields[0].value == "new title 1030: start with title 1010"
    fan = await seasonal.season(FAN, "spring", 2026)  # who gave B's seasons continues it instead
    assert fan.shows[0].starts_at is None and fan.shows[0].continues


async def test_a_new_season_of_a_series_the_member_is_behind_on_says_what_to_watch_first(seasonal):
    """Who gave franchise B's first season (1010) but not its second (1011) sees the new season 1030 for their
    own title of it, and is told to catch up with 1011 first."""
    result = await seasonal.season(BEHIND, "spring", 2026)
    [show] = result.shows
    assert not show.continues and show.because is not None and show.because.anime.anime_id == 1010
    assert show.catch_up is not None and show.catch_up.anime_id == 1011 and show.starts_at is None
    assert seasonal_embed(result).fields[0].value.endswith(
        "Because you rated title 1010 9/10 · catch up with title 1011 first")


async def test_a_show_fetched_since_the_last_retrain_is_listed_unranked(planted, tmp_path):
    """A catalog refresh adds 2000 to fall 2026 before any retrain has given it a vector: the list names
    it apart, after the ranked show, and never says there is nothing to rank."""
    from animerec.recsys.catalog.catalog import Anime, Catalog

    served, catalog = planted
    fetched = Anime(2000, "fetched title", ("Drama",), "TV", 12, 8.0, 5_000, year=2026, season="fall",
                    start_date="2026-10-02")
    store = await Store.open(tmp_path / "animerec.sqlite3")
    try:
        await store.upsert_ratings(FAN, {1010: 9.0, 1011: 9.0, 1020: 8.0})
        seasonal = Seasonal(store, Catalog([*catalog, fetched]), Holder(served))
        result = await seasonal.season(FAN, "fall", 2026)
        assert ([s.anime.anime_id for s in result.shows], [a.anime_id for a in result.unranked]) == ([1021], [2000])
        embed = seasonal_embed(result)
        assert embed.description == "2 shows this season."
        assert [f.name for f in embed.fields][-1] == "New in the catalog, ranked for you after the next retrain"
        assert embed.fields[-1].value == "fetched title"
        await store.upsert_ratings(FAN, {1021: 7.0})  # the ranked one given: still not "nothing left to rank"
        embed = seasonal_embed(await seasonal.season(FAN, "fall", 2026))
        assert embed.description == "2 shows this season; the one you rated or watched is left out."
    finally:
        await store.close()


def test_a_season_airing_now_with_few_shows_known_says_so_whether_named_or_not():
    from animerec.recsys.catalog.catalog import Catalog

    seasonal = Seasonal(None, Catalog.load(), None)  # choose() reads the catalog's seasons alone
    today = date(2026, 12, 6)
    bare, named = seasonal.choose(None, None, today), seasonal.choose("fall", 2026, today)
    assert bare == named and bare[:2] == (2026, "fall") and bare[2].startswith("I know only ")
    assert "of Fall 2026 so far" in bare[2]
    assert seasonal.choose("fall", 2025, today)[2] is None  # a season before: its shows are all known


async def test_a_season_ranked_mostly_for_how_widely_watched_it_is_points_to_discover(seasonal):
    """Summer 2026 holds, for the fan who gave 1020, only 1023: a work of genres nobody rated, there for its members
    count ("widely watched"). The list says so and where new titles closer to the member's taste are; spring's
    continue pick does not."""
    from animerec.bot.features.seasonal.render import SEASON_DISCOVER

    summer = await seasonal.season(FAN, "summer", 2026)
    assert [(s.anime.anime_id, s.source, s.because) for s in summer.shows] == [(1023, "prior", None)]
    assert [f.value for f in seasonal_embed(summer).fields if f.value == SEASON_DISCOVER] == [SEASON_DISCOVER]
    spring = seasonal_embed(await seasonal.season(FAN, "spring", 2026))
    assert all(f.value != SEASON_DISCOVER for f in spring.fields)
