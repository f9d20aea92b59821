"""Titles without interactions served beside the trained ones, on the planted catalog of conftest.py
(COLD): 1030 is franchise B's new season (after 1011), 1020 a new work of block 1's genres, 1021 one
of block 0's (as many MAL members as 1020), 1022 an older block 0 work, 1023 a work nobody's genres,
1024 a spin-off of franchise A (its own work, a franchise vector)."""

import copy
import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import PLANTED_RELATIONS, PLANTED_SUPPORT_HALF

from animerec.recsys.algorithms.coldstart import COMMUNITY
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import calibrated
from animerec.recsys.serving.group import group_picks
from animerec.recsys.serving.rules import CONTINUE, NEW
from animerec.recsys.serving.served import LOVED_WORK_EVERY, PlacedByNothing, ServedModel, cold_placed

BLOCK1_FAN = {1010: 9.0, 1011: 9.0}  # franchise B's two seasons, both loved
COLD_IDS = (1030, 1020, 1021, 1022, 1023, 1024)


@pytest.fixture(scope="module")
def served(cold_plant) -> ServedModel:
    return cold_plant[0]


def test_every_catalog_title_is_served(served):
    assert served.n_trained == 20
    assert sorted(served.ids[served.n_trained:].tolist()) == sorted(COLD_IDS)
    assert all(served.is_cold(a) for a in COLD_IDS) and not served.is_cold(1010)


def test_a_new_season_of_a_loved_franchise_is_a_continue_pick_naming_its_predecessor(served):
    picks = {p.anime_id: p for p in served.recommend(BLOCK1_FAN, 8).picks}
    assert 1030 in picks
    pick = picks[1030]
    assert (pick.kind, pick.because, pick.source) == (CONTINUE, 1011, "franchise")


def test_new_works_rank_by_taste_among_the_rest(served):
    shown = [p.anime_id for p in served.recommend(BLOCK1_FAN, 20).picks]
    assert 1020 in shown  # block 1's new work makes a block 1 fan's list
    assert 1021 not in shown or shown.index(1020) < shown.index(1021)
    block0 = [p.anime_id for p in served.recommend({1000: 9.0, 1001: 9.0}, 20).picks]
    assert 1021 in block0 and (1020 not in block0 or block0.index(1021) < block0.index(1020))


def test_a_new_season_of_a_franchise_the_member_never_started_stands_among_new_titles(served):
    """1030 continues franchise B: for a block 0 fan who never gave B, its predecessor's vector is no
    evidence about them, so it is not placed among the trained titles but stands among the new ones,
    below block 0's new work 1021 (as the cold-start scores, unstarted_penalty included, rank them)."""
    block0 = {1000: 9.0, 1001: 9.0}
    scores = served.scores(served.model.folded(block0), block0)[0]
    new, old = scores[served.index_of(1030)], scores[served.index_of(1021)]
    assert new < old
    assert new < scores[: served.n_trained].min()  # not placed among the (20, all reachable) trained titles
    fan = served.scores(served.model.folded(BLOCK1_FAN), BLOCK1_FAN)[0]
    assert fan[served.index_of(1030)] > fan[served.index_of(1020)]  # for a B fan it still leads


def test_a_new_title_is_predicted_by_its_calibrated_cold_start_estimate(served):
    model = served.model
    user = model.fold_in(BLOCK1_FAN)
    rows = np.arange(len(COLD_IDS))
    expected = calibrated(model.cold.predicted(model.global_mean, user.user_bias, user.rating_vec, rows))
    got = served.predictions(user, served.n_trained + rows)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    picks = {p.anime_id: p for p in served.recommend(BLOCK1_FAN, 20).picks}
    assert picks[1030].predicted == pytest.approx(float(expected[0]), rel=1e-6)


def test_a_content_vector_never_names_a_title_as_its_reason(served):
    for ratings in (BLOCK1_FAN, {1000: 9.0, 1001: 8.0, 1002: 9.0}, {1015: 10.0, 1016: 9.0}):
        for pick in served.recommend(ratings, 20).picks:
            if pick.source in ("content", "prior"):
                assert pick.because is None, pick


def test_new_keeps_only_titles_first_aired_since_the_day(served, cold_plant):
    catalog = cold_plant[1]
    since = date(2025, 12, 1)
    picks = served.recommend(BLOCK1_FAN, 10, allowed=served.allowed(aired_from=since)).picks
    assert picks and {p.anime_id for p in picks} <= {1030, 1020, 1021, 1023}
    assert all(catalog.get(p.anime_id).start_date >= "2025-12-01" for p in picks)
    assert picks[0].anime_id == 1030  # the continue pick leads
    window = served.allowed(aired_from=date(2019, 1, 1), aired_to=date(2019, 12, 31))
    assert served.ids[window].tolist() == [1022]
    assert served.new_since(date(2026, 12, 5)) == date(2025, 12, 1)


