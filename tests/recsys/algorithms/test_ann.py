"""AnnIndex's kept answers: the same as asking Annoy live, for any n, over an index with planted ties."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from recsys.conftest import CountingAnnoy

from animerec.recsys.algorithms.ann import AnnIndex

KEPT = 12


def clustered(n_clusters: int = 12, per_cluster: int = 20, dim: int = 8, seed: int = 0) -> np.ndarray:
    """Tight clusters around random directions, and in each cluster four copies of one vector: Annoy's
    answers then hold exact ties in distance, broken by item index."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim))
    V = np.repeat(centres, per_cluster, axis=0) + 0.2 * rng.standard_normal((n_clusters * per_cluster, dim))
    for c in range(n_clusters):
        V[c * per_cluster + 1: c * per_cluster + 5] = V[c * per_cluster + 1]
    return V.astype(np.float32)


@pytest.fixture(scope="module", params=["every item", "a subset"])
def indexes(request) -> tuple[AnnIndex, AnnIndex, np.ndarray]:
    """(an index keeping KEPT answers, the same Annoy index asked live, the item indices it answers for);
    a small search_k, so the answers are approximate and a longer one is not merely the exact order."""
    V = clustered()
    rows = None if request.param == "every item" else np.flatnonzero(np.arange(len(V)) % 3 != 1)
    built = AnnIndex.build(V, np.arange(5000, 5000 + len(V)), n_trees=3, search_k=60, seed=1, rows=rows)
    kept = AnnIndex(CountingAnnoy(built.index), built.item_ids, built.search_k, rows, kept=KEPT)
    return kept, built.live(), np.arange(len(V)) if rows is None else rows


def test_kept_answers_are_what_annoy_answers_live_for_any_n(indexes):
    kept, live, items = indexes
    assert kept.keep(items.tolist()) == len(items)
    asked = kept.index.queries
    for i in items.tolist():
        for n in (1, 3, KEPT - 1, KEPT):
            assert kept.neighbours(i, n) == live.neighbours(i, n), (i, n)
    assert kept.index.queries == asked  # every answer above was a kept one
    ties = 0
    for i in items.tolist():
        found = live.neighbours(i, KEPT)
        ties += sum(a[1] == b[1] for a, b in zip(found, found[1:]))
    assert ties > 0  # the answers compared hold ties


def test_past_the_kept_answers_annoy_is_asked_live(indexes):
    kept, live, items = indexes
    i = int(items[7])
    asked = kept.index.queries
    assert kept.neighbours(i, 3 * KEPT) == live.neighbours(i, 3 * KEPT)
    assert len(kept.neighbours(i, 3 * KEPT)) > KEPT
    assert kept.index.queries == asked + 2
    allowed = np.zeros(len(kept.item_ids), bool)
    allowed[items[::4]] = True  # a filter that rejects most answers widens the search past the kept ones
    assert kept.similar(i, 5, allowed) == live.similar(i, 5, allowed)


def test_keep_asks_for_each_item_once():
    V = clustered(n_clusters=3)
    built = AnnIndex.build(V, np.arange(len(V)), n_trees=3, search_k=60)
    index = AnnIndex(CountingAnnoy(built.index), built.item_ids, built.search_k, kept=KEPT)
    assert index.kept_bytes == len(V) * ((KEPT + 1) * 8 + 4)  # (position, distance) per answer, a count per row
    assert index.keep([0, 1]) == 2
    assert index.keep([0, 1, 2, 3]) == 2  # 0 and 1 were kept already
    assert index.keep(range(4)) == 0
    assert index.index.queries == 4
    index.neighbours(2, 4)  # kept: no query
    index.neighbours(9, 4)  # not kept yet: asked, and kept
    assert index.index.queries == 5 and index.keep([9]) == 0


def test_an_index_keeping_nothing_asks_annoy_every_time():
    V = clustered(n_clusters=2)
    built = AnnIndex.build(V, np.arange(len(V)), n_trees=3, search_k=60)
    live = AnnIndex(CountingAnnoy(built.index), built.item_ids, built.search_k, kept=0)
    assert live.keep(range(len(V))) == 0
    live.neighbours(0, 3)
    live.neighbours(0, 3)
    assert live.index.queries == 2 and live.kept_bytes == len(V) * 4


def test_threads_keeping_answers_side_by_side_read_what_annoy_answers():
    """Requests run in threads: several asking for titles not kept yet, in different orders, each read
    Annoy's answer, and every title ends up kept."""
    V = clustered()
    built = AnnIndex.build(V, np.arange(len(V)), n_trees=3, search_k=60)
    index = AnnIndex(CountingAnnoy(built.index), built.item_ids, built.search_k, kept=KEPT)
    live = built.live()
    expected = {i: live.neighbours(i, KEPT) for i in range(len(V))}
    orders = [np.random.default_rng(seed).permutation(len(V)).tolist() for seed in range(4)]

    def ask(order):
        return [(i, index.neighbours(i, KEPT)) for i in order for _ in range(3)]

    with ThreadPoolExecutor(4) as pool:
        answers = [pair for found in pool.map(ask, orders) for pair in found]
    assert len(answers) == 4 * 3 * len(V)
    assert all(found == expected[i] for i, found in answers)
    assert len(V) <= index.index.queries <= 4 * len(V)  # two threads may ask for one title at once
    assert index.keep(range(len(V))) == 0
