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
