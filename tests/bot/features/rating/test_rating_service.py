"""The ratings service (features/rating/service.py): /rate, /unrate, the MyAnimeList import and /forget;
known inputs, known answers."""

import gzip
import threading

import pytest

from animerec.bot.app import render
from animerec.bot.features.rating import service as ratings_module
from animerec.bot.features.rating.service import parse_score
from animerec.bot.service import UserError
from animerec.bot.service.results import Forgotten
from animerec.recsys.catalog.catalog import id_text
from animerec.recsys.data import WATCHED
from botkit import (
    ALICE,
    BOB,
    CODE_GEASS,
    COWBOY_BEBOP,
    DEATH_NOTE,
    FMA_BROTHERHOOD,
    STEINS_GATE,
    Clock,
    mal_export,
)

pytestmark = pytest.mark.timeout(60)


async def test_rate_upserts_and_unrate_removes(service):
    first = await service.ratings.rate(ALICE, "Steins;Gate", "9")
    assert (first.anime.anime_id, first.rating, first.previous) == (STEINS_GATE, 9.0, None)
    assert 1.0 <= first.predicted <= 10.0
    again = await service.ratings.rate(ALICE, id_text(STEINS_GATE), "7")  # as autocomplete sends it
    assert (again.rating, again.previous, again.score_kept) == (7.0, 9.0, False)
    # Marked watched, the score stays: a score says watched already, and erasing it is /unrate's.
    watched = await service.ratings.rate(ALICE, "Steins;Gate", "watched")
    assert (watched.rating, watched.previous, watched.score_kept) == (7.0, 7.0, True)
    assert "kept" in render.embed_to_text(render.rate_embed(watched))
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 7.0}
    marked = await service.ratings.rate(ALICE, "Death Note", "watched")
    assert (marked.rating, marked.previous, marked.score_kept) == (WATCHED, None, False)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 7.0, DEATH_NOTE: WATCHED}
    await service.ratings.unrate(ALICE, "Death Note")

    removed = await service.ratings.unrate(ALICE, "steins gate")
    assert removed.anime_id == STEINS_GATE
    assert await service.store.rating_map(ALICE) == {}
    with pytest.raises(UserError, match="haven't rated Steins;Gate"):
        await service.ratings.unrate(ALICE, "Steins;Gate")


async def test_a_rating_stored_as_the_model_closes_is_answered_as_stored(service):
    """A stop (a deploy) closes the model's threads while a /rate is in flight: the score is stored, so the
    reply says so, without a prediction, rather than "something went wrong, try again"."""
    await service.ratings.rate(ALICE, "Death Note", "8")
    assert service.models.model is not None
    service.models._ranking.shutdown(wait=False)  # as ModelHolder.close leaves it
    rated = await service.ratings.rate(ALICE, "Steins;Gate", "9")
    assert (rated.anime.anime_id, rated.rating, rated.predicted) == (STEINS_GATE, 9.0, None)
    assert await service.store.rating_map(ALICE) == {DEATH_NOTE: 8.0, STEINS_GATE: 9.0}


@pytest.mark.parametrize("text, expected", [("10", 10.0), (" 1 ", 1.0), ("Watched", WATCHED), (7, 7.0)])
async def test_scores_members_type(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize("text", ["0", "11", "-1", "8.5", "nine", "", "١٠", "9" * 10_000, "1; DROP TABLE ratings"])
async def test_bad_scores_are_refused_and_nothing_is_stored(service, text):
    with pytest.raises(UserError, match="not a score") as error:
        await service.ratings.rate(ALICE, "Cowboy Bebop", text)
    assert len(str(error.value)) < 200  # a pasted wall of text is not echoed back
    assert await service.store.rating_map(ALICE) == {}


async def test_sql_metacharacters_are_just_text(service):
    await service.ratings.rate(ALICE, "Cowboy Bebop", "8")
    for text in ("'; DROP TABLE ratings; --", 'Robert"); DELETE FROM ratings WHERE ("1"="1', "%' OR '1'='1"):
        with pytest.raises(UserError):
            await service.ratings.rate(ALICE, text, "9")
    assert await service.store.rating_map(ALICE) == {COWBOY_BEBOP: 8.0}


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
        (999_999_999, 7, "Completed"),  # kept, though the catalog does not know it yet
        extra="<anime><series_animedb_id>abc</series_animedb_id></anime>",  # malformed
    )
    report = await service.ratings.import_mal_xml(ALICE, export)
    assert (report.added, report.updated, report.unchanged, report.unknown) == (3, 1, 1, 1)
    assert report.skipped == {"planned to watch": 1, "malformed (no usable id or score)": 1}
    assert await service.store.rating_map(ALICE) == {
        STEINS_GATE: 10.0, FMA_BROTHERHOOD: WATCHED, COWBOY_BEBOP: 9.0, DEATH_NOTE: 8.0, 999_999_999: 7.0}

    clock.now += 60  # one import a minute
    again = await service.ratings.import_mal_xml(ALICE, gzip.compress(export))  # MAL serves .xml.gz
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


