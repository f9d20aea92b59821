"""The baselines the served model is measured against, each fitted on a training interactions table.

* ``popularity``: interaction counts;
* ``item_knn``: item-kNN cosine, the sum of the given titles' cosine rows;
* ``ease``: EASE^R (Steck 2019), the sum of the given titles' weight rows;
* ``edlae``: EDLAE (Steck 2020), EASE^R fitted as an emphasized denoising autoencoder;
* ``implicit_als``: plain binary iALS, the new member folded in exactly;
* ``centred_svd``: truncated SVD of the user-mean-centred ratings, the new member projected;
* ``funk_svd``: biased SGD matrix factorization, retrained with the members to predict included.

Unlike the item-item scorers of the served model (animerec.recsys.algorithms.itemitem), which they
share their cosine and EASE^R weights with, these are dense over every training title and unpruned.

A member is what they gave: anime ids and their ratings (1-10, or -1 for watched).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from animerec.recsys.algorithms.als import fit_als, solve_user
from animerec.recsys.algorithms.itemitem import cooccurrence, cosine_similarities, ease_weights, emphasize

# (given anime ids, their ratings) -> a score for every TrainIndex item, higher is better.
Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
# (given anime ids, their ratings, target anime ids) -> 1-10 predicted ratings of the targets.
Predictor = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class TrainIndex:
    """Dense integer indices for the training users and items (items in ascending id order)."""

    def __init__(self, train: pd.DataFrame):
        self.items = np.sort(train["anime_id"].unique())
        self.item_pos = {int(a): i for i, a in enumerate(self.items)}
        users = train["user_id"].astype("category")
        self.user_codes = users.cat.codes.to_numpy()
        self.n_users = len(users.cat.categories)
        self.item_codes = np.searchsorted(self.items, train["anime_id"].to_numpy())
        self.ratings = train["rating"].to_numpy(np.float32)

    def matrix(self, values: np.ndarray) -> sp.csr_matrix:
        """users x items, one value per training interaction."""
        return sp.csr_matrix((values, (self.user_codes, self.item_codes)), shape=(self.n_users, len(self.items)))

    def cooccurrence(self) -> np.ndarray:
        """Dense item x item co-occurrence counts (animerec.recsys.algorithms.itemitem.cooccurrence)."""
        return cooccurrence(self.matrix(np.ones(len(self.ratings), np.float32)))

    def positions(self, anime_ids: np.ndarray) -> np.ndarray:
        """Item indices of the ids, those not in training dropped."""
        return np.array([self.item_pos[a] for a in anime_ids.tolist() if a in self.item_pos], np.int64)


def popularity(ix: TrainIndex) -> Scorer:
    counts = np.bincount(ix.item_codes, minlength=len(ix.items)).astype(np.float64)
    return lambda items, ratings: counts


def item_cosine(ix: TrainIndex) -> np.ndarray:
    """Dense item-kNN cosine similarities of the training items, the diagonal 0."""
    return cosine_similarities(ix.cooccurrence())


def item_knn(ix: TrainIndex) -> Scorer:
    S = item_cosine(ix)
    return lambda items, ratings: S[ix.positions(items)].sum(axis=0)


def ease(ix: TrainIndex, lam: float) -> Scorer:
    """Unpruned EASE^R in float64."""
    return edlae(ix, 0.0, lam)


def edlae(ix: TrainIndex, dropout: float, lam: float) -> Scorer:
    """Unpruned EDLAE in float64 (animerec.recsys.algorithms.itemitem.emphasize); ``dropout`` 0 is EASE^R."""
    gram = emphasize(ix.cooccurrence().astype(np.float64), dropout)
    B = np.ascontiguousarray(ease_weights(gram, lam, overwrite=True).T)
    return lambda items, ratings: B[ix.positions(items)].sum(axis=0)


def implicit_als(ix: TrainIndex, factors: int = 128, alpha: float = 3.0, reg: float = 30.0) -> Scorer:
    """Plain binary iALS (every interaction the same confidence), folded in exactly."""
    C = ix.matrix(np.full(len(ix.ratings), 1.0 + alpha, np.float32))
    _, V = fit_als(C, factors, 15, reg)
    gram = (V.T @ V + reg * np.eye(factors)).astype(np.float32)

    def score(items: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        pos = ix.positions(items)
        if len(pos) == 0:
            return np.zeros(len(ix.items))
        return V @ solve_user(V, gram, pos, np.full(len(pos), 1.0 + alpha, np.float32))

    return score


def centred_svd(ix: TrainIndex, factors: int = 50) -> tuple[Scorer, Predictor]:
    """Truncated SVD of the user-mean-centred rating matrix; a new member is projected onto V."""
    rated = ix.ratings > 0
    u, i, r = ix.user_codes[rated], ix.item_codes[rated], ix.ratings[rated].astype(np.float64)
    means = np.bincount(u, weights=r, minlength=ix.n_users) / np.maximum(np.bincount(u, minlength=ix.n_users), 1)
    R = sp.csr_matrix((r - means[u], (u, i)), shape=(ix.n_users, len(ix.items)))
    _, _, vt = svds(R, k=factors, random_state=0)
    V = vt.T

    def project(items: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, float]:
        ok = ratings > 0
        pos = np.array([ix.item_pos.get(a, -1) for a in items[ok].tolist()], np.int64)
        vals = ratings[ok][pos >= 0]
        pos = pos[pos >= 0]
        mean = float(vals.mean()) if len(vals) else 7.8
        x = np.zeros(len(ix.items))
        x[pos] = vals - mean
        return V @ (V.T @ x), mean

    def score(items: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        return project(items, ratings)[0]

    def predict(items: np.ndarray, ratings: np.ndarray, targets: np.ndarray) -> np.ndarray:
        s, mean = project(items, ratings)
        pos = np.array([ix.item_pos.get(a, -1) for a in targets.tolist()], np.int64)
        out = np.full(len(pos), mean)
        out[pos >= 0] += s[pos[pos >= 0]]
        return np.clip(out, 1, 10)

    return score, predict


@numba.njit(cache=True)
def _funk_epochs(users, items, ratings, mu, bu, bi, P, Q, epochs, lr, reg, seed):  # pragma: no cover - compiled
    np.random.seed(seed)
    n = len(ratings)
    for _ in range(epochs):
        for t in np.random.permutation(n):
            u, i = users[t], items[t]
            err = ratings[t] - (mu + bu[u] + bi[i] + np.dot(P[u], Q[i]))
            bu[u] += lr * (err - reg * bu[u])
            bi[i] += lr * (err - reg * bi[i])
            pu = P[u].copy()
            P[u] += lr * (err * Q[i] - reg * P[u])
            Q[i] += lr * (err * pu - reg * Q[i])


def funk_svd(interactions: pd.DataFrame, factors: int = 50, epochs: int = 20, lr: float = 0.007, reg: float = 0.05,
             seed: int = 0) -> Callable[[str, np.ndarray], np.ndarray]:
    """Biased SGD matrix factorization on the rated interactions; (user id, target anime ids) -> 1-10
    predictions. It has no fold-in: the members to predict are trained with, their given ratings
    included in ``interactions``."""
    df = interactions[interactions["rating"] > 0]
    users = df["user_id"].astype("category")
    items = df["anime_id"].astype("category")
    u, i = users.cat.codes.to_numpy().astype(np.int64), items.cat.codes.to_numpy().astype(np.int64)
    r = df["rating"].to_numpy(np.float64)
    rng = np.random.default_rng(seed)
    P = rng.normal(0, 0.1, (len(users.cat.categories), factors))
    Q = rng.normal(0, 0.1, (len(items.cat.categories), factors))
    bu, bi = np.zeros(len(P)), np.zeros(len(Q))
    mu = float(r.mean())
    _funk_epochs(u, i, r, mu, bu, bi, P, Q, epochs, lr, reg, seed)
    upos = {str(x): k for k, x in enumerate(users.cat.categories)}
    ipos = {int(x): k for k, x in enumerate(items.cat.categories)}

    def predict(user_id: str, targets: np.ndarray) -> np.ndarray:
        k = upos.get(user_id)
        out = []
        for a in targets.tolist():
            j = ipos.get(a)
            p = mu + (bu[k] if k is not None else 0.0)
            if j is not None:
                p += bi[j] + (P[k] @ Q[j] if k is not None else 0.0)
            out.append(p)
        return np.clip(np.array(out), 1, 10)

    return predict
