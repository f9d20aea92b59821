"""/similar from kept Annoy answers (AnnIndex.keep, ServedModel.similar_warm_up) lists what asking Annoy
live lists, on a planted world larger than the kept candidates: 24 taste blocks of ten trained titles
(the first three of each block one work, three seasons), and per block a new season of that work
(placed by evidence) and a new work of the block's genres (a content guess)."""

import copy

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import CountingAnnoy, content_table, grouped_franchises

from animerec.recsys.algorithms.embeddings import CANDIDATES, SPARSE_CANDIDATES, SPARSE_SUPPORT_K
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.model import ModelConfig, Recommender
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.served import ServedModel

BLOCKS, PER_BLOCK = 24, 10
GENRES = ("Action", "Comedy", "Drama", "Fantasy", "Horror", "Mecha", "Music", "Mystery", "Romance", "Sci-Fi",
          "Slice of Life", "Sports")


def _title(b: int, k: int) -> int:
    return 2000 + b * PER_BLOCK + k


def _world() -> tuple[pd.DataFrame, Catalog, pd.DataFrame]:
    """(interactions, catalog, catalog table) of the planted world."""
    rng = np.random.default_rng(3)
    titles = []
    for b in range(BLOCKS):
        genres = (GENRES[b % 12], GENRES[(b * 5 + 1) % 12], GENRES[(b * 7 + 4) % 12])
        for k in range(PER_BLOCK):
            a = _title(b, k)
            work = _title(b, 0) if k < 3 else a
            titles.append(Anime(a, f"title {a}", genres, "TV", 12, 7.5, 200_000 - 50 * (a - 2000) - k * 997,
                                year=2005 + k, season="spring", start_date=f"{2005 + k}-04-01",
                                members_2016=150_000, franchise_id=work, work_id=work))
        sequel, guess = 3000 + b, 3100 + b
        titles.append(Anime(sequel, f"new season {sequel}", genres, "TV", 12, 8.0, 90_000 + b, year=2025,
                            season="fall", start_date="2025-10-01", franchise_id=_title(b, 0), work_id=_title(b, 0)))
        titles.append(Anime(guess, f"new work {guess}", genres, "TV", 12, 8.0, 80_000 + b, year=2026,
                            season="spring", start_date="2026-04-01", franchise_id=guess, work_id=guess))
    rows = []
    for u in range(20 * BLOCKS):
        b = u % BLOCKS
        for k in range(PER_BLOCK):
            if rng.random() < 0.6:
                rows.append((f"u{u}", _title(b, k), float(rng.integers(6, 11))))
        for _ in range(2):  # some taste across blocks, so that lists have near and far neighbours
            rows.append((f"u{u}", _title(int(rng.integers(BLOCKS)), int(rng.integers(PER_BLOCK))), 7.0))
    board = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"]).drop_duplicates(["user_id", "anime_id"])
    table = content_table(titles)
    return board, Catalog(titles), table


@pytest.fixture(scope="module")
def pair() -> tuple[ServedModel, ServedModel]:
    """(the served model, warmed up, its indexes counting their queries; the same served model asking
    Annoy live for every /similar)."""
    board, catalog, table = _world()
    franchises = grouped_franchises(table)
    model = Recommender.fit(board, ModelConfig(factors=8, iterations=10, regularization=0.5, ease_neighbors=8,
                                               knn_neighbors=8, ann_trees=4, ann_search_k=150),
                            content=table, franchises=franchises)
    for ann in (model.ensure_ann(), model.evidence_ann()):
        ann.index = CountingAnnoy(ann.index)
    served = ServedModel(model, catalog, franchises)
    live_model = copy.copy(model)
    live_model._ann, live_model._evidence_ann = model.ensure_ann().live(), model.evidence_ann().live()
    return served, ServedModel(live_model, catalog, franchises)


def test_a_title_with_little_support_lists_the_exact_best_by_cosine_and_prior():
    """Its SPARSE_CANDIDATES nearest hold every title placed by evidence in this world (264 < 400), so its
    list is the exact best by cosine x support prior (at SPARSE_SUPPORT_K), one per franchise; kept once
    made, and made ahead by the warm-up, which asks Annoy only for the other titles."""
    board, catalog, table = _world()
    franchises = grouped_franchises(table)
    model = Recommender.fit(board, ModelConfig(factors=8, iterations=10, regularization=0.5, ease_neighbors=8,
                                               knn_neighbors=8, ann_trees=4, ann_search_k=150),
                            content=table, franchises=franchises)
    served = ServedModel(model, catalog, franchises)
    evidenced = np.flatnonzero(model.similar_evidenced())
    sparse = np.flatnonzero(served._exact_similar)
    assert len(evidenced) < SPARSE_CANDIDATES and len(sparse) > served.n_trained / 2
    for ann in (model.ensure_ann(), model.evidence_ann()):
        ann.index = CountingAnnoy(ann.index)
    assert sum(served.similar_warm_up()) == served.n_items
    assert set(model.nearest_kept("evidence", evidenced)) == set(sparse.tolist())
    assert _queries(served) == _annoy_searched(served)
    V = served._unit_vectors.astype(np.float64)
    franchise = served.rules.item_franchise_list
    for i in sparse.tolist():
        scored = sorted((-(float(V[j] @ V[i]) * p / (p + SPARSE_SUPPORT_K)), j) for j in evidenced.tolist()
                        if franchise[j] != franchise[i] and (p := served._popularity_of[j]) >= 0)
        best, seen = [], set()
        for neg, j in scored:
            if franchise[j] not in seen:
                seen.add(franchise[j])
                best.append(-neg)
        listed = served.similar(int(served.ids[i]), 10).neighbours
        assert [score for _, score in listed] == pytest.approx(best[:10], abs=1e-6), i  # near ties may swap
    # Made from the model's vectors alone: a served model over it after a community refresh reads them kept.
    refreshed = served.with_model(model.with_own_cold())
    assert list(refreshed.similar_warm_up()) == [0]
    assert _queries(served) == _annoy_searched(served)
    # A copy serving other titles (its trained ones alone, as benchmarks/bench_serve.py's "before") makes its own.
    trained = copy.copy(model)
    trained.cold, trained._similar_space, trained._similar_evidenced = None, None, None
    trained._ann, trained._evidence_ann = None, None
    alone = ServedModel(trained, catalog, franchises)
    for a in served.ids[sparse[sparse < served.n_trained]].tolist():
        assert {b for b, _ in alone.similar(a, 10).neighbours} <= set(trained.item_ids.tolist())
    assert len(trained.nearest_kept("evidence", np.flatnonzero(trained.similar_evidenced())))
    assert set(model.nearest_kept("evidence", evidenced)) == set(sparse.tolist())


