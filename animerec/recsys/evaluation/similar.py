"""How good are /similar's neighbours? Figures over held-out members, and the item-kNN reference.

A query is a title from a held-out member's history, drawn either uniformly over the held-out
interactions (``per_interaction``: members with long histories ask more, as they would) or up to
``queries_per_user`` per member; its neighbours (from other franchises only) are judged three ways:
* co-watch precision@n: the share of the n neighbours the same member also has in their history
  (a neighbour missing from a short list counts as a miss: |neighbours & history| / n);
* genre overlap: mean Jaccard similarity of the query's genres and each neighbour's;
* obscure share: the share of neighbours with fewer than ``obscure_members`` catalog members, titles
  a fan would not know and that the data knows too little about to vouch for.

Every method is measured on the same queries (sampled per member with a fixed seed), so figures of
two methods side by side compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from animerec.recsys.algorithms.baselines import TrainIndex, item_cosine
from animerec.recsys.catalog.catalog import Catalog


class FranchiseMap(Protocol):
    """What the figures need of a franchise graph: animerec.recsys.catalog.franchise.Franchises, or a stand-in."""

    def franchise_of(self, anime_id: int) -> int | None: ...

    def franchise_array(self, anime_ids: np.ndarray) -> np.ndarray: ...


NeighboursFn = Callable[[int, int], Sequence[int]]  # (anime_id, n) -> up to n anime ids, other franchises only
OBSCURE_MEMBERS = 5_000


def sample_queries(
    test: pd.DataFrame, known: Collection[int] | None = None, *, queries_per_user: int = 5,
    per_interaction: int | None = None, seed: int = 0,
) -> list[tuple[str, int, frozenset[int]]]:
    """(member, query anime id, the member's whole history) triples, queries drawn without replacement
    from the titles of held-out histories that are in ``known``: ``per_interaction`` of them uniformly
    over all such (member, title) pairs, or else up to ``queries_per_user`` per member."""
    rng = np.random.default_rng(seed)
    known_set = None if known is None else {int(a) for a in known}
    pairs: list[tuple[str, int]] = []
    histories: dict[str, frozenset[int]] = {}
    for user_id, g in test.groupby("user_id", sort=True):
        history = np.unique(g["anime_id"].to_numpy(np.int64))
        pool = history if known_set is None else np.array([a for a in history if int(a) in known_set], np.int64)
        if len(pool) == 0:
            continue
        histories[str(user_id)] = frozenset(int(a) for a in history)
        if per_interaction is None:
            pool = rng.choice(pool, size=min(queries_per_user, len(pool)), replace=False)
        pairs.extend((str(user_id), int(a)) for a in pool)
    if per_interaction is not None and per_interaction < len(pairs):
        pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), size=per_interaction, replace=False))]
    return [(u, a, histories[u]) for u, a in pairs]


def _jaccard(a: frozenset, b: frozenset) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def similar_figures(
    neighbours_fn: NeighboursFn,
    test: pd.DataFrame,
    catalog: Catalog,
    franchises: FranchiseMap,
    *,
    known: Collection[int] | None = None,
    queries_per_user: int = 5,
    per_interaction: int | None = None,
    seed: int = 0,
    n: int = 10,
    obscure_members: int = OBSCURE_MEMBERS,
) -> dict:
    """Co-watch precision@n, genre overlap and obscure share of ``neighbours_fn`` over held-out members.

    ``test``: the held-out members' interactions (user_id, anime_id, ...); ``known``: the titles the
    model knows (queries come only from these; default every title). Returns the three figures
    (means over queries; genre overlap and obscure share over the neighbours returned) plus
    ``cowatch_precision_se`` (standard error over queries), ``queries``, ``users``, ``filled`` (mean
    neighbours returned / n) and ``same_franchise`` (neighbours sharing the query's franchise: 0 for every
    neighbour function that excludes the franchise).
    """
    genres: dict[int, frozenset[str]] = {}
    members: dict[int, int] = {}

    def info(a: int) -> tuple[frozenset[str], int]:
        if a not in genres:
            anime = catalog.get(a) if a in catalog else None
            genres[a] = frozenset(anime.genres) if anime is not None else frozenset()
            members[a] = anime.members if anime is not None else 0
        return genres[a], members[a]

    queries = sample_queries(test, known, queries_per_user=queries_per_user, per_interaction=per_interaction, seed=seed)
    precision, overlaps, obscure = [], [], []
    returned = same_franchise = 0
    for _, query, history in queries:
        found = [int(b) for b in neighbours_fn(query, n)][:n]
        returned += len(found)
        precision.append(sum(b in history for b in found) / n)
        fq = franchises.franchise_of(query)
        qg, _ = info(query)
        for b in found:
            bg, bm = info(b)
            overlaps.append(_jaccard(qg, bg))
            obscure.append(bm < obscure_members)
            same_franchise += fq is not None and franchises.franchise_of(b) == fq
    p = np.asarray(precision, np.float64)
    return {
        "cowatch_precision": float(p.mean()) if len(p) else 0.0,
        "genre_overlap": float(np.mean(overlaps)) if overlaps else 0.0,
        "obscure_share": float(np.mean(obscure)) if obscure else 0.0,
        "cowatch_precision_se": float(p.std(ddof=1) / np.sqrt(len(p))) if len(p) > 1 else 0.0,
        "queries": len(queries),
        "users": len({u for u, _, _ in queries}),
        "filled": returned / (n * len(queries)) if queries else 0.0,
        "same_franchise": int(same_franchise),
    }


# ------------------------------------------------------------------------------ neighbour functions
def _top_other_franchises(
    sims: np.ndarray, i: int, n: int, franchise: np.ndarray, item_ids: np.ndarray, one_per_franchise: bool
) -> list[int]:
    """Best-first anime ids of the n highest finite sims outside item i's franchise."""
    sims = np.where(franchise == franchise[i], -np.inf, sims)
    order = np.argsort(-sims, kind="stable")
    out: list[int] = []
    seen: set[int] = set()
    for j in order:
        if not np.isfinite(sims[j]) or len(out) >= n:
            break
        if one_per_franchise:
            if franchise[j] in seen:
                continue
            seen.add(franchise[j])
        out.append(int(item_ids[j]))
    return out


def cosine_reference(train: pd.DataFrame, franchises: FranchiseMap, *, one_per_franchise: bool = False) -> NeighboursFn:
    """Item-kNN cosine neighbours from training interactions (the item-kNN baseline's similarities,
    animerec.recsys.algorithms.baselines.item_cosine), exact, never-co-watched and same-franchise titles
    excluded (``one_per_franchise``: also at most one title per other franchise)."""
    ix = TrainIndex(train)
    S = item_cosine(ix)

    def similarities(i: int) -> np.ndarray:
        sims = S[i].copy()
        sims[sims <= 0] = -np.inf  # never co-watched: no evidence at all
        return sims

    return _neighbours_fn(similarities, ix.items, franchises, one_per_franchise)


def exact_neighbours(
    vectors: np.ndarray, item_ids: np.ndarray, franchises: FranchiseMap, *, one_per_franchise: bool = False
) -> NeighboursFn:
    """Exact cosine neighbours over embedding rows (the reference an Annoy index approximates),
    same-franchise titles excluded."""
    V = np.asarray(vectors, np.float32)
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    return _neighbours_fn(lambda i: V @ V[i], np.asarray(item_ids, np.int64), franchises, one_per_franchise)


def _neighbours_fn(similarities: Callable[[int], np.ndarray], item_ids: np.ndarray, franchises: FranchiseMap,
                   one_per_franchise: bool) -> NeighboursFn:
    """A NeighboursFn over one exact similarity row per item index."""
    index = {int(a): i for i, a in enumerate(item_ids)}
    franchise = franchises.franchise_array(item_ids)

    def neighbours(anime_id: int, n: int) -> list[int]:
        i = index.get(int(anime_id))
        if i is None:
            return []
        sims = similarities(i)
        sims[i] = -np.inf
        return _top_other_franchises(sims, i, n, franchise, item_ids, one_per_franchise)

    return neighbours
