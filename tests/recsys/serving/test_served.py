"""The fan rules of animerec.recsys.serving.served on the checkerboard model, with a planted franchise graph.

Block 0 (ids 1000-1009) is one taste group, block 1 (1010-1019) the other (tests/recsys/conftest.py).
Franchise A: 1000 (TV, 2001) -> sequel 1001 (TV, 2003) -> sequel 1002 (TV, 2005), side-story film 1003
(2004, parent 1000). Franchise B: 1010 (TV, 2010) -> sequel 1011 (TV, 2012). Everything else stands alone.
"""

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.serving.served import CONTINUE, NEW, ServedModel

BLOCK0 = set(range(1000, 1010))
BLOCK1 = set(range(1010, 1020))
FRANCHISE_A = {1000, 1001, 1002, 1003}


def _anime(a: int) -> Anime:
    genres = ("Drama", "Romance", "School") if a < 1010 else ("Action", "Sci-Fi", "Thriller")
    if a == 1009:
        genres = ("Music",)  # shares nothing with the rest of block 0
    return Anime(a, f"title {a}", genres, "Movie" if a == 1003 else "TV", 12, 7.5, 100_000 - a)


@pytest.fixture(scope="module")
def engine(board_model) -> ServedModel:
    catalog = Catalog(_anime(a) for a in sorted(BLOCK0 | BLOCK1))
    relations = pd.DataFrame(
        [(1000, "Sequel", 1001), (1001, "Prequel", 1000), (1001, "Sequel", 1002), (1002, "Prequel", 1001),
         (1000, "Side story", 1003), (1003, "Parent story", 1000), (1010, "Sequel", 1011),
         (1011, "Prequel", 1010), (1004, "Other", 1005)],
        columns=["anime_id", "relation", "related_id"])
    dates = pd.DataFrame({"anime_id": [1000, 1001, 1002, 1003, 1010, 1011],
                          "start_date": pd.to_datetime(["2001-01-01", "2003-01-01", "2005-01-01", "2004-01-01",
                                                        "2010-01-01", "2012-01-01"])})
    franchises = Franchises((TitleInfo(a.anime_id, a.type, a.members) for a in catalog), relations, dates)
    return ServedModel(board_model, catalog, franchises)


def test_franchise_graph_orders_entries_and_ignores_links_between_works(engine):
    f = engine.franchises
    assert f.entries(f.franchise_of(1002)) == (1000, 1001, 1003, 1002)
    assert f.entry_point(f.franchise_of(1003)) == 1000
    assert f.franchise_of(1004) != f.franchise_of(1005)  # "Other" links two works, not one
    assert f.ancestors(1002) == {1000, 1001}
    assert f.ancestors(1003) == {1000}
    assert f.seen_earlier([1002, 1011]) == {1000, 1001, 1010}


def test_a_member_into_a_later_entry_never_gets_an_earlier_one_but_is_asked_about_it(engine):
    ratings = {1002: 9, 1004: 8, 1005: 9, 1006: 8}
    found = engine.recommend(ratings, 8)
    picked = {p.anime_id for p in found.picks}
    assert not picked & {1000, 1001}
    assert set(found.seen_these) == {1000, 1001}


def test_one_slot_per_franchise_and_new_franchises_start_at_their_entry_point(engine):
    found = engine.recommend({1004: 9, 1005: 9, 1006: 8, 1007: 9}, 8)
    ids = [p.anime_id for p in found.picks]
    assert len(ids) == len({engine.franchises.franchise_of(a) for a in ids})
    in_a = [p for p in found.picks if p.anime_id in FRANCHISE_A]
    assert [p.anime_id for p in in_a] == [1000] and in_a[0].kind == NEW  # never the sequel or the film
    assert in_a[0].more_in_series == 3


def test_a_sequel_is_a_continue_pick_naming_the_prequel_seen(engine):
    found = engine.recommend({1000: 10, 1004: 8, 1005: 9, 1006: 8}, 8)
    in_a = [p for p in found.picks if p.anime_id in FRANCHISE_A]
    assert len(in_a) == 1
    assert in_a[0].anime_id in {1001, 1003} and in_a[0].kind == CONTINUE and in_a[0].because == 1000
    assert 1002 not in {p.anime_id for p in found.picks}  # its prequel 1001 is unseen


