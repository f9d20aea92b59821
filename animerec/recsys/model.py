"""The recommender the bot serves: implicit ALS item factors, folded in per user, blended with
sparse item-item scorers for the ranking.

Training learns item factors from every interaction (a score or "watched") with a confidence that
grows with the score. Serving never retrains: a member's ratings are folded in by an exact ridge
solve against the fixed item factors, giving
  * the implicit-ALS preference x_u . y_i, which the ranking blends with the item-item scorers of
    animerec.recsys.algorithms.itemitem (EDLAE weights for members with a history, co-occurrence counts for members
    with only a few titles; see docs/evaluation.md for the figures behind the weights);
  * the 1-10 prediction: mu + b_i + b_u + z_u . y_i, a ridge fit of the member's own scores on the
    same item factors (watched-without-score titles shape the ranking only), which the ranking also blends
    in: what a member would score a title beside what they would watch.
The embeddings behind /similar (Annoy) are animerec.recsys.algorithms.embeddings.similar_embeddings: a factorization of
the item-kNN cosine matrix with the titles' genres appended (see that module for why not the ALS
factors); animerec.recsys.serving.served re-ranks their hits with a support prior and the franchise graph.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from animerec.recsys.algorithms.als import cholesky, cholesky_solve, fit_als, solve_user
from animerec.recsys.algorithms.ann import AnnIndex
from animerec.recsys.algorithms.coldstart import SOURCES, ColdVectors, build_cold
from animerec.recsys.algorithms.embeddings import genre_block, genre_matrix, similar_embeddings
from animerec.recsys.algorithms.itemitem import fit_item_models, row_block, row_sum
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import load_catalog_table
from animerec.recsys.ids import IdPositions

if TYPE_CHECKING:
    from animerec.recsys.algorithms.spark_als import SparkSettings

RATING_MIN, RATING_MAX = 1.0, 10.0
# Below this share the neighbour scores (standardized, weights 1 + 2) move a title by < 0.1 sd:
# members with about 70+ titles skip those wide sums (the /recommend p99 budget).
COLD_NEGLIGIBLE = 0.03
# Ridge penalty of the map from item factors to /similar embeddings (similar_space), as a share of the
# factors' mean squared norm per dimension: enough to keep a content vector's guess near the middle.
SIMILAR_MAP_REG = 0.1
_BLAS = ThreadpoolController()


def single_threaded_blas():
    """Limit BLAS to one thread (a context manager, or leave it in place for the whole process).

    Serving does many small solves and products; a multi-threaded BLAS spends more on waking and
    contending threads than it saves (fold-in p50 8 ms -> 0.4 ms on 2 cores, benchmarks/bench_serve.py).
    Serving processes call this once; training keeps every thread.
    """
    return _BLAS.limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters; the defaults are the ones docs/evaluation.md justified."""

    factors: int = 128
    iterations: int = 15
    regularization: float = 30.0
    alpha: float = 3.0  # confidence of an interaction: 1 + alpha * weight
    watched_weight: float = 0.5  # weight of "watched, no score" relative to a score of 10 (= 1.0)
    cg_steps: int = 2  # CG steps per row per half-step (implicit uses 3); see benchmarks/bench_train.py
    item_bias_shrink: float = 5.0  # item bias = sum of residuals / (count + shrink)
    user_bias_reg: float = 1.0  # ridge penalty of the folded-in user bias
    rating_reg: float = 3.0  # ridge penalty of the folded-in rating vector
    ease_lambda: float = 30.0  # L2 penalty of the EDLAE item-item weights
    ease_neighbors: int = 100  # EDLAE weights kept per scored title
    # EDLAE's emphasized dropout (itemitem.emphasize; 0 is EASE^R), and below the weight of the member's
    # predicted score in the ranking: chosen on seeds 1 and 2 (benchmarks/tune_ranking.py, docs/evaluation.md).
    ease_dropout: float = 0.5
    knn_neighbors: int = 1000  # co-occurrence / cosine neighbours kept per scored title
    item_max_items: int = 10_000  # item-item models cover this many most-interacted titles
    blend_factorization: float = 0.5  # weight of the ALS score next to the item-item score
    blend_rating: float = 0.5  # weight of the member's predicted score (bias + z_u . y_i) in the ranking
    # A member with long_history titles or more is ranked with this weight of the ALS score instead; from
    # half as many it moves linearly toward it (no jump in a member's list as their history grows). A long
    # history determines the fold-in's vectors well, while the item-item sums over many titles drift to what
    # most of those titles share (seeds 1 and 2, docs/evaluation.md "The served ranking for long histories").
    long_history: int = 40
    long_blend_factorization: float = 1.5
    cold_pivot: float = 12.0  # members with about this many titles get half neighbours, half EASE
    cold_cooccurrence_weight: float = 1.0  # for the coldest members: weight of co-occurrence counts
    cold_cosine_weight: float = 2.0  # ... and of cosine neighbours
    # A title a member gives, learnt from n training watchers, is trusted n^2 / (n^2 + given_support_half^2) for what
    # they taught it (a half at given_support_half watchers). A short history's fold-in reads its vector shrunk
    # toward its content estimate by the rest, fading with the neighbour sums' share (Recommender.history_share):
    # a long history averages such noise out. The neighbour sums count as much as the best trusted title given
    # (Recommender.ranking). 0 trusts every title fully. What three watchers also watched is noise, not a title's
    # audience: Koe no Katachi (2016, three watchers in the sample) given alone gave Kizumonogatari, Puchimas! and
    # Initial D. The square spares the well watched: n / (n + 60) cost a newcomer who gave one title of 100
    # watchers or more 0.004 of work NDCG@10 (benchmarks/little_watched_given.py, docs/evaluation.md).
    given_support_half: float = 60.0
    ann_trees: int = 50  # Annoy trees; with ann_search_k, sets recall@20 vs exact (benchmarks/bench_serve.py)
    ann_search_k: int = 3_000
    seed: int = 0

    @classmethod
    def small(cls) -> ModelConfig:
        """A few-second model for tests and smoke runs."""
        return cls(factors=16, iterations=4, ease_neighbors=50, knn_neighbors=100, item_max_items=2000)

    @classmethod
    def from_dict(cls, d: Mapping) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown hyperparameter(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


class UnknownTitle(KeyError):
    """A title outside the catalog the model was trained over (one a later catalog refresh added), so the
    served model has no index for it (ServedModel.index_of). Recommender.similar, which searches the
    trained titles alone, also raises it for a title without interactions in training."""


@dataclass(frozen=True)
class Recommendation:
    anime_id: int
    score: float  # ranking score (higher first)


@dataclass
class FoldedUser:
    """A member folded in against the item factors."""

    seen: np.ndarray  # item indices the member gave (any rating)
    pref: np.ndarray  # implicit preference vector x_u
    user_bias: float
    rating_vec: np.ndarray  # z_u
    ratings: np.ndarray  # float32, the member's rating of each of seen (-1: watched)
    cold_seen: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # ColdVectors rows given (trusted)
    cold_ratings: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))  # their ratings
    # The fold-in's ridge system A (gram + Y'(C - I)Y), factorized: "because" splits x_u = A^-1 sum c_j y_j
    # per given title against it (Recommender.preference_contributions) without solving it again.
    system: RidgeSystem | None = None


