"""The recommend service (features/recommend/service.py): onboarding, picks that fold in a new rating at
once, filters."""

import pytest

from animerec.bot.features.recommend.service import ONBOARDING_TITLES
from animerec.bot.service import UserError, member_message
from animerec.recsys.catalog.catalog import ADULT_GENRE, UnknownFilter, id_text
from botkit import ALICE, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_no_ratings_get_onboarding_alone(service):
    recs = await service.picks.recommend(ALICE)
    assert recs.picks == [] and len(recs.onboarding) == ONBOARDING_TITLES


async def test_few_ratings_get_picks_and_onboarding_of_popular_diverse_titles(service):
    await service.ratings.rate(ALICE, "Death Note", "9")
    recs = await service.picks.recommend(ALICE)
    assert len(recs.picks) == 10 and len(recs.onboarding) == ONBOARDING_TITLES
    picked = {p.anime.anime_id for p in recs.picks}
    assert DEATH_NOTE not in picked and not picked & {a.anime_id for a in recs.onboarding}
    ids = [a.anime_id for a in recs.onboarding]
    assert DEATH_NOTE not in ids and not any(a.is_adult for a in recs.onboarding)
    # Diverse: each title shares at most half its genres with the titles offered before it.
    for i, anime in enumerate(recs.onboarding):
        before = {g for earlier in recs.onboarding[:i] for g in earlier.genres}
        assert len(before & set(anime.genres)) <= len(anime.genres) // 2


async def test_onboarding_offers_where_each_series_starts_and_no_series_on_the_page(service):
    """A member new to a series rates its first season: not Attack on Titan's second beside the first, a pick."""
    await service.ratings.rate(ALICE, "Death Note", "9")
    await service.ratings.rate(ALICE, "Haikyuu", "9")
    recs = await service.picks.recommend(ALICE)
    served = service.models.served()
    work = {a: int(served.rules.item_work[served.index_of(a)]) for a in
            [p.anime.anime_id for p in recs.picks] + [a.anime_id for a in recs.onboarding]}
    offered = [a.anime_id for a in recs.onboarding]
    assert len(offered) == ONBOARDING_TITLES
    assert all(served.rules.entry_point(served.index_of(a)) == served.index_of(a) for a in offered)
    assert len({work[a] for a in offered}) == len(offered)
    assert not {work[a] for a in offered} & {work[p.anime.anime_id] for p in recs.picks}


async def test_recommend_folds_in_ratings_immediately_and_excludes_seen(service):
    for title, score in (("Steins;Gate", "10"), ("Cowboy Bebop", "9"), ("Death Note", "watched")):
        await service.ratings.rate(ALICE, title, score)
    await service.ratings.dismiss(ALICE, [FMA_BROTHERHOOD])
    first = await service.picks.recommend(ALICE, count=25)
    ids = [p.anime.anime_id for p in first.picks]
    assert len(ids) == 25 and first.onboarding == []
    assert not {STEINS_GATE, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD} & set(ids)
    assert all(p.because.anime.anime_id in {STEINS_GATE, COWBOY_BEBOP, DEATH_NOTE} for p in first.picks if p.because)
    assert all(1 <= p.predicted <= 10 for p in first.picks)

    # Rating the top pick takes effect on the next call, without retraining.
    await service.ratings.rate(ALICE, id_text(ids[0]), "8")
    after = [p.anime.anime_id for p in (await service.picks.recommend(ALICE, count=25)).picks]
    assert ids[0] not in after
    more = await service.picks.recommend(ALICE, count=5, exclude=after)
    assert not set(after) & {p.anime.anime_id for p in more.picks}


async def test_recommend_filters_and_validates(service):
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await service.ratings.rate(ALICE, title, "9")
    movies = await service.picks.recommend(ALICE, genre="sci fi", type="movie", count=5)
    assert len(movies.picks) == 5
    assert all(p.anime.type == "Movie" and "Sci-Fi" in p.anime.genres for p in movies.picks)
    with pytest.raises(UnknownFilter) as unknown:
        await service.picks.recommend(ALICE, genre="x" * 10_000)
    assert member_message(unknown.value).startswith("Unknown genre “xxxxxxxx") and "Genres: Action, " in str(unknown.value)
    with pytest.raises(UnknownFilter, match="Unknown type"):
        await service.picks.recommend(ALICE, type="'; DROP TABLE ratings; --")
    with pytest.raises(UserError, match="between 1 and 25"):
        await service.picks.recommend(ALICE, count=26)


