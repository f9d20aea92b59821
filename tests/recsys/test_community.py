"""animerec.recsys.community on planted data: the checkerboard model's two taste groups (tests/recsys/conftest.py:
block 0 = ids 1000-1009, block 1 = 1010-1019), and servers small enough to work out by hand."""

import numpy as np
import pytest

from animerec.recsys.community import (
    AGREEMENT_PIVOT,
    LIFT_PRIOR_MEMBERS,
    CatalogMap,
    ServerTally,
    affinity,
    genre_profile,
    genre_shares,
    liking,
    popularity_direction,
    private_rows,
    rating_offset,
    score_agreement,
    server_top,
    taste_similarity,
    title_tally,
)

BLOCK0 = list(range(1000, 1010))
BLOCK1 = list(range(1010, 1020))


@pytest.fixture(scope="module")
def board_map(board_model) -> CatalogMap:
    return CatalogMap.of(board_model)


def test_the_map_separates_the_two_taste_groups_on_its_first_axis(board_map):
    x = {a: board_map.point(a)[0] for a in BLOCK0 + BLOCK1}
    left, right = sorted([np.mean([x[a] for a in BLOCK0]), np.mean([x[a] for a in BLOCK1])])
    # Every title of one block lies on one side of every title of the other.
    block0_side = np.sign(np.mean([x[a] for a in BLOCK0]))
    assert all(np.sign(x[a]) == block0_side for a in BLOCK0)
    assert all(np.sign(x[a]) == -block0_side for a in BLOCK1)
    assert board_map.explained[0] > 0.3 and board_map.explained[0] >= board_map.explained[1]
    assert right - left > 0.5
    assert board_map.point(99999) is None


def test_the_most_watched_title_is_drawn_on_the_positive_side(board_map, board_model):
    top = int(board_model.item_ids[np.argmax(board_model.item_popularity)])
    x, y = board_map.point(top)
    assert x >= 0 and y >= 0


def test_a_members_place_is_among_the_titles_they_liked(board_map):
    fan0 = {1000: 10.0, 1001: 9.0, 1002: 9.0, 1015: 3.0}  # liked block 0, disliked one of block 1
    x, _ = board_map.place(fan0)
    side = np.sign(board_map.point(1000)[0])
    assert np.sign(x) == side
    # Liked titles only (at or above member_floor: 6.5 with few scores): the disliked title does not pull.
    liked = np.array([board_map.point(a) for a in (1000, 1001, 1002)])
    assert board_map.place(fan0) == pytest.approx(tuple(np.average(liked, axis=0, weights=[1.0, 0.9, 0.9])))
    # A 9 beside a 10 is liked too, though under the member's mean; past FEW_SCORES, their mean less FLOOR_SLACK.
    assert board_map.place({1000: 10.0, 1010: 9.0}) == pytest.approx(
        tuple(np.average([board_map.point(1000), board_map.point(1010)], axis=0, weights=[1.0, 0.9])))
    steady = {1000: 10.0, 1001: 10.0, 1002: 10.0, 1003: 10.0, 1010: 9.0, 1011: 8.0}  # mean 9.5, floor 9.0
    assert board_map.place(steady) == board_map.weighted_place({a: r / 10 for a, r in steady.items() if r >= 9.0})
    # Exactly the weighted mean: scores weigh score / 10, watched 0.5.
    p0, p1 = np.array(board_map.point(1000)), np.array(board_map.point(1010))
    expected = (1.0 * p0 + 0.5 * p1) / 1.5
    assert board_map.place({1000: 10.0, 1010: -1.0}) == pytest.approx(tuple(expected))
    assert board_map.place({}) is None and board_map.place({99999: 9.0}) is None
    # Nothing but dislikes: none counts as liked, so the member stands at the plain mean of what they gave.
    sour = {1000: 2.0, 1010: 3.0}
    assert board_map.place(sour) == pytest.approx(tuple((p0 + p1) / 2))


def test_landmarks_are_spread_out_most_watched_first(board_map):
    marks = board_map.landmarks(5, min_distance=0.3)
    assert 2 <= len(marks) <= 5
    span = np.ptp([board_map.point(a)[0] for a in BLOCK0 + BLOCK1])
    points = [np.array(board_map.point(a)) for a in marks]
    assert all(np.hypot(*(p - q)) >= 0.3 * span for i, p in enumerate(points) for q in points[:i])
    pop = dict(zip(board_map.item_ids.tolist(), board_map.popularity.tolist()))
    assert pop[marks[0]] == max(pop.values())
    assert marks[0] not in board_map.landmarks(5, exclude=[marks[0]])
    assert set(board_map.landmarks(20, min_distance=0.0, allowed=[1003, 1012])) == {1003, 1012}


