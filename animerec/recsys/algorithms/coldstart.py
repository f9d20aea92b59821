"""Item vectors for catalog titles the training data never saw, and how a member is scored on them.

The ALS item factors exist only for titles with interactions; a title aired after the data has none.
Its vector comes from the best evidence there is, in this order:
  * **community**: members who rated it since the last retrain. An item fold-in, the symmetric of the
    member fold-in: the implicit-ALS ridge solve for y against those members' folded-in vectors, with
    the training members' Gram X'X + reg I as the background of members who did not watch it, centred
    on the estimate below so a handful of raters moves it only as far as they should;
  * **franchise**: a new season starts from its predecessor's vector (the latest-starting title with
    a vector in its work, else its franchise, as animerec.recsys.catalog.franchise.Franchises groups
    and dates them), shrunk toward the content estimate;
  * **content**: a ridge map, fit on the titles that have vectors, from catalog features (genres,
    themes, demographics, studios, source, type, year bucket, age rating) to item factor and item bias,
    and for a title with a MyAnimeList score, one from those and the score to its bias;
  * **prior**: nothing but the map's intercept (the average title); popularity then ranks it.
A cold title is scored against a folded-in member by the factor dot product x_u . y, weighted by how
much its vector's source knows of who watches it (``ColdConfig.rank_trust``), plus a popularity prior
(log of MAL's newest members count, standardized over the cold titles), a bonus when the member gave a
title of its franchise and another when it continues a title the member loved (a sequel is for those
who loved what came before), less a drop when it continues a trained title of a franchise the member
never started (a sequel is watched by those who saw what came before). Its 1-10 prediction is
mu + b_u + trust * (b_i + z_u . y): the item part is shrunk toward the member's mean by how much the
vector's source is trusted (``ColdConfig.trust``, chosen by RMSE), so a content guess claims no more
than it knows. The constants are the ones the
time-split evaluation chose on its seeds 1 and 2 (animerec.recsys.evaluation.coldstart,
benchmarks/tune_coldstart.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from animerec.recsys.algorithms.als import solve_spd
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.ids import RowGroups

COMMUNITY, FRANCHISE, CONTENT, PRIOR = 0, 1, 2, 3
SOURCES = ("community", "franchise", "content", "prior")

# Catalog columns read as "|"-separated labels, with their feature prefix.
_LABEL_COLUMNS = {"genres": "genre", "themes": "theme", "demographics": "demo", "studios": "studio"}
_ONE_COLUMNS = {"source": "source", "type": "type", "age_rating": "age"}
# MyAnimeList's newest score as a content label, in half-point steps with open ends (under 6.0 is "5.5", 8.5
# and over "8.5"; build_cold maps it to a title's bias only).
SCORE_PREFIX = "score"
SCORE_LOWEST, SCORE_HIGHEST = 5.5, 8.5
MIN_LABEL_TITLES = 3  # a studio (or other label) on fewer titles is noise to the map


@dataclass(frozen=True)
class ColdConfig:
    """Constants of the cold-start path; the defaults are the ones docs/evaluation.md justified
    (tuned on the time split's seeds 1 and 2, benchmarks/tune_coldstart.py)."""

    content_reg: float = 3.0  # ridge penalty of the content map
    support_half: float = 20.0  # a training title's weight in the map: n / (n + support_half)
    franchise_weight: float = 0.5  # share of the predecessor's vector in a new season's
    min_raters: int = 20  # community fold-in from this many raters on
    # An item fold-in solves against an even subsample of at most this many raters, each weighted up by
    # n / max_raters: the sums are estimated unbiasedly and the solve costs O(max_raters k^2), not O(n k^2).
    max_raters: int = 128
    prior_weight: float = 12.0  # weight of the standardized popularity prior in the ranking score
    continuation_weight: float = 0.0  # bonus of a title whose franchise the member gave
    # Bonus of a title that continues one the member rated at least liked_rating: a sequel is for those
    # who loved what came before, not merely for those who saw it.
    liked_continuation_weight: float = 3.0
    liked_rating: float = 8.0
    # Drop of a title that continues a trained title (it has an anchor) of a franchise the member gave
    # nothing of: a sequel or spin-off is watched by those who started the story, whatever its
    # popularity says (the fan rules hold such a title back from a list for the same reason).
    unstarted_penalty: float = 8.0
    # Weight of the member's standardized dot product x_u . y in the ranking, per source (community,
    # franchise, content, prior): a vector read off a title's content knows less of who watches it than
    # one its raters or its predecessor taught.
    rank_trust: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    # Share of the item part of a 1-10 prediction kept, per source (community, franchise, content, prior).
    trust: tuple[float, float, float, float] = (0.75, 1.0, 1.0, 0.0)


def content_features(table: pd.DataFrame, vocabulary: list[str] | None = None) -> tuple[sp.csr_matrix, list[str]]:
    """(titles x features) 0/1 matrix of a catalog table, and the feature names.

    Without a ``vocabulary`` it is every label on at least MIN_LABEL_TITLES titles, plus a "missing"
    feature per column (the 2016-only titles lack studios, source and age rating; the map learns that
    shift rather than reading it as taste)."""
    names: list[list[str]] = [[] for _ in range(len(table))]
    for column, prefix in {**_LABEL_COLUMNS, **_ONE_COLUMNS}.items():
        values = table[column].tolist() if column in table else [None] * len(table)
        for row, value in zip(names, values):
            if isinstance(value, str) and value:
                parts = value.split("|") if column in _LABEL_COLUMNS else [value]
                row.extend(f"{prefix}:{p.strip()}" for p in parts if p.strip())
            else:
                row.append(f"{prefix}:?")
    years = (pd.to_numeric(table["year"], errors="coerce").astype("float64") if "year" in table
             else pd.Series(np.nan, index=table.index))
    for row, year in zip(names, years.tolist()):
        row.append(f"year:{int(year) // 5 * 5}" if year == year else "year:?")
    scores = (pd.to_numeric(table["score_latest"], errors="coerce").astype("float64") if "score_latest" in table
              else pd.Series(np.nan, index=table.index))
    for row, score in zip(names, scores.tolist()):
        row.append(f"{SCORE_PREFIX}:{min(max(int(score * 2) / 2, SCORE_LOWEST), SCORE_HIGHEST):.1f}" if score == score
                   else f"{SCORE_PREFIX}:?")
    if vocabulary is None:
        counts = pd.Series([n for row in names for n in row]).value_counts()
        vocabulary = sorted(counts.index[counts >= MIN_LABEL_TITLES].tolist())
    column_of = {n: j for j, n in enumerate(vocabulary)}
    rows, cols = [], []
    for i, row in enumerate(names):
        for n in set(row):
            if (j := column_of.get(n)) is not None:
                rows.append(i)
                cols.append(j)
    F = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(table), len(vocabulary)))
    return F, vocabulary


