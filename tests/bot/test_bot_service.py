"""The service layer as Discord and the console call it: known inputs, known answers."""

import gzip
import threading

import pytest

from animerec.bot.features.rating import service as ratings_module
from animerec.bot.features.rating.service import parse_score
from animerec.bot.features.recommend.service import ONBOARDING_TITLES
from animerec.bot.service import UserError, member_message
from animerec.bot.service.results import Forgotten
from animerec.recsys.catalog.catalog import Filters, UnknownFilter
from animerec.recsys.data import WATCHED
from botkit import CODE_GEASS, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE, Clock, mal_export

pytestmark = pytest.mark.timeout(60)

ALICE, BOB, CAROL = 101, 102, 103
ADULT = (1639, 368, 5391)  # Boku no Pico, Bible Black, Pico to Chico (genre Hentai)


async def test_rate_upserts_and_unrate_removes(service):
    first = await service.ratings.rate(ALICE, "Steins;Gate", "9")
    assert (first.anime.anime_id, first.rating, first.previous) == (STEINS_GATE, 9.0, None)
    assert 1.0 <= first.predicted <= 10.0
    again = await service.ratings.rate(ALICE, str(STEINS_GATE), "watched")  # autocomplete sends the MAL id
    assert (again.rating, again.previous) == (WATCHED, 9.0)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: WATCHED}

    removed = await service.ratings.unrate(ALICE, "steins gate")
    assert removed.anime_id == STEINS_GATE
    assert await service.store.rating_map(ALICE) == {}
    with pytest.raises(UserError, match="haven't rated Steins;Gate"):
        await service.ratings.unrate(ALICE, "Steins;Gate")


@pytest.mark.parametrize("text, expected", [("10", 10.0), (" 1 ", 1.0), ("Watched", WATCHED), (7, 7.0)])
async def test_scores_members_type(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize("text", ["0", "11", "-1", "8.5", "nine", "", "١٠", "9" * 10_000, "1; DROP TABLE ratings"])
async def test_bad_scores_are_refused_and_nothing_is_stored(service, text):
    with pytest.raises(UserError, match="not a score") as error:
        await service.ratings.rate(ALICE, "Cowboy Bebop", text)
    assert len(str(error.value)) < 200  # a pasted wall of text is not echoed back
    assert await service.store.rating_map(ALICE) == {}


async def test_unknown_title_suggests_close_ones(service):
    with pytest.raises(UserError, match="Did you mean: .*Steins;Gate"):
        await service.ratings.rate(ALICE, "Steins Gateway", "9")
    with pytest.raises(UserError, match="I don't know a title") as error:
        await service.ratings.rate(ALICE, "x" * 10_000, "9")
    assert len(str(error.value)) < 300


async def test_sql_metacharacters_are_just_text(service):
    await service.ratings.rate(ALICE, "Cowboy Bebop", "8")
    for text in ("'; DROP TABLE ratings; --", 'Robert"); DELETE FROM ratings WHERE ("1"="1', "%' OR '1'='1"):
        with pytest.raises(UserError):
            await service.ratings.rate(ALICE, text, "9")
    assert await service.store.rating_map(ALICE) == {COWBOY_BEBOP: 8.0}


# --- MyAnimeList import ------------------------------------------------------------------------


async def test_import_maps_scores_statuses_and_reports(service):
    clock = service.ratings.import_cooldown.clock = Clock()
    await service.ratings.rate(ALICE, "Cowboy Bebop", "5")
    await service.ratings.rate(ALICE, "Death Note", "8")
    export = mal_export(
        (STEINS_GATE, 10, "Completed"),  # added
        (FMA_BROTHERHOOD, 0, "Watching"),  # added as watched
        (COWBOY_BEBOP, 9, "Completed"),  # updated 5 -> 9
        (DEATH_NOTE, 8, "Completed"),  # unchanged
        (CODE_GEASS, 0, "Plan to Watch"),  # skipped: no score, not watched
        (999_999_999, 7, "Completed"),  # skipped: not in the catalog
        extra="<anime><series_animedb_id>abc</series_animedb_id></anime>",  # malformed
    )
    report = await service.ratings.import_mal_xml(ALICE, export)
    assert (report.added, report.updated, report.unchanged) == (2, 1, 1)
    assert report.skipped == {"not in the catalog": 1, "planned, on hold or dropped without a score": 1,
                              "malformed entries": 1}
    assert await service.store.rating_map(ALICE) == {
        STEINS_GATE: 10.0, FMA_BROTHERHOOD: WATCHED, COWBOY_BEBOP: 9.0, DEATH_NOTE: 8.0}

    clock.now += 60  # one import a minute
    again = await service.ratings.import_mal_xml(ALICE, gzip.compress(export))  # MAL serves .xml.gz
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)