async def test_a_list_knows_whether_it_is_a_later_page_and_whether_options_narrowed_it(service):
    """What a short or empty list says rests on these: "no more" only past the first page, "with these
    options" only when the member gave some (discover among them)."""
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await service.ratings.rate(ALICE, title, "9")
    first = await service.picks.recommend(ALICE, count=5)
    assert first.picks and (first.later, first.filtered) == (False, False)
    second = await service.picks.recommend(ALICE, count=5, page=1, shown=[p.anime.anime_id for p in first.picks])
    assert (second.later, second.filtered) == (True, False)
    assert not {p.anime.anime_id for p in first.picks} & {p.anime.anime_id for p in second.picks}
    for options in ({"genre": "comedy"}, {"type": "movie"}, {"new": "2020"}, {"discover": True}):
        narrowed = await service.picks.recommend(ALICE, count=5, **options)
        assert (narrowed.later, narrowed.filtered) == (False, True), options


async def test_the_adult_genre_is_neither_listed_nor_taken_where_adult_titles_are_hidden(service):
    with pytest.raises(UnknownFilter) as unknown:
        await service.picks.recommend(ALICE, genre="no such genre")
    assert "Unknown genre" in str(unknown.value) and "Comedy" in str(unknown.value)
    assert ADULT_GENRE not in str(unknown.value)
    with pytest.raises(UnknownFilter, match="only appear where adult titles are allowed"):
        await service.picks.recommend(ALICE, genre=ADULT_GENRE)
    with pytest.raises(UnknownFilter) as listed:
        await service.picks.recommend(ALICE, genre="no such genre", allow_adult=True)
    assert ADULT_GENRE in str(listed.value)  # an age-restricted channel may ask for it


async def test_new_keeps_titles_first_aired_in_the_window_and_a_new_season_continues_its_predecessor(service):
    """Shingeki no Kyojin Season 3 Part 2 (MAL 38524) rated 9: The Final Season (40028, 2020) goes on
    from it, a title the training data never saw."""
    from datetime import date

    from animerec.bot.features.recommend.service import new_since

    await service.ratings.rate(ALICE, "mal:38524", "9")
    await service.ratings.rate(ALICE, "Steins;Gate", "9")
    await service.ratings.rate(ALICE, "Death Note", "8")
    served = service.models.served()
    recs = await service.picks.recommend(ALICE, count=10, new="2019")
    assert recs.picks and recs.new_since == date(2019, 1, 1)
    assert all(p.anime.start_date >= "2019-01-01" for p in recs.picks)
    final = [p for p in recs.picks if p.anime.anime_id == 40028]
    assert final and final[0].continues and final[0].because.anime.anime_id == 38524
    assert served.is_cold(40028)
    recent = await service.picks.recommend(ALICE, count=5, new="yes")
    since = served.new_since()
    assert recent.new_since == since and all(p.anime.start_date >= since.isoformat() for p in recent.picks)
    assert new_since("2024", served, date(2026, 12, 5)) == date(2024, 1, 1)
    for bad in ("soon", "1800", "2031"):
        with pytest.raises(UserError, match="new= takes yes"):
            await service.picks.recommend(ALICE, new=bad)


async def test_new_shows_the_new_season_of_a_series_the_member_is_behind_on_and_what_to_watch_first(service):
    """Jujutsu Kaisen (MAL 40748, 2020) rated 9, its film 0 (48561, 2021) and 2nd season (51009, 2023) not: titles
    first aired since 2026 hold The Culling Game (57658, January 2026), for the member's own title of the series,
    with the season before it to catch up with first, as /seasonal names it (MyAnimeList files the film between
    the two seasons: the one entry they can go on to straight away, but not the one a fan names)."""
    from animerec.bot.app.render import recommend_embed

    for title, score in (("mal:40748", "9"), ("Steins;Gate", "9"), ("Death Note", "8")):
        await service.ratings.rate(ALICE, title, score)
    recs = await service.picks.recommend(ALICE, count=10, new="2026")
    [culling] = [p for p in recs.picks if p.anime.anime_id == 57658]
    assert not culling.continues and culling.because.anime.anime_id == 40748
    assert culling.catch_up is not None and culling.catch_up.anime_id == 51009
    rank = [p.anime.anime_id for p in recs.picks].index(57658)
    assert recommend_embed(recs).fields[rank].value.endswith(
        "Because you rated Jujutsu Kaisen 9/10 · catch up with Jujutsu Kaisen 2nd Season first")
    ratings = await service.store.rating_map(ALICE)  # /seasonal (rank_titles) names the same season
    [ranked] = service.models.served().rank_titles(ratings, [57658])
    assert ranked.catch_up == 51009
