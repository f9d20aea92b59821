"""A member's ratings and dismissals (animerec.bot.store.ratings), on SQLite and PostgreSQL alike:
round trips, refused scores, imports, exports, and concurrent re-rates of one title."""

import asyncio
import csv
import os

import pytest

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


async def test_ratings_round_trip_and_report_what_they_replace(store):
    assert await store.upsert_ratings(ALICE, {1: 8.0, 5114: -1.0}) == {1: None, 5114: None}
    assert await store.upsert_ratings(ALICE, {1: 9.0, 9253: 10.0}) == {1: 8.0, 9253: None}
    assert await store.rating_map(ALICE) == {1: 9.0, 5114: -1.0, 9253: 10.0}
    listed = await store.ratings(ALICE)
    assert sorted((r.anime_id, r.rating) for r in listed) == [(1, 9.0), (5114, -1.0), (9253, 10.0)]
    assert [r.updated_at for r in listed] == sorted((r.updated_at for r in listed), reverse=True)
    assert await store.delete_rating(ALICE, 1) is True
    assert await store.delete_rating(ALICE, 1) is False
    assert await store.rating_map(ALICE) == {5114: -1.0, 9253: 10.0}
    assert await store.rating_map(BOB) == {}
    assert await store.rating_counts() == (2, 1)


async def test_the_members_who_rated_last_come_first(store):
    carol = ALICE + 2
    for member, ratings in ((ALICE, {1: 8.0}), (BOB, {1: 7.0, 5: 6.0}), (carol, {5: 9.0}), (ALICE, {5: 4.0})):
        await store.upsert_ratings(member, ratings)
        await asyncio.sleep(1.01)  # stamped to the second
    assert await store.latest_raters(10) == [ALICE, carol, BOB]
    assert await store.latest_raters(2) == [ALICE, carol]
    await store.delete_rating(carol, 5)
    assert await store.latest_raters(10) == [ALICE, BOB]


async def test_watched_never_replaces_a_score_but_a_score_replaces_watched(store):
    await store.upsert_ratings(ALICE, {1: 8.0, 5114: -1.0})
    stamps = {r.anime_id: r.updated_at for r in await store.ratings(ALICE)}
    assert await store.upsert_ratings(ALICE, {1: -1.0, 5114: -1.0, 9253: -1.0}) == {1: 8.0, 5114: -1.0, 9253: None}
    assert await store.rating_map(ALICE) == {1: 8.0, 5114: -1.0, 9253: -1.0}
    assert {r.anime_id: r.updated_at for r in await store.ratings(ALICE)}[1] == stamps[1]  # untouched
    assert await store.upsert_ratings(ALICE, {5114: 7.0, 1: 3.0}) == {5114: -1.0, 1: 8.0}
    assert await store.rating_map(ALICE) == {1: 3.0, 5114: 7.0, 9253: -1.0}


async def test_a_score_written_beside_watched_marks_survives_every_order(store):
    """Scores and watched marks of one title race: whatever the order, the title ends with a score."""
    writes = [{1: 9.0}] + [{1: -1.0}] * 20
    await asyncio.gather(*(store.upsert_ratings(ALICE, w) for w in writes))
    assert await store.rating_map(ALICE) == {1: 9.0}


async def test_out_of_range_scores_are_refused_and_store_nothing(store):
    with pytest.raises(Exception, match="(?i)check"):
        await store.upsert_ratings(ALICE, {1: 8.0, 2: 11.0})
    assert await store.rating_map(ALICE) == {}
    await store.upsert_ratings(ALICE, {1: 8.0})  # the store is still usable
    assert await store.rating_map(ALICE) == {1: 8.0}


async def test_an_import_of_many_titles_lands_whole(store):
    imported = {anime_id: float(anime_id % 10 + 1) for anime_id in range(1, 1201)}
    assert set((await store.upsert_ratings(ALICE, imported)).values()) == {None}
    assert await store.rating_map(ALICE) == imported
    assert await store.rating_counts() == (1200, 1)


async def test_export_is_private_and_complete(store, tmp_path):
    await store.upsert_ratings(BOB, {5: 7.0})
    await store.upsert_ratings(ALICE, {1: 8.0, 2: -1.0})
    path = tmp_path / "export.csv"
    assert await store.export_ratings(path) == 3
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["user_id", "anime_id", "rating"], [str(ALICE), "1", "8.0"], [str(ALICE), "2", "-1.0"],
                    [str(BOB), "5", "7.0"]]


async def test_concurrent_re_rates_of_one_title_see_exactly_one_first(store):
    """Each write sees the one before it: one finds the title new, every other finds a score."""
    results = await asyncio.gather(*(store.upsert_ratings(ALICE, {1: float(s % 10 + 1)}) for s in range(30)))
    previous = [r[1] for r in results]
    assert previous.count(None) == 1
    assert await store.rating_counts() == (1, 1)
    assert (await store.rating_map(ALICE))[1] in {float(s % 10 + 1) for s in range(30)}
