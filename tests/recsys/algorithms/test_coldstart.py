"""Cold-start vectors on planted structure: content decides the taste group, a sequel inherits its
predecessor's group, and an item fold-in recovers a planted vector."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import grouped_franchises

from animerec.recsys.algorithms.coldstart import (
    CONTENT,
    FRANCHISE,
    PRIOR,
    ColdConfig,
    ColdVectors,
    build_cold,
    content_features,
)
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import ModelConfig, Recommender

N_PER_GROUP = 30
GENRE = {0: "Action", 1: "Romance"}
NEW_ACTION, NEW_ROMANCE, SEQUEL_OF_ROMANCE, BARE = 900, 901, 902, 903


def _title(anime_id: int, genre: str | None, start: str, work: int | None = None, score: float | None = None) -> dict:
    return {"anime_id": anime_id, "genres": genre, "themes": None, "demographics": None, "studios": None,
            "source": None, "type": "TV", "age_rating": None, "year": int(start[:4]), "start_date": start,
            "members_latest": 1000, "score_latest": score, "work_id": work or anime_id,
            "franchise_id": work or anime_id}


@pytest.fixture(scope="module")
def planted():
    """Two taste groups of 30 titles, told apart by genre; members watch (and rate high) their group only."""
    rng = np.random.default_rng(0)
    rows, titles = [], []
    for g in (0, 1):
        for t in range(N_PER_GROUP):
            titles.append(_title(100 * (g + 1) + t, GENRE[g], "2010-01-01"))
    for u in range(200):
        g = u % 2
        for t in rng.choice(N_PER_GROUP, 12, replace=False):
            rows.append((f"u{u}", 100 * (g + 1) + int(t), float(rng.integers(7, 11))))
    titles += [_title(NEW_ACTION, "Action", "2020-01-01"), _title(NEW_ROMANCE, "Romance", "2020-01-01"),
               _title(SEQUEL_OF_ROMANCE, "Action", "2020-01-01", work=205), _title(BARE, None, "2020-01-01")]
    titles[-1]["type"] = None
    titles[-1]["year"] = None
    df = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"]).drop_duplicates(["user_id", "anime_id"])
    table = pd.DataFrame(titles)
    model = Recommender.fit(df, ModelConfig(factors=8, iterations=6, item_max_items=100), content=table,
                            franchises=grouped_franchises(table))
    return model, table


def member(group: int) -> dict[int, float]:
    return {100 * (group + 1) + t: 9.0 for t in range(5)}


def test_content_features_mark_missing_columns():
    table = pd.DataFrame([_title(1, "Action|Drama", "2011-05-01"), _title(2, "Action", "2012-01-01"),
                          _title(3, "Action", "2013-01-01")])
    F, names = content_features(table)
    assert "genre:Action" in names and "studio:?" in names
    assert F[:, names.index("genre:Action")].sum() == 3
    assert "genre:Drama" not in names  # on one title only: below MIN_LABEL_TITLES


def test_content_features_bin_the_score_in_half_points_with_open_ends():
    scores = [9.29, 8.6, 8.74, 7.2, 7.49, 7.0, 4.1, 5.2, 5.6, None, None, None]
    table = pd.DataFrame([_title(j, "Action", "2020-01-01", score=x) for j, x in enumerate(scores)])
    F, names = content_features(table)
    binned = {names[j] for i in range(len(scores)) for j in F[i].indices if names[j].startswith("score:")}
    assert binned == {"score:8.5", "score:7.0", "score:5.5", "score:?"}
    assert F[:, names.index("score:8.5")].sum() == 3 and F[:, names.index("score:5.5")].sum() == 3
    assert F[:, names.index("score:7.0")].sum() == 3 and F[:, names.index("score:?")].sum() == 3


def _scored_catalog() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two genre groups of 30 titles. Within each, those MyAnimeList scores 8.6 are the ones members rate 9 and
    10, those it scores 6.1 get 5 and 6, and three low-rated ones have no score (as an obscure title has none).
    New titles: Action scored 8.8, 6.2, and unscored. (interactions, catalog table)"""
    rng = np.random.default_rng(3)
    titles, rows = [], []
    for g in (0, 1):
        for t in range(N_PER_GROUP):
            titles.append(_title(100 * (g + 1) + t, GENRE[g], "2010-01-01",
                                 score=8.6 if t % 2 else (None if t < 6 else 6.1)))
    for u in range(200):
        g = u % 2
        for t in rng.choice(N_PER_GROUP, 12, replace=False):
            rows.append((f"u{u}", 100 * (g + 1) + int(t), float(rng.integers(9, 11) if t % 2 else rng.integers(5, 7))))
    titles += [_title(HIGH, "Action", "2020-01-01", score=8.8), _title(LOW, "Action", "2020-01-01", score=6.2),
               _title(UNSCORED, "Action", "2020-01-01")]
    df = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"]).drop_duplicates(["user_id", "anime_id"])
    return df, pd.DataFrame(titles)


