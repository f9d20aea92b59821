"""The served path as optimised gives the same lists, figures and reasons as a plain reference of it.

ServedModel computes each member's x_u . y once a request and hands it to the ranking, the cold
titles' scores and "because"; the cold bonuses are gathered by franchise and work; a member's ids are mapped with
one searchsorted; the fold-in keeps its ridge system. The reference below is each of those the plain
way (every product made where it is used, np.isin, dict look-ups, the system built again), over the
small model trained on the bundled data and the bundled catalog: real franchises, continue picks,
and cold titles of every source, for members of 2 to 120 titles (the few-title ones take the coverage
path), with and without filters."""

import copy
from pathlib import Path

import numpy as np
import pytest

from animerec.recsys.algorithms.als import solve_spd
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import FoldedUser, Recommender, confidence_weight, standardized
from animerec.recsys.serving.group import group_picks
from animerec.recsys.serving.served import ServedModel, _Scored, cold_placed


class Reference(ServedModel):
    """ServedModel with the plain computations the optimised path replaced."""

    def given(self, ratings):
        return np.array([i for a in ratings if (i := self.index_of(a)) is not None], np.int64)

    def _scored(self, user, given, z=None, new_only=False, products=None,  # every product made here, whatever was passed
                taste_only=False):
        model, cold, n = self.model, self.model.cold, self.n_trained
        warm, terms = model.ranking(user)
        out = np.empty(self.n_items, np.float64)
        out[:n] = warm
        dots = cold.factors @ user.pref
        cold_z = (dots - float(dots.mean())) / (float(dots.std()) + 1e-9)
        franchises = set(cold.warm_franchise[user.seen][cold.warm_franchise[user.seen] >= 0].tolist())
        rows = given
        franchises.update(f for f in cold.franchise[rows[rows >= n] - n].tolist() if f >= 0)
        cfg = cold.config
        scores = np.asarray(cfg.rank_trust, np.float32)[cold.source] * cold_z
        if not taste_only:
            scores = scores + cfg.prior_weight * cold.prior
        unstarted = (cold.anchor >= 0) & ~np.isin(cold.franchise, list(franchises))
        scores -= cfg.unstarted_penalty * unstarted
        if franchises:
            scores += cfg.continuation_weight * np.isin(cold.franchise, list(franchises))
        loved = self.loved_works(user)
        scores += cfg.liked_continuation_weight * (loved > 0)
        work = self.rules.item_work
        counted = np.array([self.catalog.get(a).members > 0 for a in self.ids[n:].tolist()]) | (cold.source == 0)
        placeable = None if new_only else (np.isin(cold.source, (0, 1)) & ~unstarted & counted) | \
            np.isin(work[n:], work[rows])
        out[n:] = cold_placed(out[:n], scores, placeable=placeable, loved_work=loved, work=work[n:])
        z = np.concatenate([standardized(model.item_factors @ user.pref), cold_z])
        return _Scored(out, terms, z, loved)

    def _alone(self, loves, ratings, *made):  # each liked title's own scoring, one at a time, whatever was passed
        users = [self.model.fold_in({a: ratings[a]}) for a in loves]
        return np.vstack([standardized(self._scored(u, self.given([a])).scores) for a, u in zip(loves, users)])

    def loved_works(self, user):  # a loop over the liked titles and their works' cold titles
        n, start, work = self.n_trained, self._start, self.rules.item_work
        ratings = dict(zip(self.ids[np.concatenate([user.seen, n + user.cold_seen])].tolist(),
                           np.concatenate([user.ratings, user.cold_ratings]).tolist()))
        out = np.zeros(self.n_items - n)
        for a in self.model.liked_titles(user).tolist():
            i = self.index_of(a)
            for j in np.flatnonzero(work[n:] == work[i]) + n:
                if start[j] > start[i]:
                    out[j - n] = max(out[j - n], ratings[a])
        return out


