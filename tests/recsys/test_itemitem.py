import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.itemitem import fit_item_models, head_items, row_sum


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