@dataclass
class ContentMap:
    """Ridge from content features to [item factors | item bias], with an unpenalized intercept."""

    intercept: np.ndarray  # (k + 1,)
    weights: np.ndarray  # (n_features, k + 1)

    @classmethod
    def fit(cls, F: sp.csr_matrix, targets: np.ndarray, sample_weight: np.ndarray, reg: float) -> ContentMap:
        w = sample_weight.astype(np.float64)
        intercept = (w[:, None] * targets).sum(0) / max(w.sum(), 1e-12)
        Fd = F.toarray().astype(np.float64)
        mean_f = (w[:, None] * Fd).sum(0) / max(w.sum(), 1e-12)
        Fc = Fd - mean_f  # centred, so the intercept is the weighted mean title
        A = (Fc.T * w) @ Fc + reg * np.eye(F.shape[1])
        weights = np.linalg.solve(A, (Fc.T * w) @ (targets - intercept))
        return cls((intercept - mean_f @ weights).astype(np.float32), weights.astype(np.float32))

    def predict(self, F: sp.csr_matrix) -> np.ndarray:
        return np.asarray(F @ self.weights) + self.intercept


@dataclass(frozen=True)
class _FixedTerms:
    """ColdVectors' member-independent per-row terms of scores() and evidenced(), for one config."""

    config: ColdConfig
    rank_trust: np.ndarray  # float32: rank_trust of each row's source
    base: np.ndarray  # the prior's part, less unstarted_penalty on every anchored row
    anchored: np.ndarray  # bool: the row continues a trained title (it has an anchor)
    evidence: np.ndarray  # bool: the vector was learnt from members (community or franchise)


