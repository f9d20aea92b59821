"""How personal the served new-title lists are, by the popularity prior's weight, on the time split's tuning
seeds (1 and 2): NDCG@10 and liked NDCG@10 (the bar's figures), the share of a member's top 10 that is also
popularity's top 10, and how alike two members' top 10s are (mean Jaccard over the pairs of 300 members).
The other ColdConfig constants as chosen (benchmarks/tune_coldstart.py); docs/evaluation.md quotes the run.

    python benchmarks/coldstart_personal.py [--weights 0,2,4,6,8,12]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import numpy as np

from animerec.recsys.algorithms.coldstart import ColdConfig, catalog_franchises
from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.evaluation import coldstart as ce
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas, top_n

SEEDS = (1, 2)
PAIRED = 300  # members whose top 10s are compared pairwise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="0,2,4,6,8,12")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    df, table = load_interactions(), load_catalog_table()
    train, held, cut_ids = ce.time_split(df, table)
    model = Recommender.fit(train, ModelConfig(), content=table, franchises=catalog_franchises(table))
    split = {s: ce.halves(held, cut_ids, s)[0] for s in SEEDS}
    popularity = ce.popularity_ranker(table, cut_ids)
    print("prior_weight  seed  NDCG@10  liked  in popularity's top 10  pairwise Jaccard")
    with single_threaded_blas():
        folded = {s: ce.fold_cases(model, cases) for s, cases in split.items()}
        for weight in weights:
            served = ce.with_scoring(model, replace(ColdConfig(), prior_weight=weight))
            for s, cases in split.items():
                ranker = ce.cold_ranker(served, cut_ids, folded[s])
                figures = ce.figures(cases, cut_ids, ranker)
                picked = np.random.default_rng(0).choice(len(cases), size=min(PAIRED, len(cases)), replace=False)
                tops = [set(top_n(np.asarray(ranker(cases[i]), np.float64), 10).tolist()) for i in picked]
                jaccard = np.mean([len(a & b) / len(a | b) for a, b in itertools.combinations(tops, 2)])
                print(f"{weight:12.1f}  {s:4d}  {figures['ndcg10']:.4f}  {figures['ndcg10_liked']:.4f}  "
                      f"{ce.overlap10(cases, ranker, popularity):22.3f}  {jaccard:16.3f}", flush=True)


if __name__ == "__main__":
    main()