async def test_import_keeps_dropped_titles_out_of_picks_and_never_stores_a_plan_as_seen(service):
    clock = service.ratings.import_cooldown.clock = Clock()
    export = mal_export(
        (DEATH_NOTE, 0, "Dropped"),  # not for them: dismissed, not rated
        (CODE_GEASS, 8, "Plan to Watch"),  # a score MAL kept on a title moved back to the plan: not seen
        (STEINS_GATE, 9, "Completed"),
        (STEINS_GATE, 5, "Completed"),  # listed twice: the last entry counts, and the reply says so
        (COWBOY_BEBOP, 0, "Dropped"),
        (COWBOY_BEBOP, 7, "Completed"),  # dropped, then scored further down: the score stands, no dismissal
        (999_999_998, 0, "Dropped"),  # dropped, and unknown to the catalog: nothing to keep out yet
        (FMA_BROTHERHOOD, 0, "On-Hold"),
    )
    report = await service.ratings.import_mal_xml(ALICE, export)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 5.0, COWBOY_BEBOP: 7.0}
    assert await service.store.dismissals(ALICE) == {DEATH_NOTE}
    assert (report.added, report.dropped, report.repeated) == (2, 1, 2)
    assert report.skipped == {"planned to watch": 1, "on hold without a score": 1,
                              "dropped without a score, not in the catalog yet": 1}
    text = render.import_embed(report).description
    assert "1 title you dropped without a score: kept out of your picks" in text
    assert "2 titles listed more than once" in text
    picks = await service.picks.recommend(ALICE, count=25)
    assert DEATH_NOTE not in [p.anime.anime_id for p in picks.picks]
    # The same file again: nothing new, nothing said to be dropped again, and no cooldown spent.
    clock.now += 60
    again = await service.ratings.import_mal_xml(ALICE, export)
    assert (again.added, again.updated, again.dropped) == (0, 0, 0)
    assert (await service.ratings.import_mal_xml(ALICE, export)).dropped == 0  # at once: it spent none
    # The last entry of a title decides, whatever it is: scored, then dropped further down, is dropped.
    last = await service.ratings.import_mal_xml(BOB, mal_export((DEATH_NOTE, 8, "Completed"), (DEATH_NOTE, 0, "Dropped")))
    assert (last.added, last.dropped, last.repeated) == (0, 1, 1) and await service.store.rating_map(BOB) == {}


async def test_import_stores_by_mal_id_never_by_a_title_guessed_from_the_name(service):
    """An export names each entry by MAL id and by title: the id alone decides. A title that is a weak match
    ("hoshi no ko") or a near miss of a known title moves nothing onto a title the catalog knows."""
    unknown = 999_999_998
    export = ("<myanimelist>"
              f"<anime><series_animedb_id>{unknown}</series_animedb_id><series_title>hoshi no ko</series_title>"
              "<my_score>8</my_score><my_status>Completed</my_status></anime>"
              f"<anime><series_animedb_id>{COWBOY_BEBOP}</series_animedb_id><series_title>Steins Gateway</series_title>"
              "<my_score>7</my_score><my_status>Completed</my_status></anime>"
              "</myanimelist>").encode()
    report = await service.ratings.import_mal_xml(ALICE, export)
    assert (report.added, report.unknown) == (2, 1)
    assert await service.store.rating_map(ALICE) == {unknown: 8.0, COWBOY_BEBOP: 7.0}


async def test_a_members_imports_keep_at_most_max_unknown_kept_titles_the_catalog_does_not_know(service):
    from animerec.bot.features.rating.service import MAX_UNKNOWN_KEPT

    clock = service.ratings.import_cooldown.clock = Clock()
    over = f"titles the catalog does not know, past the {MAX_UNKNOWN_KEPT} kept for you"
    made_up = [(900_000_000 + k, 7, "Completed") for k in range(MAX_UNKNOWN_KEPT - 10)]
    first = await service.ratings.import_mal_xml(ALICE, mal_export(*made_up))
    assert (first.added, first.skipped) == (MAX_UNKNOWN_KEPT - 10, {})
    clock.now += 60
    more = [(910_000_000 + k, 7, "Completed") for k in range(15)]
    again = await service.ratings.import_mal_xml(ALICE, mal_export(*made_up[:3], *more, (STEINS_GATE, 9, "Completed")))
    assert (again.added, again.unchanged, again.skipped) == (11, 3, {over: 5})  # 10 more made-up ids, and Steins;Gate
    stored = await service.store.rating_map(ALICE)
    assert len(stored) == MAX_UNKNOWN_KEPT + 1 and stored[STEINS_GATE] == 9.0


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



