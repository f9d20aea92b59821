"""Item embeddings for /similar (an Annoy angular index), and the support-aware re-ranking of its hits.

Why not the ALS item factors: implicit ALS fits *preferences* with a confidence weighting that
favours heavy watchers and popular titles; the direction of a rarely-watched title's factor is
mostly noise that regularization pulls toward the popular directions, so it "rides" them, and
cosine between factors says little about "people who watched this also watched that".

What we embed instead (``similar_embeddings``):
1. Collaborative part: a truncated SVD of the column-normalized binary interactions A = X D^-1/2
   (D = diag of each title's watcher count). A'A = D^-1/2 X'X D^-1/2 is exactly the item-kNN cosine
   matrix, so the right singular vectors scaled by the singular values are the rank-``dim``
   factorization of item-item cosine. Rows are then unit-normalized.
2. Content part (``item_genres``, optional): the title's unit-normalized genre vector times
   ``genre_weight`` (0.6), appended. Collaborative signal alone cannot tell Death Note's audience
   from everything else that audience watched; the genre part keeps neighbours the same kind of
   show (on split 0: genre overlap 0.24 -> 0.36 for 0.374 -> 0.358 co-watch precision).
3. Optional support shrink: the collaborative row scaled by n / (n + ``support_shrink``), so a
   low-support title falls back to its genre direction. Tuned to 0 (off): on seeds 1-2 it raised
   the obscure share and lowered precision; the rerank prior below does the job better.

Support-awareness is in serving (``rerank``): Annoy returns ``CANDIDATES`` angular candidates;
``rerank`` drops the query's franchise (same-franchise entries are listed separately), multiplies
each cosine by the support prior n / (n + ``support_k``) (n = training watchers) and keeps the best
``n`` (optionally one title per franchise). A title seen by 3 members cannot outrank one seen by
300 on the strength of a couple of co-watches; among equally similar titles the one more members
actually watched is the better bet, which is what lifts co-watch precision past item-kNN.

Constants were tuned on held-out splits 1 and 2 and checked on split 0 with
animerec.recsys.evaluation.similar (co-watch precision@10, genre overlap, obscure share).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

DIM = 96
COLUMN_POWER = 0.5  # A = X D^-p; 0.5 makes A'A the cosine matrix
SUPPORT_SHRINK = 0.0  # collaborative row scaled by n / (n + this); 0: the rerank prior does better (seeds 1-2)
# The genre part's norm (the collaborative part's is at most 1) and the rerank prior n / (n + SUPPORT_K),
# chosen together on seeds 1 and 2: since the catalog's 2020 vocabulary (genres, themes, demographics) made a
# title's genre vector longer, 0.5 / 200 gave genre overlap 0.335-0.337 (co-watch precision 0.508-0.536);
# 0.6 / 400 gives 0.351-0.353 (0.503-0.531). More genre weight buys overlap with co-watch precision, a larger
# prior the reverse.
GENRE_WEIGHT = 0.6
SUPPORT_K = 400.0
CANDIDATES = 100  # Annoy candidates rerank looks at
# ... and for a title with fewer than SPARSE_SUPPORT training watchers, whose co-watch part is a few members'
# noise: its nearest hundred are mostly titles as little watched (62% under 20 watchers for Koe no Katachi,
# 3 watchers in the 2016 sample), which the support prior then sinks, so its list was what was left (Initial D,
# Teekyuu, Girls und Panzer at cosine x prior 0.04-0.10). Its exact nearest SPARSE_CANDIDATES reach the watched
# titles near it (Clannad, Angel Beats!, Toradora!, Your Lie in April); Annoy's 400 stay in the sparse corner
# (Haikyuu!!, Steins;Gate 0, Nichijou). SPARSE_SUPPORT is the raters a community item fold-in needs before
# its vector is trusted (ColdConfig.min_raters).
SPARSE_SUPPORT = 20
SPARSE_CANDIDATES = 400
# ... re-ranked with a lighter support prior than SUPPORT_K: reaching 400 candidates, the prior put the most
# watched first for many such titles (Naruto first for 230 of 3,439 little-watched non-adult titles on seed 1,
# One Punch Man for 113). benchmarks/similar_sparse.py --sparse-ks 400 200 100 50 on seeds 1 and 2: 200
# keeps these queries' co-watch precision within a standard error of 400's (0.4999 against 0.5034, 0.4183
# against 0.4176), their genre overlap up 0.006 and Naruto first for 172 and 252 (230 and 294); 100 halves
# that again but costs 2.5 standard errors of precision on seed 1.
SPARSE_SUPPORT_K = 200.0


def _orthonormal(Y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of Y's columns by Cholesky QR (twice, for accuracy): two k x k
    factorizations instead of a Householder QR of the tall matrix, ~10x cheaper here."""
    for _ in range(2):
        gram = Y.T @ Y
        try:
            R = np.linalg.cholesky(gram + 1e-10 * np.trace(gram) / len(gram) * np.eye(len(gram))).T
        except np.linalg.LinAlgError:  # rank-deficient: fall back to Householder
            return np.linalg.qr(Y)[0]
        Y = Y @ np.linalg.inv(R)
    return Y


