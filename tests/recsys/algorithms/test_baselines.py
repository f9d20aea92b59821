"""The evaluation's baselines: known answers on three members and three titles, the planted taste
groups of the checkerboard found, and the item-item weights shared with the served model."""

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.algorithms.baselines import (
    TrainIndex,
    centred_svd,
    ease,
    edlae,
    funk_svd,
    implicit_als,
    item_knn,
    popularity,
)
from animerec.recsys.algorithms.itemitem import fit_item_models, row_sum

# u1 gave 10 and 20, u2 10 and 20 (watched, no score), u3 10 and 30.
TINY = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"], "anime_id": [10, 20, 10, 20, 10, 30],
                     "rating": [9.0, 8.0, 7.0, -1.0, 6.0, 5.0]})


def given(*anime_ids: int) -> tuple[np.ndarray, np.ndarray]:
    return np.array(anime_ids, np.int64), np.full(len(anime_ids), 8.0)


def test_the_train_index_numbers_members_and_titles_densely():
    ix = TrainIndex(TINY)
    assert ix.items.tolist() == [10, 20, 30] and ix.n_users == 3
    assert ix.positions(np.array([30, 99, 10])).tolist() == [2, 0]  # a title not in training is dropped
    assert ix.matrix(ix.ratings).toarray().tolist() == [[9, 8, 0], [7, -1, 0], [6, 0, 5]]
    assert ix.cooccurrence().tolist() == [[3, 2, 1], [2, 2, 0], [1, 0, 1]]  # watched (-1) counts as an interaction


def test_popularity_counts_interactions_whatever_was_given():
    ix = TrainIndex(TINY)
    assert popularity(ix)(*given(10)).tolist() == popularity(ix)(*given(20, 30)).tolist() == [3.0, 2.0, 1.0]


def test_item_knn_sums_the_cosines_of_the_given_titles():
    ix = TrainIndex(TINY)
    knn = item_knn(ix)
    # Watcher vectors: 10 = (1, 1, 1), 20 = (1, 1, 0), 30 = (0, 0, 1).
    np.testing.assert_allclose(knn(*given(10)), [0.0, 2 / np.sqrt(6), 1 / np.sqrt(3)], atol=1e-6)
    np.testing.assert_allclose(knn(*given(20, 30)), [2 / np.sqrt(6) + 1 / np.sqrt(3), 0.0, 0.0], atol=1e-6)


# --- planted structure: the checkerboard's two taste groups (tests/recsys/conftest.py) ------------------
BLOCK_ITEMS = 10  # as in conftest.checkerboard
BLOCK0 = set(range(1000, 1000 + BLOCK_ITEMS))
BLOCK1 = set(range(1000 + BLOCK_ITEMS, 1000 + 2 * BLOCK_ITEMS))


def _top(ix: TrainIndex, scores: np.ndarray, gave: np.ndarray, n: int) -> set[int]:
    order = [int(ix.items[i]) for i in np.argsort(-scores, kind="stable") if int(ix.items[i]) not in gave]
    return set(order[:n])


# Centred SVD is left out: it models ratings around each member's mean, and the groups differ in what
# they watch, not in how they rate (7-10 alike).
@pytest.mark.parametrize("make", [
    item_knn,
    lambda ix: ease(ix, 5.0),
    lambda ix: edlae(ix, 0.33, 5.0),
    lambda ix: implicit_als(ix, factors=4, reg=1.0),
], ids=["item-kNN", "EASE^R", "EDLAE", "iALS"])
def test_a_member_of_one_taste_group_gets_the_rest_of_its_block_first(board, make):
    ix = TrainIndex(board)
    scorer = make(ix)
    for gave, ratings in ((np.array([1000, 1001, 1002]), np.array([9.0, 10.0, 7.0])),
                          (np.array([1010, 1011]), np.array([10.0, 7.0]))):
        block = BLOCK0 if gave[0] in BLOCK0 else BLOCK1
        n = BLOCK_ITEMS - len(gave)
        assert _top(ix, scorer(gave, ratings), gave, n) == block - set(gave.tolist())


def test_centred_svd_predicts_within_the_rating_scale_around_the_members_mean(board):
    predict = centred_svd(TrainIndex(board), factors=2)[1]
    out = predict(np.array([1000, 1001]), np.array([9.0, 10.0]), np.array([1002, 1003, 99999]))
    assert ((out >= 1) & (out <= 10)).all()
    assert out[2] == pytest.approx(9.5)  # a title outside training: the member's mean


def test_funk_svd_fits_the_ratings_it_was_trained_with(board):
    predict = funk_svd(board, factors=4, epochs=40)
    rated = board[board["rating"] > 0]
    errors = np.concatenate([predict(str(u), g["anime_id"].to_numpy()) - g["rating"].to_numpy()
                             for u, g in rated.groupby("user_id")])
    spread = rated["rating"].to_numpy() - rated["rating"].mean()
    assert np.sqrt(np.mean(errors ** 2)) < np.sqrt(np.mean(spread ** 2))  # better than the global mean
    assert 1 <= predict("a new member", np.array([1000, 99999])).min()  # no factors of theirs: the biases


def test_the_baselines_share_the_served_models_item_item_weights(board):
    """item-kNN and EASE^R are the served model's item-item scorers (animerec.recsys.algorithms.itemitem)
    unpruned: the same sums for a member."""
    ix = TrainIndex(board)
    n = len(ix.items)
    X = ix.matrix(np.abs(ix.ratings))  # any values: both binarize
    weights, _, cosine = fit_item_models(X, np.ones(n), lam=5.0, ease_neighbors=n, knn_neighbors=n, max_items=n)
    gave = np.array([1000, 1001, 1012])
    pos = ix.positions(gave)
    np.testing.assert_allclose(ease(ix, 5.0)(gave, np.ones(3)), row_sum(weights, pos), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(item_knn(ix)(gave, np.ones(3)), row_sum(cosine, pos), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dropout", [0.0, 0.25, 0.5])
def test_edlae_is_the_emphasized_denoising_closed_form_and_ease_at_no_dropout(dropout):
    ix = TrainIndex(TINY)
    lam = 0.5
    G = ix.cooccurrence().astype(float)  # [[3, 2, 1], [2, 2, 0], [1, 0, 1]]
    # Steck 2020, eq. for the full-rank EDLAE: B = I - P diagMat(1 / diag(P)), P = (G + Lambda)^-1 with
    # Lambda = dropout / (1 - dropout) diagMat(diag(G)) + lam I.
    P = np.linalg.inv(G + np.diag(dropout / (1 - dropout) * np.diag(G)) + lam * np.eye(3))
    B = np.eye(3) - P / np.diag(P)[None, :]
    np.testing.assert_allclose(edlae(ix, dropout, lam)(*given(10, 30)), B[[0, 2]].sum(axis=0), atol=1e-9)
    if dropout == 0.0:
        np.testing.assert_allclose(ease(ix, lam)(*given(20)), B[1], atol=1e-9)
