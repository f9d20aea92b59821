"""Sparse item-item scorers that the ranking blends with the factorization.

* ``ease``: EDLAE (Steck 2020) weights, B = I - P / diag(P) with P = (X'X + lambda I + p / (1 - p) diag(X'X))^-1
  (EASE^R, Steck 2019, at dropout p = 0), then pruned to the ``ease_neighbors`` largest |weights| per scored
  item, so serving holds a sparse matrix.
  Pruning also regularizes: on our validation splits the pruned weights rank better than dense ones.
* ``cooccurrence``: raw co-occurrence counts X'X, and ``cosine``: the same normalized by item
  popularity (item-kNN), both pruned the same way. Together they serve members with only a handful
  of titles better than EASE^R does (counts lean to popular titles, cosine to specific ones).

All three are computed on the ``max_items`` most-interacted titles only: the dense inverse is
O(n^3) time and O(n^2) memory, fine for 10k titles, impossible for 70k. Titles outside that head
keep their factorization score alone.

The dense pieces (``binarize``, ``cooccurrence``, ``cosine_similarities``, ``ease_weights``) are the
ones the evaluation's unpruned baselines use too (animerec.recsys.algorithms.baselines).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack


def head_items(popularity: np.ndarray, max_items: int) -> np.ndarray:
    """Indices of the most-interacted items, at most max_items, sorted ascending."""
    if len(popularity) <= max_items:
        return np.arange(len(popularity))
    return np.sort(np.argpartition(-popularity, max_items - 1)[:max_items])


@numba.njit(parallel=True, cache=True)
def _top_abs_per_row(W, keep):  # pragma: no cover - compiled
    n = W.shape[0]
    cols = np.empty((n, keep), np.int64)
    vals = np.zeros((n, keep), np.float32)
    for r in numba.prange(n):
        mags = np.abs(W[r])
        mags[r] = -1.0  # never the item itself
        threshold = np.partition(mags, n - keep)[n - keep]
        k = 0
        for c in range(n):
            if mags[c] >= threshold and k < keep:
                cols[r, k] = c
                vals[r, k] = W[r, c]
                k += 1
        for j in range(k, keep):  # only when ties at zero leave room: pad with the diagonal, value 0
            cols[r, j] = r
    return cols, vals


@numba.njit(parallel=True, cache=True)
def _ease_rows(P_lower):  # pragma: no cover - compiled
    """Rows of B^T from the lower triangle that potri leaves: row j = -P[j, :] / P[j, j]."""
    n = P_lower.shape[0]
    out = np.empty_like(P_lower)
    for j in numba.prange(n):
        scale = -1.0 / P_lower[j, j]
        for i in range(n):
            out[j, i] = (P_lower[j, i] if i <= j else P_lower[i, j]) * scale
    return out


def _prune_rows(W: np.ndarray, keep: int) -> sp.csr_matrix:
    """Keep the `keep` largest |entries| of each row of a dense square matrix, never the diagonal."""
    n = W.shape[0]
    keep = min(keep, n - 1)
    if keep <= 0:
        return sp.csr_matrix(W.shape, dtype=np.float32)
    cols, vals = _top_abs_per_row(W, keep)
    rows = np.repeat(np.arange(n), keep)
    out = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=W.shape, dtype=np.float32)
    out.eliminate_zeros()
    return out


def binarize(X: sp.spmatrix) -> sp.csr_matrix:
    """1 for every (user, item) entry of X, whatever its value (a confidence, a rating, -1 for
    watched): who interacted with what. Duplicate entries merge into one."""
    B = sp.csr_matrix(X, dtype=np.float32, copy=True)
    B.sum_duplicates()
    B.data[:] = 1.0
    return B


def cooccurrence(X: sp.spmatrix) -> np.ndarray:
    """Dense float32 item x item counts of the binarized X: (i, j) users with both, (i, i) users of i."""
    B = binarize(X)
    return (B.T @ B).toarray().astype(np.float32)


def cosine_similarities(gram: np.ndarray) -> np.ndarray:
    """Item-kNN cosine from co-occurrence counts, cos(i, j) = n_ij / sqrt(n_i n_j), the diagonal 0
    (an item is not its own neighbour)."""
    norms = np.sqrt(np.diag(gram)) + gram.dtype.type(1e-9)
    S = gram / norms[:, None] / norms[None, :]
    np.fill_diagonal(S, 0.0)
    return S


def ease_weights(gram: np.ndarray, lam: float, *, overwrite: bool = False) -> np.ndarray:
    """Dense EASE^R weights (Steck 2019), B = I - P diag(P)^-1 with P = (gram + lam I)^-1, transposed:
    row j holds the weights from each given item into scored item j, the diagonal 0. Computed in
    gram's precision; ``overwrite`` lets it use gram's memory (a 10k-item gram is 400 MB in float32)."""
    G = gram if overwrite else gram.copy()
    G[np.diag_indices_from(G)] += lam
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (G,))
    chol, info = potrf(G, lower=1, overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE gram matrix is not positive definite (info={info})")
    P, info = potri(chol, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE inverse failed (info={info})")
    # Column j of B, as a row: -P[j] / P[j, j]. potri fills only the lower triangle of P, which
    # _ease_rows reads symmetrically.
    W = _ease_rows(P)
    np.fill_diagonal(W, 0.0)
    return W


def emphasize(gram: np.ndarray, dropout: float) -> np.ndarray:
    """The gram of EDLAE (Steck 2020, "Autoencoders that don't overfit towards the Identity"), in place:
    a linear autoencoder trained with input dropout ``dropout`` and the dropped inputs emphasized has
    EASE^R's closed form with each item's diagonal raised by dropout / (1 - dropout) times its own count,
    so popular items, whose self-similarity dominates the gram, are regularized most. 0 leaves EASE^R."""
    gram[np.diag_indices_from(gram)] *= gram.dtype.type(1.0 + dropout / (1.0 - dropout))
    return gram


def fit_ease(gram: np.ndarray, *, lam: float, dropout: float, neighbors: int) -> sp.csr_matrix:
    """EDLAE weights (EASE^R at ``dropout`` 0) from a co-occurrence gram, pruned to the ``neighbors``
    strongest per scored item, as (given item -> scored item); uses gram's memory."""
    return _prune_rows(ease_weights(emphasize(gram, dropout), lam, overwrite=True), neighbors).T.tocsr()