def test_discovering_new_titles_ranks_them_by_taste_and_leaves_out_what_popularity_alone_put_there(
        served, monkeypatch):
    """A list of new titles ranks them by their cold-start scores, which hold the popularity prior at twelve
    times the member's taste: there discover's weight against popularity moved nothing. Discovering new titles,
    the prior is taken out and only a title the member's taste speaks for (ServedModel._taste_speaks_for, the
    test a pick's words make) is one: for a block 0 fan, 1021 (block 0's genres), not block 1's 1020 or 1023
    (nobody's), which the plain list shows for their members count. The window's most watched are no discovery:
    1021 is among its three most watched (1030, 1020 and 1021: 90,000 and 85,000 members; 1023 has 70,000)."""
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_TOP", 0)  # the planted catalog is small
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_NEW", 0)  # its window holds four titles
    window = served.allowed(aired_from=date(2025, 12, 1))
    block0 = {1000: 9.0, 1001: 9.0, 1004: 8.0}
    plain = [p.anime_id for p in served.recommend(block0, 10, allowed=window).picks]
    assert plain[0] == 1021 and {1020, 1023} <= set(plain)
    found = served.recommend(block0, 10, allowed=window, discover=True).picks
    assert [(p.anime_id, p.source) for p in found] == [(1021, "content")]
    block1 = {1010: 9.0, 1012: 9.0, 1013: 8.0}  # B's new season (1030) is of a franchise they gave: no discovery
    assert [p.anime_id for p in served.recommend(block1, 10, allowed=window, discover=True).picks] == [1020]
    monkeypatch.setattr("animerec.recsys.serving.served.DISCOVER_SKIP_NEW", 3)
    assert served.recommend(block0, 10, allowed=window, discover=True).picks == []


def test_new_names_the_season_to_catch_up_with_when_the_window_leaves_out_the_one_that_comes_next(served):
    """A member who gave franchise B's first season (1010) but not its second (1011, 2012) asks for titles first
    aired since December 2025: the window leaves 1011 out, so B's slot shows its new season 1030 (spring 2026)
    for their own title of it, naming 1011 as the one to watch first. Without catch_up the work offers nothing,
    as 1030 cannot come straight after 1010."""
    behind = {1010: 9.0, 1015: 8.0}
    since = date(2025, 12, 1)
    window, before = served.allowed(aired_from=since), served.before_window(aired_from=since)
    assert before is not None and not (before & window).any() and before[served.index_of(1011)]
    assert (before | window).sum() == np.count_nonzero(~np.isnat(served._start))  # every dated title, once
    picks = {p.anime_id: p for p in served.recommend(behind, 10, allowed=window, catch_up=before).picks}
    assert (picks[1030].kind, picks[1030].because, picks[1030].catch_up) == (NEW, 1010, 1011)
    assert all(p.catch_up is None for a, p in picks.items() if a != 1030)
    assert 1030 not in {p.anime_id for p in served.recommend(behind, 10, allowed=window).picks}
    # Who gave 1011 continues to 1030, with nothing to catch up on; who never started B is sent nowhere in it.
    fan = {p.anime_id: p for p in served.recommend(BLOCK1_FAN, 10, allowed=window, catch_up=before).picks}
    assert fan[1030].kind == CONTINUE and fan[1030].catch_up is None
    newcomer = served.recommend({1015: 8.0, 1016: 9.0}, 10, allowed=window, catch_up=before).picks
    assert 1030 not in {p.anime_id for p in newcomer}


def test_a_member_who_gave_only_new_titles_is_placed_by_their_vectors(served):
    """Folded in from cold vectors: block 1's new titles give block 1's old ones, not the most watched."""
    picks = [p.anime_id for p in served.recommend({1020: 10.0, 1030: 9.0}, 6).picks]
    trained = [a for a in picks if not served.is_cold(a)]
    assert trained and all(1010 <= a < 1020 for a in trained)


def test_similar_finds_neighbours_of_a_new_title(served):
    found = served.similar(1020, 5)
    ids = [a for a, _ in found.neighbours]
    assert 1020 not in ids and len(ids) == 5
    assert sum(1010 <= a < 1020 or a == 1030 for a in ids) >= 4  # block 1's genres and taste
    # The member's own titles stay out, cold ones too (sixteen neighbours reach past the 15 other watched
    # franchises); a franchise they have not started by its entry.
    mine = [a for a, _ in served.similar(1022, 16, given={1012, 1021}).neighbours]
    assert len(mine) == 16 and set(mine) & {1020, 1023} and not set(mine) & {1012, 1021, 1030}
    assert 1010 in mine


def test_a_content_guess_is_no_neighbour_of_a_title_placed_by_evidence(served):
    """Monster's fans are not sent to Jujutsu Kaisen because its genres land it near: 1020 and 1021 are
    new works known by their content alone, 1030 continues franchise B (evidence from its predecessor)."""
    guessed = {a for a in COLD_IDS if served.source(served.index_of(a)) in ("content", "prior")}
    assert guessed == {1020, 1021, 1022, 1023}
    for anime_id in (1015, 1000, 1030):  # trained titles of either block, and the evidenced new season
        shown = {a for a, _ in served.similar(anime_id, 12).neighbours}
        assert shown and not shown & guessed, (anime_id, shown)
    # With a filter narrow enough to be searched exactly the rule holds too.
    block1 = np.isin(served.ids, [1012, 1013, 1014, 1016, 1020])
    assert sorted(a for a, _ in served.similar(1015, 5, allowed=block1).neighbours) == [1012, 1013, 1014, 1016]
    # A content guess's own neighbours may be anything (its place is no better than theirs), the titles
    # members watch first: here the trained ones, block 1's (1020's genres) ahead of block 0's.
    own = [a for a, _ in served.similar(1020, 12).neighbours]
    assert len(own) == 12 and not set(own) & set(COLD_IDS)
    assert all(1010 <= a < 1020 for a in own[:8])
    # Others nobody watches when a filter leaves too few watched titles to fill the list.
    few = np.isin(served.ids, [1012, 1021, 1022, 1023])
    assert sorted(a for a, _ in served.similar(1020, 4, allowed=few).neighbours) == [1012, 1021, 1022, 1023]