def _queries(served: ServedModel) -> int:
    return served.model.ensure_ann().index.queries + served.model.evidence_ann().index.queries


def _annoy_searched(served: ServedModel) -> int:
    """How many titles' /similar asks Annoy: not those placed by evidence with little support
    (_sparse_candidates), nor content guesses (_guess_candidates), which are searched exactly."""
    return int((served._evidenced & ~served._exact_similar).sum())


def test_the_world_is_larger_than_the_kept_candidates_and_has_both_indexes(pair):
    served, _ = pair
    assert served.n_items == BLOCKS * (PER_BLOCK + 2) > CANDIDATES + 1
    assert served.model.similar_evidenced().sum() == BLOCKS * (PER_BLOCK + 1)  # the new works are guesses
    assert {served.source(served.index_of(3000)), served.source(served.index_of(3100))} == {"franchise", "content"}


def test_the_warm_up_asks_each_title_once_most_watched_first(pair):
    served, _ = pair
    before = _queries(served)
    steps = list(served.similar_warm_up(step=100))
    assert steps == [100, 100, served.n_items - 200]
    # Titles placed by evidence with little support (_sparse_candidates) and content guesses
    # (_guess_candidates) are searched exactly, not by Annoy.
    assert 0 < _annoy_searched(served) < served.n_items - served._exact_similar.sum()
    assert _queries(served) - before == _annoy_searched(served)
    assert list(served.similar_warm_up(step=100)) == [0, 0, 0]
    # Every title's unfiltered list now comes from kept answers alone.
    before = _queries(served)
    for a in served.ids.tolist():
        served.similar(a, 10)
    assert _queries(served) == before


@pytest.mark.parametrize("n", [3, 10])
def test_kept_lists_are_the_live_ones_unfiltered_and_for_a_member(pair, n):
    served, live = pair
    list(served.similar_warm_up())
    given = {_title(b, k) for b in range(0, BLOCKS, 3) for k in (1, 4, 5)} | {3001, 3104}
    for a in served.ids.tolist():
        assert served.similar(a, n) == live.similar(a, n), a
        assert served.similar(a, n, given=given) == live.similar(a, n, given=given), a


def test_kept_lists_are_the_live_ones_through_filters_searched_by_annoy(pair, monkeypatch):
    """Filters too wide to be searched exactly (EXACT_FILTERED set to 0 here) read the kept candidates
    and, when those leave the list short, widen the search past them with live queries."""
    served, live = pair
    list(served.similar_warm_up())
    monkeypatch.setattr(served_module, "EXACT_FILTERED", 0)
    catalog = served.catalog
    masks = [served.allowed(catalog.filters("Drama")), served.allowed(catalog.filters("Music")),
             np.arange(served.n_items) % 7 == 0]
    given = {_title(b, 5) for b in range(BLOCKS)}
    before = _queries(served)
    for a in served.ids.tolist():
        for allowed in masks:
            assert served.similar(a, 10, allowed=allowed) == live.similar(a, 10, allowed=allowed), a
            assert (served.similar(a, 5, allowed=allowed, given=given)
                    == live.similar(a, 5, allowed=allowed, given=given)), a
    assert _queries(served) > before  # some lists needed more than the kept candidates


def test_a_community_refresh_or_a_new_catalog_keeps_the_warm_up(pair):
    """The kept answers belong to the model's indexes: the served model over a copy with its own cold
    vectors (with_model, a community refresh) and one over a new catalog (the same model) read them."""
    served, _ = pair
    list(served.similar_warm_up())
    refreshed = served.with_model(served.model.with_own_cold())
    recatalogued = ServedModel(served.model, served.catalog, served.franchises)
    before = _queries(served)
    for other in (refreshed, recatalogued):
        assert list(other.similar_warm_up()) == [0]
        for a in other.ids.tolist():
            assert other.similar(a, 10) == served.similar(a, 10)
    assert _queries(served) == before