def reference_fold_in(model: Recommender, ratings) -> FoldedUser:
    """Recommender.fold_in by dict look-ups and two k x k Cholesky solves, keeping no system; checked
    against the fold-in served (Woodbury's identity for short members)."""
    pairs = [(model.index_of(a), r) for a, r in ratings.items() if model.index_of(a) is not None]
    cold = [(model.cold.index_of(a), r) for a, r in ratings.items() if model.cold.index_of(a) is not None]
    cold = [(row, r) for row, r in cold if model.cold.trust_of(np.array([row]))[0] > 0]
    seen = np.array([i for i, _ in pairs], np.int64)
    cold_seen = np.array([row for row, _ in cold], np.int64)
    given = np.array([r for _, r in pairs] + [r for _, r in cold], np.float32)
    # A trained title of few watchers enters a short history shrunk toward its content estimate
    # (ModelConfig.given_support_half), by the neighbour sums' share of the ranking.
    watchers = model.item_popularity[seen].astype(np.float64)
    pivot = model.config.cold_pivot
    half = model.config.given_support_half
    kept = 1.0 - pivot**2 / (pivot**2 + len(seen) ** 2) * half**2 / (watchers**2 + half**2)
    warm = kept[:, None] * model.item_factors[seen] + (1.0 - kept[:, None]) * model.cold.warm_content[seen]
    Y = np.vstack([warm.astype(np.float32), model.cold.factors[cold_seen]])
    trust = np.concatenate([np.ones(len(seen), np.float32), model.cold.trust_of(cold_seen)])
    bias = np.concatenate([model.item_bias[seen], model.cold.bias[cold_seen]])
    conf = 1.0 + model.config.alpha * trust * confidence_weight(given, model.config)
    pref = solve_spd(model._gram + (Y.T * (conf - 1.0)) @ Y, Y.T @ conf)
    rated = given > 0
    X = np.hstack([np.ones((rated.sum(), 1), np.float32), Y[rated]])
    penalty = np.full(X.shape[1], model.config.rating_reg, np.float32)
    penalty[0] = model.config.user_bias_reg
    target = given[rated] - model.global_mean - bias[rated]
    w = solve_spd((X.T * trust[rated]) @ X + np.diag(penalty), (X.T * trust[rated]) @ target)
    user = model.fold_in(ratings)
    assert np.array_equal(user.seen, seen) and np.array_equal(user.cold_seen, cold_seen)
    np.testing.assert_allclose(user.pref, pref, rtol=1e-3, atol=1e-5 * np.abs(pref).max())
    np.testing.assert_allclose(user.rating_vec, w[1:], rtol=1e-3, atol=1e-5 * np.abs(w).max())
    assert user.user_bias == pytest.approx(float(w[0]), rel=1e-3, abs=1e-5)
    return FoldedUser(seen, pref, float(w[0]), w[1:].astype(np.float32), given[: len(seen)], cold_seen,
                      given[len(seen):])


@pytest.fixture(scope="module")
def pair(small_models_root: Path) -> tuple[ServedModel, Reference]:
    model = artifacts.load_current(small_models_root)
    served = ServedModel(model, Catalog.load())
    plain = copy.copy(model)
    plain.fold_in = lambda ratings: reference_fold_in(model, ratings)
    return served, Reference(plain, served.catalog, served.franchises)


@pytest.fixture(scope="module")
def members(pair) -> list[dict[int, float]]:
    """Members of the bundled sample, 2 to 120 of their titles each, a fifth of them with cold titles too."""
    served = pair[0]
    df = load_interactions()
    rng = np.random.default_rng(7)
    cold_ids = served.ids[served.n_trained:]
    evidenced = cold_ids[served.model.cold.evidenced()]
    out = []
    for k, (_, g) in enumerate(df[df["user_id"].isin(rng.choice(df["user_id"].unique(), 60, replace=False))]
                               .groupby("user_id")):
        size = int(rng.choice([2, 3, 4, 5, 12, 40, 120]))
        g = g.sample(min(len(g), size), random_state=k)
        ratings = dict(zip(g["anime_id"].tolist(), g["rating"].tolist()))
        if k % 5 == 0:
            ratings.update({int(a): 9.0 for a in rng.choice(evidenced, 2, replace=False)})
            ratings[int(rng.choice(cold_ids))] = 8.0
        out.append(ratings)
    assert any(len(m) < 6 for m in out) and any(len(m) >= 40 for m in out)
    return out


def same_picks(got, want) -> None:
    assert [(p.anime_id, p.kind, p.because, p.source, p.more_in_series, p.starts_at) for p in got] == \
        [(p.anime_id, p.kind, p.because, p.source, p.more_in_series, p.starts_at) for p in want]
    np.testing.assert_allclose([p.score for p in got], [p.score for p in want], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose([p.predicted for p in got], [p.predicted for p in want], rtol=1e-5)


def test_recommend_matches_the_reference(pair, members):
    served, reference = pair
    catalog = served.catalog
    masks = [None, served.allowed(catalog.filters("Comedy")), served.allowed(catalog.filters(type="Movie"))]
    named = 0
    for j, ratings in enumerate(members):
        for allowed, discover in ((masks[j % 3], False), (None, True)):
            got = served.recommend(ratings, 10, allowed=allowed, discover=discover)
            want = reference.recommend(ratings, 10, allowed=allowed, discover=discover)
            same_picks(got.picks, want.picks)
            assert got.seen_these == want.seen_these and got.floor == want.floor
            named += sum(p.because is not None for p in got.picks)
    assert named >= 50  # the reasons were put to the test, not only the lists


def test_rank_titles_and_explain_match_the_reference(pair, members):
    served, reference = pair
    season = served.ids[served.n_trained:][:80].tolist() + served.ids[:40].tolist()
    for ratings in members[::3]:
        want = reference.rank_titles(ratings, season)
        same_picks(served.rank_titles(ratings, season), want)
        # The first ten alone (a /seasonal list's), their words made for them only: the same ten, words and all.
        same_picks(served.rank_titles(ratings, season, n=10), want[:10])
        for anime_id in season[:: 20]:
            got, want = served.explain(ratings, anime_id), reference.explain(ratings, anime_id)
            assert got[1] == want[1] and got[0] == pytest.approx(want[0], rel=1e-6)


def test_a_watch_party_matches_the_reference(pair, members):
    served, reference = pair
    for k in range(0, 12, 3):
        group = members[k:k + 3]
        got, want = group_picks(served, group, 8), group_picks(reference, group, 8)
        assert [p.anime_id for p in got] == [p.anime_id for p in want] and got