def test_the_annoy_index_covers_every_title_and_survives_a_round_trip(served, tmp_path):
    model = served.model
    assert len(model.ensure_ann().item_ids) == served.n_items
    version = artifacts.publish(model, tmp_path)
    loaded = artifacts.load(tmp_path / version)
    again = ServedModel(loaded, served.catalog, served.franchises)
    assert again.similar(1020, 5).neighbours == served.similar(1020, 5).neighbours


def test_rank_titles_marks_continue_picks_and_leaves_out_given_titles(served):
    ranked = served.rank_titles({**BLOCK1_FAN, 1020: 8.0}, [1030, 1020, 1021, 1023, 1010])
    assert [p.anime_id for p in ranked if p.anime_id in (1020, 1010)] == []
    first = {p.anime_id: p for p in ranked}
    assert (first[1030].kind, first[1030].because) == (CONTINUE, 1011)
    assert all(first[a].kind == NEW for a in (1021, 1023))
    assert [p.score for p in ranked] == sorted((p.score for p in ranked), reverse=True)


@pytest.mark.parametrize("member, named", [({1010: 9.0, 1015: 10.0, 1016: 10.0}, 1010),
                                           ({1010: 8.0, 1012: 10.0, 1013: 10.0, 1014: 9.0, 1015: 10.0}, 1010),
                                           ({1010: 3.0, 1012: 10.0, 1013: 10.0, 1014: 9.0, 1015: 10.0}, 1015)])
def test_a_later_season_of_a_work_the_member_has_not_caught_up_with_names_their_title_of_it(served, member, named):
    """1030 comes after 1011, which the member has not seen: not a continue pick, and 1011 is named to catch up
    with. Its reason is the title of its work they gave (1010), not another liked title of its genres (1015),
    though they scored 1010 under what they like (member_floor 8.9): the line speaks of their series. Only when
    they disliked 1010 (DISLIKED) is the reason found as for any other show."""
    pick = {p.anime_id: p for p in served.rank_titles(member, [1030, 1020, 1021])}[1030]
    assert (pick.kind, pick.because) == (NEW, named)
    assert pick.catch_up == 1011  # what they go on to first: the season after 1010, as /recommend's slot shows


def test_only_a_season_the_member_is_behind_on_names_what_comes_first(served):
    """1030 continues 1011: for a member who gave 1011 it is a continue pick, with nothing to catch up on; for
    one who never started franchise B, a later season whose start is 1010 (starts_at), not a catch-up."""
    ranked = {p.anime_id: p for p in served.rank_titles(BLOCK1_FAN, [1030, 1021])}
    assert ranked[1030].kind == CONTINUE and ranked[1030].catch_up is None and ranked[1021].catch_up is None
    newcomer = {p.anime_id: p for p in served.rank_titles({1015: 8.0, 1016: 9.0}, [1030])}[1030]
    assert (newcomer.starts_at, newcomer.catch_up) == (1010, None)


def test_a_watch_party_of_two_fans_of_the_franchise_can_continue_to_its_new_season(served):
    picks = group_picks(served, [BLOCK1_FAN, {1010: 10.0, 1011: 8.0, 1015: 9.0}], 10)
    assert 1030 in [p.anime_id for p in picks]
    # Someone who never started the franchise holds the new season back: no continue pick for them.
    assert 1030 not in [p.anime_id for p in group_picks(served, [BLOCK1_FAN, {1016: 9.0}], 10)]


def test_cold_placed_stands_cold_titles_by_rank_among_the_trained():
    trained = np.array([9.0, 7.0, 5.0, 3.0, 1.0, 0.0, -1.0, -2.0])  # eight trained titles
    cold = np.array([0.5, 2.0, -3.0, 1.0])  # four cold: the best stands at the trained best
    placed = cold_placed(trained, cold, depth=8)
    order = np.argsort(-placed)
    assert order.tolist() == [1, 3, 0, 2]  # the cold order is kept
    assert placed[1] == pytest.approx(9.0 - 1e-6)  # rank 0 -> trained rank 0, just below it
    assert placed[3] == pytest.approx(5.0 - 1e-6)  # rank 1 of 4 -> trained rank 2 of 8
    shallow = cold_placed(trained, cold, depth=2)  # only the first two trained ranks are reachable
    assert shallow[1] == pytest.approx(9.0 - 1e-6) and (np.delete(shallow, 1) < 7.0 - 0.5).all()



