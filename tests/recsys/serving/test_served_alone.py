"""The coverage order from kept rows (ServedModel._covering over _KeptRows) lists what making every liked
title's ranking alone on each request lists, on a planted world larger than CANDIDATE_FIRST: ten taste
blocks of ten trained titles (the checkerboard's), and per block a new season of its first work and three new works that
share every content field (the same vector, prior and score: planted ties among the cold titles)."""

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from recsys.conftest import BLOCK_ITEMS, checkerboard, content_table, grouped_franchises

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.model import ModelConfig, Recommender, top_n
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.served import CANDIDATE_DEPTH, ServedModel, _KeptRows

BLOCKS, TWINS = 10, 3
GENRES = ("Action", "Comedy", "Drama", "Fantasy", "Horror", "Mecha", "Music", "Mystery", "Romance", "Sci-Fi")
RATINGS = (10.0, 8.0, 7.0, -1.0)  # each above the floor of a member with few scores: a liked title


class Made(ServedModel):
    """The coverage order as it was before rows were kept: every liked title's row made on each request,
    compared as values."""

    def _covering(self, scores, ratings, loves, user, predicted, weight, made=None) -> Iterator[int]:
        alone = self._alone(loves, ratings)
        alone[:, ~np.isfinite(scores)] = -np.inf
        first = served_module.CANDIDATE_FIRST
        pool = np.union1d(top_n(scores, CANDIDATE_DEPTH), np.concatenate([top_n(row, first) for row in alone]))
        order = pool[np.argsort(-scores[pool], kind="stable")]
        order = order[np.isfinite(scores[order])]
        predicted.update(zip(order.tolist(), self.predictions(user, order).tolist()))
        ranks = np.argsort(np.argsort(-alone[:, order], axis=1, kind="stable"), axis=1, kind="stable")
        owner = np.argmin(ranks, axis=0)
        queues = [order[owner == k].tolist() for k in range(len(loves))]
        heads = [0] * len(loves)
        while live := [k for k in range(len(loves)) if heads[k] < len(queues[k])]:
            k = max(live, key=lambda k: scores[queues[k][heads[k]]] - weight * heads[k])
            i = queues[k][heads[k]]
            scores[i] -= weight * heads[k]
            heads[k] += 1
            yield i


def _title(b: int, k: int) -> int:
    return 1000 + b * BLOCK_ITEMS + k  # the checkerboard's titles


@pytest.fixture(scope="module")
def world() -> tuple[Recommender, Catalog, object]:
    titles = []
    for b in range(BLOCKS):
        genres = (GENRES[b], GENRES[(b * 3 + 1) % len(GENRES)])
        for k in range(BLOCK_ITEMS):
            a = _title(b, k)
            work = _title(b, 0) if k < 2 else a
            titles.append(Anime(a, f"title {a}", genres, "TV", 12, 7.5, 300_000 - 911 * (a - 1000),
                                year=2004 + k, season="spring", start_date=f"{2004 + k}-04-01",
                                members_2016=150_000, franchise_id=work, work_id=work))
        titles.append(Anime(6000 + b, f"new season {b}", genres, "TV", 12, 8.0, 90_000 + b, year=2025,
                            season="fall", start_date="2025-10-01", franchise_id=_title(b, 0), work_id=_title(b, 0)))
        for t in range(TWINS):  # alike in every field the cold-start vector and prior read
            a = 6100 + TWINS * b + t
            titles.append(Anime(a, f"new work {a}", ("Comedy", "Slice of Life"), "TV", 12, 8.0, 70_000, year=2026,
                                season="spring", start_date="2026-04-01", franchise_id=a, work_id=a))
    table = content_table(titles)
    franchises = grouped_franchises(table)
    model = Recommender.fit(checkerboard(16 * BLOCKS, BLOCKS, 0.6, seed=11),
                            ModelConfig(factors=8, iterations=10, regularization=0.5, ease_neighbors=8,
                                        knn_neighbors=8, ann_trees=4, ann_search_k=150),
                            content=table, franchises=franchises)
    return model, Catalog(titles), franchises


def _members(served: ServedModel) -> list[dict[int, float]]:
    """Two or three liked titles each, every served title in some member at every rating of RATINGS."""
    ids = served.ids.tolist()
    rng = np.random.default_rng(5)
    out = []
    for j, a in enumerate(ids):
        r = RATINGS[j % len(RATINGS)]
        others = rng.choice([b for b in ids if b != a], 1 + j % 2, replace=False).tolist()
        out.append({a: r, **{int(b): 9.0 for b in others}})
    return out