def test_genre_shares_and_what_a_member_leans_to():
    genres = {1: ("Thriller", "Psychological"), 2: ("Thriller",), 3: ("Comedy",), 4: ("Comedy", "Romance")}
    assert genre_shares({1: 1.0, 3: 1.0}, genres) == {"Thriller": 0.5, "Psychological": 0.5, "Comedy": 0.5}
    member = {1: 10.0, 2: 10.0, 3: -1.0}  # likings 1, 1, 0.5
    server = {1: 1.0, 2: 1.0, 3: 8.0, 4: 10.0}  # the server mostly watches comedies
    profile = genre_profile(member, server, genres)
    assert profile.genres == ("Thriller", "Psychological", "Comedy")
    assert profile.member == pytest.approx((0.8, 0.4, 0.2))
    assert profile.server == pytest.approx((2 / 20, 1 / 20, 18 / 20))
    assert profile.leans == ("Thriller", "Psychological")  # lifts 0.8/0.12 > 0.4/0.07; Comedy is below the server


def test_a_disliked_title_counts_nothing_toward_the_genres_liked():
    genres = {1: ("Thriller",), 2: ("Thriller",), 3: ("Mecha",), 4: ("Mecha",), 5: ("Mecha",)}
    assert [liking(r) for r in (10.0, 5.0, 4.0, 1.0, -1.0)] == [1.0, 0.5, 0.0, 0.0, 0.5]
    # Two thrillers loved and three mecha shows given 2 to 4: the member likes thrillers, nothing else.
    member = {1: 10.0, 2: 9.0, 3: 4.0, 4: 2.0, 5: 3.0}
    server = ServerTally.from_ratings({1: member, 2: {3: 9.0, 4: 4.0, 1: 8.0}})
    assert dict(zip(server.anime_ids.tolist(), server.liked_sum.tolist())) == {1: 18.0, 2: 9.0, 3: 9.0, 4: 0.0, 5: 0.0}
    assert dict(zip(server.anime_ids.tolist(), server.score_sum.tolist()))[3] == 13.0  # means still read every score
    profile = genre_profile(member, server.liking_weights(), genres)
    assert profile.genres == ("Thriller",) and profile.member == pytest.approx((1.0,))
    # The server's liking: thrillers 1.0 + 0.9 (member 1) and 0.8 (member 2), member 2's 9 for a mecha show.
    assert profile.server == pytest.approx(((1.0 + 0.9 + 0.8) / (1.0 + 0.9 + 0.8 + 0.9),))
    assert genre_profile({3: 2.0, 4: 1.0}, server.liking_weights(), genres).genres == ()


def test_rating_offset_compares_with_the_other_members_on_the_same_titles():
    tally = ServerTally.from_ratings({
        1: {10: 9.0, 11: 8.0, 12: 10.0, 13: 7.0},
        2: {10: 7.0, 11: 7.0, 12: 8.0},
        3: {10: 7.0, 11: 5.0, 12: 8.0, 13: -1.0},
    })
    # Member 1 against the others' means: 9 - 7, 8 - 6, 10 - 8 (13: nobody else scored it).
    assert rating_offset({10: 9.0, 11: 8.0, 12: 10.0, 13: 7.0}, tally) == (pytest.approx(2.0), 3)
    assert rating_offset({10: 9.0, 11: 8.0, 12: 10.0}, tally, min_titles=4) is None


def test_agreement_on_titles_both_scored():
    a = {1: 10.0, 2: 8.0, 3: 6.0, 4: 4.0}
    assert score_agreement(a, dict(a)) == (pytest.approx(1.0), 4)
    mirror = {1: 4.0, 2: 6.0, 3: 8.0, 4: 10.0}
    assert score_agreement(a, mirror) == (pytest.approx(0.0), 4)
    # Same direction around each member's own mean, whatever the level: full agreement.
    assert score_agreement(a, {t: r - 3 for t, r in a.items()})[0] == pytest.approx(1.0)
    assert score_agreement(a, {5: 9.0, 1: -1.0}) == (None, 0)  # a watched title is not a score
    # No spread around the means: closeness decides (|9 - 7| on each: 1 - 2/9).
    assert score_agreement({1: 9.0, 2: 9.0}, {1: 7.0, 2: 7.0})[0] == pytest.approx(1 - 2 / 9)
    # One title in common, 8 and 9, one under and one over the member's own mean: close, not opposed.
    assert score_agreement({1: 8.0, 2: 10.0}, {1: 9.0, 3: 8.0}) == (pytest.approx(1 - 1 / 9), 1)
    # Two in common, scored apart: far, whatever the signs of the deviations.
    assert score_agreement({1: 10.0, 2: 3.0, 5: 7.0}, {1: 2.0, 2: 9.0, 6: 6.0}) == (pytest.approx(1 - 7 / 9), 2)