HIGH, LOW, UNSCORED = 950, 951, 952


def test_the_score_moves_a_new_titles_bias_not_its_factors():
    """A new title's bias follows its score, its factors are its genre's whatever the score, and a title
    with no score gets the bias it would have had with no score known for any title (not the bias of
    "unknown", which the training titles teach to mean obscure and poorly rated)."""
    df, table = _scored_catalog()
    config = ModelConfig(factors=8, iterations=6, item_max_items=100)
    model = Recommender.fit(df, config, content=table, franchises=grouped_franchises(table))
    unscored_world = table.drop(columns="score_latest")
    plain = Recommender.fit(df, config, content=unscored_world, franchises=grouped_franchises(unscored_world))
    cold, before = model.cold, plain.cold
    h, lo, u = (cold.index_of(a) for a in (HIGH, LOW, UNSCORED))
    np.testing.assert_array_equal(cold.factors, before.factors)
    assert cold.source[h] == cold.source[lo] == CONTENT
    assert cold.scored[h] and cold.scored[lo] and not cold.scored[u] and not before.scored.any()
    trained = dict(zip(model.item_ids.tolist(), model.item_bias.tolist()))
    loved = np.mean([trained[100 + t] for t in range(1, N_PER_GROUP, 2)])
    panned = np.mean([trained[100 + t] for t in range(6, N_PER_GROUP, 2)])
    assert cold.bias[h] - cold.bias[lo] > 0.5 * (loved - panned) > 0
    assert cold.bias[u] == pytest.approx(before.bias[u], abs=1e-5)


def test_a_model_saved_before_the_score_says_no_bias_came_from_it(planted, tmp_path):
    model, _ = planted
    arrays = {k: v for k, v in model.cold.arrays().items() if k != "cold_scored"}
    older = ColdVectors.from_arrays(arrays)
    assert older is not None and len(older.scored) == len(older.anime_ids) and not older.scored.any()


def test_a_model_saved_before_the_content_estimates_folds_in_its_titles_as_trained(planted):
    model, _ = planted
    older = replace(model)
    older.cold = ColdVectors.from_arrays({k: v for k, v in model.cold.arrays().items() if k != "cold_warm_content"})
    trusting = replace(model, config=replace(model.config, given_support_half=0.0))
    assert model.doubt() is not None and older.doubt() is None
    given = {100: 9.0, 103: 8.0}
    np.testing.assert_array_equal(older.fold_in(given).pref, trusting.fold_in(given).pref)
    assert not np.array_equal(model.fold_in(given).pref, trusting.fold_in(given).pref)


def test_a_catalog_too_small_for_any_feature_still_builds():
    # Two titles: no label is on MIN_LABEL_TITLES of them, so there are no features at all.
    table = pd.DataFrame([_title(1, "Action", "2010-01-01", score=7.0), _title(3, "Action", "2020-01-01", score=8.0)])
    factors = np.random.default_rng(0).standard_normal((1, 4)).astype(np.float32)
    cold = build_cold(np.array([1]), factors, np.zeros(1, np.float32), np.array([5]), np.eye(4, dtype=np.float32),
                      table, franchises=grouped_franchises(table))
    assert cold.anime_ids.tolist() == [3] and cold.source[0] == PRIOR and not cold.scored[0]


def test_content_map_puts_a_new_title_in_its_genre_group(planted):
    model, _ = planted
    for group, same, other in ((0, NEW_ACTION, NEW_ROMANCE), (1, NEW_ROMANCE, NEW_ACTION)):
        scores, _, sources = model.new_titles(member(group), [same, other])
        assert sources == ["content", "content"]
        assert scores[0] > scores[1]


def test_a_sequel_starts_from_its_predecessor(planted):
    model, _ = planted
    cold = model.cold
    row = cold.index_of(SEQUEL_OF_ROMANCE)
    assert cold.source[row] == FRANCHISE and cold.anchor[row] == 205
    # Its own genre says Action, but its predecessor is a Romance title: the Romance member wants it more.
    romance = model.new_titles(member(1), [SEQUEL_OF_ROMANCE])[0][0]
    action = model.new_titles(member(0), [SEQUEL_OF_ROMANCE])[0][0]
    assert romance > action


def test_a_title_with_no_features_gets_the_prior(planted):
    model, _ = planted
    assert model.cold.source[model.cold.index_of(BARE)] == PRIOR
    assert model.cold.source[model.cold.index_of(NEW_ACTION)] == CONTENT