def test_a_content_guess_is_placed_below_every_reachable_trained_title():
    """Only cold titles whose vector comes from a predecessor or raters stand among the trained ones;
    a content guess (placeable False) keeps its order below them, so it fills a list of new titles
    only."""
    trained = np.array([9.0, 7.0, 5.0, 3.0, 1.0, 0.0, -1.0, -2.0])
    cold = np.array([0.5, 2.0, -3.0, 1.0])
    placed = cold_placed(trained, cold, depth=8, placeable=np.array([True, False, True, False]))
    assert placed[0] == pytest.approx(9.0 - 1e-6)  # the best placeable one stands at the trained best
    assert placed[2] == pytest.approx(5.0 - 1e-6)
    assert placed[1] < -2.0 and placed[3] < -2.0 and placed[1] > placed[3]  # below all, own order kept


def test_a_content_guess_does_not_push_a_trained_pick_out_of_recommend(served):
    """1020 (block 1's new work, a content vector) ranks among new titles, but does not take a block 1
    fan's slot from a trained block 1 title; 1030 (franchise vector) still makes the list as a continue pick."""
    shown = [p.anime_id for p in served.recommend(BLOCK1_FAN, 6).picks]
    assert 1030 in shown and 1020 not in shown
    new_only = np.arange(served.n_items) >= served.n_trained
    assert 1020 in [p.anime_id for p in served.recommend(BLOCK1_FAN, 5, allowed=new_only).picks]

def test_cold_placed_gives_each_loved_work_one_place_in_every_few_best_loved_first():
    """Cold titles that go on from a work the member loved stand right under the trained ranks 0, 2, 4
    of the list as it stands, one work per place (its other entries right after it), the work they
    loved most first, and even a content guess among them."""
    trained = np.array([9.0, 7.0, 5.0, 3.0, 1.0, 0.0, -1.0, -2.0])
    cold = np.array([0.5, 2.0, -3.0, 1.0, -1.0])
    love = np.array([0.0, 8.0, 10.0, 8.0, 0.0])  # rows 1 and 3: one work loved 8; row 2: a work loved 10
    work = np.array([50, 60, 70, 60, 80])
    placed = cold_placed(trained, cold, depth=8, placeable=np.array([True, False, False, False, False]),
                         loved_work=love, work=work)
    standing = np.sort(np.append(trained, placed[0]))[::-1]  # row 0 stands among the trained titles
    assert placed[2] == pytest.approx(standing[0] - 5e-7, abs=1e-9)  # loved 10: first, though it scores lowest
    assert placed[1] == pytest.approx(standing[2] - 5e-7, abs=3e-9)  # the work loved 8, its best entry first
    assert placed[0] < placed[2]  # the cold title placed at the trained best comes after the loved one
    assert standing[3] < placed[3] < placed[1]  # its other entry right after it
    assert placed[4] < -2.0  # neither loved nor placeable: below every trained title


def _placed_as_first_written(trained, cold, depth, placeable, love, work):
    """cold_placed's rule in its first numpy steps: a partition and a sort of the trained scores, and a sort of
    every title standing at or above the lowest reachable one (served now by top_n's heap, and a sort of the
    cold titles placed alone)."""
    n, m = len(trained), len(cold)
    best = trained[np.isfinite(trained)]
    cut = len(best) - depth
    if cut > 0:
        best = np.partition(best, cut)[cut:] if depth > 0 else best[:0]
    best = np.sort(best)[::-1]
    if len(best) == 0:
        return cold - float(np.max(cold))
    out = cold + ((float(best[-1]) - 1.0) - float(np.max(cold)))
    low, loved = float(best[-1]), love > 0
    rows = np.flatnonzero(placeable & ~loved)
    reach = min(len(rows), int(np.ceil(len(best) * m / max(n, 1))))
    if reach:
        order = rows[np.lexsort((rows, -cold[rows]))[:reach]]  # best first, the lower row of a tie first
        out[order] = np.interp(np.arange(reach) * (n / m), np.arange(len(best)), best) - 1e-6
    rows = np.flatnonzero(loved)
    if len(rows):
        order = rows[np.lexsort((-cold[rows], -love[rows]))]
        place_of: dict[int, int] = {}
        places = np.array([place_of.setdefault(w, len(place_of)) for w in work[order].tolist()]) * LOVED_WORK_EVERY
        standing = np.sort(np.concatenate([best, out[~loved][out[~loved] >= low]]))[::-1]
        out[order] = standing[np.minimum(places, len(standing) - 1)] - 5e-7 - 1e-9 * np.arange(len(order))
    return out


