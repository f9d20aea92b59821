import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from animerec.recsys.algorithms.embeddings import genre_matrix, rerank, similar_embeddings
from animerec.recsys.evaluation.similar import cosine_reference, exact_neighbours, sample_queries, similar_figures


def planted(n_users: int = 200, block_items: int = 12, density: float = 0.5, seed: int = 0) -> sp.csr_matrix:
    """Two blocks of titles watched by disjoint halves of the users, plus a last title (the rare one)
    watched by two users of block 0 only."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n_users, 2 * block_items + 1), np.float32)
    for u in range(n_users):
        g = u % 2
        block = slice(g * block_items, (g + 1) * block_items)
        X[u, block] = (rng.random(block_items) < density) * rng.uniform(1.0, 4.0, block_items)
    X[[0, 2], -1] = 1.0
    return sp.csr_matrix(X)


def neighbours(E: np.ndarray, i: int, n: int) -> np.ndarray:
    V = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    sims = V @ V[i]
    sims[i] = -np.inf
    return np.argsort(-sims, kind="stable")[:n]


def test_blocks_are_neighbours():
    X = planted()
    E = similar_embeddings(X, dim=4, support_shrink=0.0)
    assert E.dtype == np.float32 and E.shape == (X.shape[1], 4)
    for i in range(24):
        block = set(range(0, 12)) if i < 12 else set(range(12, 24))
        assert set(neighbours(E, i, 5).tolist()) <= block


def test_deterministic():
    X = planted()
    np.testing.assert_array_equal(similar_embeddings(X, dim=4, seed=3), similar_embeddings(X, dim=4, seed=3))


def test_rare_title_is_not_a_neighbour_of_popular_ones_when_support_aware():
    X = planted()
    rare = X.shape[1] - 1
    popularity = np.diff(X.tocsc().indptr)
    franchise = np.arange(X.shape[1])
    E = similar_embeddings(X, popularity, dim=4)
    V = E / np.linalg.norm(E, axis=1, keepdims=True)
    # Its two co-watches place the rare title on block 0's side by angle alone ...
    assert (V[:12] @ V[rare]).mean() > 0.1 > (V[12:24] @ V[rare]).mean()
    for i in range(12):
        cands = [(int(j), float(V[i] @ V[j])) for j in neighbours(E, i, X.shape[1] - 1)]
        top = [j for j, _ in rerank(i, cands, popularity, franchise, 5)]  # ... the support prior keeps it out
        assert rare not in top and set(top) <= set(range(12))
    # The optional shrink shortens a low-support title's collaborative vector.
    S = similar_embeddings(X, popularity, dim=4, support_shrink=10.0)
    assert np.linalg.norm(S[rare]) < 0.3 * np.linalg.norm(S[0])


def test_genres_pull_a_low_support_title_toward_its_genre():
    X = planted()
    genres = np.zeros((X.shape[1], 2), np.float32)
    genres[:12, 0] = 1.0
    genres[12:, 1] = 1.0
    genres[-1, 1] = 1.0  # the rare title (watched in block 0) is a block-1 kind of show
    E = similar_embeddings(X, dim=4, item_genres=genres, genre_weight=0.5, support_shrink=10.0)
    assert E.shape == (X.shape[1], 6)
    assert set(neighbours(E, X.shape[1] - 1, 5).tolist()) <= set(range(12, 24))


def test_rerank_drops_franchise_filters_and_prefers_support():
    popularity = np.array([100, 100, 5, 1000, 100, 100])
    franchise = np.array([0, 0, 2, 3, 4, 4])
    cands = [(0, 1.0), (1, 0.9), (2, 0.9), (3, 0.5), (4, 0.45), (5, 0.44)]
    out = rerank(0, cands, popularity, franchise, 10, support_k=100.0)
    assert [j for j, _ in out] == [3, 4, 5, 2]  # 0 is the query, 1 its franchise; 2 has little support
    assert out[0][1] == pytest.approx(0.5 * 1000 / 1100)
    one = rerank(0, cands, popularity, franchise, 10, support_k=100.0, one_per_franchise=True)
    assert [j for j, _ in one] == [3, 4, 2]
    allowed = np.array([True, True, True, False, True, True])
    assert [j for j, _ in rerank(0, cands, popularity, franchise, 2, allowed=allowed)] == [4, 5]


class _Anime:
    def __init__(self, anime_id, genres, members):
        self.anime_id, self.genres, self.members = anime_id, genres, members


class _Catalog:
    def __init__(self, animes):
        self._by_id = {a.anime_id: a for a in animes}

    def __iter__(self):
        return iter(self._by_id.values())

    def __contains__(self, anime_id):
        return anime_id in self._by_id

    def get(self, anime_id):
        return self._by_id[anime_id]


class _Franchises:
    def __init__(self, franchise):
        self._f = franchise

    def franchise_of(self, anime_id):
        return self._f.get(anime_id, anime_id)

    def franchise_array(self, ids):
        return np.array([self._f.get(int(a), int(a)) for a in ids], np.int64)


def test_similar_figures_known_case():
    catalog = _Catalog([
        _Anime(1, ("Action", "Drama"), 100_000),
        _Anime(2, ("Action",), 100_000),
        _Anime(3, ("Comedy",), 1_000),
        _Anime(4, ("Action", "Drama"), 50_000),
    ])
    franchises = _Franchises({})
    test = pd.DataFrame({"user_id": ["a", "a", "a"], "anime_id": [1, 2, 3], "rating": [8.0, -1.0, 7.0]})
    table = {1: [2, 3, 4], 2: [4], 3: []}
    figs = similar_figures(lambda a, n: table[a][:n], test, catalog, franchises, known={1, 2, 3},
                           queries_per_user=5, n=10)
    assert figs["queries"] == 3 and figs["users"] == 1 and figs["same_franchise"] == 0
    # query 1: 2 and 3 are in the history -> 2/10; query 2: 4 is not -> 0; query 3: nothing -> 0.
    assert figs["cowatch_precision"] == pytest.approx((0.2 + 0.0 + 0.0) / 3)
    # Jaccard: (1,2) 1/2, (1,3) 0, (1,4) 1, (2,4) 1/2.
    assert figs["genre_overlap"] == pytest.approx((0.5 + 0.0 + 1.0 + 0.5) / 4)
    assert figs["obscure_share"] == pytest.approx(1 / 4)
    assert figs["filled"] == pytest.approx(4 / 30)
    # One query per member, drawn with the seed: same seed, same figures.
    one = similar_figures(lambda a, n: table[a][:n], test, catalog, franchises, known={1, 2, 3},
                          queries_per_user=1, seed=7)
    assert one == similar_figures(lambda a, n: table[a][:n], test, catalog, franchises, known={1, 2, 3},
                                  queries_per_user=1, seed=7)
    assert one["queries"] == 1


def test_queries_per_interaction_follow_the_interactions_not_the_members():
    # a watched 3 titles, b one: every interaction is a query once, so a asks 3 of the 4 queries.
    test = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"], "anime_id": [1, 2, 3, 1, 9], "rating": [8.0] * 5})
    every = sample_queries(test, known={1, 2, 3}, per_interaction=100)
    assert sorted((u, a) for u, a, _ in every) == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    assert all(h == ({1, 2, 3} if u == "a" else {1, 9}) for u, _, h in every)  # the history keeps unknown titles
    two = sample_queries(test, known={1, 2, 3}, per_interaction=2, seed=3)
    assert len(two) == 2 and len(set(two)) == 2 and set(two) <= set(every)
    assert two == sample_queries(test, known={1, 2, 3}, per_interaction=2, seed=3)
    per_member = sample_queries(test, known={1, 2, 3}, queries_per_user=1, seed=3)
    assert sorted(u for u, _, _ in per_member) == ["a", "b"]


def test_reference_neighbour_functions_exclude_the_franchise():
    train = pd.DataFrame({
        "user_id": ["a", "a", "a", "b", "b", "b", "c", "c"],
        "anime_id": [1, 2, 3, 1, 2, 3, 3, 4],
        "rating": [8.0] * 8,
    })
    franchises = _Franchises({1: 1, 2: 1})  # 1 and 2 are one work
    cos = cosine_reference(train, franchises)
    assert cos(1, 10) == [3]  # 2 shares the franchise, 4 was never co-watched with 1
    assert cos(3, 10)[0] in (1, 2)
    E = np.array([[1.0, 0.0], [1.0, 0.1], [0.9, 0.3], [0.0, 1.0]], np.float32)
    assert exact_neighbours(E, np.array([1, 2, 3, 4]), franchises)(1, 2) == [3, 4]
    assert genre_matrix([1, 4, 9], _Catalog([_Anime(1, ("A", "B"), 1), _Anime(4, ("B",), 1)]))[0].tolist() == [
        [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