async def test_only_an_import_that_stored_something_spends_the_cooldown(service):
    service.ratings.import_cooldown.clock = Clock()  # still: any wait below would be the cooldown's
    export = mal_export((STEINS_GATE, 10, "Completed"))
    with pytest.raises(UserError, match="Nothing was stored"):
        await service.ratings.import_mal_xml(ALICE, export[: len(export) // 2])  # a truncated file
    service.ratings.check_import(ALICE)
    assert (await service.ratings.import_mal_xml(ALICE, export)).added == 1  # stored: the cooldown starts
    with pytest.raises(UserError, match=r"^One import every 1 min"):
        service.ratings.check_import(ALICE)
    service.ratings.import_cooldown.give_back(ALICE)
    assert (await service.ratings.import_mal_xml(ALICE, export)).unchanged == 1  # nothing stored: not spent
    service.ratings.check_import(ALICE)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 10.0}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id><series_title>&lol3;</series_title>
<my_score>9</my_score></anime></myanimelist>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id><series_title>&x;</series_title></anime></myanimelist>"""


@pytest.mark.parametrize("data, reason", [
    (b"<myanimelist><anime><series_animedb_id>1</series_animedb_id>", "not well-formed XML"),
    (b"\x00\xff garbage", "not an XML file"),
    (b"", "the file is empty"),
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


async def test_ratings_list_best_score_first_then_newest(service, monkeypatch):
    from animerec.bot.store import ratings as rating_tables

    monkeypatch.setattr(rating_tables, "now", lambda: "2026-01-01T00:00:00+00:00")
    # One import: every title the same time. Lowest MAL id first would put Cowboy Bebop (1) on top.
    await service.store.upsert_ratings(ALICE, {COWBOY_BEBOP: 7.0, STEINS_GATE: 9.0, DEATH_NOTE: WATCHED,
                                               FMA_BROTHERHOOD: 10.0})
    monkeypatch.setattr(rating_tables, "now", lambda: "2026-02-01T00:00:00+00:00")
    await service.store.upsert_ratings(ALICE, {CODE_GEASS: 9.0})
    listed = [(r.anime.anime_id, r.rating) for r in (await service.ratings.of(ALICE)).items]
    assert listed == [(FMA_BROTHERHOOD, 10.0), (CODE_GEASS, 9.0), (STEINS_GATE, 9.0), (COWBOY_BEBOP, 7.0),
                      (DEATH_NOTE, WATCHED)]


async def test_another_members_ratings_only_of_a_visible_member_of_this_server(service):
    await service.ratings.rate(BOB, "Steins;Gate", "9")
    shown = await service.ratings.of_member(BOB, viewer_id=ALICE, name="bob", member_here=True)
    assert [r.anime.anime_id for r in shown.items] == [STEINS_GATE]
    with pytest.raises(UserError, match="^I can only show the ratings of a member of this server.$"):
        await service.ratings.of_member(BOB, viewer_id=ALICE, name="bob", member_here=False)
    await service.community.set_privacy(BOB, True)
    with pytest.raises(UserError, match="^bob keeps their taste private, so I can't show their ratings.$"):
        await service.ratings.of_member(BOB, viewer_id=ALICE, name="bob", member_here=True)
    own = await service.ratings.of_member(BOB, viewer_id=BOB, name="bob", member_here=False)  # their own: always
    assert len(own.items) == 1


async def test_an_imported_title_the_catalog_does_not_know_yet_is_removed_by_its_id(service):
    """Kept from an import until the catalog knows it, it was removable only with /forget."""
    await service.store.upsert_ratings(ALICE, {99_999_991: 9.0, 99_999_992: 8.0})
    gone = await service.ratings.unrate(ALICE, "mal:99999991")
    assert gone.anime_id == 99_999_991 and "kept from your import" in gone.name
    assert await service.store.rating_map(ALICE) == {99_999_992: 8.0}
    with pytest.raises(UserError, match="I don't know a title"):  # not stored, nor in the catalog: as before
        await service.ratings.unrate(ALICE, "mal:99999991")