def test_cold_placed_is_the_rule_in_its_first_steps_to_the_last_bit():
    """Random rows with ties (rounded scores), titles no list may show (-inf), loved works sharing a
    work, any depth: the placement gives the first steps' values exactly."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = int(rng.integers(0, 300)), int(rng.integers(1, 200))
        trained = rng.standard_normal(n).round(int(rng.integers(0, 3)))
        trained[rng.random(n) < 0.1] = -np.inf
        cold = rng.standard_normal(m).round(int(rng.integers(0, 3)))
        placeable = rng.random(m) < rng.random()
        love = np.where(rng.random(m) < 0.1, rng.integers(5, 11, m), 0).astype(np.float64)
        work = rng.integers(0, max(1, m // 3), m)
        depth = int(rng.choice([0, 5, 50, 400]))
        expected = _placed_as_first_written(trained, cold, depth, placeable, love, work)
        placed = cold_placed(trained, cold, depth, placeable=placeable, loved_work=love, work=work)
        np.testing.assert_array_equal(placed, expected)


def test_a_new_season_of_a_new_title_the_member_loved_is_a_continue_pick(cold_plant):
    """1022 (2019) and 1021 (2026) are both without interactions and content vectors; joined as one
    work, 1021 goes on from 1022, which the member rated 10: it makes a short list as a continue pick
    naming 1022, as a new season of a trained title does."""
    served, catalog = cold_plant
    relations = [*PLANTED_RELATIONS, (1011, "Sequel", 1030), (1030, "Prequel", 1011),
                 (1022, "Sequel", 1021), (1021, "Prequel", 1022)]
    edges = pd.DataFrame(relations, columns=["anime_id", "relation", "related_id"])
    dates = {a.anime_id: a.start_date for a in catalog}
    when = pd.DataFrame({"anime_id": list(dates), "start_date": pd.to_datetime(list(dates.values()))})
    chained = ServedModel(served.model, catalog,
                          Franchises((TitleInfo(a.anime_id, a.type, a.members) for a in catalog), edges, when))
    assert chained.source(chained.index_of(1021)) == "content"
    picks = {p.anime_id: p for p in chained.recommend({1022: 10.0, 1010: 9.0, 1011: 8.0}, 4).picks}
    assert 1021 in picks and (picks[1021].kind, picks[1021].because) == (CONTINUE, 1022)


def test_community_raters_fold_a_new_title_in_once(cold_plant):
    served = cold_plant[0]
    model = served.model.with_own_cold()
    row = model.cold.index_of(1021)
    block1 = {u: {1010 + k: 9.0 for k in range(2 + u % 3)} for u in range(model.cold.config.min_raters)}
    fan = model.fold_in(BLOCK1_FAN)
    before = float(model.cold.factors[row] @ fan.pref)
    too_few = {m: {**r, 1021: 10.0} for m, r in list(block1.items())[:-1]}
    assert model.fold_in_community(too_few) == []  # one rater short: nothing changes
    members = {m: {**r, 1021: 10.0} for m, r in block1.items()}
    assert model.fold_in_community(members) == [1021]
    assert model.cold.source[row] == COMMUNITY and model.cold.raters[row] == len(members)
    after = float(model.cold.factors[row] @ fan.pref)
    assert after > before  # block 1 fans rated it: it moved toward block 1
    model.fold_in_community(members)  # again with the same raters: each counts once
    assert float(model.cold.factors[row] @ fan.pref) == pytest.approx(after, rel=1e-5)
    # The served model was not touched: its own copy of the cold vectors was folded in.
    assert served.model.cold.source[row] != COMMUNITY


def test_a_title_with_no_known_air_date_is_in_no_date_range(cold_plant):
    from animerec.recsys.catalog.catalog import Anime

    served, catalog = cold_plant
    undated = Catalog([*(a for a in catalog if a.anime_id != 1023),
                       Anime(1023, "undated", ("Music",), "TV", 1, 8.0, 70_000)])
    again = ServedModel(served.model, undated, served.franchises)
    for window in (dict(aired_from=date(2025, 1, 1)), dict(aired_to=date(2030, 1, 1))):
        assert 1023 not in again.ids[again.allowed(**window)].tolist()


def test_a_member_who_gave_only_new_titles_hears_which_one_a_pick_comes_from(served):
    """Their picks are scored by their vector alone, which splits exactly per given title: the
    block 1 picks name 1030 or 1020, both block 1's genres; nothing else is ever named."""
    ratings = {1020: 10.0, 1030: 9.0}
    picks = served.recommend(ratings, 6).picks
    named = [p.because for p in picks if p.because is not None]
    assert named and set(named) <= {1020, 1030}
    user = served.model.fold_in(ratings)
    parts = served.model.preference_contributions(user, served.model.item_factors[:3])
    np.testing.assert_allclose(parts.sum(axis=0), served.model.item_factors[:3] @ user.pref, rtol=1e-3, atol=1e-5)
    predicted, because = served.explain(ratings, 1015)
    assert because in (1020, 1030, None) and 1 <= predicted <= 10



def test_served_cold_scores_follow_the_evaluated_cold_start_scores(served):
    """The list ranks new titles as `evaluate --coldstart` scored them, the loved-predecessor bonus
    included. With the popularity prior off, that bonus alone lifts 1030 (it continues 1011, loved)
    above block 0's new works for a block 0 fan."""
    cold = served.model.cold
    model = dataclasses.replace(served.model, cold=dataclasses.replace(
        cold, config=dataclasses.replace(cold.config, prior_weight=0.0)))
    unpopular = ServedModel(model, served.catalog, served.franchises)
    member = {1011: 9.0, 1000: 10.0, 1001: 10.0, 1002: 10.0, 1004: 10.0}
    user = model.folded(member)
    cold_rows = np.arange(unpopular.n_trained, unpopular.n_items)
    cold_ids = unpopular.ids[cold_rows].tolist()
    scores, _, _ = model.new_titles(user, cold_ids)
    new_works = [cold_ids.index(a) for a in (1020, 1021, 1022, 1023)]  # 1024 is a spin-off of the member's A
    assert scores[cold_ids.index(1030)] > scores[new_works].max()
    served_scores = unpopular.scores(user, member)[0][cold_rows]
    assert served_scores[cold_ids.index(1030)] > served_scores[new_works].max()