def randomized_svd(A: sp.spmatrix, k: int, *, oversample: int = 16, power_iters: int = 4, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(singular values (k,), right singular vectors (n_cols, k)) of a sparse matrix: Halko et al.'s
    randomized range finder with orthonormalized power iterations. Deterministic given ``seed``."""
    rng = np.random.default_rng(seed)
    A = sp.csr_matrix(A, dtype=np.float64)
    At = A.T.tocsr()
    width = min(k + oversample, min(A.shape))
    Y = A @ rng.standard_normal((A.shape[1], width))
    for _ in range(power_iters):
        Y = A @ _orthonormal(At @ _orthonormal(Y))
    Q = _orthonormal(Y)
    B = (At @ Q).T  # width x n_cols: A ~ Q B
    # SVD of the short-wide B from the eigen-decomposition of B B' (width x width).
    evals, U = np.linalg.eigh(B @ B.T)
    order = np.argsort(-evals)[: min(k, width)]
    s = np.sqrt(np.maximum(evals[order], 0.0))
    V = (B.T @ U[:, order]) / np.maximum(s, 1e-12)[None, :]
    return s.astype(np.float32), np.ascontiguousarray(V, dtype=np.float32)


def _unit_rows(M: np.ndarray) -> np.ndarray:
    return M / np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-12)


def similar_embeddings(
    X: sp.csr_matrix,
    popularity: np.ndarray | None = None,
    *,
    dim: int = DIM,
    item_genres: np.ndarray | None = None,
    genre_weight: float = GENRE_WEIGHT,
    column_power: float = COLUMN_POWER,
    support_shrink: float = SUPPORT_SHRINK,
    power_iters: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """float32 (n_items, dim [+ n_genres]) embeddings for an angular index.

    ``X``: users x items training interactions, any confidence values (only "interacted" counts).
    ``popularity``: each title's support n (default: its watcher count in X). ``item_genres``:
    optional (n_items, n_genres) 0/1 matrix (see ``genre_matrix``), appended with ``genre_weight``.
    """
    X = sp.csr_matrix(X)
    B = sp.csr_matrix((np.ones(X.nnz, np.float32), X.indices, X.indptr), shape=X.shape)
    B.sum_duplicates()
    B.data[:] = 1.0
    watchers = np.diff(B.tocsc().indptr).astype(np.float32)
    n = watchers if popularity is None else np.asarray(popularity, np.float32)
    A = (B @ sp.diags(1.0 / np.maximum(watchers, 1.0) ** column_power)).tocsr()
    # One BLAS thread: the products are small (k ~ 100 columns), and a multi-threaded BLAS on a
    # busy machine spends more on contending threads than it saves (0.6 s vs 5-20 s measured).
    with threadpool_limits(limits=1, user_api="blas"):
        s, V = randomized_svd(A, dim, power_iters=power_iters, seed=seed)
    cf = _unit_rows(V * s[None, :])
    cf[watchers == 0] = 0.0
    if support_shrink > 0:
        cf *= (n / (n + support_shrink))[:, None]
    if item_genres is None:
        return cf.astype(np.float32)
    return np.hstack([cf, genre_block(item_genres, genre_weight)]).astype(np.float32)


def genre_block(item_genres: np.ndarray, genre_weight: float = GENRE_WEIGHT) -> np.ndarray:
    """The genre columns similar_embeddings appends: each title's 0/1 genre row at unit length, times
    ``genre_weight`` (a title with no genres: zeros)."""
    return _unit_rows(np.asarray(item_genres, np.float32)) * np.float32(genre_weight)


def genre_matrix(anime_ids: Sequence[int] | np.ndarray, catalog) -> tuple[np.ndarray, tuple[str, ...]]:
    """(n_items, n_genres) 0/1 float32 matrix of each title's catalog genres, and the genre names
    (column order). Titles the catalog lacks get a zero row."""
    names = tuple(sorted({g for a in catalog for g in a.genres}))
    col = {g: k for k, g in enumerate(names)}
    out = np.zeros((len(anime_ids), len(names)), np.float32)
    for r, a in enumerate(anime_ids):
        if int(a) in catalog:
            out[r, [col[g] for g in catalog.get(int(a)).genres]] = 1.0
    return out, names


def rerank(
    query: int,
    candidates: Iterable[tuple[int, float]],
    popularity: np.ndarray,
    franchise: np.ndarray,
    n: int = 10,
    *,
    support_k: float = SUPPORT_K,
    one_per_franchise: bool = False,
    allowed: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """Best n of (item index, cosine) candidates for item index ``query``, as (item index, score).

    Drops the query and every title of its franchise (``franchise``: franchise id per item index,
    e.g. Franchises.franchise_array(item_ids)) and titles ``allowed`` rejects; scores
    cosine * n_j / (n_j + support_k) with n_j = ``popularity``[j]; best first (ties: nearer first).
    Plain Python over ~100 candidates: ~30 us, far below the Annoy query.
    """
    fq = franchise[query]
    scored = []
    for rank, (j, cos) in enumerate(candidates):
        if j == query or franchise[j] == fq or (allowed is not None and not allowed[j]):
            continue
        p = float(popularity[j])
        scored.append((-(cos * p / (p + support_k)), rank, j))
    scored.sort()
    out: list[tuple[int, float]] = []
    seen: set[int] = set()
    for neg, _, j in scored:
        if one_per_franchise:
            f = int(franchise[j])
            if f in seen:
                continue
            seen.add(f)
        out.append((int(j), -neg))
        if len(out) >= n:
            break
    return out
