"""ServedModel on the checkerboard model over the planted catalog and franchise graph (tests/recsys/conftest.py):
the list's order and figures, "because", discover, /similar and /score. The fan rules are test_rules.py.
"""

from dataclasses import replace

import numpy as np
import pytest

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.serving.rules import member_floor
from animerec.recsys.serving.served import ServedModel

BLOCK0 = set(range(1000, 1010))
BLOCK1 = set(range(1010, 1020))
FRANCHISE_A = {1000, 1001, 1002, 1003}


def test_the_list_follows_the_ranking_and_the_match_figure(served):
    picks = served.recommend({1000: 9, 1004: 8, 1005: 9}, 6).picks
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)
    assert [p.match for p in picks] == sorted((p.match for p in picks), reverse=True)
    assert all(0 < p.match < 1 and 1 <= p.predicted < 10 for p in picks)


def test_because_names_a_liked_related_title_or_nothing(served):
    ratings = {1004: 10, 1005: 9, 1006: 2, 1009: 10, 1007: 9}
    found = served.recommend(ratings, 5)
    assert found.picks
    for p in found.picks:
        if p.because is not None:
            assert p.because in {1004, 1005, 1007}  # liked and sharing genres; never 1006 (2/10) or 1009 (Music)


def test_members_with_one_rating_get_picks(served):
    found = served.recommend({1012: 9}, 5)
    assert len(found.picks) >= 3 and {p.anime_id for p in found.picks} <= BLOCK1


def test_discover_leaves_out_the_most_watched_by_the_catalogs_members(board_model, plant, monkeypatch):
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_TOP", 5)
    # The catalog's members count runs against the sample's watch counts: its five most watched titles
    # are the five the sample watched least.
    catalog, franchises = plant()
    ids = board_model.item_ids[np.argsort(board_model.item_popularity, kind="stable")].tolist()
    members = {a: 1_000_000 - rank for rank, a in enumerate(ids)}
    recounted = Catalog(replace(a, members=members.get(a.anime_id, 0)) for a in catalog)
    served = ServedModel(board_model, recounted, franchises)
    top5 = set(ids[:5])
    ratings = {1004: 9, 1005: 9}
    plain = {p.anime_id for p in served.recommend(ratings, 10).picks}
    found = {p.anime_id for p in served.recommend(ratings, 10, discover=True).picks}
    assert plain & top5 and found and not found & top5


def test_discover_counts_a_2016_only_members_count_as_grown(board_model, plant, monkeypatch):
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_TOP", 5)
    # Five titles only the 2016 count knows (400,000 each, no later source) and the rest newer counts of
    # 800,000-900,000; thirty titles outside the model tripled from 2016 at that size. Grown, the five are
    # the most watched (1.2 million), though their raw counts are the lowest.
    catalog, franchises = plant()
    ids = board_model.item_ids[np.argsort(board_model.item_popularity, kind="stable")].tolist()
    stale = set(ids[:5])
    recounted = [replace(a, members=400_000, members_2016=400_000) if a.anime_id in stale
                 else replace(a, members=900_000 - a.anime_id, members_2016=None) for a in catalog]
    grown = [Anime(5000 + i, f"grown {i}", ("Drama",), "TV", 12, None, 3 * (300_000 + i), members_2016=300_000 + i)
             for i in range(30)]
    served = ServedModel(board_model, Catalog(recounted + grown), franchises)
    ratings = {1004: 9, 1005: 9}
    plain = {p.anime_id for p in served.recommend(ratings, 10).picks}
    found = {p.anime_id for p in served.recommend(ratings, 10, discover=True).picks}
    assert plain & stale and found and not found & stale


def test_discover_leaves_out_the_series_of_the_members_franchises(served, monkeypatch):
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_TOP", 0)
    ratings = {1000: 9, 1004: 9}  # 1000 starts franchise A (1001, 1002 and the side story 1003)
    plain = {p.anime_id for p in served.recommend(ratings, 10).picks}
    found = {p.anime_id for p in served.recommend(ratings, 10, discover=True).picks}
    assert plain & {1001, 1003} and found and not found & {1001, 1002, 1003}


def test_similar_lists_other_works_one_per_franchise_and_groups_its_own_series(served):
    found = served.similar(1000, 5)
    ids = [a for a, _ in found.neighbours]
    assert len(ids) == 5 and not set(ids) & FRANCHISE_A
    assert len(ids) == len({served.franchises.franchise_of(a) for a in ids})
    assert set(ids) <= BLOCK0  # the same taste block
    assert found.same_series == [1001, 1003, 1002]
    assert [s for _, s in found.neighbours] == sorted((s for _, s in found.neighbours), reverse=True)


def test_similar_with_a_narrow_filter_still_fills_its_list(served, monkeypatch):
    allowed = np.isin(served.model.item_ids, [1012, 1013, 1014, 1015, 1016])  # the other taste block only
    for exact_limit in (0, 2_000):  # widened Annoy search, and exact search over the subset
        monkeypatch.setattr("animerec.recsys.serving.served.EXACT_FILTERED", exact_limit)
        found = served.similar(1004, 5, allowed=allowed)
        assert sorted(a for a, _ in found.neighbours) == [1012, 1013, 1014, 1015, 1016]


def test_similar_of_an_unknown_title_is_a_named_error(served):
    from animerec.recsys.model import UnknownTitle

    with pytest.raises(UnknownTitle):
        served.similar(5, 3)