@dataclass
class ColdVectors:
    """The cold titles of one trained model (arrays aligned to anime_ids), and what scoring them needs."""

    anime_ids: np.ndarray  # int64 MAL ids of catalog titles without a training vector
    factors: np.ndarray  # float32 (m, k)
    bias: np.ndarray  # float32 (m,)
    source: np.ndarray  # int8 (m,): COMMUNITY / FRANCHISE / CONTENT / PRIOR
    anchor: np.ndarray  # int64 (m,): the MAL id a franchise vector continues, else -1
    franchise: np.ndarray  # int64 (m,): franchise id (Franchises.franchise_array), -1 unknown (older models)
    prior: np.ndarray  # float32 (m,): standardized log(1 + members_latest)
    warm_franchise: np.ndarray  # int64 (n_items,): franchise id of each trained title, as ``franchise``
    user_gram: np.ndarray  # float32 (k, k): training members' X'X + reg I (the item fold-in's background)
    raters: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))  # int32 (m,): community raters used
    # uint8 (m, genres): each title's catalog genres in the columns of the trained titles' /similar embeddings
    # (Recommender.fit: embeddings.genre_matrix over the same catalog); no columns for a model saved without them
    genres: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    # bool (m,): the row's bias comes (for a new season, half) from the title's MyAnimeList score (build_cold);
    # none for a model saved without it, whose biases never did
    scored: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    # float32 (n_items, k): the content map's estimate of each trained title's factors (its own factors where the
    # catalog has no row for it): what a title of few training watchers is shrunk toward when a member gives it
    # (Recommender.doubt); none for a model saved without it
    warm_content: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    config: ColdConfig = field(default_factory=ColdConfig)

    def __post_init__(self) -> None:
        self._index = {int(a): i for i, a in enumerate(self.anime_ids)}
        # What the model was trained with: every item fold-in starts from these, so folding in a
        # title again with more raters counts each rater once.
        self._base = (self.factors.copy(), self.bias.copy())
        if len(self.raters) != len(self.anime_ids):
            self.raters = np.zeros(len(self.anime_ids), np.int32)
        if len(self.scored) != len(self.anime_ids):
            self.scored = np.zeros(len(self.anime_ids), bool)

    def index_of(self, anime_id: int) -> int | None:
        return self._index.get(int(anime_id))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays a model directory stores (artifacts), by name."""
        return {"cold_ids": self.anime_ids, "cold_factors": self.factors, "cold_bias": self.bias,
                "cold_source": self.source, "cold_anchor": self.anchor, "cold_franchise": self.franchise,
                "cold_prior": self.prior, "cold_warm_franchise": self.warm_franchise,
                "cold_user_gram": self.user_gram, "cold_raters": self.raters, "cold_genres": self.genres,
                "cold_scored": self.scored, "cold_warm_content": self.warm_content}

    @classmethod
    def from_arrays(cls, z) -> ColdVectors | None:
        """Back from arrays(); None for a model saved without cold vectors."""
        if "cold_ids" not in z:
            return None
        genres = z["cold_genres"] if "cold_genres" in z else np.zeros((0, 0), np.uint8)
        scored = z["cold_scored"] if "cold_scored" in z else np.zeros(0, bool)
        warm_content = z["cold_warm_content"] if "cold_warm_content" in z else np.zeros((0, 0), np.float32)
        return cls(z["cold_ids"], z["cold_factors"], z["cold_bias"], z["cold_source"], z["cold_anchor"],
                   z["cold_franchise"], z["cold_prior"], z["cold_warm_franchise"], z["cold_user_gram"],
                   z["cold_raters"], genres, scored, warm_content)

    # ------------------------------------------------------------------ scoring a member
    def scores(self, pref: np.ndarray, given_franchises: Collection[int] | np.ndarray,
               rows: np.ndarray | slice = slice(None), liked_titles: Collection[int] = (),
               continues_liked: np.ndarray | None = None, z: np.ndarray | None = None) -> np.ndarray:
        """Ranking scores of cold rows for a member: x_u . y standardized over the cold titles (so the
        prior's weight means the same for every member) and weighted by its source's rank_trust, plus
        the popularity prior, plus a bonus where they gave the franchise and another where the title
        continues one of ``liked_titles`` (MAL ids the member rated at least liked_rating): its anchor is
        one, or, where the caller knows the works, ``continues_liked`` (bool per row of ``rows``) says so,
        which also holds for a new season of a title that is itself new (no anchor). ``z``: that
        standardized x_u . y of every cold title, when the caller has it (serving makes it once a member)."""
        cfg = self.config
        if z is None:
            dots = self.factors @ pref
            z = (dots - float(dots.mean())) / (float(dots.std()) + 1e-9)
        given = _ids(given_franchises)
        out = self.members_scores(z[None], self.franchise_rows((np.zeros(len(given), np.intp), given)))[0][rows]
        if continues_liked is None and len(liked_titles):
            continues_liked = self._in(self._groups("anchor").rows(_ids(liked_titles)))[rows]
        if continues_liked is not None and cfg.liked_continuation_weight:
            out += cfg.liked_continuation_weight * continues_liked
        return out

    def members_scores(self, z: np.ndarray, franchise_rows: tuple[np.ndarray, np.ndarray],
                       continues_liked: np.ndarray | None = None) -> np.ndarray:
        """scores() of every row for several members at once (a newcomer's list ranks by each title they
        liked alone): ``z`` (members x rows), the rows of the franchises they gave (franchise_rows),
        ``continues_liked`` (members x rows, bool) as scores() takes it."""
        cfg, fixed = self.config, self._fixed()
        out = fixed.rank_trust * z + fixed.base  # base: the prior, less unstarted_penalty wherever anchored
        # The rows of the member's franchises: no unstarted_penalty (they started the story), and the bonus
        # of a franchise they gave. A franchise given twice adds once: a fancy-index += writes each place once.
        member, rows = franchise_rows
        out[member, rows] += cfg.unstarted_penalty * fixed.anchored[rows] + cfg.continuation_weight
        if continues_liked is not None and cfg.liked_continuation_weight:
            out += cfg.liked_continuation_weight * continues_liked
        return out

    def members_evidenced(self, franchise_rows: tuple[np.ndarray, np.ndarray], n_members: int) -> np.ndarray:
        """evidenced() for several members at once (members x rows), their franchises' rows as members_scores()."""
        fixed = self._fixed()
        out = np.repeat((fixed.evidence & ~fixed.anchored)[None], n_members, axis=0)
        member, rows = franchise_rows
        out[member, rows] = fixed.evidence[rows]
        return out

    def franchise_rows(self, franchises: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(member, row) of every row in a franchise that member gave, from (member, franchise id) pairs:
        what members_scores and members_evidenced take (a request makes it once for both)."""
        member, keys = franchises
        j, rows = self._groups("franchise").pairs(keys)
        return member[j], rows

    def _fixed(self) -> _FixedTerms:
        """The member-independent parts of scores() and evidenced() for the current config and sources
        (an item fold-in changes a source, and drops them)."""
        fixed = self.__dict__.get("_fixed_terms")
        if fixed is None or fixed.config is not self.config:
            cfg = self.config
            anchored = self.anchor >= 0
            fixed = _FixedTerms(cfg, np.asarray(cfg.rank_trust, np.float32)[self.source],
                                cfg.prior_weight * self.prior - cfg.unstarted_penalty * anchored, anchored,
                                (self.source == COMMUNITY) | (self.source == FRANCHISE))
            self.__dict__["_fixed_terms"] = fixed
        return fixed

    def _groups(self, name: str) -> RowGroups:
        """The rows grouped by a fixed per-row id array (franchise, anchor): a member's franchises' rows are
        one gather, not a test of every row on each request."""
        cache = self.__dict__.setdefault("_groups_cache", {})
        if name not in cache:
            cache[name] = RowGroups(getattr(self, name))
        return cache[name]

    def _in(self, rows: np.ndarray) -> np.ndarray:
        """Bool per row: whether it is one of ``rows``."""
        hit = np.zeros(len(self.anime_ids), bool)
        hit[rows] = True
        return hit

    def predicted(self, global_mean: float, user_bias: float, rating_vec: np.ndarray,
                  rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Raw 1-10 predictions (before calibration): the item part shrunk by the source's trust."""
        return global_mean + user_bias + self.trust_of(rows) * (self.bias[rows] + self.factors[rows] @ rating_vec)

    def trust_of(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """float32 share of each row's item part a prediction keeps, by its vector's source (ColdConfig.trust);
        also how much a member's rating of the title counts in their fold-in."""
        return np.asarray(self.config.trust, np.float32)[self.source[rows]]

    def evidenced(self, given_franchises: Collection[int] | np.ndarray | None = None) -> np.ndarray:
        """Bool mask of the rows whose vector was learnt from members (a predecessor's or raters'), not
        guessed from content or the prior: only these may name a title as their reason or stand among
        trained titles in a list. With a member's ``given_franchises``, not those that continue a trained
        title (they have an anchor) of a franchise the member gave nothing of: what a predecessor's
        watchers liked says nothing of someone who skipped it, so such a title stands among the new
        titles, where its score (unstarted_penalty) places it."""
        if given_franchises is None:
            return self._fixed().evidence
        given = _ids(given_franchises)
        return self.members_evidenced(self.franchise_rows((np.zeros(len(given), np.intp), given)), 1)[0]

    def given_franchises(self, warm_rows: np.ndarray) -> np.ndarray:
        """The franchise ids of a member's given (trained) titles (repeats and all)."""
        f = self.warm_franchise[warm_rows]
        return f[f >= 0]

    # ------------------------------------------------------------------ community
    def fold_in_item(self, row: int, prefs: np.ndarray, confidence: np.ndarray, residuals: np.ndarray,
                     bias_shrink: float) -> bool:
        """Item fold-in of cold row ``row`` from its raters: their folded-in vectors (n, k), the
        confidence of each interaction (1 + alpha * weight) and their rating residuals r - mu - b_u
        (NaN for watched). Below min_raters nothing changes and it says False."""
        if len(prefs) < self.config.min_raters:
            return False
        y0, b0 = self._base[0][row], self._base[1][row]
        X = prefs.astype(np.float32)
        c = confidence.astype(np.float32)
        if len(X) > self.config.max_raters:
            take = np.linspace(0, len(X) - 1, self.config.max_raters).round().astype(np.intp)
            X, c = X[take], c[take] * (len(prefs) / self.config.max_raters)
        # The raters are not among the training members, so each adds c x x' to the background Gram;
        # the prior term G y0 centres the solve on the current estimate: y = y0 + A^-1 sum c x (1 - x.y0).
        A = self.user_gram + (X.T * c) @ X
        self.factors[row] = y0 + solve_spd(A, X.T @ (c * (1.0 - X @ y0)))
        rated = ~np.isnan(residuals)
        self.bias[row] = (residuals[rated].sum() + bias_shrink * b0) / (rated.sum() + bias_shrink)
        self.source[row] = COMMUNITY
        self.__dict__.pop("_fixed_terms", None)  # they follow the sources
        self.raters[row] = len(prefs)
        return True


def build_cold(item_ids: np.ndarray, item_factors: np.ndarray, item_bias: np.ndarray, popularity: np.ndarray,
               user_gram: np.ndarray, table: pd.DataFrame, config: ColdConfig | None = None,
               franchises: Franchises | None = None) -> ColdVectors:
    """Vectors for every title of a catalog ``table`` (load_catalog_table's columns) that item_ids lacks.
    ``franchises`` is the work and franchise graph over the table's titles (default: the one serving
    uses, Franchises.load)."""
    config = config or ColdConfig()
    table = table.drop_duplicates("anime_id").reset_index(drop=True)
    franchises = franchises or catalog_franchises(table)
    ids = table["anime_id"].to_numpy(np.int64)
    warm_pos = {int(a): i for i, a in enumerate(item_ids)}
    in_table = {int(a): i for i, a in enumerate(ids)}
    F, vocabulary = content_features(table)
    # MyAnimeList's score tells how members rate a title (its bias), not who watches it (its factors): in
    # the factors too, it cost the time split's ranking (seeds 1 and 2: NDCG@10 0.4625 -> 0.4591, tuned
    # again); in the bias it cut the new titles' prediction error (RMSE 1.2155 -> 1.09, seed 1). A title
    # with no score yet (not aired when the catalog was built, or a film or OVA only bangumi-data knows) keeps
    # the bias its other features give: in the training titles an unknown score marks an obscure one.
    by_score = np.array([n.startswith(f"{SCORE_PREFIX}:") for n in vocabulary], bool)
    informative = _informative(vocabulary)
    watched_by = F[:, np.flatnonzero(~by_score)]
    warm_rows = np.array([in_table.get(int(a), -1) for a in item_ids])
    has_row = warm_rows >= 0
    targets = np.hstack([item_factors, item_bias[:, None]]).astype(np.float64)[has_row]
    support = popularity[has_row] / (popularity[has_row] + config.support_half)
    cmap = ContentMap.fit(watched_by[warm_rows[has_row]], targets, support, config.content_reg)
    warm_content = np.array(item_factors, np.float32)
    warm_content[has_row] = cmap.predict(watched_by[warm_rows[has_row]])[:, : item_factors.shape[1]]
    score_map = ContentMap.fit(F[warm_rows[has_row]], targets[:, -1:], support, config.content_reg)

    cold_mask = np.array([int(a) not in warm_pos for a in ids])
    cold = table[cold_mask].reset_index(drop=True)
    cold_ids = cold["anime_id"].to_numpy(np.int64)
    cold_rows = np.flatnonzero(cold_mask)
    cold_F = F[cold_rows]
    estimate = cmap.predict(watched_by[cold_rows])
    k = item_factors.shape[1]
    factors, bias = estimate[:, :k].astype(np.float32), estimate[:, k].astype(np.float32)
    has_score = np.asarray(cold_F[:, informative & by_score].sum(1)).ravel() > 0
    bias[has_score] = score_map.predict(cold_F[has_score])[:, 0]
    known_features = np.asarray(cold_F[:, informative & ~by_score].sum(1)).ravel() > 0
    source = np.where(known_features, CONTENT, PRIOR).astype(np.int8)
    factors[source == PRIOR], bias[source == PRIOR] = cmap.intercept[:k], cmap.intercept[k]

    anchor = predecessors(cold_ids, warm_pos, franchises)
    s = config.franchise_weight
    for r in np.flatnonzero(anchor >= 0):
        w = warm_pos[int(anchor[r])]
        factors[r] = s * item_factors[w] + (1 - s) * factors[r]
        bias[r] = s * item_bias[w] + (1 - s) * bias[r]
        source[r] = FRANCHISE

    members = (pd.to_numeric(cold["members_latest"], errors="coerce").fillna(0).to_numpy(np.float64)
               if "members_latest" in cold else np.zeros(len(cold)))
    prior = np.log1p(members)
    prior = ((prior - prior.mean()) / (prior.std() + 1e-9)).astype(np.float32) if len(prior) else prior.astype(np.float32)
    return ColdVectors(cold_ids, factors, bias, source, anchor, franchises.franchise_array(cold_ids), prior,
                       franchises.franchise_array(np.asarray(item_ids, np.int64)), user_gram.astype(np.float32),
                       scored=has_score & (source != PRIOR), warm_content=warm_content, config=config)


def _ids(ids: Collection[int] | np.ndarray) -> np.ndarray:
    """An int64 array of ids given as any collection (a set of franchise ids, or an array of them)."""
    return ids.astype(np.int64, copy=False) if isinstance(ids, np.ndarray) else np.fromiter(ids, np.int64, len(ids))


def _informative(vocabulary: list[str]) -> np.ndarray:
    """Columns that say something about a title (not the "missing" markers)."""
    return np.array([not n.endswith(":?") for n in vocabulary], bool)


def catalog_franchises(table: pd.DataFrame) -> Franchises:
    """The work and franchise graph serving uses (Franchises.load: the bundled relations, the catalog
    build's links and the titles' air dates), over a catalog table's titles."""
    return Franchises.load(Catalog.from_table(table))


def predecessors(cold_ids: np.ndarray, warm_pos: Mapping[int, int], franchises: Franchises) -> np.ndarray:
    """For each cold title: the trained title it continues (MAL id), else -1. That is the latest-starting
    trained entry of its work that started before it; failing that, of its franchise. A title with no
    known start date continues the latest of them."""
    out = np.full(len(cold_ids), -1, np.int64)
    for r, a in enumerate(cold_ids.tolist()):
        when = franchises.start(a)
        work, franchise = franchises.work_of(a), franchises.franchise_of(a)
        for group in (franchises.work_entries(work) if work is not None else (),
                      franchises.entries(franchise) if franchise is not None else ()):
            # Entries are oldest first, undated last: an undated entry is never a predecessor.
            earlier = [b for b in group if b in warm_pos and (start := franchises.start(b)) is not None
                       and (when is None or start < when)]
            if earlier:
                out[r] = earlier[-1]
                break
    return out
