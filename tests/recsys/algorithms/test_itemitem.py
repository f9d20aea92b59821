import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.itemitem import (
    binarize,
    cooccurrence,
    cosine_similarities,
    ease_weights,
    fit_item_models,
    head_items,
    row_sum,
)


def _random_matrix(seed=0, users=60, items=12):
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.random((users, items)) < 0.3).astype(np.float32) * 3.0)


def test_unpruned_weights_equal_dense_ease_and_cosine():
    X = _random_matrix()
    n = X.shape[1]
    ease, cooc, cosine = fit_item_models(X, np.asarray(X.sum(0)).ravel(), lam=5.0, ease_neighbors=n, knn_neighbors=n,
                                         max_items=n)
    B = (X > 0).astype(np.float64)
    G = (B.T @ B).toarray()
    P = np.linalg.inv(G + 5.0 * np.eye(n))
    expected = -P / np.diag(P)[None, :]  # Steck 2019, closed form
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ease.toarray(), expected, rtol=1e-3, atol=1e-5)
    off = G - np.diag(np.diag(G))
    np.testing.assert_allclose(cooc.toarray(), off, rtol=1e-6)
    d = np.sqrt(np.diag(G))
    np.testing.assert_allclose(cosine.toarray(), off / d[:, None] / d[None, :], rtol=1e-5)


def test_the_served_item_item_weights_are_edlae_with_the_counts_penalized_by_the_dropout():
    X = _random_matrix(seed=3)
    n = X.shape[1]
    ease, _, _ = fit_item_models(X, np.asarray(X.sum(0)).ravel(), lam=5.0, ease_neighbors=n, knn_neighbors=n,
                                 max_items=n, dropout=0.5)
    B = (X > 0).astype(np.float64)
    G = (B.T @ B).toarray()
    # Steck 2020: lambda I plus p / (1 - p) times each item's own count (here 1x) on the diagonal.
    P = np.linalg.inv(G + np.diag(5.0 + np.diag(G)))
    expected = -P / np.diag(P)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ease.toarray(), expected, rtol=1e-3, atol=1e-5)


def test_pruning_keeps_the_strongest_weights_into_each_item():
    X = _random_matrix(1)
    n = X.shape[1]
    full, _, _ = fit_item_models(X, np.ones(n), lam=5.0, ease_neighbors=n, knn_neighbors=n, max_items=n)
    pruned, _, _ = fit_item_models(X, np.ones(n), lam=5.0, ease_neighbors=3, knn_neighbors=3, max_items=n)
    F, Pm = full.toarray(), pruned.toarray()
    for j in range(n):  # column j: weights from given items into scored item j
        kept = set(np.flatnonzero(Pm[:, j]))
        assert len(kept) == 3
        assert kept == set(np.argsort(-np.abs(F[:, j]))[:3])


def test_items_outside_the_head_get_no_item_item_weights():
    X = _random_matrix(2)
    popularity = np.asarray((X > 0).sum(0)).ravel()
    head = head_items(popularity, 5)
    ease, _, _ = fit_item_models(X, popularity, lam=5.0, ease_neighbors=20, knn_neighbors=20, max_items=5)
    tail = np.setdiff1d(np.arange(X.shape[1]), head)
    assert len(head) == 5 and popularity[head].min() >= popularity[tail].max()
    assert ease[tail].nnz == 0 and ease[:, tail].nnz == 0
    assert row_sum(ease, np.array([], np.int64)).shape == (X.shape[1],)


def test_binarize_keeps_who_interacted_with_what_whatever_the_value():
    X = sp.csr_matrix((np.array([3.0, -1.0, 2.0, 5.0], np.float32), (np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1]))),
                      shape=(2, 3))
    assert binarize(X).toarray().tolist() == [[1, 0, 1], [0, 1, 0]]  # a duplicate (1, 1) is one interaction
    assert cooccurrence(X).tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_ease_weights_in_double_precision_equal_the_closed_form_and_leave_the_gram_alone():
    X = _random_matrix(3)
    n = X.shape[1]
    G = cooccurrence(X).astype(np.float64)
    before = G.copy()
    P = np.linalg.inv(G + 5.0 * np.eye(n))
    expected = -P / np.diag(P)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ease_weights(G, 5.0).T, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(G, before)
    S = cosine_similarities(G)
    assert (np.diag(S) == 0).all() and S.dtype == np.float64