def test_a_doubted_new_season_of_a_work_the_member_liked_passes_their_floor_and_no_other_title_does(served):
    """A new season predicted far under a member's floor (its item bias lowered: a predecessor's vector
    shrunk toward a poor content guess) is still their continue pick when they scored the work at or above
    what they like (member_floor), and held out when they scored it under that; every other pick keeps the floor."""
    cold = served.model.cold
    bias = cold.bias.copy()
    bias[cold.index_of(1030)] -= 3.0
    model = dataclasses.replace(served.model, cold=dataclasses.replace(cold, bias=bias))
    doubted = ServedModel(model, served.catalog, served.franchises)
    at_1030 = np.array([doubted.index_of(1030)])
    liked = {a: 10.0 for a in range(1010, 1016)}  # franchise B's two seasons among six 10s: floor 9.25
    found = doubted.recommend(liked, 10)
    assert doubted.predictions(model.fold_in(liked), at_1030)[0] < found.floor - 2
    picks = {p.anime_id: p for p in found.picks}
    assert (picks[1030].kind, picks[1030].because) == (CONTINUE, 1011)
    assert all(p.predicted >= found.floor for p in found.picks if p.anime_id != 1030)
    less = {1010: 8.0, 1011: 8.0, 1012: 10.0, 1013: 10.0, 1014: 10.0, 1015: 10.0}  # B under member_floor 8.83
    found = doubted.recommend(less, 10)
    assert doubted.predictions(model.fold_in(less), at_1030)[0] < found.floor
    assert 1030 not in {p.anime_id for p in found.picks} and len(found.picks) == 10


@pytest.mark.parametrize("member, named", [({1000: 10.0, 1001: 8.0, 1015: 9.0, 1016: 9.0}, 1000),
                                           ({1002: 9.0, 1010: 9.0}, 1002), ({1000: 3.0, 1004: 9.0, 1005: 9.0}, None)])
def test_a_new_spin_off_of_a_franchise_the_member_liked_names_their_best_scored_title_of_it(served, member, named):
    """1024 continues franchise A's 1003 in a work of its own: it is on the list because the member started A
    (a member who gave none of A has it dropped), so its reason is the A title they scored highest; one who
    scored A under what they like hears no A title named."""
    pick = {p.anime_id: p for p in served.recommend(member, 20).picks}[1024]
    assert (pick.kind, pick.because) == (NEW, named)


@pytest.mark.parametrize("member", [{1000: 9.0, 1001: 9.0}, BLOCK1_FAN, {1015: 10.0, 1016: 9.0}])
def test_a_list_of_new_titles_only_keeps_the_evaluated_cold_start_order(served, member):
    """/recommend new and /seasonal hold only titles without interactions: they stand in the order of
    their cold-start scores (what `evaluate --coldstart` measured), a content guess above a franchise
    vector where it scores higher, not the franchise vectors first because those may stand among the
    trained titles. 1021 (block 0's new work, content) outscores 1030 (franchise B) for a block 0 fan."""
    model = served.model
    new_only = np.arange(served.n_items) >= served.n_trained
    shown = [p.anime_id for p in served.recommend(member, 5, allowed=new_only).picks]
    scores = dict(zip(COLD_IDS, model.new_titles(model.folded(member), list(COLD_IDS))[0].tolist()))
    assert len(shown) >= 2
    assert shown == sorted(shown, key=lambda a: -scores[a])
    ranked = [p.anime_id for p in served.rank_titles(member, COLD_IDS) if p.starts_at is None]
    assert ranked == sorted(ranked, key=lambda a: -scores[a])


@pytest.mark.parametrize(("member", "content", "popular"), [({1000: 9.0, 1001: 9.0}, 1021, 1020),
                                                           ({1012: 9.0, 1013: 9.0, 1014: 9.0}, 1020, 1021)])
def test_a_new_title_says_it_is_there_for_its_content_only_where_the_members_taste_put_it_there(
        served, member, content, popular):
    """1020 and 1021 are new works with content vectors of block 1's and block 0's genres. In a list of
    new titles, the one of the member's block is there for its content (its vector score stands well
    above the cold titles'); the other is there because it is widely watched (the prior)."""
    new_only = np.arange(served.n_items) >= served.n_trained
    picks = {p.anime_id: p for p in served.recommend(member, 6, allowed=new_only).picks}
    assert (picks[content].source, picks[content].because) == ("content", None)
    assert (picks[popular].source, picks[popular].because) == ("prior", None)


def test_the_evidence_index_answers_in_served_indices_among_titles_placed_by_evidence(served):
    model = served.model
    evidenced = model.similar_evidenced()
    assert evidenced.tolist() == [True] * served.n_trained + [served.source(i) == "franchise"
                                                               for i in range(served.n_trained, served.n_items)]
    ann = model.evidence_ann()
    V = served._unit_vectors
    for i in (served.index_of(1015), served.index_of(1003), served.index_of(1030)):
        found = [j for j, _ in ann.neighbours(i, 8)]
        sims = np.where(evidenced, V @ V[i], -np.inf)
        sims[i] = -np.inf
        assert found == np.argsort(-sims, kind="stable")[:8].tolist()  # 21 titles: the search is exact