def test_explain_gives_the_prediction_and_a_related_liked_title_only(served):
    ratings = {1000: 10.0, 1004: 9.0, 1005: 9.0}
    predicted, because = served.explain(ratings, 1006)
    assert predicted == pytest.approx(float(served.model.predict(ratings, [1006])[0]))
    assert because in ratings  # block 0 shares its genres
    assert served.explain(ratings, 1009)[1] is None  # Music shares no genre with what they rated
    assert served.explain({}, 1006)[1] is None


def test_explain_names_no_title_beside_a_prediction_under_what_the_member_likes(served, monkeypatch):
    ratings = {1000: 10.0, 1004: 9.0, 1005: 9.0}  # few scores: they like 6.5 and up (member_floor)
    assert served.explain(ratings, 1006)[1] in ratings
    # The same title predicted 5.0: "Predicted 5.0/10, because you rated ... 10/10" would read as its cause.
    monkeypatch.setattr(type(served), "predictions", lambda self, user, idx: np.full(len(idx), 5.0))
    assert served.explain(ratings, 1006) == (5.0, None)
    assert member_floor(ratings) > 5.0
    # A title of a work they started names their best scored title of it, whatever its prediction, and whatever
    # they scored it: a later season is predicted from it (/recommend's continue pick names it too).
    assert served.explain(ratings, 1003) == (5.0, 1000)
    assert served.explain({**ratings, 1000: 5.0}, 1003) == (5.0, 1000)



def test_similar_shows_a_new_franchise_by_its_entry_point_and_leaves_out_what_the_member_gave(board_model, plant):
    # 1006 (block 0, like 1004) is the sequel of 1012 (block 1): someone new to that franchise starts at 1012.
    served = ServedModel(board_model, *plant(relations=[(1012, "Sequel", 1006), (1006, "Prequel", 1012)]))
    anyone = [a for a, _ in served.similar(1004, 9).neighbours]
    assert 1012 in anyone and 1006 not in anyone
    # Once the member has started it (they gave 1012), 1006 is theirs to go on with; what they gave is left out.
    gave = {1012, 1005}
    member = [a for a, _ in served.similar(1004, 9, given=gave).neighbours]
    assert 1006 in member and not set(member) & gave and len(member) == 9


def test_similar_shows_a_started_works_later_entry_as_the_next_one_the_member_can_go_on_to(board_model, plant):
    # 1012 -> 1013 -> 1006, one work: a member who gave 1012 is sent on to 1013, not to 1006 (its third).
    served = ServedModel(board_model, *plant(relations=[(1012, "Sequel", 1013), (1013, "Prequel", 1012),
                                                        (1013, "Sequel", 1006), (1006, "Prequel", 1013)]))
    anyone = [a for a, _ in served.similar(1004, 9).neighbours]
    assert 1012 in anyone and not {1013, 1006} & set(anyone)  # new to the work: where it starts
    member = [a for a, _ in served.similar(1004, 9, given={1012, 1005}).neighbours]
    assert 1013 in member and 1006 not in member
    assert 1006 in [a for a, _ in served.similar(1004, 9, given={1012, 1013}).neighbours]  # caught up: 1006 itself


def test_similar_names_where_a_later_entry_starts_when_the_filter_keeps_its_start_out(served):
    # 1003 is franchise A's side-story film (after season 1, 1000): a films-only filter keeps 1000 out.
    films_and_more = np.isin(served.model.item_ids, [1003, 1005, 1006])
    found = served.similar(1004, 3, allowed=films_and_more)
    assert 1003 in [a for a, _ in found.neighbours] and found.starts_at == {1003: 1000}
    # A member who started the work goes on to it: no start to name.
    assert served.similar(1004, 3, allowed=films_and_more, given={1000}).starts_at == {}
    # With its start allowed, the work is shown by its start, as always.
    with_start = served.similar(1004, 4, allowed=np.isin(served.model.item_ids, [1000, 1003, 1005, 1006]))
    assert 1000 in [a for a, _ in with_start.neighbours] and with_start.starts_at == {}


def test_a_member_with_two_loves_gets_picks_for_each_in_one_order(served):
    # 1004 (block 0) at 10 outweighs 1014 (block 1) at 7 in the blended score; both are loves.
    picks = served.recommend({1004: 10, 1014: 7}, 6).picks
    blocks = [p.anime_id in BLOCK1 for p in picks]
    assert len(picks) == 6 and sum(blocks) >= 2 and sum(not b for b in blocks) >= 2
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)
    assert [p.match for p in picks] == sorted((p.match for p in picks), reverse=True)


def test_a_season_list_puts_a_recap_of_a_work_the_member_started_last_with_no_entry_to_catch_up_with(
        board_model, plant):
    # 1003, A's side story, made a recap of 1000: a member who gave 1000 saw what it retells.
    served = ServedModel(board_model, *plant(relations=[(1000, "Summary", 1003), (1003, "Full story", 1000)]))
    member = {1000: 9.0, 1004: 9.0}
    plain = ServedModel(board_model, *plant())
    season = [1003, 1012, 1013, 1014]  # block 1's titles score under block 0's for this member
    before = [p.anime_id for p in plain.rank_titles(member, season)]
    assert before[0] == 1003  # first by its score when it is no recap
    ranked = served.rank_titles(member, season)
    assert [p.anime_id for p in ranked][-1] == 1003
    recap = ranked[-1]
    assert recap.catch_up is None and recap.because == 1000