@dataclass(frozen=True)
class Products:
    """A folded-in member's products with the item factors (Recommender.products), each standardized over
    the titles it covers: the factorization's part of the ranking, and what "because" holds a
    vector-driven pick to."""

    warm_z: np.ndarray  # x_u . y over the trained titles
    cold_z: np.ndarray | None  # x_u . y over the cold titles (None without them)
    rating_z: np.ndarray | None  # b_i + z_u . y over the trained titles, where ranking blends it in (else None)


def confidence_weight(ratings: np.ndarray, config: ModelConfig) -> np.ndarray:
    """Weight in [0, 1] of each interaction: scores scale linearly, watched gets its own weight."""
    r = np.asarray(ratings, dtype=np.float32)
    return np.where(r > 0, r / RATING_MAX, config.watched_weight).astype(np.float32)


@dataclass(frozen=True)
class Interactions:
    """Interactions as training reads them: the confidence matrix and what it was built from."""

    confidence: sp.csr_matrix  # float32 (members x titles): 1 + alpha x confidence_weight
    item_ids: np.ndarray  # int64 MAL ids of its columns
    items: np.ndarray  # each interaction's column
    ratings: np.ndarray  # float32, each interaction's rating (-1: watched)

    @classmethod
    def of(cls, interactions: pd.DataFrame, config: ModelConfig) -> Interactions:
        users = interactions["user_id"].astype(str).astype("category")
        items = interactions["anime_id"].astype("int64").astype("category")
        item_ids = items.cat.categories.to_numpy(np.int64)
        ratings = interactions["rating"].to_numpy(np.float32)
        u, i = users.cat.codes.to_numpy(), items.cat.codes.to_numpy()
        conf = 1.0 + config.alpha * confidence_weight(ratings, config)
        C = sp.csr_matrix((conf, (u, i)), shape=(len(users.cat.categories), len(item_ids)), dtype=np.float32)
        return cls(C, item_ids, i, ratings)


