"""The fan rules (animerec.recsys.serving.rules) as /recommend applies them, on the checkerboard model over the
planted catalog and franchise graph (tests/recsys/conftest.py)."""

import pytest

from animerec.recsys.serving.rules import CONTINUE, FLOOR_SLACK, NEW, PICK_FLOOR_SDS

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
    assert everything.floor == pytest.approx(10 - PICK_FLOOR_SDS * FLOOR_SLACK)  # all 10s: no spread to forgive
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


def test_the_entry_to_catch_up_with_leads_to_the_shown_one_not_a_film_beside_it(served):
    """Franchise A's season 2 (1001) and side-story film (1003) are both what a member who gave season 1 (1000)
    can watch next; a request that leaves both out, but for them would let them through (/recommend new's
    window), shows season 3 (1002) with season 2 to catch up with: the film does not lead to season 3."""
    import numpy as np

    out_of_window = np.isin(served.ids, [1001, 1003])
    found = served.recommend({1000: 9.0, 1004: 8.0, 1005: 9.0}, 8, allowed=~out_of_window, catch_up=out_of_window)
    in_a = [p for p in found.picks if p.anime_id in FRANCHISE_A]
    assert [(p.anime_id, p.kind, p.because, p.catch_up) for p in in_a] == [(1002, NEW, 1000, 1001)]
    plain = served.recommend({1000: 9.0, 1004: 8.0, 1005: 9.0}, 8, allowed=~out_of_window)
    assert not {p.anime_id for p in plain.picks} & FRANCHISE_A  # without catch_up: nothing of the work


def _slots(served, order, gave, n=3):
    """rules.slots over candidates in ``order`` (anime ids, best first), every prediction above the floor."""
    import numpy as np

    rules, index = served.rules, served.model.index_of
    scores = np.zeros(len(served.model.item_ids))
    candidates = [index(a) for a in order]
    scores[candidates] = np.linspace(2.0, 1.0, len(candidates))
    blocked = np.zeros(len(scores), bool)
    blocked[[index(a) for g in gave for a in g]] = True
    blocked[rules.indices(served.franchises.seen_earlier({a for g in gave for a in g}))] = True
    return [(int(served.model.item_ids[s.shown]), int(served.model.item_ids[s.ranked]), s.kind)
            for s in rules.slots(candidates, scores, blocked, gave, lambda i: (9.0,) * len(gave), [6.5] * len(gave), n)]


def test_a_later_season_ranked_first_sends_its_works_slot_to_the_entry_that_comes_next(served):
    # 1002 (season 3) ranks first for a member who gave season 1 only: the slot, at 1002's place, shows what
    # comes next for them (season 2, 1001, ranked above the film 1003), never season 3 itself.
    assert _slots(served, [1002, 1004, 1001, 1003], [{1000}])[:2] == [(1001, 1002, CONTINUE), (1004, 1004, NEW)]


def test_a_started_works_slot_goes_on_to_its_next_season_before_an_ova_beside_it(board_model, plant):
    # 1006, an OVA side story of season 1 (1000) aired before season 2 (1001), ranks first for a member who gave
    # season 1: the slot shows season 2 (the Shokugeki no Souma OVA was offered over its second season), and for
    # a member who gave seasons 1 and 2, season 3. With every season given, the OVA is the one to go on with.
    served = _served(board_model, plant, relations=[(1000, "Side story", 1006), (1006, "Parent story", 1000)],
                     dates={1006: "2002-01-01"}, types={1006: "OVA"})
    assert served.franchises.work_of(1006) == served.franchises.work_of(1000)
    assert _slots(served, [1006, 1004, 1001, 1003], [{1000}])[:2] == [(1001, 1006, CONTINUE), (1004, 1004, NEW)]
    assert _slots(served, [1006, 1004], [{1000, 1001}]) == [(1002, 1006, CONTINUE), (1004, 1004, NEW)]
    assert _slots(served, [1006, 1004], [{1000, 1001, 1002}]) == [(1006, 1006, CONTINUE), (1004, 1004, NEW)]
    # A film beside the next season (1003, a side story of season 1) is a side story too: the season goes first,
    # however the two score; with no season to go on to, the best scored.
    assert _slots(served, [1006, 1003, 1001, 1004], [{1000}])[:2] == [(1001, 1006, CONTINUE), (1004, 1004, NEW)]
    index = served.index_of
    assert served.rules.go_on_to([index(a) for a in (1006, 1001, 1003)],
                                 _scores_of(served, {1006: 3.0, 1003: 2.0, 1001: 1.0})) == index(1001)
    assert served.rules.go_on_to([index(a) for a in (1006, 1003)], _scores_of(served, {1006: 3.0, 1003: 2.0})) == \
        index(1006)


