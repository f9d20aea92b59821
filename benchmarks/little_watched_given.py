"""A newcomer whose liked titles had few watchers in the training sample (a 2016 film fans rate today, three
watchers in the 2016 data): the served list of held-out members given one liked title alone, in each band of
training watchers (BANDS), or one of fewer than FEW with one liked title of more, or two liked titles of any;
beside the same lists with every given title trusted as fully as any (ModelConfig.given_support_half 0), or the
neighbour sums' co-occurrence counts weighed otherwise (ModelConfig.cold_cooccurrence_weight), or a short list's
coverage order (ServedModel._covering) taking each liked title's candidates in another order, on the tuning seeds.

    nice python benchmarks/little_watched_given.py [--seeds 1 2] [--halves 0 20 60 150] [--protocols cold5 p80]
                                                   [--cooccurrence-weights 1 0.5 0] [--cache DIR]
                                                   [--coverage-queues served own-rank round-robin]

The targets are each member's other titles, at the level of works (work NDCG@10, and its liked version:
targets they rated 8 or more); each figure is a mean over members with its standard error, and each setting's
difference from the first one, paired per member, with its standard error; and, for reference, the list of a
member who gave nothing (the most watched titles, the given ones left out). ``--protocols``: the evaluation's
protocols too (splits.make_cases, as evaluate draws them), through the same served lists: what the change costs
the members whose given titles are not little watched.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation.metrics import LIKED, work_ndcg_at
from animerec.recsys.evaluation.splits import PROTOCOLS, TEST_FRACTION, Case, make_cases, split_users
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving.served import ServedModel

FEW = 20  # training watchers: "little watched" below this
BANDS = ((1, FEW), (FEW, 100), (100, None))  # training watchers of the title given alone: [lo, hi)
K = 10


def seeded_models(seeds: list[int], cache: Path, catalog: Catalog) -> Iterator[tuple[int, pd.DataFrame, Recommender]]:
    """For each seed: the held-out members' interactions (splits.split_users) and the model trained without
    them, kept in ``cache`` as a pickle (of the code that made it: clear the cache after changing the model)."""
    cache.mkdir(parents=True, exist_ok=True)
    df = load_interactions()
    for seed in seeds:
        train, test = split_users(df, TEST_FRACTION, seed)
        path = cache / f"model-seed{seed}.pkl"
        if path.exists():
            model = pickle.loads(path.read_bytes())
        else:
            model = Recommender.fit(train, ModelConfig(), catalog=catalog)
            path.write_bytes(pickle.dumps(model))
        yield seed, test, model


def cases_of(test, model: Recommender, seed: int) -> dict[str, list[Case]]:
    """Per held-out member, one of their liked titles at random in each band of training watchers (BANDS) they
    have one in, given alone; and one of fewer than FEW beside one of their liked titles of FEW or more ("with one
    more")."""
    rng = np.random.default_rng(seed)
    support = {int(a): int(p) for a, p in zip(model.item_ids, model.item_popularity)}
    out: dict[str, list[Case]] = {f"alone, {lo} to {hi - 1} watchers" if hi else f"alone, {lo} watchers or more": []
                                  for lo, hi in BANDS}
    out["with one more"] = []
    out["two liked"] = []
    names = list(out)
    for user_id, g in test.groupby("user_id", sort=True):
        items, ratings = g["anime_id"].to_numpy(), g["rating"].to_numpy(np.float32)
        watchers = np.array([support.get(int(a), 0) for a in items])
        liked = ratings >= LIKED
        for name, (lo, hi) in zip(names, BANDS):
            band = np.flatnonzero(liked & (watchers >= lo) & (watchers < (hi or np.inf)))
            if len(band):
                out[name].append(_case(user_id, items, ratings, [int(rng.choice(band))]))
        few = np.flatnonzero(liked & (watchers > 0) & (watchers < FEW))
        more = np.flatnonzero(liked & (watchers >= FEW))
        if len(few) and len(more):
            out["with one more"].append(_case(user_id, items, ratings, [int(rng.choice(few)), int(rng.choice(more))]))
        if np.count_nonzero(liked) >= 3:  # a liked title left to find
            out["two liked"].append(_case(user_id, items, ratings,
                                          rng.choice(np.flatnonzero(liked), 2, replace=False).tolist()))
    return out


def _case(user_id, items: np.ndarray, ratings: np.ndarray, given: list[int]) -> Case:
    rest = np.setdiff1d(np.arange(len(items)), given)
    return Case(str(user_id), items[given], ratings[given], items[rest], ratings[rest])


def scores(served: ServedModel, cases: list[Case], *, ignored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per case: work NDCG@K of the served list over every target, and over the liked ones (nan: none).
    ``ignored``: the list of a member who gave nothing (the most watched titles), the given ones left out."""
    trained = np.arange(served.n_items) < served.n_trained

    def work(anime_id: int) -> int:
        return served.franchises.work_of(anime_id) or anime_id

    every, liked = [], []
    for case in cases:
        given = dict(zip(case.given_items.tolist(), case.given_ratings.tolist()))
        picks = served.recommend({}, K, allowed=trained, exclude=given) if ignored else \
            served.recommend(given, K, allowed=trained)
        ranked = np.array([p.anime_id for p in picks.picks], np.int64)
        every.append(work_ndcg_at(ranked, case.target_items, work, K))
        liked.append(work_ndcg_at(ranked, case.target_items[case.target_ratings >= LIKED], work, K))
    return np.array(every), np.array(liked)


def covering_by_own_rank(round_robin: bool):
    """A ServedModel._covering whose queue of each liked title runs in that title's own ranking (its ranking
    alone) rather than by the member's score: the choice between heads is the served one (the best head's
    score less its title's picks), or ``round_robin`` (each title in turn, the best head first in each round).
    A yielded score is never above the one before it, as the served order keeps them."""

    def covering(self: ServedModel, scores: np.ndarray, ratings, loves, user, predicted, weight: float,
                 made=None) -> Iterator[int]:
        order, ranks = self._coverage_candidates(scores, ratings, loves, user, predicted, made)
        owner = np.argmin(ranks, axis=0)
        queues = []
        for k in range(len(loves)):
            mine = np.flatnonzero(owner == k)
            queues.append(order[mine[np.argsort(ranks[k][mine], kind="stable")]].tolist())
        heads, last = [0] * len(loves), np.inf
        while live := [k for k in range(len(loves)) if heads[k] < len(queues[k])]:
            if round_robin:
                k = min(live, key=lambda k: (heads[k], -scores[queues[k][heads[k]]]))
            else:
                k = max(live, key=lambda k: scores[queues[k][heads[k]]] - weight * heads[k])
            i = queues[k][heads[k]]
            last = scores[i] = min(last, scores[i] - weight * heads[k])
            heads[k] += 1
            yield i

    return covering


COVERAGE_QUEUES = {"served": ServedModel._covering, "own-rank": covering_by_own_rank(False),
                   "round-robin": covering_by_own_rank(True)}


def cell(values: np.ndarray) -> str:
    v = values[~np.isnan(values)]
    return f"{v.mean():.4f} ± {v.std(ddof=1) / np.sqrt(len(v)):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--halves", type=float, nargs="+", default=[0.0, 20.0, 60.0, 150.0],
                        help="given_support_half values; the first is the one the others are compared with")
    parser.add_argument("--protocols", nargs="*", default=[], choices=PROTOCOLS)
    parser.add_argument("--cooccurrence-weights", type=float, nargs="+",
                        default=[ModelConfig().cold_cooccurrence_weight],
                        help="cold_cooccurrence_weight values, each with every half")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/little-watched-given"))
    parser.add_argument("--coverage-queues", nargs="+", default=["served"], choices=list(COVERAGE_QUEUES),
                        help="the coverage order's queues, each with every other setting")
    args = parser.parse_args()
    catalog = Catalog.load()
    print(f"given_support_half, cold_cooccurrence_weight, coverage queues | seed | case | members | work NDCG@{K} | "
          "liked | difference | liked difference")
    for seed, test, model in seeded_models(args.seeds, args.cache, catalog):
        served = ServedModel(model, catalog)
        every_case = cases_of(test, model, seed + 1)
        every_case.update({protocol: make_cases(test, protocol, seed + 1) for protocol in args.protocols})
        for name, cases in every_case.items():
            first = None
            for half, weight, queues in itertools.product(args.halves, args.cooccurrence_weights,
                                                          args.coverage_queues):
                variant = replace(model, config=replace(model.config, given_support_half=half,
                                                        cold_cooccurrence_weight=weight))
                ServedModel._covering = COVERAGE_QUEUES[queues]  # type: ignore[method-assign]
                try:
                    with single_threaded_blas():
                        every, liked = scores(served.with_model(variant), cases)
                finally:
                    ServedModel._covering = COVERAGE_QUEUES["served"]  # type: ignore[method-assign]
                if first is None:
                    first = every, liked
                    diffs = "", ""
                else:
                    diffs = cell(every - first[0]), cell(liked - first[1])
                print(f"{half:g}, {weight:g}, {queues} | {seed} | {name} | {len(cases)} | {cell(every)} | {cell(liked)} | "
                      f"{diffs[0]} | {diffs[1]}", flush=True)
            with single_threaded_blas():
                every, liked = scores(served, cases, ignored=True)
            print(f"(the given titles ignored: the most watched) | {seed} | {name} | {len(cases)} | {cell(every)} | "
                  f"{cell(liked)} | | ", flush=True)


if __name__ == "__main__":
    main()