def test_a_new_season_of_a_work_the_member_never_started_does_not_place_that_work(served):
    # A block 0 fan's candidates, best first: franchise B's new season 1030 (its score a guess from 1011's vector
    # and the popularity prior), then two block 0 titles, then B's entry point 1010 on its own score.
    order = [served.index_of(a) for a in (1030, 1004, 1005, 1010)]
    scores = np.zeros(served.n_items)
    scores[order] = [4.0, 3.0, 2.0, 1.0]
    slots = served.rules.slots(order, scores, np.zeros(served.n_items, bool), [{1000, 1001}], lambda i: (9.0,),
                               [6.0], 4)
    shown = [int(served.ids[s.shown]) for s in slots]
    assert shown == [1004, 1005, 1010]  # 1010 where its own score puts it, once
    assert all(s.kind == NEW for s in slots)


def test_a_new_title_no_members_count_knows_stands_among_the_new_titles(served):
    """1024 (franchise A's spin-off, a franchise vector) stands among the trained picks of an A fan; with
    no MyAnimeList count (a bangumi-data-only release) nothing says anyone watches it, so it does not; a
    list of new titles holds it where it did. Once the server's members rate it, they say so."""
    fan = {1000: 9.0, 1001: 9.0}
    placed = served.scores(served.model.folded(fan), fan)[0]
    trained = slice(0, served.n_trained)
    assert placed[served.index_of(1024)] > placed[trained].min()
    uncounted = dataclasses.replace(served.catalog.get(1024), members=0)
    catalog = type(served.catalog)([uncounted if a.anime_id == 1024 else a for a in served.catalog])
    unknown = ServedModel(served.model, catalog, served.franchises)
    scores = unknown.scores(unknown.model.folded(fan), fan)[0]
    assert scores[unknown.index_of(1024)] < scores[trained].min()
    assert 1024 not in {p.anime_id for p in unknown.recommend(fan, 10).picks}
    new_only = np.arange(unknown.n_items) >= unknown.n_trained
    new_titles = [p.anime_id for p in unknown.recommend(fan, 5, allowed=new_only).picks]
    assert 1024 in new_titles and new_titles == [p.anime_id for p in served.recommend(fan, 5, allowed=new_only).picks]
    model = served.model.with_own_cold()
    raters = {u: {1000: 9.0, 1001: 9.0, 1002 + u % 2: 8.0, 1024: 9.0} for u in range(model.cold.config.min_raters)}
    assert model.fold_in_community(raters) == [1024]
    rated = unknown.with_model(model)
    scores = rated.scores(model.folded(fan), fan)[0]
    assert scores[rated.index_of(1024)] > scores[trained].min()