def test_content_predictions_are_shrunk_toward_the_member_mean(planted):
    planted_model, _ = planted
    # The served trust of content vectors is the one RMSE chose (1.0 on the time split: the ridge map
    # already pulls a content guess toward the average title); a share below 1 shrinks further.
    model = replace(planted_model)
    model.cold = ColdVectors(**{**_cold_fields(planted_model.cold), "config": ColdConfig(trust=(1.0, 1.0, 0.5, 0.0))})
    ratings = {**member(0), 101 + N_PER_GROUP: 3.0}
    user = model.fold_in(ratings)
    base = model.global_mean + user.user_bias
    shrunk = model.new_titles(user, [NEW_ACTION])[1][0]
    trusting = replace(model)  # same arrays
    trusting.cold = ColdVectors(**{**_cold_fields(model.cold), "config": ColdConfig(trust=(1.0, 1.0, 1.0, 1.0))})
    full = trusting.new_titles(user, [NEW_ACTION])[1][0]
    assert abs(shrunk - base) < abs(full - base)
    for m in (model, planted_model):  # a vector that knows nothing claims nothing, as served too
        assert m.new_titles(user, [BARE])[1][0] == pytest.approx(min(base, 9.0), abs=0.2)


def _cold_fields(cold: ColdVectors) -> dict:
    return {k: getattr(cold, k) for k in ("anime_ids", "factors", "bias", "source", "anchor", "franchise", "prior",
                                          "warm_franchise", "user_gram")}


