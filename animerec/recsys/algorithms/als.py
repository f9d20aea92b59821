"""Implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008), compiled with numba.

Each half-step solves, for every row u, the weighted ridge problem
    min_x  sum_i c_ui (1 - x.y_i)^2  +  sum_{i unseen} (x.y_i)^2  +  reg * |x|^2
by a few conjugate-gradient steps warm-started from the previous x, the way `implicit` does: the cost
is O(nnz * k) per step instead of the O(nnz * k^2) of forming each row's normal equations.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

# Compiled kernels are cached on disk (recsys/__init__.py finds a writable place on a read-only install).
_JIT = dict(fastmath=True, cache=True, nogil=True)


@numba.njit(inline="always", **_JIT)
def _dot(a, b):  # pragma: no cover - compiled
    acc = np.float32(0.0)
    for f in range(a.shape[0]):
        acc += a[f] * b[f]
    return acc


@numba.njit(inline="always", **_JIT)
def _gram_times(gram, v, out):  # pragma: no cover - compiled
    k = v.shape[0]
    for a in range(k):
        acc = np.float32(0.0)
        for b in range(k):
            acc += gram[a, b] * v[b]
        out[a] = acc


@numba.njit(parallel=True, **_JIT)
def _cg_half_step(indptr, indices, conf, X, Y, gram, cg_steps):  # pragma: no cover - compiled
    n_rows, k = X.shape
    for u in numba.prange(n_rows):
        # Explicit loops and per-row buffers: temporaries inside the nnz loop would dominate the cost.
        x = X[u].copy()
        r = np.empty(k, np.float32)
        p = np.empty(k, np.float32)
        ap = np.empty(k, np.float32)
        _gram_times(gram, x, r)
        for f in range(k):
            r[f] = -r[f]
        for j in range(indptr[u], indptr[u + 1]):
            y = Y[indices[j]]
            c = conf[j]
            w = c - (c - np.float32(1.0)) * _dot(y, x)
            for f in range(k):
                r[f] += w * y[f]
        for f in range(k):
            p[f] = r[f]
        rs_old = _dot(r, r)
        for _ in range(cg_steps):
            if rs_old < 1e-20:
                break
            _gram_times(gram, p, ap)
            for j in range(indptr[u], indptr[u + 1]):
                y = Y[indices[j]]
                w = (conf[j] - np.float32(1.0)) * _dot(y, p)
                for f in range(k):
                    ap[f] += w * y[f]
            alpha = rs_old / _dot(p, ap)
            for f in range(k):
                x[f] += alpha * p[f]
                r[f] -= alpha * ap[f]
            rs_new = _dot(r, r)
            beta = rs_new / rs_old
            for f in range(k):
                p[f] = r[f] + beta * p[f]
            rs_old = rs_new
        X[u] = x


def fit_als(
    confidence: sp.csr_matrix,
    factors: int,
    iterations: int,
    regularization: float,
    *,
    cg_steps: int = 3,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Factor a users x items confidence matrix (stored entries = observed, value = c_ui >= 1).

    Returns float32 (user_factors, item_factors). ``progress`` is called after each iteration.
    """
    C = confidence.tocsr().astype(np.float32)
    C.sort_indices()
    Ct = C.T.tocsr()
    Ct.sort_indices()
    rng = np.random.default_rng(seed)
    n_users, n_items = C.shape
    # Small random start, as implicit does; users start at zero and are solved first.
    user_factors = np.zeros((n_users, factors), np.float32)
    item_factors = (rng.standard_normal((n_items, factors)) * 0.01).astype(np.float32)
    eye = np.eye(factors, dtype=np.float32) * np.float32(regularization)
    for it in range(iterations):
        _cg_half_step(C.indptr, C.indices, C.data, user_factors, item_factors,
                      item_factors.T @ item_factors + eye, cg_steps)
        _cg_half_step(Ct.indptr, Ct.indices, Ct.data, item_factors, user_factors,
                      user_factors.T @ user_factors + eye, cg_steps)
        if progress is not None:
            progress(it + 1)
    return user_factors, item_factors


def solve_user(item_factors: np.ndarray, gram: np.ndarray, items: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Exact fold-in of one user against fixed item factors: the same objective, solved in closed form.

    ``gram`` is item_factors.T @ item_factors + reg * I (precomputed once per model).
    """
    Yu = item_factors[items]
    A = gram + (Yu.T * (conf - 1.0)) @ Yu
    b = Yu.T @ conf
    return solve_spd(A, b)


def solve_spd(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve A x = b for a symmetric positive definite A by Cholesky, in float32: the ridge
    penalties keep these systems well conditioned, and single precision halves the cost."""
    return cholesky_solve(cholesky(A), b)


def cholesky(A: np.ndarray) -> np.ndarray:
    """The upper Cholesky factor of a symmetric positive definite A, in float32 (LAPACK's potrf called
    directly: scipy's cho_factor computes the same after a set-up of about 15 microseconds a call, and a
    member's fold-in makes two on each request)."""
    factor, info = lapack.spotrf(A.astype(np.float32, copy=False), lower=0, clean=0)
    if info:
        raise np.linalg.LinAlgError(f"not positive definite (potrf info {info})")
    return factor


def cholesky_solve(factor: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A^-1 b (float32) from cholesky(A), b a vector or a matrix of columns."""
    return lapack.spotrs(factor, b.astype(np.float32, copy=False), lower=0)[0]