async def test_import_keeps_a_score_over_watched_without_one(service):
    await service.ratings.rate(ALICE, "Steins;Gate", "9")
    await service.ratings.rate(ALICE, "Cowboy Bebop", "watched")
    export = mal_export((STEINS_GATE, 0, "Completed"), (COWBOY_BEBOP, 0, "Watching"), (DEATH_NOTE, 0, "Completed"))
    report = await service.ratings.import_mal_xml(ALICE, export)
    assert (report.added, report.updated, report.unchanged) == (1, 0, 2)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 9.0, COWBOY_BEBOP: WATCHED, DEATH_NOTE: WATCHED}


async def test_import_parses_off_the_event_loop(service, monkeypatch):
    parsed_on, real_parse = [], ratings_module.parse_mal_export

    def parse(data):
        parsed_on.append(threading.get_ident())
        return real_parse(data)

    monkeypatch.setattr(ratings_module, "parse_mal_export", parse)
    report = await service.ratings.import_mal_xml(ALICE, mal_export((STEINS_GATE, 10, "Completed")))
    assert report.added == 1
    assert len(parsed_on) == 1 and parsed_on[0] != threading.get_ident()  # the test runs on the loop's thread


async def test_import_once_a_minute_per_member(service):
    clock = service.ratings.import_cooldown.clock = Clock()
    export = mal_export((STEINS_GATE, 10, "Completed"))
    await service.ratings.import_mal_xml(ALICE, export)
    with pytest.raises(UserError, match=r"^One import every 1 min: try again in 1 min\.$"):
        service.ratings.check_import(ALICE)  # asked before the file is fetched
    clock.now += 15
    with pytest.raises(UserError, match=r"^One import every 1 min: try again in 45 s\.$"):
        await service.ratings.import_mal_xml(ALICE, b"never parsed")
    await service.ratings.import_mal_xml(BOB, export)  # each member has their own
    clock.now += 45
    service.ratings.check_import(ALICE)
    assert (await service.ratings.import_mal_xml(ALICE, export)).unchanged == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id><series_title>&lol3;</series_title>
