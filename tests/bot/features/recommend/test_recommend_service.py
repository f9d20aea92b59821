"""The recommend service (features/recommend/service.py): onboarding, picks that fold in a new rating at
once, filters, and lists made ahead of the member's asking."""

import asyncio

import pytest

from animerec.bot.features.recommend.service import ONBOARDING_TITLES
from animerec.bot.service import Service, UserError, member_message
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import ADULT_GENRE, UnknownFilter, id_text
from animerec.recsys.serving.served import ServedModel
from botkit import ALICE, BOB, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE, until

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


def made_lists(monkeypatch) -> list[tuple[object, dict[int, float]]]:
    """Every list a served model makes from now on: (the served model, the ratings it was made from)."""
    made = []
    real = ServedModel.recommend

    def recommend(served, ratings, *args, **kwargs):
        made.append((served, dict(ratings)))
        return real(served, ratings, *args, **kwargs)

    monkeypatch.setattr(ServedModel, "recommend", recommend)
    return made


async def test_a_list_is_made_when_the_ratings_change_and_read_by_the_next_recommend(service, monkeypatch):
    made = made_lists(monkeypatch)
    service.picks.quiet_for = 0.0
    for title, score in (("Steins;Gate", "10"), ("Cowboy Bebop", "9"), ("Death Note", "8")):
        await service.ratings.rate(ALICE, title, score)
    await service.picks.made_ahead(ALICE)
    assert made and made[-1][1] == {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 8.0}
    assert len(made) <= 3  # one making per change at most: a change while one runs is made once after it
    before = len(made)
    recs = await service.picks.recommend(ALICE)
    assert len(made) == before  # read, not made
    service.picks.forgotten(ALICE)  # the kept lists let go: made afresh when asked
    fresh = await service.picks.recommend(ALICE)
    assert len(made) == before + 1
    assert [p.anime.anime_id for p in recs.picks] == [p.anime.anime_id for p in fresh.picks]
    assert [p.predicted for p in recs.picks] == [p.predicted for p in fresh.picks] and len(recs.picks) == 10


def ids(recs) -> list[int]:
    return [p.anime.anime_id for p in recs.picks]


async def test_a_kept_list_is_read_only_for_the_same_ratings_dismissals_options_and_model(service, monkeypatch):
    made = made_lists(monkeypatch)
    service.picks.quiet_for = 0.0
    alice, bob = {STEINS_GATE: 10.0, DEATH_NOTE: 9.0}, {COWBOY_BEBOP: 9.0}
    await service.ratings.rate(ALICE, "Steins;Gate", "10")
    await service.ratings.rate(BOB, "Cowboy Bebop", "9")
    for member in (ALICE, BOB):
        await service.picks.made_ahead(member)
    await service.picks.recommend(ALICE)
    # A rating stored by another process of the bot (no making ahead here): this one's kept list is not its list.
    await service.store.upsert_ratings(ALICE, {DEATH_NOTE: 9.0})
    n = len(made)
    after = await service.picks.recommend(ALICE)
    assert len(made) == n + 1 and made[-1][1] == alice and DEATH_NOTE not in ids(after)
    five = await service.picks.recommend(ALICE, count=5)
    assert len(made) == n + 2 and len(five.picks) == 5  # other options: another list
    # Both first pages the member asked for are made ahead when their ratings change, and read.
    top = after.picks[0].anime.anime_id
    await service.ratings.dismiss(ALICE, [top])
    await service.picks.made_ahead(ALICE)
    n = len(made)
    plain, five = await service.picks.recommend(ALICE), await service.picks.recommend(ALICE, count=5)
    assert len(made) == n and len(five.picks) == 5 and top not in ids(plain) + ids(five)
    # The next page is made when asked, passing over the first as kept.
    more = await service.picks.recommend(ALICE, page=1, shown=ids(plain))
    assert len(made) == n + 1 and not set(ids(more)) & set(ids(plain))
    service.picks._made.clear()  # nothing kept: both pages made
    assert ids(await service.picks.recommend(ALICE, page=1, shown=ids(plain))) == ids(more) and len(made) == n + 3
    await service.picks.recommend(BOB)
    # A new served model: the members who asked lately have theirs made again by it, the latest to ask first.
    old = service.models.served()
    n = len(made)
    assert await service.models.reload()
    new = service.models.served()
    assert new is not old
    await until(lambda: len([r for served, r in made[n:] if r == alice]) == 2)
    await service.picks.made_ahead(ALICE)  # the second begun (the spy counts a list as its making starts): done
    by_new = [ratings for served, ratings in made[n:] if served is new]
    assert by_new[-3:] == [bob, alice, alice] and all(served is new for served, _ in made[n:])
    n = len(made)
    again = [await service.picks.recommend(ALICE, count=c) for c in (10, 5)]
    assert len(made) == n and top not in ids(again[0]) + ids(again[1])
    await service.ratings.forget(ALICE)
    assert ALICE not in {member for member, _ in service.picks._made}


