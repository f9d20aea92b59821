from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import checkerboard, content_table, grouped_franchises

from animerec.recsys.catalog.catalog import Anime
from animerec.recsys.model import (
    ModelConfig,
    Recommender,
    aligned_rows,
    calibrated,
    confidence_weight,
    multiply_rows,
    standardized,
    top_n,
)

BLOCK_ITEMS = 10  # as in conftest.checkerboard

BLOCK0 = set(range(1000, 1000 + BLOCK_ITEMS))
BLOCK1 = set(range(1000 + BLOCK_ITEMS, 1000 + 2 * BLOCK_ITEMS))


def test_recommendations_stay_in_the_members_taste_block(board_model):
    recs = board_model.recommend({1000: 9, 1001: 8, 1002: 10}, n=5)
    assert {r.anime_id for r in recs} <= BLOCK0 - {1000, 1001, 1002}
    recs = board_model.recommend({1010: 9, 1011: 9}, n=5)
    assert {r.anime_id for r in recs} <= BLOCK1


def test_recommend_never_returns_given_excluded_or_filtered_titles(board_model):
    given = {1000: 9, 1001: -1}
    allowed = np.isin(board_model.item_ids, [1003, 1004, 1015])
    recs = board_model.recommend(given, n=20, exclude=[1003], allowed=allowed)
    assert [r.anime_id for r in recs] in ([1004, 1015], [1015, 1004])


def test_a_member_with_no_ratings_gets_the_most_watched_titles(board_model):
    recs = board_model.recommend({}, n=3)
    most = board_model.item_ids[np.argsort(-board_model.item_popularity, kind="stable")[:3]]
    assert {r.anime_id for r in recs} == set(most.tolist())


def test_predictions_follow_the_members_scale(board_model):
    harsh = board_model.predict({1000: 2, 1001: 3, 1002: 2, 1003: 3}, [1004, 1005])
    generous = board_model.predict({1000: 10, 1001: 10, 1002: 9, 1003: 10}, [1004, 1005])
    assert (generous > harsh + 2).all()
    assert ((harsh >= 1) & (generous <= 10)).all()
    # An id the model never saw still gets a prediction (the member's mean level).
    assert 1 <= board_model.predict({1000: 9}, [424242])[0] <= 10


def test_watched_counts_as_a_signal_with_its_own_weight():
    w = confidence_weight(np.array([10.0, 5.0, -1.0]), ModelConfig(watched_weight=0.4))
    np.testing.assert_allclose(w, [1.0, 0.5, 0.4])


def test_similar_titles_come_from_the_same_block(board_model):
    neighbours = board_model.similar(1012, n=5)
    assert {a for a, _ in neighbours} <= BLOCK1 - {1012}
    assert all(-1.0 <= s <= 1.0 for _, s in neighbours)
    with pytest.raises(KeyError):
        board_model.similar(5, n=3)


def test_annoy_neighbours_agree_with_exact_search(board_model):
    i = board_model.index_of(1003)
    exact = [a for a, _ in board_model.similar_exact(i, 5)]
    approx = [a for a, _ in board_model.ensure_ann().similar(i, 5)]
    assert set(exact) == set(approx)


def test_calibrated_predictions_stay_below_ten_and_keep_their_order():
    raw = np.array([-3.0, 1.0, 5.0, 8.99, 9.0, 9.5, 10.0, 12.0, 40.0])
    out = calibrated(raw)
    assert out[0] == 1.0 and out[1] == 1.0 and out[2] == 5.0 and out[4] == 9.0  # untouched below the knee
    assert (np.diff(out[1:]) > 0).all()  # order kept above the floor
    assert out.max() < 9.9 + 1e-9 and f"{out.max():.1f}" != "10.0"


def test_with_the_predicted_score_weighing_most_the_ranking_follows_the_prediction(board_model):
    import copy
    from dataclasses import replace

    model = copy.copy(board_model)
    model.config = replace(board_model.config, blend_rating=1e6)
    user = model.fold_in({1000: 10, 1001: 3, 1002: 9, 1010: 4})
    unseen = np.setdiff1d(np.arange(model.n_items), user.seen)
    by_rank = unseen[np.argsort(-model.ranking_scores(user)[unseen], kind="stable")]
    by_prediction = unseen[np.argsort(-model.predicted_ratings(user, unseen), kind="stable")]
    assert by_rank.tolist() == by_prediction.tolist()
    assert board_model.config.blend_rating == ModelConfig().blend_rating  # the fixture's model is untouched


def test_the_blend_moves_from_the_short_to_the_long_weights_with_the_history(board_model):
    import copy
    from dataclasses import replace

    def ranked(user, **config):
        model = copy.copy(board_model)
        model.config = replace(board_model.config, **config)
        return model.ranking_scores(user)

    given = [1000, 1001, 1002, 1003, 1004, 1005, 1010, 1011]
    long = board_model.fold_in({a: float(7 + i % 4) for i, a in enumerate(given)})
    # 8 titles with long_history 8: the long weights alone. A huge factorization weight ranks by x_u . y.
    scores = ranked(long, long_history=8, long_blend_factorization=1e6)
    unseen = np.setdiff1d(np.arange(board_model.n_items), long.seen)
    assert unseen[np.argsort(-scores[unseen], kind="stable")].tolist() == \
        unseen[np.argsort(-(board_model.item_factors[unseen] @ long.pref), kind="stable")].tolist()
    # Half of long_history or fewer: the short weights, as if there were no long ones.
    short = board_model.fold_in({a: 8.0 for a in given[:4]})
    np.testing.assert_allclose(ranked(short, long_history=8, long_blend_factorization=9.0),
                               ranked(short, long_history=8), rtol=1e-6)
    # Halfway (6 of 8 titles for long_history 8 is 2 * 6 / 8 - 1 = 0.5): the weights' midpoint.
    mid = board_model.fold_in({a: 8.0 for a in given[:6]})
    np.testing.assert_allclose(ranked(mid, long_history=8, blend_factorization=0.5, long_blend_factorization=2.5),
                               ranked(mid, long_history=1000, blend_factorization=1.5), rtol=1e-5)