def _scores_of(served, given):
    import numpy as np

    scores = np.zeros(len(served.model.item_ids))
    for a, v in given.items():
        scores[served.index_of(a)] = v
    return scores


def test_a_title_seen_before_one_given_counts_for_going_on(served):
    # The film 1003 follows season 1 (1000), which a member who gave the film has seen: season 2 can come next.
    assert _slots(served, [1001, 1004], [{1003}]) == [(1001, 1001, CONTINUE), (1004, 1004, NEW)]


def test_a_started_work_moves_up_when_liked_down_when_scored_under_the_floor_and_nothing_else_moves(served):
    from animerec.recsys.serving.rules import STARTED_SHIFT

    work_a = {1000, 1001, 1002, 1003}  # season 1, its sequels and its side-story film: one work
    given = {1000: 10, 1004: 8, 1005: 9, 1006: 8}  # 1004-1006 stand alone: only they themselves move with them
    moved = _favoured(served, given)
    assert {a for a, v in moved.items() if v == STARTED_SHIFT} == work_a | set(given)
    assert not any(v for a, v in moved.items() if a not in work_a | set(given))
    assert {a for a in work_a if _favoured(served, {1001: -1})[a] == STARTED_SHIFT} == work_a  # watched: liked
    # Five scores averaging 7.8 (floor 7.3): season 1 scored 3 sends the work down; with season 2 scored 9 it goes up.
    low = {1000: 3, 1004: 9, 1005: 9, 1006: 9, 1007: 9}
    assert {a for a in work_a if _favoured(served, low)[a] == -STARTED_SHIFT} == work_a
    assert {a for a in work_a if _favoured(served, {**low, 1001: 9})[a] == STARTED_SHIFT} == work_a


# 1006 filed as a side story of 1000: another work of franchise A (a spin-off, as Railgun is of Index).
SPIN_OFF = [(1000, "Side story", 1006), (1006, "Parent story", 1000)]
# Block 1 liked, franchise A's first season scored 2: mean 7.4, floor 6.9.
DISLIKED_A = {1000: 2, 1010: 9, 1011: 9, 1012: 9, 1013: 8}


def test_a_franchise_scored_all_under_the_floor_doubts_its_other_works_and_one_liked_title_clears_it(
        board_model, plant):
    from animerec.recsys.serving.rules import member_floor

    served = _served(board_model, plant, relations=SPIN_OFF)

    def doubted(ratings):
        mask = served.rules.disliked_elsewhere(ratings, member_floor(ratings))
        return {int(served.model.item_ids[i]) for i in mask.nonzero()[0]}

    assert doubted(DISLIKED_A) == {1006}  # franchise A's own work is started: its rules are the started work's
    assert doubted({**DISLIKED_A, 1001: 8}) == set()  # season 2 liked
    assert doubted({**DISLIKED_A, 1002: -1}) == set()  # watched without a score counts as liked
    assert doubted({**DISLIKED_A, 1006: 3}) == set()  # the spin-off given: started, nothing left to doubt
    assert doubted({1010: 9, 1011: 9, 1012: 9, 1013: 8, 1014: 9}) == set()  # franchise A not given


def test_a_spin_off_of_a_disliked_franchise_needs_a_prediction_at_the_members_floor(board_model, plant):
    import numpy as np

    from animerec.recsys.serving.rules import member_floor

    served = _served(board_model, plant, relations=SPIN_OFF)
    found = served.recommend(DISLIKED_A, 10)
    assert 1006 not in {p.anime_id for p in found.picks}
    # Without the rule it is a pick, predicted under the member's floor (above the list's lower one).
    served.rules.disliked_elsewhere = lambda given, floor: np.zeros(len(served.ids), bool)
    shown = {p.anime_id: p.predicted for p in served.recommend(DISLIKED_A, 10).picks}
    assert found.floor <= shown[1006] < member_floor(DISLIKED_A)