async def test_members_rating_and_asking_at_once_each_get_the_list_of_their_last_ratings(service, monkeypatch):
    made = made_lists(monkeypatch)
    service.picks.quiet_for = 0.0
    members = range(201, 209)
    titles = ["Steins;Gate", "Cowboy Bebop", "Death Note", "Haikyuu", "Naruto"]

    async def member(m: int) -> None:  # each member's ratings their own: titles in either order, scores 7-10
        for k, title in enumerate((titles if m % 8 < 4 else titles[::-1])[: 2 + m % 4]):
            await service.ratings.rate(m, title, str(7 + m * (k + 1) % 4))
            if k % 2:
                await service.picks.recommend(m)  # cancels a making ahead not done yet, and makes its own

    await asyncio.gather(*(member(m) for m in members))
    for m in members:
        await service.picks.made_ahead(m)
    final = {m: await service.store.rating_map(m) for m in members}
    assert len({tuple(sorted(r.items())) for r in final.values()}) == len(members)
    assert all(len(final[m]) == 2 + m % 4 for m in members)
    for m in members:
        n = len(made)
        kept = await service.picks.recommend(m)
        assert final[m] not in [ratings for _, ratings in made[n:]]  # read: their last ratings' list was kept
        service.picks.forgotten(m)
        fresh = await service.picks.recommend(m)
        assert final[m] in [ratings for _, ratings in made[n:]]
        assert ids(kept) == ids(fresh) and len(kept.picks) == 10


async def test_a_list_that_fails_to_be_made_ahead_is_made_when_asked(service, monkeypatch, caplog):
    real = ServedModel.recommend
    failures = []

    def recommend(served, ratings, *args, **kwargs):
        if not failures:
            failures.append(dict(ratings))
            raise RuntimeError("out of memory")
        return real(served, ratings, *args, **kwargs)

    monkeypatch.setattr(ServedModel, "recommend", recommend)
    service.picks.quiet_for = 0.0
    await service.ratings.rate(ALICE, "Steins;Gate", "10")
    await service.picks.made_ahead(ALICE)
    assert failures == [{STEINS_GATE: 10.0}] and "making a /recommend list ahead failed" in caplog.text
    recs = await service.picks.recommend(ALICE)
    assert len(recs.picks) == 10 and STEINS_GATE not in ids(recs)


async def test_a_member_rating_title_after_title_has_their_list_made_once_they_stop(service, monkeypatch):
    made = made_lists(monkeypatch)
    service.picks.quiet_for = 3.0  # far longer than a /rate takes, even on a loaded machine
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await service.ratings.rate(ALICE, title, "9")
    assert made == []  # none while they rate
    await service.picks.made_ahead(ALICE)
    assert [ratings for _, ratings in made] == [{STEINS_GATE: 9.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 9.0}]
    # Asked before quiet_for is over: the ask makes its own list, and none is made after it.
    await service.ratings.rate(ALICE, "Haikyuu", "8")
    recs = await service.picks.recommend(ALICE)
    await asyncio.sleep(3.5)  # past quiet_for: a making not cancelled would have run
    assert len(made) == 2 and len(made[-1][1]) == 4 and len(recs.picks) == 10
    n = len(made)
    assert ids(await service.picks.recommend(ALICE)) == ids(recs) and len(made) == n  # and kept


async def test_a_restarted_bot_makes_the_lists_of_the_members_who_rated_last(service, data_dir, catalog, database,
                                                                             monkeypatch):
    first, second = {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0}, {DEATH_NOTE: 9.0}
    await service.store.upsert_ratings(301, first)
    await service.store.upsert_ratings(302, second)
    made = made_lists(monkeypatch)
    restarted = Service(await Store.open(database), catalog, data_dir, train_config="small")
    await restarted.start()  # serves the model the first one trained: nobody has asked this process anything
    try:
        await until(lambda: all(r in [ratings for _, ratings in made] for r in (first, second)))
        for member in (301, 302):
            await restarted.picks.made_ahead(member)  # begun, as the spy saw: done
        n = len(made)
        for member in (301, 302):
            assert len((await restarted.picks.recommend(member)).picks) == 10
        assert len(made) == n  # both read
    finally:
        await restarted.close()
