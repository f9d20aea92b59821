"""/watchparty (animerec.recsys.serving.group): the strategies, and the fan rules held for every member at once."""

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import PLANTED_DATES, PLANTED_RELATIONS

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.serving.group import STRATEGIES, combine, group_picks
from animerec.recsys.serving.served import ServedModel


def test_least_misery_and_fair_avoid_a_title_one_member_would_hate():
    # Members x titles: title 0 is loved by one and hated by the other, title 1 liked by both.
    utility = np.array([[3.0, 1.0, -2.0], [-3.0, 1.0, -2.0]])
    assert int(np.argmax(combine(utility, "least_misery"))) == 1
    assert int(np.argmax(combine(utility, "fair"))) == 1
    assert int(np.argmin(combine(utility, "average"))) == 2
    blocked = utility.copy()
    blocked[:, 1] = -np.inf
    assert all(np.isneginf(combine(blocked, s)[1]) for s in STRATEGIES)
    with pytest.raises(ValueError, match="unknown strategy"):
        combine(utility, "loudest")


@pytest.mark.parametrize("strategy", ["average", "least_misery", "fair"])
def test_group_picks_are_unseen_by_everyone_follow_the_fan_rules_and_are_scored_per_member(served, strategy):
    members = [{1001: 9, 1004: 8, 1005: 9}, {1004: 10, 1006: 8, 1007: 7}]
    picks = group_picks(served, members, n=4, strategy=strategy)
    assert picks
    ids = [p.anime_id for p in picks]
    assert not set(ids) & {1000, 1001, 1004, 1005, 1006, 1007}
    assert 1002 not in ids  # the second member has not seen its prequel
    assert len(ids) == len({served.franchises.franchise_of(a) for a in ids})
    assert all(len(p.predictions) == 2 and min(p.predictions) >= 6.5 for p in picks)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_special_sends_the_groups_slot_on_to_the_next_main_entry_as_for_one_member(served, board_model, plant,
                                                                                   strategy):
    members = [{1010: 9, 1012: 8}, {1010: 10, 1013: 9}]
    assert group_picks(served, members, 1, strategy=strategy)[0].anime_id == 1017  # the group's best candidate
    # 1017 made a special of franchise B, beside the sequel 1011 both members can go on to after 1010.
    special = ServedModel(board_model, *plant(specials={1017}, relations=[(1010, "Side story", 1017),
                                                                          (1017, "Parent story", 1010)]))
    assert group_picks(special, members, 1, strategy=strategy)[0].anime_id == 1011  # the slot 1017 won
    picks = group_picks(special, members, 4, strategy=strategy)
    assert 1017 not in {p.anime_id for p in picks}
    for ratings in members:
        alone = special.recommend(ratings, 4).picks
        assert 1011 in {p.anime_id for p in alone} and 1017 not in {p.anime_id for p in alone}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_party_list_follows_the_figure_it_shows(served, strategy):
    # Members read the list against the predictions beside each pick: the mean of them (average), the
    # lowest (least_misery), or the mean less their spread (fair) never rises down the list.
    members = [{1001: 9, 1004: 8, 1005: 9}, {1004: 10, 1006: 8, 1007: 7}, {1010: 9, 1012: 8}]
    shown = {"average": np.mean, "least_misery": np.min, "fair": lambda p: np.mean(p) - np.std(p)}[strategy]
    picks = group_picks(served, members, n=6, strategy=strategy)
    assert len(picks) >= 3
    figures = [float(shown(p.predictions)) for p in picks]
    assert figures == sorted(figures, reverse=True)
    assert [p.group_score for p in picks] == pytest.approx(figures, abs=0.01)