def _favoured(served, ratings):
    """{anime id: how far FanRules.favour_started moved its score} for a member who gave ``ratings``."""
    import numpy as np

    from animerec.recsys.serving.rules import member_floor

    scores = np.zeros(len(served.model.item_ids))
    served.rules.favour_started(scores, ratings, member_floor(ratings))
    return dict(zip(served.model.item_ids.tolist(), scores.tolist()))


def test_a_liked_works_next_season_leads_the_list_that_without_the_move_it_trails(served, board_model, plant):
    from animerec.recsys.serving.rules import STARTED_FIRST, FanRules

    ratings = {1000: 10, 1004: 9, 1005: 9, 1006: 9}
    unmoved = _served(board_model, plant)
    unmoved.rules = FanRules(unmoved.titles, unmoved.catalog, unmoved.franchises, {STARTED_FIRST},
                             trained=unmoved.n_trained)
    position = lambda picks: next(k for k, p in enumerate(picks) if p.kind == CONTINUE)  # noqa: E731
    assert position(served.recommend(ratings, 8).picks) == 0 < position(unmoved.recommend(ratings, 8).picks)


def test_a_pick_of_a_started_work_continues_only_a_title_the_member_gave_before_it(board_model, plant):
    # 1003 (the film, 2004) follows 1000 in franchise A; a member who gave only 1002 (2005) has seen 1000 and
    # 1001 before it, so the film is theirs to go on with, but it does not continue 1002, which aired after it.
    served = _served(board_model, plant)
    picks = served.recommend({1002: 10, 1004: 8, 1005: 9}, 8).picks
    film = [p for p in picks if p.anime_id == 1003]
    assert film and film[0].because != 1003
    assert film[0].kind == NEW or film[0].because in served.rules.before(served.index_of(1003))
    for p in picks:
        if p.kind == CONTINUE:  # every continue pick names the title it goes on from, one the member gave
            assert p.because in {1002, 1004, 1005} and p.because in served.rules.before(served.index_of(p.anime_id))


def test_given_reads_the_started_works_and_the_entries_seen_before_from_the_planted_graph(served):
    import numpy as np

    rules, index = served.rules, served.index_of
    given = rules.given({1002: 9, 1004: 8, 1010: -1})  # A's season 3, a lone title, B's season 1 watched
    assert served.ids[given.earlier].tolist() == [1000, 1001]  # A's seasons 1 and 2, seen before season 3
    assert given.started == {rules.work_of(index(a)) for a in (1000, 1004, 1010)}
    order = np.array([index(a) for a in (1001, 1003, 1011, 1005, 1002)])
    # Work A is 1000-1003: beside 1001, 1000 and the film 1003 are not given; beside 1002 (given), 1000, 1001 and
    # 1003; B's other title was given; 1005 is a work apart from 1004 (linked by "Other"), of one title.
    assert rules.more_in_series(order, given) == [2, 2, 0, 0, 3]
    assert rules.can_continue(index(1003), given)  # the film follows season 1, seen before season 3
    assert not rules.can_continue(index(1002), rules.given({1000: 9}))  # season 3 waits for season 2


def test_a_title_the_model_does_not_serve_still_starts_its_work_and_follows_its_earlier_entries(board_model):
    import pandas as pd

    from animerec.recsys.catalog.catalog import Anime, Catalog
    from animerec.recsys.catalog.franchise import Franchises, TitleInfo
    from animerec.recsys.serving.served import ServedModel

    # 1040, A's fourth season, joined the catalog after the model was trained: the model does not serve it.
    catalog = Catalog([Anime(a, f"title {a}", ("Drama", "Romance", "School") if a < 1010 else ("Action",),
                             "TV", 12, 7.5, 100_000 - a) for a in [*range(1000, 1020), 1040]])
    chain = [(1000, 1001), (1001, 1002), (1002, 1040)]
    edges = pd.DataFrame([r for a, b in chain for r in ((a, "Sequel", b), (b, "Prequel", a))],
                         columns=["anime_id", "relation", "related_id"])
    dates = {1000: "2001-01-01", 1001: "2003-01-01", 1002: "2005-01-01", 1040: "2025-01-01"}
    when = pd.DataFrame({"anime_id": list(dates), "start_date": pd.to_datetime(list(dates.values()))})
    served = ServedModel(board_model, catalog, Franchises([TitleInfo(a.anime_id, a.type, a.members) for a in catalog],
                                                           edges, when))
    assert served.index_of(1040) is None
    ratings = {1040: 9, 1004: 8, 1005: 9}
    given = served.rules.given(ratings)
    assert served.ids[given.earlier].tolist() == [1000, 1001, 1002]
    assert served.rules.work_of(served.index_of(1000)) in given.started
    found = served.recommend(ratings, 8)
    assert set(found.seen_these) == {1000, 1001, 1002} and not {p.anime_id for p in found.picks} & {1000, 1001, 1002}
    assert found.seen_these == [1000, 1001, 1002]  # as they aired: a checklist reads in that order