def _crowd(seed: int, k: int = 8) -> tuple[np.random.Generator, np.ndarray, np.ndarray, np.ndarray]:
    """(rng, 3000 members' vectors, their Gram X'X + I, a planted title vector)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3000, k)).astype(np.float32) * 0.3
    return rng, X, X.T @ X + 1.0 * np.eye(k, dtype=np.float32), rng.standard_normal(k).astype(np.float32)


def test_item_fold_in_recovers_a_planted_vector():
    rng, X, gram, planted = _crowd(1)
    k = X.shape[1]
    prior = rng.standard_normal(k).astype(np.float32) * 0.01  # a content guess that knows little
    cold = ColdVectors(np.array([1]), prior[None, :].copy(), np.zeros(1, np.float32), np.array([CONTENT], np.int8),
                       np.array([-1]), np.array([-1]), np.zeros(1, np.float32), np.array([], np.int64), gram)
    raters = X[X @ planted > 0.6]  # the members whose taste points at the planted title watch it
    assert len(raters) > 50
    assert cold.fold_in_item(0, raters, np.full(len(raters), 4.0), np.full(len(raters), 1.0), 5.0)
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(cold.factors[0], planted) > 0.9 > cos(prior, planted)
    assert SOURCES_OF(cold) == "community" and cold.raters[0] == len(raters)
    assert cold.bias[0] == pytest.approx(len(raters) / (len(raters) + 5.0))
    # Again with the same raters: counted once, from the trained estimate.
    before = cold.factors[0].copy()
    cold.fold_in_item(0, raters, np.full(len(raters), 4.0), np.full(len(raters), 1.0), 5.0)
    np.testing.assert_allclose(cold.factors[0], before, rtol=1e-5)


def SOURCES_OF(cold: ColdVectors) -> str:  # noqa: N802
    from animerec.recsys.algorithms.coldstart import SOURCES

    return SOURCES[cold.source[0]]


def test_too_few_raters_leave_the_title_as_it_was(planted):
    model, _ = planted
    before = model.cold.factors[model.cold.index_of(NEW_ACTION)].copy()
    raters = [(model.fold_in(member(0)), 9.0)] * (model.cold.config.min_raters - 1)
    assert not model.fold_in_title(NEW_ACTION, raters)
    np.testing.assert_array_equal(model.cold.factors[model.cold.index_of(NEW_ACTION)], before)
    assert not model.fold_in_title(101, raters * 3)  # a trained title is not folded in


def test_cold_vectors_survive_save_and_load(planted, tmp_path):
    model, _ = planted
    model.meta["version"] = "test"
    artifacts.save(model, tmp_path)
    loaded = artifacts.load(tmp_path)
    assert loaded.cold is not None
    for name, array in model.cold.arrays().items():
        np.testing.assert_array_equal(loaded.cold.arrays()[name], array)
    np.testing.assert_allclose(loaded.predict(member(0), [NEW_ACTION, BARE]), model.predict(member(0), [NEW_ACTION, BARE]))


def test_a_loved_predecessor_earns_its_continuation_a_bonus(planted):
    model, _ = planted
    cold = replace(model.cold, config=ColdConfig(liked_continuation_weight=2.0))
    pref = model.fold_in(member(1)).pref
    given = cold.given_franchises(np.array([model.index_of(205)]))
    plain = cold.scores(pref, given)
    loved = cold.scores(pref, given, liked_titles=[205])
    bonus = np.zeros(len(cold.anime_ids))
    bonus[cold.index_of(SEQUEL_OF_ROMANCE)] = 2.0  # it continues 205; no other cold title does
    np.testing.assert_allclose(loved - plain, bonus, atol=1e-5)
    # Through the model: rating the predecessor 9 rather than 5 lifts the sequel above what it was.
    ratings = {**member(1), 205: 5.0}
    cool = replace(model)
    cool.cold = cold
    seen, liked = cool.new_titles(ratings, [SEQUEL_OF_ROMANCE])[0][0], cool.new_titles({**ratings, 205: 9.0},
                                                                                      [SEQUEL_OF_ROMANCE])[0][0]
    assert liked > seen


def test_a_continuation_of_a_franchise_the_member_never_started_drops(planted):
    model, _ = planted
    cold = replace(model.cold, config=ColdConfig(continuation_weight=0.5, unstarted_penalty=4.0))
    pref = model.fold_in(member(1)).pref
    started = cold.given_franchises(np.array([model.index_of(205)]))
    assert len(started)
    # The sequel of 205 gains the penalty and the continuation bonus when 205's franchise was given;
    # no other cold title continues a trained one, so none moves.
    lift = np.zeros(len(cold.anime_ids))
    lift[cold.index_of(SEQUEL_OF_ROMANCE)] = 4.5
    np.testing.assert_allclose(cold.scores(pref, started) - cold.scores(pref, set()), lift, atol=1e-5)
    # Through the model: a Romance member who never gave 205 ranks the sequel below the new Romance work,
    # and one who gave 205 does not.
    gated = replace(model)
    gated.cold = cold
    unstarted = gated.new_titles(member(1), [SEQUEL_OF_ROMANCE, NEW_ROMANCE])[0]
    started_scores = gated.new_titles({**member(1), 205: 8.0}, [SEQUEL_OF_ROMANCE, NEW_ROMANCE])[0]
    assert unstarted[0] < unstarted[1]
    assert started_scores[0] - started_scores[1] > unstarted[0] - unstarted[1] + 4.0
    # Its predecessor's vector is evidence about members who started the franchise only.
    sequel = cold.index_of(SEQUEL_OF_ROMANCE)
    assert cold.evidenced()[sequel] and cold.evidenced(started)[sequel] and not cold.evidenced(set())[sequel]
    np.testing.assert_array_equal(np.flatnonzero(cold.evidenced() & ~cold.evidenced(set())), [sequel])


def test_rank_trust_scales_the_member_term_per_source(planted):
    model, _ = planted
    blind = replace(model.cold, config=ColdConfig(rank_trust=(1.0, 1.0, 0.0, 1.0)))
    content = np.flatnonzero(blind.source == CONTENT)
    franchise = np.flatnonzero(blind.source == FRANCHISE)
    a, b = model.fold_in(member(0)).pref, model.fold_in(member(1)).pref
    # A content vector no longer moves the ranking: two opposite members score those titles alike...
    np.testing.assert_allclose(blind.scores(a, set(), content), blind.scores(b, set(), content), atol=1e-5)
    # ... while a franchise vector still does.
    assert not np.allclose(blind.scores(a, set(), franchise), blind.scores(b, set(), franchise))


def test_an_item_fold_in_over_max_raters_solves_on_a_weighted_subsample():
    _, X, gram, planted = _crowd(2)
    k = X.shape[1]
    raters = X[X @ planted > 0.5]
    assert len(raters) > 200

    def folded(max_raters: int) -> np.ndarray:
        cold = ColdVectors(np.array([1]), np.zeros((1, k), np.float32), np.zeros(1, np.float32),
                           np.array([CONTENT], np.int8), np.array([-1]), np.array([-1]), np.zeros(1, np.float32),
                           np.array([], np.int64), gram, config=ColdConfig(max_raters=max_raters))
        assert cold.fold_in_item(0, raters, np.full(len(raters), 4.0), np.full(len(raters), 1.0), 5.0)
        assert cold.raters[0] == len(raters)  # every rater counts, even those the solve skipped
        return cold.factors[0]

    full, capped = folded(len(raters)), folded(len(raters) // 4)
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(capped, full) > 0.98 and cos(capped, planted) > 0.9
    # Weighted up, the subsample carries the whole crowd's evidence: the vector is as long, not a quarter.
    assert 0.8 < np.linalg.norm(capped) / np.linalg.norm(full) < 1.25