def test_each_member_can_have_their_own_floor(served):
    members = [{1001: 9, 1004: 8, 1005: 9}, {1004: 10, 1006: 8, 1007: 7}]
    picks = group_picks(served, members, n=6, strategy="least_misery")
    high = sorted(p.predictions[0] for p in picks)[len(picks) // 2]
    held = group_picks(served, members, n=6, strategy="least_misery", floors=[high, 1.0])
    assert held and all(p.predictions[0] >= high for p in held)
    assert len(held) < len(picks)


def test_a_work_one_member_dropped_is_no_pick_for_the_group(served):
    # Both gave season 1 (1010) of franchise B. With two scores, a 4 is under FEW_SCORES_FLOOR less DROPPED_SLACK
    # (4.5), a 5 is not: its sequel 1011 is a pick for the group only while the second member has not dropped it.
    first = {1010: 9, 1012: 8}
    assert 1011 in {p.anime_id for p in group_picks(served, [first, {1010: 5, 1013: 9}], 10)}
    assert 1011 not in {p.anime_id for p in group_picks(served, [first, {1010: 4, 1013: 9}], 10)}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_work_only_some_members_started_offers_the_others_nothing_but_its_start(board_model, plant, strategy):
    # 1017, an OVA of franchise B's work with nothing before it (a spin-off of 1010 in the work through an OVA
    # numbering, as Attack on Titan's Kuinaki Sentaku), follows no title anyone must have seen; yet a member
    # who never started the work starts it at its entry point, 1010, which the first member gave: the work has
    # no pick for this group.
    served = ServedModel(board_model, *plant(types={1017: "OVA"}, dates={1017: "2014-01-01"},
                                             relations=[(1010, "Spin-off", 1017), (1017, "Parent story", 1010)],
                                             links=[(1010, 1017, "franchise"), (1011, 1017, "work")]))
    fan, newcomer = {1010: 9, 1012: 8}, {1013: 9, 1015: 8}
    assert served.franchises.work_of(1017) == served.franchises.work_of(1010) and not served.franchises.before(1017)
    alone = [p.anime_id for p in served.recommend(fan, 10).picks]
    assert 1017 in alone or 1011 in alone  # the fan alone can go on with the work
    together = {p.anime_id for p in group_picks(served, [fan, newcomer], 10, strategy=strategy)}
    assert together and not together & {1010, 1011, 1017}
    both = {p.anime_id for p in group_picks(served, [fan, {1010: 8, 1013: 9}], 10, strategy=strategy)}
    assert both & {1011, 1017}  # both started it: the work has its slot again


def test_a_work_whose_start_is_not_served_holds_a_newcomer_to_what_comes_first(board_model, plant):
    # 1099, a TV series before 1010 in franchise B's work, joined the catalog after training: the work's entry
    # point is not served. A member who never started the work still starts there, not at 1011 or 1010,
    # which come after it; the first member, who gave 1010, goes on to 1011 alone.
    planted, _ = plant()
    earlier = Anime(1099, "title 1099", ("Action", "Sci-Fi", "Thriller"), "TV", 12, 7.5, 100_000)
    catalog = Catalog([*planted, earlier])
    edges = pd.DataFrame([*PLANTED_RELATIONS, (1099, "Sequel", 1010), (1010, "Prequel", 1099)],
                         columns=["anime_id", "relation", "related_id"])
    dated = {**PLANTED_DATES, 1099: "2008-01-01"}
    when = pd.DataFrame({"anime_id": list(dated), "start_date": pd.to_datetime(list(dated.values()))})
    franchises = Franchises([TitleInfo(a.anime_id, a.type, a.members) for a in catalog], edges, when)
    served = ServedModel(board_model, catalog, franchises)
    assert served.index_of(1099) is None and served.franchises.work_of(1099) == served.franchises.work_of(1011)
    fan, newcomer = {1010: 9, 1012: 8}, {1013: 9, 1015: 8}
    assert 1011 in {p.anime_id for p in served.recommend(fan, 10).picks}
    for strategy in STRATEGIES:
        together = {p.anime_id for p in group_picks(served, [fan, newcomer], 10, strategy=strategy)}
        assert together and not together & {1010, 1011}, strategy


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_spin_off_of_a_franchise_one_member_disliked_needs_their_prediction_at_their_floor(
        board_model, plant, strategy):
    from animerec.recsys.serving.rules import member_floor

    # 1006 a side story of 1000 (another work of franchise A); the first member scored 1000 at 2.
    served = ServedModel(board_model, *plant(relations=[(1000, "Side story", 1006), (1006, "Parent story", 1000)]))
    members = [{1000: 2, 1010: 9, 1011: 9, 1012: 9, 1013: 8}, {1010: 9, 1014: 8, 1015: 9}]
    low = [3.0, 3.0]  # floors low enough that only the doubt keeps it out
    picks = group_picks(served, members, 10, strategy=strategy, floors=low)
    assert 1006 not in {p.anime_id for p in picks}
    served.rules.disliked_elsewhere = lambda given, floor: np.zeros(len(served.ids), bool)
    without = {p.anime_id: p.predictions for p in group_picks(served, members, 10, strategy=strategy, floors=low)}
    assert without[1006][0] < member_floor(members[0])  # it was a pick, under the member's own floor