def test_a_work_the_member_dropped_offers_no_pick_unless_they_did_not_drop_all_of_it(served, board_model, plant):
    from animerec.recsys.serving.rules import DROPPED, FanRules, dropped_floor

    keeps = _served(board_model, plant)
    keeps.rules = FanRules(keeps.titles, keeps.catalog, keeps.franchises, {DROPPED}, trained=keeps.n_trained)
    work_a = {1000, 1001, 1002, 1003}
    # Five scores averaging 7.8: season 1 scored 3 is more than DROPPED_SLACK under it.
    dropped = {1000: 3, 1004: 9, 1005: 9, 1006: 9, 1007: 9}
    assert dropped_floor(dropped) == pytest.approx(5.8)
    in_a = lambda s, ratings: {p.anime_id for p in s.recommend(ratings, 10).picks} & work_a  # noqa: E731
    assert in_a(keeps, dropped) and not in_a(served, dropped)
    assert in_a(served, {**dropped, 1000: 7})  # under their mean (8.6), not that far under it: not dropped
    assert in_a(served, {**dropped, 1000: -1})  # watched without a score
    assert in_a(served, {**dropped, 1001: 8})  # one title of the work not dropped keeps the work
    assert in_a(served, {**dropped, 1001: -1})
    assert not in_a(served, {**dropped, 1001: 4})
    # With few scores the floor is FEW_SCORES_FLOOR less the slack: a 4 drops a work, a 5 does not.
    assert not in_a(served, {1000: 4, 1004: 9}) and in_a(served, {1000: 5, 1004: 9})


def test_a_member_who_uses_the_whole_scale_drops_a_series_they_gave_4_and_gets_no_pick_predicted_under_4_5(served):
    from animerec.recsys.serving.rules import DISLIKED_FLOOR, dropped_floor, member_floor, pick_floor

    # Mean 5.75, sd 3.3: their mean less DROPPED_SLACK (3.75) let a 4 by, and less 1.5 sd the pick floor was 0.8.
    whole_scale = {1004: 10, 1005: 9, 1006: 9, 1007: 8, 1000: 4, 1010: 3, 1011: 2, 1012: 1}
    assert dropped_floor(whole_scale) == pick_floor(whole_scale) == DISLIKED_FLOOR == 4.5
    # Five scores of 1 to 4 (mean 2.2): nothing they gave is liked; what they like starts above a dislike.
    assert member_floor({1004: 1, 1005: 2, 1006: 4, 1007: 3, 1010: 1}) == DISLIKED_FLOOR
    assert served.rules.dropped(served.rules.given(whole_scale), dropped_floor(whole_scale)).any()
    found = served.recommend(whole_scale, 10)
    assert found.floor == 4.5 and all(p.predicted >= 4.5 for p in found.picks)
    assert not {p.anime_id for p in found.picks} & {1001, 1002, 1003}  # season 1 (1000) given 4: work A dropped


def test_a_low_score_of_a_film_alone_drops_nothing(served):
    from animerec.recsys.serving.rules import dropped_floor

    # 1003 is franchise A's side-story film: scored 2, far under this member's mean, it is no dropped series.
    ratings = {1003: 2, 1004: 9, 1005: 9, 1006: 9, 1007: 9}
    assert not served.rules.dropped(ratings, dropped_floor(ratings)).any()
    assert served.rules.dropped({**ratings, 1000: 2}, dropped_floor(ratings)).any()