def _kept_keys(members: list[dict[int, float]]) -> set[tuple[int, float]]:
    """The (title, rating) rows the coverage order of these members reads (every title liked)."""
    return {(a, float(r)) for m in members if len(m) >= 2 for a, r in m.items()}


def _masks(served: ServedModel) -> list:
    new = np.zeros(served.n_items, bool)
    new[served.n_trained:] = True  # /recommend new: cold titles only, where the planted ties are
    return [None, served.allowed(served.catalog.filters("Comedy")), new]


def _picks(pick_list) -> list:
    return [(p.anime_id, p.kind, p.because, p.source, p.score, p.predicted) for p in pick_list.picks]


@pytest.fixture()
def pair(world) -> tuple[ServedModel, Made]:
    model, catalog, franchises = world
    return ServedModel(model, catalog, franchises), Made(model, catalog, franchises)


def test_the_world_is_larger_than_the_first_candidates_and_plants_ties(pair):
    served, _ = pair
    assert served.n_items == BLOCKS * (BLOCK_ITEMS + 1 + TWINS) > served_module.CANDIDATE_FIRST
    twins = [served.index_of(6100 + t) for t in range(TWINS)]
    row = served._alone([_title(0, 0)], {_title(0, 0): 9.0})[0]
    assert len(set(row[twins].tolist())) == 1
    assert served._kept_alone.dtype == np.uint8  # the smallest that holds 140 ranks and the masked one


def test_kept_rows_list_what_rows_made_on_each_request_list(pair):
    """The first ask keeps each row as made, the second as ranks, the third reads the ranks: every one
    lists what the rows made afresh list, for every title at every rating, unfiltered, by genre and
    cold titles only, plain and discover."""
    served, made = pair
    members = _members(served)
    kinds = []
    for _ in range(3):
        for j, ratings in enumerate(members):
            for allowed, discover in ((_masks(served)[j % 3], False), (None, True)):
                got = served.recommend(ratings, 10, allowed=allowed, discover=discover)
                assert _picks(got) == _picks(made.recommend(ratings, 10, allowed=allowed, discover=discover))
                kinds.append({row.dtype for row in served._kept_alone._rows.values()})
    assert kinds[0] == {np.dtype(np.float64)} and kinds[-1] == {served._kept_alone.dtype}
    assert set(served._kept_alone._rows) == _kept_keys(members)


def test_ties_across_the_first_candidates_edge_are_read_from_the_kept_ranks(pair, monkeypatch):
    """Over the cold titles alone (38 a member may be shown: eight new seasons, then the 30 twins, tied)
    the edge of 20 first candidates falls inside the twins' tie: top_n takes the lower indices of a tie,
    which the kept ranks know, so no row is made past its first ask, and the lists agree."""
    served, made = pair
    monkeypatch.setattr(served_module, "CANDIDATE_FIRST", 20)
    made_rows = []
    alone = ServedModel._alone

    def counting(self, loves, ratings, *made):
        if self is served:
            made_rows.extend((a, ratings[a]) for a in loves)
        return alone(self, loves, ratings, *made)

    monkeypatch.setattr(ServedModel, "_alone", counting)
    served._kept_alone = _KeptRows(served.n_items)
    new = _masks(served)[2]
    members = [{6000 + b: 10.0, 6000 + (b + 1) % BLOCKS: 9.0} for b in range(BLOCKS)]
    for _ in range(3):
        for ratings in members:
            assert _picks(served.recommend(ratings, 10, allowed=new)) == _picks(made.recommend(ratings, 10, allowed=new))
    assert sorted(made_rows) == sorted(set(made_rows)) and len(made_rows) == 2 * BLOCKS  # each row made once


def test_first_ranked_is_top_n_as_a_set_with_the_lower_indices_of_a_straddling_tie(pair):
    served, _ = pair
    masked = served._kept_alone.masked
    ranks = np.array([3, 0, 1, 1, masked, 2, masked], np.uint8)
    assert served._first_ranked(ranks, 1).tolist() == [1]
    assert sorted(served._first_ranked(ranks, 2).tolist()) == [1, 2]  # ranks 1 and 1 share the second place
    assert sorted(served._first_ranked(ranks, 3).tolist()) == [1, 2, 3]
    assert sorted(served._first_ranked(ranks, 9).tolist()) == [0, 1, 2, 3, 5]  # the masked never
    assert served._first_ranked(np.full(3, masked, np.uint8), 2).tolist() == []
    values = np.array([0.1, 0.9, 0.5, 0.5, -np.inf, 0.2, -np.inf])  # the row these ranks were made from
    for n in range(1, 8):
        assert sorted(served._first_ranked(ranks, n).tolist()) == sorted(top_n(values, n).tolist())