<my_score>9</my_score></anime></myanimelist>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id><series_title>&x;</series_title></anime></myanimelist>"""


@pytest.mark.parametrize("data, reason", [
    (b"<myanimelist><anime><series_animedb_id>1</series_animedb_id>", "not well-formed XML"),
    (b"\x00\xff garbage", "not well-formed XML"),
    (b"", "not well-formed XML"),
    (b"<html><body>hi</body></html>", "not a MyAnimeList export"),
    (BILLION_LAUGHS, "declares a DTD or entities"),
    (EXTERNAL_ENTITY, "declares a DTD or entities"),
    (b"<myanimelist>" + b" " * (6 * 1024 * 1024) + b"</myanimelist>", "larger than 5 MB"),
    (gzip.compress(b"<myanimelist>" + b" " * (6 * 1024 * 1024) + b"</myanimelist>"), "once decompressed"),
    (b"\x1f\x8b not really gzip", "cannot be decompressed"),
    (b"<myanimelist><myinfo/></myanimelist>", "lists no anime"),
])
async def test_bad_exports_are_refused_and_nothing_is_stored(service, data, reason):
    await service.ratings.rate(ALICE, "Cowboy Bebop", "8")
    with pytest.raises(UserError, match=reason) as error:
        await service.ratings.import_mal_xml(ALICE, data)
    assert "Nothing was stored" in str(error.value)
    assert await service.store.rating_map(ALICE) == {COWBOY_BEBOP: 8.0}


async def test_forget_deletes_everything_about_the_member_only(service):
    await service.ratings.import_mal_xml(ALICE, mal_export((STEINS_GATE, 9, "Completed"), (COWBOY_BEBOP, 8, "Completed")))
    await service.ratings.dismiss(ALICE, [DEATH_NOTE])
    await service.ratings.rate(BOB, "Death Note", "7")
    # The session's model learnt from no community ratings, so nothing of Alice's is in it.
    assert await service.ratings.forget(ALICE) == Forgotten(ratings=2, dismissals=1, in_model=False)
    assert await service.store.rating_map(ALICE) == {}
    assert await service.store.dismissals(ALICE) == set()
    assert await service.store.rating_map(BOB) == {DEATH_NOTE: 7.0}


# --- recommendations ---------------------------------------------------------------------------


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
    await service.ratings.rate(ALICE, str(ids[0]), "8")
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


async def test_similar(service):
    result = await service.similar.find("Steins;Gate", count=5, type="TV")
    assert result.source.anime_id == STEINS_GATE
    assert len(result.neighbours) == 5
    assert all(n.anime.anime_id != STEINS_GATE and n.anime.type == "TV" for n in result.neighbours)
    sims = [n.similarity for n in result.neighbours]
    assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)
    with pytest.raises(UserError, match="Did you mean"):
        await service.similar.find("Steins Gat Zeroo", count=5)


# --- adult titles ------------------------------------------------------------------------------


async def test_adult_titles_only_where_allowed(service):
    # Outside an age-restricted channel an adult title does not exist, even by its MAL id.
    with pytest.raises(UserError, match="I don't know a title"):
        await service.ratings.rate(ALICE, str(ADULT[0]), "9")
    assert not any(a.is_adult for a in service.titles.search("Kite", allow_adult=False))
    assert any(a.is_adult for a in service.titles.search("Kite", allow_adult=True))
    with pytest.raises(UserError, match="I don't know a title"):
        await service.similar.find("Boku no Pico")

    for anime_id in ADULT:  # rated in an NSFW channel: the model now leans adult for this member
        await service.ratings.rate(ALICE, str(anime_id), "10", allow_adult=True)
    assert any(p.anime.is_adult for p in (await service.picks.recommend(ALICE, count=25, allow_adult=True)).picks)
    safe = await service.picks.recommend(ALICE, count=25, allow_adult=False)
    assert len(safe.picks) == 25
    assert not any(p.anime.is_adult or (p.because and p.because.anime.is_adult) for p in safe.picks)
    listed = await service.ratings.of(ALICE, allow_adult=False)
    assert (listed.items, listed.hidden) == ([], 3)
    assert not any(n.anime.is_adult for n in (await service.similar.find("Cowboy Bebop", count=25)).neighbours)


async def test_adult_audience_needs_nsfw_channel_and_the_server_not_hiding_them(service):
    guild = 555
    assert await service.titles.allow_adult(guild, nsfw_channel=False) is False
    assert await service.titles.allow_adult(guild, nsfw_channel=True) is True
    await service.titles.set_hide_adult(guild, True)
    assert await service.titles.allow_adult(guild, nsfw_channel=True) is False
    assert await service.titles.allow_adult(556, nsfw_channel=True) is True  # other servers are unaffected


# --- watch party -------------------------------------------------------------------------------


async def test_watchparty_names_members_without_ratings_and_predicts_for_each(service):
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await service.ratings.rate(ALICE, title, "9")
    await service.ratings.rate(CAROL, "Fullmetal Alchemist: Brotherhood", "10")
    party = await service.parties.plan(service.parties.check([ALICE, BOB, CAROL, ALICE], strategy="least_misery", count=5))
    assert party.members == (ALICE, CAROL) and party.unrated == (BOB,)
    assert len(party.picks) == 5
    seen = {STEINS_GATE, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD}
    for pick in party.picks:
        assert pick.anime.anime_id not in seen
        assert len(pick.predictions) == 2 and all(1 <= p <= 10 for p in pick.predictions)
    assert "least keen" in party.strategy_description

    nobody = await service.parties.plan(service.parties.check([BOB]))
    assert (nobody.members, nobody.unrated, nobody.picks) == ((), (BOB,), [])
    with pytest.raises(UserError, match="Strategies: average, least_misery, fair"):
        service.parties.check([ALICE], strategy="loudest")
    with pytest.raises(UserError, match="at most 12"):
        service.parties.check(list(range(1, 14)))
    assert service.parties.check([ALICE], genre="sci fi", type="tv").filters == Filters("Sci-Fi", "TV")


async def test_watch_party_votes_move_close_after_a_week_and_are_forgotten(service):
    await service.parties.open_vote(900, [ALICE, BOB])
    assert await service.parties.vote(900, ALICE, 2) == {2: 1}
    assert await service.parties.vote(900, BOB, 2) == {2: 2}
    assert await service.parties.vote(900, ALICE, 1) == {1: 1, 2: 1}  # a new vote moves the old one
    with pytest.raises(UserError, match="^Only members of this watch party can vote, within 7 days of it.$"):
        await service.parties.vote(900, CAROL, 1)

    await service.ratings.forget(BOB)
    assert await service.parties.vote(900, ALICE, 1) == {1: 1}  # bob's vote went with everything else of his
    await service.store._write(
        lambda db: db.execute("UPDATE party_votes SET created_at = '2000-01-01T00:00:00+00:00' WHERE message_id = 900")
    )
    await service.parties.open_vote(901, [CAROL])  # opening a party closes those older than a week
    with pytest.raises(UserError, match="Only members"):
        await service.parties.vote(900, ALICE, 1)


async def test_stats_counts_the_community(service):
    await service.ratings.rate(ALICE, "Steins;Gate", "9")
    await service.ratings.rate(BOB, "Steins;Gate", "8")
    stats = await service.stats()
    assert (stats.community_ratings, stats.community_members) == (2, 2)
    assert stats.meta == service.models.meta and stats.meta.counts.users == 5000
    assert stats.training_since is None and stats.last_failure is None