def test_taste_vectors_of_one_group_are_closer_than_across_groups(board_model):
    direction = popularity_direction(board_model)
    fold = board_model.fold_in
    g0a, g0b = fold({a: 9.0 for a in BLOCK0[:5]}), fold({a: 8.0 for a in BLOCK0[4:]})
    g1 = fold({a: 9.0 for a in BLOCK1[:5]})
    same, across = taste_similarity(g0a, g0b, direction), taste_similarity(g0a, g1, direction)
    assert same > 0.65 and across < 0.3
    # What every member shares (the popular direction) is taken out: the groups stand further apart.
    assert same - across > taste_similarity(g0a, g0b) - taste_similarity(g0a, g1)
    assert taste_similarity(g0a, g0a, direction) == pytest.approx(1.0)
    assert taste_similarity(g0a, fold({}), direction) == 0.5
    assert np.linalg.norm(direction) == pytest.approx(1.0)


def test_affinity_blends_agreement_and_taste_by_titles_in_common(board_model):
    direction = popularity_direction(board_model)
    a = {1000: 10.0, 1001: 9.0, 1002: 4.0, 1003: 8.0, 1004: 2.0}
    b = {1000: 9.0, 1001: 9.0, 1002: 10.0, 1003: 8.0, 1005: -1.0}
    ua, ub = board_model.fold_in(a), board_model.fold_in(b)
    result = affinity(a, b, ua, ub, direction)
    agreement, n = score_agreement(a, b)
    taste = taste_similarity(ua, ub, direction)
    assert n == result.both_scored == 4
    assert result.weight == pytest.approx(4 / (4 + AGREEMENT_PIVOT))
    assert result.score == pytest.approx(result.weight * agreement + (1 - result.weight) * taste)
    assert result.favourites == (1003, 1000, 1001) or result.favourites == (1000, 1001, 1003)
    assert result.favourites[0] == 1000  # min(10, 9) = 9, the highest floor
    assert result.disagreement == (1002, 4.0, 10.0)
    # Nothing scored in common: the taste vectors alone.
    c = {1010: 9.0, 1011: 8.0}
    alone = affinity(a, c, ua, board_model.fold_in(c), direction)
    assert alone.agreement is None and alone.weight == 0 and alone.score == pytest.approx(alone.taste)
    assert alone.favourites == () and alone.disagreement is None


def test_a_shared_favourite_is_one_each_scored_at_or_above_what_they_like(board_model):
    generous = {1000: 10.0, 1001: 9.0, 1003: 8.0, 1004: 9.0, 1005: 9.0}  # a mean of 9: an 8 is under their floor
    other = {1000: 9.0, 1001: 9.0, 1003: 10.0}
    result = affinity(generous, other, board_model.fold_in(generous), board_model.fold_in(other),
                      popularity_direction(board_model))
    assert set(result.favourites) == {1000, 1001}


def test_server_top_shrinks_needs_enough_scores_and_finds_what_is_rare_elsewhere():
    ratings = {
        1: {100: 10.0, 200: 9.0, 300: 10.0, 400: 9.0},
        2: {100: 10.0, 200: 8.0, 300: 9.0, 400: -1.0},
        3: {100: 10.0, 200: 8.0, 400: -1.0},
        4: {200: 7.0, 400: 5.0, 500: 10.0},
    }
    tally = ServerTally.from_ratings(ratings)
    assert tally.members == 4
    mean = (10 + 9 + 10 + 9 + 10 + 8 + 9 + 10 + 8 + 7 + 5 + 10) / 12
    assert tally.mean_score == pytest.approx(mean)
    # MyAnimeList members per title, in id order: 300 and 500 are rare elsewhere.
    elsewhere = np.array([2_000_000, 1_500_000, 50_000, 900_000, 100_000])
    top = server_top(tally, elsewhere, n=5, min_scores=3, shrink=2)
    # 100: three 10s; 200: four scores (9, 8, 8, 7); 300 has two scores and 400 two: not enough.
    assert [(a, n) for a, _, n in top.favourites] == [(100, 3), (200, 4)]
    assert top.favourites[0][1] == pytest.approx((30 + 2 * mean) / 5)
    assert top.favourites[1][1] == pytest.approx((32 + 2 * mean) / 6)
    assert top.most_watched[:2] == [(200, 4), (400, 4)]  # ties: more scores first
    # 300: two members loved it and 50,000 watched it elsewhere; 500 only one lover; 100 is common.
    assert [(a, n) for a, n, _ in top.loved_here] == [(300, 2)]
    assert top.loved_here[0][2] == pytest.approx((2 / 4) / (50_000 + LIFT_PRIOR_MEMBERS))
    hidden = server_top(tally, elsewhere, keep=tally.anime_ids != 100, min_scores=3, shrink=2)
    assert [a for a, _, _ in hidden.favourites] == [200]