def _embed(M: sp.csr_matrix, head: np.ndarray, n_items: int) -> sp.csr_matrix:
    """Place a head x head matrix into the full item index space."""
    coo = M.tocoo()
    return sp.csr_matrix((coo.data, (head[coo.row], head[coo.col])), shape=(n_items, n_items), dtype=np.float32)


def fit_item_models(
    X: sp.csr_matrix, popularity: np.ndarray, *, lam: float, ease_neighbors: int, knn_neighbors: int, max_items: int,
    dropout: float = 0.0,
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """(EDLAE weights, co-occurrence counts, cosine similarities), each n_items x n_items sparse:
    row = given item, column = scored item."""
    n_items = X.shape[1]
    head = head_items(popularity, max_items)
    gram = cooccurrence(X[:, head])
    # Pruning row j of a symmetric matrix keeps the strongest weights into scored item j; the
    # transpose puts them back as (given item -> scored item). Pruning never keeps the diagonal.
    cooc = _embed(_prune_rows(gram, knn_neighbors).T.tocsr(), head, n_items)
    cosine = _embed(_prune_rows(cosine_similarities(gram), knn_neighbors).T.tocsr(), head, n_items)
    ease = _embed(fit_ease(gram, lam=lam, dropout=dropout, neighbors=ease_neighbors), head, n_items)
    return ease, cooc, cosine


@numba.njit(cache=True, nogil=True)
def _row_sum(indptr, indices, data, rows, out):  # pragma: no cover - compiled
    for r in rows:
        for j in range(indptr[r], indptr[r + 1]):
            out[indices[j]] += data[j]


def row_sum(M: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Dense sum of the given rows: the item-item score of a member who gave those items.

    A direct loop over the rows' entries: scipy's fancy row indexing costs more than the sum here,
    on the /recommend hot path.
    """
    out = np.zeros(M.shape[1], np.float32)
    _row_sum(M.indptr, M.indices, M.data, np.asarray(rows, np.int64), out)
    return out


@numba.njit(cache=True, nogil=True)
def _row_block(indptr, indices, data, rows, cols, out):  # pragma: no cover - compiled
    for a in range(len(rows)):
        lo, hi = indptr[rows[a]], indptr[rows[a] + 1]
        row = indices[lo:hi]
        for b in range(len(cols)):
            at = np.searchsorted(row, cols[b])
            if at < hi - lo and row[at] == cols[b]:
                out[a, b] = data[lo + at]


def row_block(M: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Dense M[rows][:, cols] for few columns (the picks): a binary search per (row, column) in the
    row's sorted indices, cheaper than scanning rows of up to 1,000 entries."""
    if not M.has_sorted_indices:
        M.sort_indices()
    out = np.zeros((len(rows), len(cols)), np.float32)
    _row_block(M.indptr, M.indices, M.data, np.asarray(rows, np.int64), np.asarray(cols, M.indices.dtype), out)
    return out