def test_top_n_takes_the_best_finite_scores_and_the_lower_index_of_a_tie():
    scores = np.array([2.0, np.nan, 5.0, 2.0, -np.inf, 5.0, 1.0, np.inf, 2.0])
    assert top_n(scores, 1).tolist() == [2]
    assert top_n(scores, 3).tolist() == [2, 5, 0]  # of the three 2.0s, index 0
    assert top_n(scores, 4).tolist() == [2, 5, 0, 3]
    assert top_n(scores, 20).tolist() == [2, 5, 0, 3, 8, 6]  # never nan or an infinity
    assert top_n(scores.astype(np.float32), 4).tolist() == [2, 5, 0, 3]
    assert top_n(np.array([3, 1, 3]), 2).tolist() == [0, 2]
    assert top_n(scores, 0).tolist() == [] and top_n(np.full(4, -np.inf), 2).tolist() == []


def test_top_n_agrees_with_a_full_sort_on_random_ties():
    rng = np.random.default_rng(0)
    for _ in range(500):
        scores = rng.integers(0, 6, int(rng.integers(1, 80))).astype(np.float64)
        scores[rng.random(len(scores)) < 0.2] = -np.inf
        n = int(rng.integers(1, 90))
        finite = np.flatnonzero(np.isfinite(scores))
        want = finite[np.lexsort((finite, -scores[finite]))][:n]
        assert top_n(scores, n).tolist() == want.tolist()


def test_multiply_rows_equals_the_matrix_product_for_any_number_of_vectors():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((300, 24)).astype(np.float32)
    for count in (1, 2, 5):
        vectors = rng.standard_normal((count, 24)).astype(np.float32)
        np.testing.assert_allclose(multiply_rows(matrix, vectors), vectors @ matrix.T, rtol=1e-4, atol=1e-4)
    # A float64 or strided input is read as contiguous float32, one vector as a row of one.
    np.testing.assert_allclose(multiply_rows(matrix[::2].astype(np.float64), matrix[0].astype(np.float64)),
                               (matrix[::2] @ matrix[0])[None], rtol=1e-4, atol=1e-4)


def test_aligned_rows_start_each_row_on_64_bytes():
    for m, n in ((1, 1), (3, 7), (4, 8142), (2, 16)):
        rows = aligned_rows(m, n)
        assert rows.shape == (m, n) and rows.dtype == np.float32
        assert all(rows[j].ctypes.data % 64 == 0 for j in range(m))


def test_products_of_several_members_at_once_are_each_members_own(board_model):
    """Products made together (a short list's liked titles, each alone) equal each member's made alone to
    the last bit, in any place of the pass, and their x_u and z_u parts equal the factor products they
    stand for."""
    users = [board_model.fold_in({1000: 9.0, 1001: 7.0}), board_model.fold_in({1010: -1.0}),
             board_model.fold_in({1000 + j: 8.0 for j in range(6)})]
    together = board_model.products(users)
    for user, made, later in zip(users, together, board_model.products(users[::-1])[::-1]):
        alone = board_model.products([user])[0]
        assert np.array_equal(made.warm_z, alone.warm_z) and np.array_equal(later.warm_z, alone.warm_z)
        if made.rating_z is not None:
            assert np.array_equal(made.rating_z, alone.rating_z)
        np.testing.assert_allclose(made.warm_z, standardized(board_model.item_factors @ user.pref), rtol=1e-4,
                                   atol=1e-4)
        assert (made.rating_z is None) == (alone.rating_z is None) == (not user.rating_vec.any())
        if made.rating_z is not None:
            np.testing.assert_allclose(
                made.rating_z, standardized(board_model.item_bias + board_model.item_factors @ user.rating_vec),
                rtol=1e-4, atol=1e-4)


def test_a_title_of_few_watchers_given_alone_is_read_by_its_content_not_by_its_watchers():
    """Planted: title 1020 has block 0's genres, but its only two watchers belong to block 1's taste group. A
    member who gives it alone is shown block 0, what its content says; trusting what two watchers taught it as
    much as any title (given_support_half 0) shows block 1, what those two happened to watch."""
    board = checkerboard()
    rare = pd.DataFrame([("u1", 1020, 9.0), ("u3", 1020, 8.0)], columns=board.columns)
    titles = [Anime(a, f"title {a}", ("Drama", "Romance", "School") if a < 1010 or a == 1020
                    else ("Action", "Sci-Fi", "Thriller"), "TV", 12, 7.5, 50_000, year=2005, start_date="2005-04-01",
                    franchise_id=a, work_id=a) for a in range(1000, 1021)]
    table = content_table(titles)
    model = Recommender.fit(pd.concat([board, rare], ignore_index=True),
                            # every co-watch kept: the two watchers' other titles are 1020's neighbours
                            ModelConfig(factors=4, iterations=15, regularization=0.5, ease_neighbors=8, knn_neighbors=20,
                                        ann_trees=5, ann_search_k=100), content=table, franchises=grouped_franchises(table))
    assert model.item_popularity[model.index_of(1020)] == 2
    picks = {r.anime_id for r in model.recommend({1020: 9}, n=5)}
    assert picks <= BLOCK0, picks
    trusting = replace(model, config=replace(model.config, given_support_half=0.0))
    picks = {r.anime_id for r in trusting.recommend({1020: 9}, n=5)}
    assert picks <= BLOCK1, picks