def test_dense_ranks_keep_order_and_ties():
    kept = _KeptRows(6)
    row = np.array([0.5, -1.0, 0.5, 2.0, -0.0, 0.0])
    assert kept.ranks(row).tolist() == [1, 3, 1, 0, 2, 2]
    assert kept.ranks(row).dtype == np.uint8


def test_the_least_recently_used_row_goes_first_past_the_limit():
    row_bytes = 10 * 8
    kept = _KeptRows(10, limit=3 * row_bytes)
    for a in range(3):
        kept.put((a, 9.0), np.full(10, float(a)))
    assert kept.get((0, 9.0)) is not None  # asked again: kept as ranks, and the most recent
    kept.put((3, 9.0), np.zeros(10))
    kept.put((4, 9.0), np.zeros(10))
    assert [key[0] for key in kept._rows] == [0, 3, 4]
    assert kept.nbytes == 10 + 2 * row_bytes


def test_a_swap_or_a_community_refresh_starts_empty(pair):
    served, made = pair
    ratings = {_title(1, 0): 10.0, _title(4, 3): 9.0}
    served.recommend(ratings, 10)
    assert len(served._kept_alone) == 2
    refreshed = served.with_model(served.model.with_own_cold())
    assert len(refreshed._kept_alone) == 0 and len(served._kept_alone) == 2
    assert len(ServedModel(served.model, served.catalog, served.franchises)._kept_alone) == 0
    assert _picks(refreshed.recommend(ratings, 10)) == _picks(made.recommend(ratings, 10))


def test_threads_filling_the_rows_at_once_keep_the_rows_one_makes(pair):
    served, made = pair
    members = _members(served)
    want = [_picks(made.recommend(m, 10)) for m in members]
    got: dict[int, list] = {}
    start = threading.Barrier(6)

    def work(t: int) -> None:
        start.wait()
        for j in np.random.default_rng(t).permutation(len(members)).tolist():
            picks = _picks(served.recommend(members[j], 10))
            assert got.setdefault(j, picks) == picks

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [got[j] for j in range(len(members))] == want
    assert set(served._kept_alone._rows) == _kept_keys(members)
    kept = served._kept_alone
    for (a, r), row in kept._rows.items():
        alone = served._alone([a], {a: r})[0]
        assert np.array_equal(row, alone if row.dtype == np.float64 else kept.ranks(alone))


def test_the_warm_up_keeps_the_most_watched_titles_ranked_ahead(pair, monkeypatch):
    served, made = pair
    assert list(served.alone_warm_up(titles=4, ratings=(9.0, -1.0))) == [2, 2, 2, 2]
    assert list(served.alone_warm_up(titles=4, ratings=(9.0, -1.0))) == [0, 0, 0, 0]
    top = served.ids[served._most_watched[:4]].tolist()
    assert set(served._kept_alone._rows) == {(a, r) for a in top for r in (9.0, -1.0)}
    assert {row.dtype for row in served._kept_alone._rows.values()} == {served._kept_alone.dtype}
    ratings = {top[0]: 9.0, top[3]: -1.0}
    want = _picks(made.recommend(ratings, 10))

    def no_row(loves, ratings):
        raise AssertionError(f"a row made for {loves}")

    monkeypatch.setattr(served, "_alone", no_row)  # a newcomer who gave two of them makes none
    assert _picks(served.recommend(ratings, 10)) == want


def test_a_first_asks_rows_made_in_the_members_pass_are_the_rows_made_alone(pair):
    """_with_alone makes the member's products and their liked titles' rows in one pass: each row is, to the
    last bit, the row _alone makes for that title by itself, and the member's products those made alone."""
    served, _ = pair
    ratings = {_title(0, 0): 10.0, _title(3, 1): 8.0, 6100: -1.0}
    loves = list(ratings)
    user = served.model.fold_in(ratings)
    served._kept_alone = _KeptRows(served.n_items)
    products, made = served._with_alone(user, loves, ratings)
    assert set(made) == {(a, float(r)) for a, r in ratings.items()}
    for a in loves:
        assert np.array_equal(made[(a, float(ratings[a]))], served._alone([a], ratings)[0])
    alone = served.model.products([user])[0]
    assert np.array_equal(products.warm_z, alone.warm_z) and np.array_equal(products.cold_z, alone.cold_z)
    served._alone_rows(loves, ratings, made)
    assert set(served._kept_alone._rows) == set(made)  # kept as made
    assert served._with_alone(user, loves, ratings)[1] == {}  # asked again: nothing to make