def test_title_tally_counts_histogram_and_who_loved_it():
    tally = title_tally([(1, 10.0), (2, 9.0), (3, 7.0), (4, -1.0), (5, 10.0)])
    assert (tally.given, tally.scored) == (5, 4)
    assert tally.mean == pytest.approx(9.0)
    assert tally.histogram == (0, 0, 0, 0, 0, 0, 1, 0, 1, 2)
    assert tally.loved_by == (1, 5, 2)
    empty = title_tally([])
    assert (empty.given, empty.mean, sum(empty.histogram)) == (0, None, 0)


def test_the_profile_shows_the_genres_a_member_leans_to_even_when_small():
    genres = {1: ("Comedy",), 2: ("Action",), 3: ("Drama",), 4: ("Mecha",)}
    member = {1: 10.0, 2: 10.0, 3: 10.0, 4: 6.0}
    server = {1: 10.0, 2: 10.0, 3: 10.0, 4: 0.1}
    profile = genre_profile(member, server, genres, n=2)
    assert profile.leans == ("Mecha",)
    assert profile.genres == ("Action", "Mecha")  # the biggest, then the lean; ties by name


def test_a_server_tally_takes_in_hidden_members_only_as_a_group_of_five():
    # Title 1: 4 visible + 1 hidden (left out: the four visible scores, which anyone reads, and the figure
    # would give the hidden one away); title 2: 1 visible + 5 hidden (counted, as one group); title 3: 4
    # hidden only (gone).
    rows = [(1, False, 4, 4, 24.0, 20.0, 0), (1, True, 1, 1, 10.0, 10.0, 1), (2, False, 1, 1, 6.0, 6.0, 0),
            (2, True, 5, 5, 45.0, 45.0, 5), (3, True, 4, 4, 40.0, 40.0, 4)]
    tally = ServerTally.from_split_rows(rows, {False: 4, True: 4})
    assert tally.anime_ids.tolist() == [1, 2] and tally.with_hidden.tolist() == [False, True]
    assert tally.given.tolist() == [4, 6] and tally.score_sum.tolist() == [24.0, 51.0] and tally.loved.tolist() == [0, 5]
    assert tally.liked_sum.tolist() == [20.0, 51.0]
    assert tally.members == 4 and not tally.members_with_hidden  # 4 hidden members with ratings: not counted
    counted = ServerTally.from_split_rows(rows, {False: 4, True: 5})
    assert counted.members == 9 and counted.members_with_hidden


def test_a_hidden_members_offset_leaves_out_only_what_the_tally_holds_of_them():
    # Title 1's counts hold the visible members only (2 scores: 6 and 8); title 2's hold five hidden
    # members, the member among them (6 scores, 48 in all with the member's 10).
    rows = [(1, False, 2, 2, 14.0, 14.0, 0), (1, True, 1, 1, 10.0, 10.0, 1), (2, False, 1, 1, 8.0, 8.0, 0),
            (2, True, 5, 5, 40.0, 40.0, 1)]
    tally = ServerTally.from_split_rows(rows, {False: 3, True: 5})
    member = {1: 10.0, 2: 10.0}
    assert rating_offset(member, tally, min_titles=2, hidden=True) == (pytest.approx(((10 - 7) + (10 - 38 / 5)) / 2), 2)
    # Read as if the tally held the member everywhere, title 1 compared them with a lone 4 (14 - 10).
    assert rating_offset(member, tally, min_titles=2) == (pytest.approx(((10 - 4) + (10 - 38 / 5)) / 2), 2)


def test_private_rows_keep_hidden_members_only_as_a_group_of_five():
    four = [(1, 9.0, True), (2, 6.0, False), (3, 7.0, False), (4, 8.0, False)]
    assert private_rows(four) == [(2, 6.0), (3, 7.0), (4, 8.0)]
    assert private_rows([*four, (5, 5.0, False)]) == [(2, 6.0), (3, 7.0), (4, 8.0), (5, 5.0)]
    hidden = [(10 + i, 9.0, True) for i in range(4)]
    # Five hidden members (member 1 and four more): counted, as one group.
    assert private_rows([*four, *hidden]) == [(1, 9.0), (2, 6.0), (3, 7.0), (4, 8.0), *[(10 + i, 9.0) for i in range(4)]]
    assert private_rows([*four[1:], *hidden]) == [(2, 6.0), (3, 7.0), (4, 8.0)]