@dataclass
class Recommender:
    config: ModelConfig
    item_ids: np.ndarray  # int64 MAL ids, index order
    item_factors: np.ndarray  # float32 (n_items, k)
    item_bias: np.ndarray  # float32 (n_items,)
    global_mean: float
    item_popularity: np.ndarray  # interactions per item in training
    ease: sp.csr_matrix  # item-item EASE^R weights (row: given, column: scored)
    cooccurrence: sp.csr_matrix  # item-item co-occurrence counts, same layout
    cosine: sp.csr_matrix  # item-item cosine similarities, same layout
    similar_vectors: np.ndarray  # float32 (n_items, d): the /similar embeddings (Annoy, angular)
    meta: dict = field(default_factory=dict)
    cold: ColdVectors | None = None  # catalog titles without interactions (animerec.recsys.algorithms.coldstart)

    def __post_init__(self) -> None:
        self.item_ids = np.asarray(self.item_ids, dtype=np.int64)
        self._index = {int(a): i for i, a in enumerate(self.item_ids)}
        self._positions = IdPositions(self.item_ids)
        k = self.item_factors.shape[1]
        V = self.item_factors.astype(np.float64)
        self._gram = (V.T @ V + self.config.regularization * np.eye(k)).astype(np.float32)
        self._gram_inv = np.linalg.inv(self._gram.astype(np.float64))
        # The rating ridge's penalty on [user bias, z_u], and its inverse.
        self._penalty = np.full(k + 1, self.config.rating_reg, np.float32)
        self._penalty[0] = self.config.user_bias_reg
        self._penalty_inv = np.diag(1.0 / self._penalty.astype(np.float64))
        self._penalty = np.diag(self._penalty)
        self._ann: AnnIndex | None = None  # set by attach_ann / artifacts.load
        self._similar_space: tuple[np.ndarray, np.ndarray] | None = None  # similar_space(), made once
        self._similar_evidenced: np.ndarray | None = None  # similar_evidenced(), made with it
        self._evidence_ann: AnnIndex | None = None  # evidence_ann(): set by artifacts.load, or built on first need
        # nearest_kept(): per similar_space, (rows, answers) by the rows' name
        self._nearest_kept: tuple[object, dict[str, tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]]] \
            | None = None
        # Made per ColdVectors on first need (a copy with its own cold vectors makes its own):
        self._cold_positions: tuple[ColdVectors, IdPositions] | None = None  # _cold_given's look-up
        self._distinct_cold: tuple[ColdVectors, np.ndarray, np.ndarray] | None = None  # distinct_cold()
        self._doubt: tuple[np.ndarray | None, np.ndarray | None] | None = None  # doubt(), by the estimate it is made of
        half = self.config.given_support_half
        popularity = np.asarray(self.item_popularity, np.float64)
        # Each trained title's trust as a given title (ModelConfig.given_support_half).
        self._given_trust = (popularity**2 / (popularity**2 + half**2) if half > 0 else np.ones(len(popularity))
                             ).astype(np.float32)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        interactions: pd.DataFrame,
        config: ModelConfig | None = None,
        progress: Callable[[int], None] | None = None,
        stage_times: dict[str, float] | None = None,
        catalog: Catalog | None = None,
        spark: SparkSettings | None = None,
        content: pd.DataFrame | None = None,
        franchises: Franchises | None = None,
    ) -> Recommender:
        """Train on an interactions table (user_id, anime_id, rating with -1 = watched).

        ``progress`` is called after each ALS iteration; ``stage_times`` receives seconds per stage;
        ``catalog`` gives the genres the /similar embeddings carry (none without it). With ``spark``
        the item factors come from Spark MLlib's implicit ALS (animerec.recsys.algorithms.spark_als) instead of
        animerec.recsys.algorithms.als; every other stage is the same. ``content`` is the catalog table
        the titles without interactions get vectors from (when a catalog is given, its own table, or the
        bundled one for a catalog built from 2016-style frames),
        ``franchises`` the work and franchise graph over its titles (default: Franchises.load).
        """
        config = config or ModelConfig()
        stages = stage_times if stage_times is not None else {}
        clock = time.perf_counter()
        read = Interactions.of(interactions, config)
        C, item_ids, i, ratings = read.confidence, read.item_ids, read.items, read.ratings
        stages["prepare"] = time.perf_counter() - clock
        clock = time.perf_counter()
        if spark is None:
            user_factors, item_factors = fit_als(
                C, config.factors, config.iterations, config.regularization,
                cg_steps=config.cg_steps, seed=config.seed, progress=progress,
            )
        else:
            from animerec.recsys.algorithms import spark_als

            item_factors = spark_als.fit_item_factors(C, config.factors, config.iterations, config.alpha, spark,
                                                      seed=config.seed, progress=progress)
            user_factors = None
        stages["als"] = time.perf_counter() - clock
        rated = ratings > 0
        mu = float(ratings[rated].mean()) if rated.any() else 7.5
        resid = np.bincount(i[rated], weights=ratings[rated] - mu, minlength=len(item_ids))
        counts = np.bincount(i[rated], minlength=len(item_ids))
        item_bias = (resid / (counts + config.item_bias_shrink)).astype(np.float32)
        popularity = np.bincount(i, minlength=len(item_ids)).astype(np.int64)
        clock = time.perf_counter()
        ease, cooc, cosine = fit_item_models(
            C, popularity, lam=config.ease_lambda, ease_neighbors=config.ease_neighbors,
            knn_neighbors=config.knn_neighbors, max_items=config.item_max_items, dropout=config.ease_dropout
        )
        stages["item_item"] = time.perf_counter() - clock
        clock = time.perf_counter()
        genres = genre_matrix(item_ids, catalog)[0] if catalog is not None else None
        similar_vectors = similar_embeddings(C, popularity, item_genres=genres, seed=config.seed)
        stages["similar"] = time.perf_counter() - clock
        model = cls(config, item_ids, item_factors, item_bias, mu, popularity, ease, cooc, cosine, similar_vectors)
        if content is None and catalog is not None:  # the catalog's own titles (a catalog overlay's too)
            content = catalog.table if catalog.table is not None else load_catalog_table()
        if franchises is None and catalog is not None:
            franchises = Franchises.load(catalog)
        if content is not None:
            clock = time.perf_counter()
            model.cold = build_cold(item_ids, item_factors, item_bias, popularity,
                                    model.user_gram(C, user_factors), content, franchises=franchises)
            if catalog is not None:  # the genre columns of similar_vectors, for similar_space
                model.cold.genres = genre_matrix(model.cold.anime_ids, catalog)[0].astype(np.uint8)
            stages["cold_start"] = time.perf_counter() - clock
        if spark is not None:
            model.meta["engine"] = spark_als.describe(spark)
        return model

    def user_gram(self, C: sp.csr_matrix, user_factors: np.ndarray | None) -> np.ndarray:
        """The training members' X'X + reg I: the background an item fold-in solves against. An engine
        that keeps no member vectors (Spark) gets them by the exact fold-in of each row of C."""
        if user_factors is None:
            user_factors = np.array([solve_user(self.item_factors, self._gram, C.indices[a:b], C.data[a:b])
                                     for a, b in zip(C.indptr[:-1], C.indptr[1:])], np.float32)
        X = user_factors.astype(np.float64)
        return (X.T @ X + self.config.regularization * np.eye(X.shape[1])).astype(np.float32)

    # ------------------------------------------------------------------ titles without interactions
    def liked_titles(self, user: FoldedUser) -> np.ndarray:
        """MAL ids the member rated at least the cold path's liked_rating, trained and cold alike: a
        title continuing one of these gets the loved-predecessor bonus (ColdVectors.scores)."""
        cold = self.cold
        if cold is None:
            return np.empty(0, np.int64)
        bar = cold.config.liked_rating
        return np.concatenate([self.item_ids[user.seen[user.ratings >= bar]],
                               cold.anime_ids[user.cold_seen[user.cold_ratings >= bar]]])

    def new_titles(self, user: FoldedUser | Mapping[int, float],
                   anime_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """A member's (ranking scores, calibrated 1-10 predictions, vector sources) of catalog titles
        the training data lacks: NaN and None for an id that is not one. The source ("community",
        "franchise", "content", "prior") says how much the vector knows, for honest words."""
        user = self.folded(user)
        scores = np.full(len(anime_ids), np.nan)
        predicted = np.full(len(anime_ids), np.nan)
        sources: list[str | None] = [None] * len(anime_ids)
        cold = self.cold
        rows = [(j, r) for j, a in enumerate(anime_ids) if cold is not None and (r := cold.index_of(a)) is not None]
        if cold is None or not rows:
            return scores, predicted, sources
        pos, idx = map(np.asarray, zip(*rows))
        scores[pos] = cold.scores(user.pref, cold.given_franchises(user.seen), idx, self.liked_titles(user),
                                  z=self.products([user])[0].cold_z)
        predicted[pos] = calibrated(cold.predicted(self.global_mean, user.user_bias, user.rating_vec, idx))
        for j, r in zip(pos, idx):
            sources[j] = SOURCES[cold.source[r]]
        return scores, predicted, sources

    def fold_in_title(self, anime_id: int, raters: Sequence[tuple[FoldedUser, float]]) -> bool:
        """Item fold-in of a title without interactions from its raters (each a folded-in member and
        their rating, -1 for watched), between retrains. False when it is not such a title or has
        fewer raters than the cold-start path trusts (ColdConfig.min_raters)."""
        row = self.cold.index_of(anime_id) if self.cold is not None else None
        if row is None or self.cold is None or len(raters) < self.cold.config.min_raters:
            return False
        users = [u for u, _ in raters]
        r = np.array([rating for _, rating in raters], np.float32)
        conf = self._confidence(r)
        residuals = np.where(r > 0, r - self.global_mean - np.array([u.user_bias for u in users]), np.nan)
        self._distinct_cold = None  # the title's vector changes
        return self.cold.fold_in_item(row, np.array([u.pref for u in users]), conf, residuals,
                                      self.config.item_bias_shrink)

    def fold_in_community(self, members: Mapping[int, Mapping[int, float]]) -> list[int]:
        """Item fold-in (fold_in_title) of every title without interactions that at least
        ColdConfig.min_raters of these community members gave; each member is folded in once, on the
        trained titles they gave (a cold title's own vector is what is being solved for). Returns the
        titles folded in. Each fold-in starts from the vector the model was trained with, so a title's
        raters count once however often this runs."""
        cold = self.cold
        if cold is None:
            return []
        by_title: dict[int, list[tuple[int, float]]] = {}
        for member, ratings in members.items():
            for a, r in ratings.items():
                if cold.index_of(a) is not None:
                    by_title.setdefault(int(a), []).append((member, float(r)))
        enough = {a: raters for a, raters in by_title.items() if len(raters) >= cold.config.min_raters}
        folded: dict[int, FoldedUser] = {}
        done = []
        for a, raters in sorted(enough.items()):
            users = []
            for member, r in raters:
                if member not in folded:
                    folded[member] = self.fold_in({t: s for t, s in members[member].items() if t in self._index})
                users.append((folded[member], r))
            if self.fold_in_title(a, users):
                done.append(a)
        return done

    def with_own_cold(self) -> Recommender:
        """This model sharing everything but its cold vectors, which it has its own copy of: a served
        model's titles can be folded in anew while requests go on reading the one served."""
        out = copy.copy(self)
        out.cold = copy.deepcopy(self.cold)
        return out

    # ------------------------------------------------------------------ similar-items index
    def attach_ann(self, ann: AnnIndex) -> None:
        self._ann = ann

    def ensure_ann(self) -> AnnIndex:
        """The Annoy index over the /similar embeddings of every title (similar_space), built on first need."""
        if self._ann is None:
            ids, vectors = self.similar_space()
            self._ann = AnnIndex.build(vectors, ids, n_trees=self.config.ann_trees,
                                       search_k=self.config.ann_search_k, seed=self.config.seed)
        return self._ann

    def nearest_kept(self, rows_name: str, rows: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """ServedModel._nearest_among's answers among the item indices ``rows`` (named ``rows_name``: the
        titles placed by evidence, those members watch), by item index, kept for the similar_space and the
        rows they were made from: every served model over this one (with_model, a new catalog) that reads
        the same rows shares them, as it shares the Annoy indexes' kept answers. A copy whose space is made
        anew (its own titles), or rows of that name that changed (a catalog's new members counts), start
        anew."""
        space = self.similar_space()
        if self._nearest_kept is None or self._nearest_kept[0] is not space:
            self._nearest_kept = (space, {})
        kept_rows, answers = self._nearest_kept[1].get(rows_name, (None, {}))
        if kept_rows is None or not np.array_equal(kept_rows, rows):
            answers = {}
            self._nearest_kept[1][rows_name] = (rows.copy(), answers)
        return answers

    def similar_evidenced(self) -> np.ndarray:
        """Bool per similar_space row: placed by evidence (a trained title, or a cold one whose vector
        came from a predecessor or raters) when the embeddings were made. A title folded in from raters
        later keeps its content-made embedding until the next retrain, so it is not counted here."""
        self.similar_space()
        assert self._similar_evidenced is not None
        return self._similar_evidenced

    def evidence_ann(self) -> AnnIndex:
        """An Annoy index over the titles placed by evidence alone (similar_evidenced), for /similar of
        such a title: filtering the every-title index instead leaves content guesses crowding the
        search (recall@20 0.90 against 0.97 for this one, benchmarks/bench_serve.py). Saved with the
        model (artifacts) when some titles are not placed by evidence; built on first need otherwise
        (about half a second)."""
        if self._evidence_ann is None:
            ids, vectors = self.similar_space()
            self._evidence_ann = AnnIndex.build(vectors, ids, n_trees=self.config.ann_trees,
                                                search_k=self.config.ann_search_k, seed=self.config.seed,
                                                rows=self.evidence_rows())
        return self._evidence_ann

    def evidence_rows(self) -> np.ndarray:
        """The item indices evidence_ann() indexes (similar_evidenced's)."""
        return np.flatnonzero(self.similar_evidenced())

    def attach_evidence_ann(self, ann: AnnIndex) -> None:
        self._evidence_ann = ann

    def similar_space(self) -> tuple[np.ndarray, np.ndarray]:
        """(MAL ids, /similar embeddings) of every title: the trained ones in index order, then the
        cold ones (ColdVectors order). A cold title's embedding is a ridge map from item factors to the
        trained titles' embeddings applied to its cold-start vector, so a franchise, content or community
        vector lands among the titles it resembles; a content guess with genres has its genre columns
        its own (ColdVectors.genres), as a trained title has. Made once per model, from the vectors it was trained
        with: the Annoy index saved with the model is built from these, and a community fold-in between
        retrains moves a title's picks at once, its /similar neighbours at the next retrain."""
        if self._similar_space is None:
            cold = self.cold
            self._similar_evidenced = np.concatenate([np.ones(self.n_items, bool),
                                                      cold.evidenced() if cold is not None else np.zeros(0, bool)])
            if cold is None or len(cold.anime_ids) == 0:
                self._similar_space = (self.item_ids, self.similar_vectors)
            else:
                F = self.item_factors.astype(np.float64)
                gram = F.T @ F
                reg = SIMILAR_MAP_REG * np.trace(gram) / len(gram)
                W = np.linalg.solve(gram + reg * np.eye(len(gram)), F.T @ self.similar_vectors.astype(np.float64))
                mapped = (cold.factors.astype(np.float64) @ W).astype(np.float32)
                g = cold.genres.shape[1]
                if g and len(cold.genres) == len(mapped) and self.similar_vectors.shape[1] > g:
                    # A content guess's genres are known as a trained title's are: its genre columns are its own,
                    # only the co-watch part is mapped from its vector. Mapped too, they were a blur of its
                    # features: Bocchi the Rock! (CGDCT, Comedy, Music) stood nearest to Slime Taoshite 300-nen
                    # and Nagatoro, and K-On! not among its ten. A title placed by evidence keeps its mapped
                    # columns: with its own genres too, the trained titles' neighbours (among which it stands)
                    # lost genre overlap (0.350 to 0.343 in evaluate --seed 0, under the 0.35 bar).
                    guessed = ~cold.evidenced() & cold.genres.any(axis=1)  # no genres known: mapped
                    mapped[guessed, -g:] = genre_block(cold.genres[guessed])
                self._similar_space = (np.concatenate([self.item_ids, cold.anime_ids.astype(np.int64)]),
                                       np.vstack([self.similar_vectors.astype(np.float32), mapped]))
        return self._similar_space

    # ------------------------------------------------------------------ serving
    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def index_of(self, anime_id: int) -> int | None:
        return self._index.get(int(anime_id))

    def _indices(self, ratings: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Known items of a member's ratings, as (indices, ratings); unknown ids are ignored."""
        return self._positions.known(ratings)

    def _cold_given(self, ratings: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """The member's titles without interactions whose vector is trusted at all, as (cold rows,
        ratings): a prior-only vector is every such title's, and says nothing of this member."""
        cold = self.cold
        if cold is None:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        if self._cold_positions is None or self._cold_positions[0] is not cold:
            self._cold_positions = (cold, IdPositions(cold.anime_ids))
        rows, r = self._cold_positions[1].known(ratings)
        trusted = cold.trust_of(rows) > 0
        return rows[trusted], r[trusted]

    def _given_factors(self, idx: np.ndarray, cold_rows: np.ndarray, history: int | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(factors, biases, trust) of a member's given titles: the trained item indices ``idx``, each shrunk
        toward its content estimate by its doubt() times the history_share of ``history`` trained titles
        (default: len(idx)), then the cold rows ``cold_rows`` (their cold-start vectors, weighed by
        ColdVectors.trust_of)."""
        Y, bias, trust = self.item_factors[idx], self.item_bias[idx], np.ones(len(idx), np.float32)
        doubt = self.doubt()
        if doubt is not None and len(idx):
            Y = Y - self.history_share(len(idx) if history is None else history) * doubt[idx]
        if len(cold_rows):
            assert self.cold is not None
            Y = np.vstack([Y, self.cold.factors[cold_rows]])
            bias = np.concatenate([bias, self.cold.bias[cold_rows]])
            trust = np.concatenate([trust, self.cold.trust_of(cold_rows)])
        return Y, bias, trust

    def _confidence(self, ratings: np.ndarray, trust: np.ndarray | float = 1.0) -> np.ndarray:
        """The implicit-ALS confidence 1 + alpha * trust * weight of each rating (a trained title's trust is 1)."""
        return 1.0 + self.config.alpha * trust * confidence_weight(ratings, self.config)

    def fold_in(self, ratings: Mapping[int, float]) -> FoldedUser:
        """Solve the member's vectors against the fixed item factors (no retraining).

        Titles without interactions that the member gave count through their cold-start vectors, each
        weighed by how much its source is trusted (ColdConfig.trust): a 2026 fan who rated only
        Frieren, Jujutsu Kaisen and Spy x Family is folded in from those three, not shown the most
        watched titles."""
        idx, r = self._indices(ratings)
        rows, cold_r = self._cold_given(ratings)
        k = self.item_factors.shape[1]
        if len(idx) == 0 and len(rows) == 0:
            return FoldedUser(idx, np.zeros(k, np.float32), 0.0, np.zeros(k, np.float32), r)
        Y, bias, trust = self._given_factors(idx, rows)
        every = np.concatenate([r, cold_r])
        conf = self._confidence(every, trust)
        system = self._fold_in_system(Y, conf)
        pref = system.solve(Y.T @ conf)
        rated = every > 0
        user_bias, rating_vec = 0.0, np.zeros(k, np.float32)
        if rated.any():
            # Weighted ridge on [1, y_i] for the member's scores minus the global mean and item biases.
            X = np.hstack([np.ones((rated.sum(), 1), np.float32), Y[rated]])
            w_row = trust[rated]
            target = every[rated] - self.global_mean - bias[rated]
            w = RidgeSystem(self._penalty, self._penalty_inv, X, w_row).solve((X.T * w_row) @ target)
            user_bias, rating_vec = float(w[0]), w[1:].astype(np.float32)
        return FoldedUser(idx, pref, user_bias, rating_vec, r, rows, cold_r, system)

    def fold_in_each(self, ratings: Mapping[int, float]) -> list[FoldedUser]:
        """fold_in({a: r}) of each title a of ``ratings`` alone (a short list ranks each liked title as the
        only one a member gave), in closed form and together. With one given row y the fold-in's systems
        are rank-one updates of fixed matrices (Sherman-Morrison): x_u = c G^-1 y / (1 + (c - 1) y'G^-1 y),
        and the rating ridge on x = [1, y] gives [b_u, z_u] = t e P^-1 x / (1 + t x'P^-1 x) (t the title's
        trust, e its score less the global mean and its bias): fold_in's answer to float rounding (its
        right-hand sides are float32 products), without its per-member set-up (four titles: 0.07 ms, against
        0.33 ms one by one)."""
        ids = list(ratings)
        k = self.item_factors.shape[1]
        users = [FoldedUser(np.empty(0, np.int64), np.zeros(k, np.float32), 0.0, np.zeros(k, np.float32),
                            np.empty(0, np.float32)) for _ in ids]
        trained = {j: i for j, a in enumerate(ids) if (i := self._index.get(int(a))) is not None}
        cold_rows = self._cold_given({a: ratings[a] for j, a in enumerate(ids) if j not in trained})[0]
        cold_at = {int(self.cold.anime_ids[row]): int(row) for row in cold_rows} if self.cold is not None else {}
        placed = [(j, None, row) for j, a in enumerate(ids) if (row := cold_at.get(int(a))) is not None]
        given = [(j, i, None) for j, i in trained.items()] + placed
        if not given:
            return users
        idx = np.array([i for _, i, _ in given if i is not None], np.int64)
        rows = np.array([row for _, _, row in given if row is not None], np.int64)
        Y, bias, trust = self._given_factors(idx, rows, history=1)  # each folded in alone
        Y = Y.astype(np.float64)
        r = np.array([ratings[ids[j]] for j, _, _ in given], np.float32)
        conf = self._confidence(r, trust).astype(np.float64)
        g_y = Y @ self._gram_inv  # G is symmetric: rows of (G^-1 y)'
        pref = (conf / (1.0 + (conf - 1.0) * np.einsum("ij,ij->i", Y, g_y)))[:, None] * g_y
        X = np.hstack([np.ones((len(Y), 1)), Y])
        p_x = X * np.diag(self._penalty_inv)
        t = trust.astype(np.float64)
        w = (t * (r - self.global_mean - bias) / (1.0 + t * np.einsum("ij,ij->i", X, p_x)))[:, None] * p_x
        for (j, i, row), a_pref, a_w, a_r in zip(given, pref.astype(np.float32), w, r):
            rated = a_r > 0
            user = users[j]
            user.pref = a_pref
            user.user_bias = float(a_w[0]) if rated else 0.0
            user.rating_vec = a_w[1:].astype(np.float32) if rated else np.zeros(k, np.float32)
            if i is not None:
                user.seen, user.ratings = np.array([i], np.int64), np.array([a_r], np.float32)
            else:
                user.cold_seen, user.cold_ratings = np.array([row], np.int64), np.array([a_r], np.float32)
        return users

    def doubt(self) -> np.ndarray | None:
        """(n_items, k): (1 - trust) * (factors - content estimate) of each trained title, its trust as a given
        title (ModelConfig.given_support_half) and the content estimate ColdVectors.warm_content: what a new
        member's fold-in takes off its vector. None where there is no estimate (a model without cold vectors, or
        saved before they held one) or every title is trusted. Made once per estimate: an item fold-in's new
        ColdVectors keeps its warm_content."""
        content = self.cold.warm_content if self.cold is not None else None
        if self._doubt is None or self._doubt[0] is not content:
            doubt = None
            if content is not None and content.shape == self.item_factors.shape and self.config.given_support_half > 0:
                doubt = ((1.0 - self._given_trust)[:, None] * (self.item_factors - content)).astype(np.float32)
            self._doubt = (content, doubt)
        return self._doubt[1]

    def history_share(self, n: int) -> float:
        """cold_pivot^2 / (cold_pivot^2 + n^2) for a member of n trained titles: 1 for a new member, -> 0 with
        history. The neighbour sums' share of the ranking, and of a given title's doubt what the fold-in takes."""
        pivot = self.config.cold_pivot
        return pivot**2 / (pivot**2 + n**2)

    def _fold_in_system(self, Y: np.ndarray, conf: np.ndarray) -> RidgeSystem:
        """The implicit-ALS fold-in's A = Y'Y + reg I + Y_u'(C_u - I)Y_u for the given titles' factors Y and
        confidences (the exact solve of als.solve_user)."""
        return RidgeSystem(self._gram, self._gram_inv, Y, conf - 1.0)

    def folded(self, user: FoldedUser | Mapping[int, float]) -> FoldedUser:
        """A folded-in member: as given, or folded in from their ratings (so callers fold in once)."""
        return user if isinstance(user, FoldedUser) else self.fold_in(user)

    def predicted_ratings(self, user: FoldedUser, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Calibrated 1-10 predictions of a folded-in member for item indices."""
        raw = self.global_mean + user.user_bias + self.item_bias[idx] + self.item_factors[idx] @ user.rating_vec
        return calibrated(raw)

    def ranking_scores(self, user: FoldedUser) -> np.ndarray:
        """A folded-in member's ranking score of every item (a fresh array, the caller may write to it)."""
        return self.ranking(user)[0]

    def products(self, users: Sequence[FoldedUser]) -> list[Products]:
        """Each member's Products: the item factors' products with x_u (and z_u, where ranking blends the
        rating in), standardized. The costliest step of a request is reading the factor matrices (7,390 and
        about 5,050 rows of 128 floats) from memory, not the arithmetic: read cold, one product with them took
        0.29-0.32 ms, against 0.06 ms cached (benchmarks/bench_serve.py's model). So every vector of every
        member given is made in one pass over each matrix (multiply_rows): a request's x_u and z_u
        together, and a short list's liked titles ranked alone (ServedModel._alone) with the member's own
        (ServedModel._with_alone)."""
        if not users:
            return []
        cfg = self.config
        rated = [bool(cfg.blend_rating and u.rating_vec.any()) for u in users]
        vectors = [u.pref for u in users] + [u.rating_vec for u, r in zip(users, rated) if r]
        warm = multiply_rows(self.item_factors, np.vstack(vectors))
        cold = None
        if self.cold is not None and len(self.cold.anime_ids):
            distinct, of_row = self.distinct_cold()
            cold = np.take(multiply_rows(distinct, np.vstack([u.pref for u in users])), of_row, axis=1,
                           out=aligned_rows(len(users), len(of_row)))
        out, next_rated = [], len(users)
        for j, r in enumerate(rated):
            rating_z = None
            if r:
                rating_z = standardized(np.add(self.item_bias, warm[next_rated], out=aligned_rows(1, self.n_items)[0]))
                next_rated += 1
            out.append(Products(standardized(warm[j]), None if cold is None else standardized(cold[j]), rating_z))
        return out

    def distinct_cold(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct cold vectors, each cold row's among them): content guesses from the same genres, type
        and years share a vector (8,142 cold rows, 5,052 distinct), so the product with x_u, made on
        every request, does 5,052 rows' work. Made again after an item fold-in."""
        cold = self.cold
        assert cold is not None
        if self._distinct_cold is None or self._distinct_cold[0] is not cold:
            distinct, of_row = np.unique(cold.factors, axis=0, return_inverse=True)
            self._distinct_cold = (cold, np.ascontiguousarray(distinct), of_row.ravel())
        return self._distinct_cold[1], self._distinct_cold[2]

    def ranking(self, user: FoldedUser, products: Products | None = None
                ) -> tuple[np.ndarray, list[tuple[sp.csr_matrix, float]]]:
        """The ranking scores, and the item-item terms behind them as (matrix, coefficient): a given
        title j adds coefficient * M[j, i] to title i's score (what "because" is computed from).
        ``products``: the member's Products, when the caller made them."""
        if len(user.seen) == 0:
            if user.pref.any():  # only titles without interactions given: their vectors place the member
                return (products or self.products([user])[0]).warm_z.astype(np.float32), []
            # Nothing to fold in: the most watched titles first.
            return np.log1p(self.item_popularity).astype(np.float32), []
        cfg = self.config
        n = len(user.seen)
        cold = self.history_share(n)
        # Each scorer is standardized over the catalog so the weights compare like with like.
        terms = [(self.ease, 1.0 - cold)]
        if cold > COLD_NEGLIGIBLE:  # long histories skip the (wide) neighbour sums
            # Standardized, one title's sparse row would count in full however few watched it: the sums count
            # as much as the best trusted title given is trusted.
            best = float(self._given_trust[user.seen].max())
            terms += [(self.cooccurrence, best * cold * cfg.cold_cooccurrence_weight),
                      (self.cosine, best * cold * cfg.cold_cosine_weight)]
        long = min(max(2.0 * n / cfg.long_history - 1.0, 0.0), 1.0)  # 0 up to long_history / 2 titles, 1 at long_history
        factorization = cfg.blend_factorization + long * (cfg.long_blend_factorization - cfg.blend_factorization)
        products = products or self.products([user])[0]
        scores = factorization * products.warm_z
        if products.rating_z is not None:
            # What the member would score a title, beside what they would watch: the constant parts of the
            # prediction (mean, the member's bias) fall out of the standardization.
            scores += cfg.blend_rating * products.rating_z
        scaled = []
        for matrix, weight in terms:
            sums = row_sum(matrix, user.seen)
            mean, sd = mean_sd(sums)
            scores += (weight / sd) * (sums - mean)
            scaled.append((matrix, weight / sd))
        return scores, scaled

    def preference_contributions(self, user: FoldedUser, vectors: np.ndarray) -> np.ndarray:
        """(given titles x vectors), the given titles being user.seen then user.cold_seen: how much each
        adds to x_u . v. The fold-in's x_u = A^-1 sum_j c_j y_j is linear in what each given title brings,
        so the parts add up to the dot product."""
        n_given = len(user.seen) + len(user.cold_seen)
        if n_given == 0 or len(vectors) == 0:
            return np.zeros((n_given, len(vectors)), np.float32)
        Y, _, trust = self._given_factors(user.seen, user.cold_seen)
        conf = self._confidence(np.concatenate([user.ratings, user.cold_ratings]), trust)
        system = user.system if user.system is not None else self._fold_in_system(Y, conf)
        return (conf[:, None] * (Y @ system.solve(np.asarray(vectors, np.float32).T))).astype(np.float32)

    @staticmethod
    def contributions(user: FoldedUser, idx: np.ndarray, terms: list[tuple[sp.csr_matrix, float]]) -> np.ndarray:
        """(given titles x idx): how much each given title adds to each item's ranking score through
        the item-item terms of ranking() (the factorization's share is not split per title)."""
        out = np.zeros((len(user.seen), len(idx)), np.float32)
        for matrix, coef in terms:
            out += coef * row_block(matrix, user.seen, idx)
        return out

    def blocked(self, seen: np.ndarray, exclude: Iterable[int] = (), allowed: np.ndarray | None = None) -> np.ndarray:
        """Bool mask aligned to item_ids of the titles a list may not show: the item indices ``seen``
        (what the member, or any member of a group, gave), the anime ids in ``exclude``, and what the
        ``allowed`` mask (genre/type/adult filters) leaves out."""
        blocked = np.zeros(self.n_items, bool)
        blocked[seen] = True
        blocked[[i for a in exclude if (i := self._index.get(int(a))) is not None]] = True
        if allowed is not None:
            blocked |= ~np.asarray(allowed, bool)
        return blocked

    def recommend(
        self,
        ratings: FoldedUser | Mapping[int, float],
        n: int = 10,
        *,
        exclude: Iterable[int] = (),
        allowed: np.ndarray | None = None,
    ) -> list[Recommendation]:
        """The plain ranking: top n titles for a member, never one they gave or one in ``exclude``.

        ``allowed``: a bool mask aligned to item_ids (genre/type/adult filters). What members see is
        this ranking after the fan rules of animerec.recsys.serving.rules; this is the raw list for evaluation.
        """
        user = self.folded(ratings)
        scores = self.ranking_scores(user)
        scores[self.blocked(user.seen, exclude, allowed)] = -np.inf
        return [Recommendation(int(self.item_ids[i]), float(scores[i])) for i in top_n(scores, n)]

    def predict(self, ratings: FoldedUser | Mapping[int, float], anime_ids: Sequence[int]) -> np.ndarray:
        """Predicted 1-10 score for each anime id: a title without interactions from its cold-start vector
        (new_titles), an id the model knows nothing of gets mean + the member's bias."""
        user = self.folded(ratings)
        out = np.full(len(anime_ids), calibrated(np.array(self.global_mean + user.user_bias)), np.float64)
        new = self.new_titles(user, anime_ids)[1]
        out[~np.isnan(new)] = new[~np.isnan(new)]
        known = [(j, i) for j, a in enumerate(anime_ids) if (i := self._index.get(int(a))) is not None]
        if known:
            pos, idx = map(np.asarray, zip(*known))
            out[pos] = self.predicted_ratings(user, idx)
        return out

    def similar(self, anime_id: int, n: int = 10, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Nearest titles by cosine of the /similar embeddings, from the Annoy index when one is
        attached (the raw neighbours; animerec.recsys.serving.served.ServedModel.similar is what members see)."""
        i = self._index.get(int(anime_id))
        if i is None:
            raise UnknownTitle(anime_id)
        if self._ann is not None:  # the index also holds the cold titles: the raw neighbours are trained ones
            trained = np.zeros(len(self._ann.item_ids), bool)
            trained[: self.n_items] = True if allowed is None else np.asarray(allowed, bool)
            return self._ann.similar(i, n, trained)
        return self.similar_exact(i, n, allowed)

    def similar_exact(self, i: int, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Exact cosine neighbours of item index i (the reference for the Annoy index)."""
        normed = _normalized(self.similar_vectors)
        sims = (normed @ normed[i]).astype(np.float64)
        sims[i] = -np.inf
        if allowed is not None:
            sims[~np.asarray(allowed, bool)] = -np.inf
        top = top_n(sims, n)
        return [(int(self.item_ids[j]), float(sims[j])) for j in top]


# Predictions rise linearly up to the knee, then bend toward (never reach) RATING_MAX - headroom: a
# member's top titles differ by tenths there, and a flat 10.0/10 claims a certainty no fold-in has.
CALIBRATION_KNEE = 9.0
CALIBRATION_HEADROOM = 0.1


def calibrated(raw: np.ndarray) -> np.ndarray:
    """Raw 1-10 predictions with the top end bent smoothly (slope 1 at the knee) below 10."""
    span = RATING_MAX - CALIBRATION_HEADROOM - CALIBRATION_KNEE
    over = np.maximum(raw - CALIBRATION_KNEE, 0.0)
    bent = CALIBRATION_KNEE + span * (1.0 - np.exp(-over / span))
    return np.clip(np.where(raw > CALIBRATION_KNEE, bent, raw), RATING_MIN, RATING_MAX)


def mean_sd(v: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (+1e-9) in two BLAS passes: np.std's temporaries cost more on the
    /recommend path, which standardizes three or four catalog-long vectors per request."""
    mean = float(v.sum()) / len(v)
    var = max(float(np.dot(v, v)) / len(v) - mean * mean, 0.0)
    return mean, var**0.5 + 1e-9


def standardized(v: np.ndarray) -> np.ndarray:
    mean, sd = mean_sd(v)
    return (v - mean) * (1.0 / sd)


def _normalized(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


# A system with fewer given rows than this share of its size is solved by Woodbury's identity.
WOODBURY_BELOW = 0.25


class RidgeSystem:
    """A = B + Y' diag(d) Y for a fixed, well-conditioned B (the item Gram plus ridge, or the rating
    ridge's diagonal penalty) and a member's given rows Y, ready to solve A x = b for any b.

    Few rows (L < WOODBURY_BELOW * k) are solved by Woodbury's identity against B's inverse, made once
    per model: an L x L inverse in float64 instead of the k x k factorization, which was most of a short
    member's fold-in (two per fold-in, and a list for a member with few titles folds in each liked
    title alone as well). Otherwise one float32 Cholesky factorization of A, kept for every further
    right-hand side (als.cholesky)."""

    def __init__(self, base: np.ndarray, base_inv: np.ndarray, Y: np.ndarray, d: np.ndarray) -> None:
        self._factor = None
        if len(Y) < WOODBURY_BELOW * len(base) and (d > 0).all():
            self._Y = Y.astype(np.float64)
            self._base_inv = base_inv
            self._base_inv_yt = base_inv @ self._Y.T
            inner = np.diag(1.0 / d.astype(np.float64)) + self._Y @ self._base_inv_yt
            self._inner_inv = np.linalg.inv(inner)  # at most k/4 square: scipy's per-call set-up costs more
        else:
            A = base + (Y.T * d) @ Y
            self._factor = cholesky(A)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """A^-1 b (float32), b a vector or a matrix of columns."""
        if self._factor is not None:
            return cholesky_solve(self._factor, b)
        x0 = self._base_inv @ b.astype(np.float64)
        return (x0 - self._base_inv_yt @ (self._inner_inv @ (self._Y @ x0))).astype(np.float32)


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest finite scores, best first; of equal scores, the lower index first (and
    at the n-th place, the lower indices are the ones taken).

    One pass keeping the best n in a heap (_best_first): /recommend takes two or three top n a request
    (a member with few titles up to fifteen), mostly over the 15,532 served titles, where
    np.argpartition's selection and the sort after it averaged 0.10 ms a call and this 0.06 ms (the
    bench_serve.py members; 0.02-0.04 ms on a row in no order). It serves the 400 best too
    (serving.served.cold_placed): 0.051 ms for 400 of 15,532, where a copy of the finite scores, np.partition
    and a sort of what it kept took 0.083 ms on 7,390."""
    if n <= 0:
        return np.empty(0, np.int64)
    scores = np.asarray(scores)
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    return _best_first(scores, min(int(n), len(scores)))


@numba.njit(cache=True, nogil=True)
def _worse(value_a, index_a, value_b, index_b):  # pragma: no cover - compiled
    return value_a < value_b or (value_a == value_b and index_a > index_b)


@numba.njit(cache=True, nogil=True)
def _sift_down(values, indices, size, value, index):  # pragma: no cover - compiled
    """Put (value, index) at the root of the min-heap of its first ``size`` entries (worst at the root)."""
    j = 0
    while True:
        child = 2 * j + 1
        if child >= size:
            break
        if child + 1 < size and _worse(values[child + 1], indices[child + 1], values[child], indices[child]):
            child += 1
        if not _worse(values[child], indices[child], value, index):
            break
        values[j], indices[j] = values[child], indices[child]
        j = child
    values[j], indices[j] = value, index


@numba.njit(cache=True, nogil=True)
def _best_first(scores, n):  # pragma: no cover - compiled
    """top_n's selection: the n best finite scores in a min-heap of (score, index), worst at its root, each
    later score compared with the root alone; then taken out worst first into the list's tail."""
    values = np.empty(n, np.float64)
    indices = np.empty(n, np.int64)
    size = 0
    for i in range(len(scores)):
        value = np.float64(scores[i])
        if not np.isfinite(value):
            continue
        if size < n:
            j = size
            size += 1
            while j > 0:  # sift up
                parent = (j - 1) >> 1
                if not _worse(value, i, values[parent], indices[parent]):
                    break
                values[j], indices[j] = values[parent], indices[parent]
                j = parent
            values[j], indices[j] = value, i
        elif value > values[0]:  # an equal score comes later, so after the root's index: never better
            _sift_down(values, indices, size, value, i)
    out = np.empty(size, np.int64)
    for k in range(size - 1, -1, -1):
        out[k] = indices[0]
        if k > 0:
            _sift_down(values, indices, k, values[k], indices[k])
    return out


def multiply_rows(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(vectors x rows of matrix) float32: each row's dot product with each vector, in one pass over the
    matrix. BLAS reads the matrix once per vector (and its sgemm packs for two or four columns as if for
    many: 0.72 ms for two read cold, against 0.29 here); Recommender.products is bound by that read.
    Each row of the answer starts on a 64-byte boundary (aligned_rows)."""
    matrix = np.ascontiguousarray(matrix, np.float32)
    vectors = np.ascontiguousarray(np.atleast_2d(vectors), np.float32)
    out = aligned_rows(len(vectors), len(matrix))
    _multiply_rows(matrix, vectors, out)
    return out


def aligned_rows(m: int, n: int) -> np.ndarray:
    """An uninitialized (m, n) float32 array whose every row starts on a 64-byte boundary. The sums of
    mean_sd (numpy's and BLAS's) add in an order that follows where a vector lies in memory, so a member's
    standardized products came out different in the last bits with the other vectors of their pass (a row's
    place in a batch) and with where the allocator put the batch: here they are the same however made."""
    stride = -(-n // 16) * 16  # 16 float32s: 64 bytes
    raw = np.empty(m * stride + 16, np.float32)
    start = (-raw.ctypes.data % 64) // 4
    return raw[start: start + m * stride].reshape(m, stride)[:, :n]


@numba.njit(cache=True, nogil=True, fastmath=True)
def _multiply_rows(matrix, vectors, out):  # pragma: no cover - compiled
    for i in range(matrix.shape[0]):
        for j in range(vectors.shape[0]):
            total = np.float32(0.0)
            for t in range(matrix.shape[1]):
                total += matrix[i, t] * vectors[j, t]
            out[j, i] = total