def test_each_title_folded_in_alone_at_once_is_its_own_fold_in(served):
    """fold_in_each's closed form equals fold_in of each title alone: trained and cold titles, scores,
    "watched" and a title the model does not know (an empty member), in the caller's order."""
    model = served.model
    ratings = {1000: 9.0, 1030: 8.0, 1011: -1.0, 1020: 3.0, 99999: 10.0, 1021: -1.0}
    each = model.fold_in_each(ratings)
    assert len(each) == len(ratings)
    for (a, r), made in zip(ratings.items(), each):
        alone = model.fold_in({a: r})
        assert made.seen.tolist() == alone.seen.tolist() and made.cold_seen.tolist() == alone.cold_seen.tolist()
        assert made.ratings.tolist() == alone.ratings.tolist()
        assert made.cold_ratings.tolist() == alone.cold_ratings.tolist()
        np.testing.assert_allclose(made.pref, alone.pref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(made.rating_vec, alone.rating_vec, rtol=1e-5, atol=1e-6)
        assert made.user_bias == pytest.approx(alone.user_bias, rel=1e-5, abs=1e-6)
    assert each[0].rating_vec.any() and not each[2].rating_vec.any()  # a score fits z_u, "watched" does not
    assert len(each[1].cold_seen) == 1 and not each[4].pref.any()


@pytest.fixture(scope="module")
def with_genres(cold_plant):
    """The cold plant's model trained with its catalog, as the bot trains: /similar embeddings with genre columns."""
    from coldkit import _planted_titles  # noqa: PLC0415 (the plant's titles, for a second fit)
    from recsys.conftest import checkerboard, content_table

    from animerec.recsys.model import ModelConfig, Recommender

    served = cold_plant[0]
    titles = _planted_titles()
    model = Recommender.fit(checkerboard(), ModelConfig(factors=4, iterations=15, regularization=0.5, ease_neighbors=8,
                                                        knn_neighbors=8, ann_trees=5, ann_search_k=100,
                                                        given_support_half=PLANTED_SUPPORT_HALF),
                            catalog=served.catalog, content=content_table(titles), franchises=served.franchises)
    return ServedModel(model, served.catalog, served.franchises)


def test_a_content_guesss_similar_embedding_has_its_own_genre_columns(with_genres, tmp_path):
    """Its co-watch part is mapped from its vector; its genres are known, so its genre columns are its own as a
    trained title's are (a mapped blur put Bocchi the Rock! beside Nagatoro, K-On! not among its ten). A title
    placed by evidence (1030, a new season) keeps its mapped columns. They are saved with the model; a model
    saved without them maps every column, as before."""
    from animerec.recsys.algorithms.embeddings import genre_block, genre_matrix

    model = with_genres.model
    cold = model.cold
    g = cold.genres.shape[1]
    assert g and np.array_equal(cold.genres, genre_matrix(cold.anime_ids, with_genres.catalog)[0])
    ids, vectors = model.similar_space()
    n = model.n_items
    assert np.allclose(vectors[:n, -g:], genre_block(genre_matrix(ids[:n], with_genres.catalog)[0]))  # trained
    guessed = ~cold.evidenced()
    assert guessed.any() and not guessed[cold.index_of(1030)]
    assert np.allclose(vectors[n:][guessed, -g:], genre_block(cold.genres[guessed]))
    assert not np.allclose(vectors[n + cold.index_of(1030), -g:], genre_block(cold.genres[[cold.index_of(1030)]])[0])
    # 1023 (Music, Kids: genres no trained title has) shares no genre column with any trained title.
    i = with_genres.index_of(1023)
    assert not (vectors[:n, -g:] @ vectors[i, -g:]).any()
    loaded = artifacts.load(tmp_path / artifacts.publish(model, tmp_path))
    assert np.array_equal(loaded.cold.genres, cold.genres)
    assert np.allclose(loaded.similar_space()[1], vectors)
    older = dataclasses.replace(model, cold=dataclasses.replace(cold, genres=np.zeros((0, 0), np.uint8)))
    older._similar_space = None
    assert not np.allclose(older.similar_space()[1][n:][guessed, -g:], genre_block(cold.genres[guessed]))


def test_a_new_title_members_come_to_watch_joins_a_content_guesss_neighbours(cold_plant):
    """1021 and 1022 are content guesses of block 0's genres. At 85,000 MAL members 1021 has less support
    than the titles a content guess's list draws from first (SPARSE_SUPPORT): it is not among 1022's
    neighbours. A catalog counting three times its members makes it one; the lists kept for the old
    catalog's served model stay its own."""
    served, catalog = cold_plant
    assert 1021 not in [a for a, _ in served.similar(1022, 10).neighbours]
    grown = Catalog([dataclasses.replace(a, members=3 * a.members) if a.anime_id == 1021 else a for a in catalog])
    again = ServedModel(served.model, grown, served.franchises)
    assert [a for a, _ in again.similar(1022, 10).neighbours][0] == 1021
    assert 1021 not in [a for a, _ in served.similar(1022, 10).neighbours]


def test_a_content_guess_without_a_genre_known_has_no_neighbours_to_list(cold_plant):
    """1023's genres (Music, Kids) are its only content: with a catalog that knows none, nothing places it."""
    served, catalog = cold_plant
    bare = Catalog([dataclasses.replace(a, genres=()) if a.anime_id == 1023 else a for a in catalog])
    again = ServedModel(served.model, bare, served.franchises)
    with pytest.raises(PlacedByNothing):
        again.similar(1023, 5)
    assert 1023 not in again.similar_ids() and 1023 in served.similar_ids()
    assert len(again.similar_ids()) == again.n_items - 1 and served.similar(1023, 5).neighbours
    # A title placed by evidence needs no genres: 1030 continues franchise B.
    bare = Catalog([dataclasses.replace(a, genres=()) if a.anime_id == 1030 else a for a in catalog])
    assert ServedModel(served.model, bare, served.franchises).similar(1030, 5).neighbours


def test_a_new_title_is_said_close_to_what_the_member_rates_highly_only_sharing_genres_with_it(served):
    """1021's content vector puts it on a block 0 fan's list of new titles ("content", above). Without a
    genre in common with a title they liked, its vector score alone would not make the claim true: it is
    then said to be there for its popularity."""
    member = {1000: 9.0, 1001: 9.0}
    new_only = np.arange(served.n_items) >= served.n_trained
    assert {p.anime_id: p.source for p in served.recommend(member, 6, allowed=new_only).picks}[1021] == "content"
    apart = copy.copy(served)
    apart._genre_matrix = served._genre_matrix.copy()
    apart._genre_matrix[served.index_of(1021)] = 0  # 1021 shares no genre with anything the member gave
    assert {p.anime_id: p.source for p in apart.recommend(member, 6, allowed=new_only).picks}[1021] == "prior"
    ranked = {p.anime_id: p.source for p in apart.rank_titles(member, COLD_IDS)}
    assert ranked[1021] == "prior"


def test_a_filter_mask_is_made_once_and_a_window_never_changes_the_kept_one(served, cold_plant):
    """allowed keeps each filter's mask (read-only, the same array for every request asking for it); a request
    with a window gets its own array, and the kept mask stays the catalog's."""
    catalog = cold_plant[1]
    movies = catalog.filters(type="Movie")
    first = served.allowed(movies, allow_adult=False)
    assert served.allowed(movies, allow_adult=False) is first and not first.flags.writeable
    assert served.ids[served.allowed(movies, allow_adult=False, aired_from=date(2004, 1, 1))].tolist() == [1003]
    assert not served.allowed(movies, allow_adult=False, aired_from=date(2005, 1, 1)).any()  # the film aired in 2004
    np.testing.assert_array_equal(first, catalog.filter_mask(served.ids, movies, allow_adult=False))
    assert served.ids[first].tolist() == [1003]
    with pytest.raises(ValueError):
        first[0] = True