def test_the_list_follows_the_ranking_and_the_match_figure(engine):
    picks = engine.recommend({1000: 9, 1004: 8, 1005: 9}, 6).picks
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)
    assert [p.match for p in picks] == sorted((p.match for p in picks), reverse=True)
    assert all(0 < p.match < 1 and 1 <= p.predicted < 10 for p in picks)


def test_the_quality_floor_shortens_the_list_instead_of_padding(engine):
    ratings = {1004: 10, 1005: 10, 1006: 10, 1007: 10, 1008: 10}
    everything = engine.recommend(ratings, 10)
    assert everything.floor == pytest.approx(9.5)
    assert all(p.predicted >= everything.floor for p in everything.picks)
    # Few scores, all low: the fixed 6.5 floor, which no title of this taste reaches.
    harsh = engine.recommend({1004: 2.0, 1005: 2.0, 1006: 3.0}, 10)
    assert harsh.floor == 6.5 and harsh.short and harsh.picks == []


def test_because_names_a_liked_related_title_or_nothing(engine):
    ratings = {1004: 10, 1005: 9, 1006: 2, 1009: 10, 1007: 9}
    found = engine.recommend(ratings, 5)
    assert found.picks
    for p in found.picks:
        if p.because is not None:
            assert p.because in {1004, 1005, 1007}  # liked and sharing genres; never 1006 (2/10) or 1009 (Music)


def test_members_with_one_rating_get_picks(engine):
    found = engine.recommend({1012: 9}, 5)
    assert len(found.picks) >= 3 and {p.anime_id for p in found.picks} <= BLOCK1


def test_discover_leaves_out_the_most_watched(engine, monkeypatch):
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_TOP", 5)
    top5 = set(engine.model.item_ids[np.argsort(-engine.model.item_popularity, kind="stable")[:5]].tolist())
    found = engine.recommend({1004: 9, 1005: 9}, 10, discover=True)
    assert found.picks and not {p.anime_id for p in found.picks} & top5


@pytest.mark.parametrize("strategy", ["average", "least_misery", "fair"])
def test_group_picks_are_unseen_by_everyone_follow_the_fan_rules_and_are_scored_per_member(engine, strategy):
    members = [{1001: 9, 1004: 8, 1005: 9}, {1004: 10, 1006: 8, 1007: 7}]
    picks = engine.group(members, n=4, strategy=strategy)
    assert picks
    ids = [p.anime_id for p in picks]
    assert not set(ids) & {1000, 1001, 1004, 1005, 1006, 1007}
    assert 1002 not in ids  # the second member has not seen its prequel
    assert len(ids) == len({engine.franchises.franchise_of(a) for a in ids})
    assert all(len(p.predictions) == 2 and min(p.predictions) >= 6.5 for p in picks)


def test_similar_lists_other_works_one_per_franchise_and_groups_its_own_series(engine):
    found = engine.similar(1000, 5)
    ids = [a for a, _ in found.neighbours]
    assert len(ids) == 5 and not set(ids) & FRANCHISE_A
    assert len(ids) == len({engine.franchises.franchise_of(a) for a in ids})
    assert set(ids) <= BLOCK0  # the same taste block
    assert found.same_series == [1001, 1003, 1002]
    assert [s for _, s in found.neighbours] == sorted((s for _, s in found.neighbours), reverse=True)


def test_similar_with_a_narrow_filter_still_fills_its_list(engine, monkeypatch):
    allowed = np.isin(engine.model.item_ids, [1012, 1013, 1014, 1015, 1016])  # the other taste block only
    for exact_limit in (0, 2_000):  # widened Annoy search, and exact search over the subset
        monkeypatch.setattr("animerec.recsys.serving.served.EXACT_FILTERED", exact_limit)
        found = engine.similar(1004, 5, allowed=allowed)
        assert sorted(a for a, _ in found.neighbours) == [1012, 1013, 1014, 1015, 1016]


def test_similar_of_an_unknown_title_is_a_named_error(engine):
    from animerec.recsys.model import UnknownTitle

    with pytest.raises(UnknownTitle):
        engine.similar(5, 3)


def test_explain_gives_the_prediction_and_a_related_liked_title_only(engine):
    ratings = {1000: 10.0, 1004: 9.0, 1005: 9.0}
    predicted, because = engine.explain(ratings, 1006)
    assert predicted == pytest.approx(float(engine.model.predict(ratings, [1006])[0]))
    assert because in ratings  # block 0 shares its genres
    assert engine.explain(ratings, 1009)[1] is None  # Music shares no genre with what they rated
    assert engine.explain({}, 1006)[1] is None
