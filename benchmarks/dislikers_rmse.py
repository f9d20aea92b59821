"""The 1-10 predictions for members who give low scores: the p80 protocol's held-out members split by whether
two or more of their given scores are 4 or less ("dislikers"), each group's RMSE on its held-out scores beside
the member's own mean score, and the signed error on the held-out titles they scored 8 or more; the served
rating ridge (ModelConfig.rating_reg, user_bias_reg) beside other penalties.

    nice python benchmarks/dislikers_rmse.py [--seeds 1 2] [--rating-regs 3 1 10 30] [--cache DIR]

Read as a thriller fan who also gave Clannad 3, K-On! 2 and Lucky Star 1, Death Note was predicted 6.2 where the
likes alone put it at 8.7: the ridge on the implicit factors reads the three dislikes as a dislike of what their
2007-2009 watchers watched, Death Note among it. This measures whether members who give low scores are served
worse than the rest, and whether another penalty would serve them better. Members with fewer than three given
scores are left out. The model of each seed is the one benchmarks/little_watched_given.py trains and caches.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from little_watched_given import seeded_models

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation.metrics import LIKED
from animerec.recsys.evaluation.splits import make_cases
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas

LOW = 4  # a given score this low or lower is a dislike
DISLIKES = 2  # a member with this many dislikes given is a "disliker"


def errors(model: Recommender, cases) -> dict[str, dict[str, np.ndarray]]:
    """Per group (dislikers, others): prediction - score over the held-out scores, the member's mean - score,
    and prediction - score over the held-out scores of LIKED or more."""
    out: dict[str, dict[str, list]] = {g: {"model": [], "mean": [], "liked": []} for g in ("dislikers", "others")}
    for case in cases:
        given = dict(zip(case.given_items.tolist(), case.given_ratings.tolist()))
        scores = [r for r in given.values() if r > 0]
        if len(scores) < 3:
            continue
        group = out["dislikers" if sum(r <= LOW for r in scores) >= DISLIKES else "others"]
        scored = case.target_ratings > 0
        idx = np.array([model._index.get(int(a), -1) for a in case.target_items[scored]], np.int64)
        known = idx >= 0
        target = case.target_ratings[scored][known]
        predicted = model.predicted_ratings(model.fold_in(given), idx[known])
        group["model"].append(predicted - target)
        group["mean"].append(np.mean(scores) - target)
        group["liked"].append((predicted - target)[target >= LIKED])
    return {g: {k: np.concatenate(v) for k, v in parts.items()} for g, parts in out.items()}


def rmse(e: np.ndarray) -> float:
    return float(np.sqrt(np.mean(e ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rating-regs", type=float, nargs="+", default=[ModelConfig().rating_reg, 1.0, 10.0, 30.0],
                        help="ModelConfig.rating_reg values; the first is the served one")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/little-watched-given"))
    args = parser.parse_args()
    catalog = Catalog.load()
    print("seed | rating_reg | group | held-out scores | RMSE | the member's mean | scored 8+: mean error, RMSE")
    for seed, test, model in seeded_models(args.seeds, args.cache, catalog):
        cases = make_cases(test, "p80", seed + 1)
        for reg in args.rating_regs:
            with single_threaded_blas():
                found = errors(replace(model, config=replace(model.config, rating_reg=reg)), cases)
            for group, e in found.items():
                print(f"{seed} | {reg:g} | {group} | {len(e['model'])} | {rmse(e['model']):.4f} | {rmse(e['mean']):.4f} | "
                      f"{e['liked'].mean():+.3f}, {rmse(e['liked']):.3f}", flush=True)


if __name__ == "__main__":
    main()
