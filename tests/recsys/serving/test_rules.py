"""The fan rules (animerec.recsys.serving.rules) as /recommend applies them, on the checkerboard model over the
planted catalog and franchise graph (tests/recsys/conftest.py)."""

import pytest

from animerec.recsys.serving.rules import CONTINUE, NEW

FRANCHISE_A = {1000, 1001, 1002, 1003}


def test_a_member_into_a_later_entry_never_gets_an_earlier_one_but_is_asked_about_it(served):
    ratings = {1002: 9, 1004: 8, 1005: 9, 1006: 8}
    found = served.recommend(ratings, 8)
    picked = {p.anime_id for p in found.picks}
    assert not picked & {1000, 1001}
    assert set(found.seen_these) == {1000, 1001}


def test_one_slot_per_franchise_and_new_franchises_start_at_their_entry_point(served):
    found = served.recommend({1004: 9, 1005: 9, 1006: 8, 1007: 9}, 8)
    ids = [p.anime_id for p in found.picks]
    assert len(ids) == len({served.franchises.franchise_of(a) for a in ids})
    in_a = [p for p in found.picks if p.anime_id in FRANCHISE_A]
    assert [p.anime_id for p in in_a] == [1000] and in_a[0].kind == NEW  # never the sequel or the film
    assert in_a[0].more_in_series == 3


def test_a_sequel_is_a_continue_pick_naming_the_prequel_seen(served):
    found = served.recommend({1000: 10, 1004: 8, 1005: 9, 1006: 8}, 8)
    in_a = [p for p in found.picks if p.anime_id in FRANCHISE_A]
    assert len(in_a) == 1
    assert in_a[0].anime_id in {1001, 1003} and in_a[0].kind == CONTINUE and in_a[0].because == 1000
    assert 1002 not in {p.anime_id for p in found.picks}  # its prequel 1001 is unseen


def test_the_quality_floor_shortens_the_list_instead_of_padding(served):
    ratings = {1004: 10, 1005: 10, 1006: 10, 1007: 10, 1008: 10}
    everything = served.recommend(ratings, 10)
    assert everything.floor == pytest.approx(9.5)
    assert all(p.predicted >= everything.floor for p in everything.picks)
    # Few scores, all low: the fixed 6.5 floor, which no title of this taste reaches.
    harsh = served.recommend({1004: 2.0, 1005: 2.0, 1006: 3.0}, 10)
    assert harsh.floor == 6.5 and harsh.short and harsh.picks == []


def _served(board_model, plant, **planted):
    from animerec.recsys.serving.served import ServedModel

    return ServedModel(board_model, *plant(**planted))


def test_a_tv_side_story_series_of_a_started_work_gets_its_own_slot(board_model, plant):
    # 1006 is a TV series MyAnimeList files as a side story of 1000 (Railgun beside Index): same franchise, own work.
    served = _served(board_model, plant, relations=[(1000, "Side story", 1006), (1006, "Parent story", 1000)])
    assert served.franchises.franchise_of(1006) == served.franchises.franchise_of(1000)
    found = served.recommend({1000: 10, 1004: 8, 1005: 9}, 8)
    kinds = {p.anime_id: p.kind for p in found.picks}
    assert kinds.get(1006) == NEW
    assert [a for a, k in kinds.items() if k == CONTINUE and a in FRANCHISE_A]  # Index's own sequel still offered


def test_a_new_season_joins_its_predecessor_by_the_built_links_and_is_a_continue_pick_only_after_it(
        board_model, plant):
    # 1012 (2024) is a new season MAL 2018 never saw; the catalog build links it to 1011 (2012) as one work.
    served = _served(board_model, plant, dates={1012: "2024-04-01"}, links=[(1012, 1011, "work")])
    not_yet = served.recommend({1010: 9, 1013: 9, 1014: 8}, 8)
    assert 1012 not in {p.anime_id for p in not_yet.picks}  # not a new work, and 1011 is not seen yet
    assert {p.anime_id: p.kind for p in not_yet.picks}.get(1011) == CONTINUE
    after = served.recommend({1010: 9, 1011: 9, 1013: 9, 1014: 8}, 8)
    new_season = [p for p in after.picks if p.anime_id == 1012]
    assert len(new_season) == 1 and new_season[0].kind == CONTINUE and new_season[0].because == 1011
    seen = served.recommend({1012: 9, 1013: 9, 1014: 8}, 8)
    assert set(seen.seen_these) == {1010, 1011} and not {p.anime_id for p in seen.picks} & {1010, 1011}


def test_the_original_of_an_alternative_version_is_not_already_seen(board_model, plant):
    # 1008 (1990) and its retelling 1007 (2009): a member who rated the retelling may still be offered 1008.
    served = _served(board_model, plant, relations=[(1007, "Alternative version", 1008),
                                                    (1008, "Alternative version", 1007)],
                     dates={1007: "2009-04-05", 1008: "1990-10-04"})
    found = served.recommend({1007: 10, 1004: 8, 1005: 9}, 8)
    assert 1008 not in found.seen_these
    assert 1008 in {p.anime_id for p in found.picks}