def test_a_member_behind_on_a_series_is_sent_to_a_season_myanimelist_counts_not_a_recap_series_beside_it(
        board_model, plant):
    """bangumi-data types a recap series TV (My Hero Academia: Memories, a month before the 7th season). 1007 is
    such a one, filed as another sequel of season 2 (1001), with no members count, aired between seasons 2 and 3: a member
    who gave season 1, asking for what 2004 on brought, is shown season 3 (1002) with season 2 to catch up with."""
    import numpy as np

    served = _served(board_model, plant, relations=[(1001, "Sequel", 1007), (1007, "Prequel", 1001)],
                     dates={1007: "2004-06-01"}, uncounted={1007})
    assert served.franchises.work_of(1007) == served.franchises.work_of(1000)
    before = np.isin(served.ids, [1000, 1001, 1003])
    found = served.recommend({1000: 9.0, 1004: 8.0, 1005: 9.0}, 8, allowed=~before, catch_up=before)
    in_a = [(p.anime_id, p.kind, p.because, p.catch_up) for p in found.picks if p.anime_id in FRANCHISE_A | {1007}]
    assert in_a == [(1002, NEW, 1000, 1001)]
    counted = _served(board_model, plant, relations=[(1001, "Sequel", 1007), (1007, "Prequel", 1001)],
                      dates={1007: "2004-06-01"})  # a season MyAnimeList counts: the oldest one comes first
    found = counted.recommend({1000: 9.0, 1004: 8.0, 1005: 9.0}, 8, allowed=~before, catch_up=before)
    assert [p.anime_id for p in found.picks if p.anime_id in FRANCHISE_A | {1007}] == [1007]


def _remade(board_model, plant):
    """Franchise A with a remake: 1007 (TV, 2023) another version of season 1 (1000), its own work, and 1008
    (TV, autumn 2024) the remake's second season."""
    return _served(board_model, plant, relations=[(1007, "Alternative version", 1000), (1000, "Alternative version", 1007),
                                                  (1007, "Sequel", 1008), (1008, "Prequel", 1007)],
                   dates={1007: "2023-07-07", 1008: "2024-10-04"})


def test_new_shows_the_later_season_of_another_work_of_a_franchise_the_member_likes_with_its_start_first(
        board_model, plant):
    """A member who gave the 1996 Rurouni Kenshin 9 asks for titles first aired since 2024: the 2023 remake (its
    own work) is outside the window, its 2024 season inside. The remake's season shows, for their title of the
    franchise, with the remake's first season to catch up with; without catch_up the work offers nothing (only
    its start could be a pick), and a member who liked nothing of the franchise is sent nowhere in it."""
    import numpy as np

    served = _remade(board_model, plant)
    assert served.franchises.franchise_of(1008) == served.franchises.franchise_of(1000)
    assert served.franchises.work_of(1008) != served.franchises.work_of(1000)
    before = np.isin(served.ids, [1000, 1001, 1002, 1003, 1007, 1010, 1011])  # aired before 2024 (the rest undated)
    window = ~before
    fan = {1000: 9.0, 1004: 8.0, 1005: 9.0}
    picks = {p.anime_id: p for p in served.recommend(fan, 8, allowed=window, catch_up=before).picks}
    assert (picks[1008].kind, picks[1008].because, picks[1008].catch_up) == (NEW, 1000, 1007)
    assert 1008 not in {p.anime_id for p in served.recommend(fan, 8, allowed=window).picks}
    for stranger in ({1004: 8.0, 1005: 9.0, 1006: 9.0}, {1000: 2.0, 1004: 8.0, 1005: 9.0}):  # never gave it; disliked
        assert 1008 not in {p.anime_id for p in served.recommend(stranger, 8, allowed=window, catch_up=before).picks}


def test_a_season_list_ranks_another_works_later_season_for_a_fan_of_its_franchise(board_model, plant):
    """/seasonal: the remake's 2024 season is no "later season of a series you haven't started" for a member who
    liked the original (1000): it ranks with the rest, naming 1000, with the remake's first season to watch
    first. For a member who never gave the franchise it still comes last, with where the remake starts."""
    served = _remade(board_model, plant)
    fan = {p.anime_id: p for p in served.rank_titles({1000: 9.0, 1004: 8.0, 1005: 9.0}, [1008, 1006])}
    assert (fan[1008].kind, fan[1008].because, fan[1008].catch_up, fan[1008].starts_at) == (NEW, 1000, 1007, None)
    stranger = served.rank_titles({1004: 8.0, 1005: 9.0, 1006: 9.0}, [1008, 1009])
    assert [p.anime_id for p in stranger][-1] == 1008
    assert (stranger[-1].starts_at, stranger[-1].catch_up) == (1007, None)
