"""Tuning of ColdConfig on the time split's seeds 1 and 2 (docs/evaluation.md, New titles): trains the
model once (the training side of the split does not depend on the seed), then rebuilds the cold vectors
for each setting and prints the mean NDCG@10 and liked NDCG@10 of the served cold-start path.

    python benchmarks/tune_coldstart.py
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from animerec.recsys.algorithms.coldstart import ColdConfig
from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.evaluation import coldstart as ce
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas

GRID = {"prior_weight": (0.5, 1.0, 1.5, 2.5, 4.0, 7.0, 12.0), "continuation_weight": (0.0, 0.3, 0.5, 1.0),
        "franchise_weight": (0.5, 0.9)}


def main() -> None:
    df, table = load_interactions(), load_catalog_table()
    train, held, cut_ids = ce.time_split(df, table)
    model = Recommender.fit(train, ModelConfig(), content=table)
    seeds = {s: ce.halves(held, cut_ids, s)[0] for s in (1, 2)}
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(GRID, values))
        m = ce.with_cold(model, table, replace(ColdConfig(), **setting))
        with single_threaded_blas():
            figs = [ce.figures(cases, cut_ids, ce.cold_ranker(m, cut_ids)) for cases in seeds.values()]
        ndcg, liked = np.mean([[f["ndcg10"], f["ndcg10_liked"]] for f in figs], axis=0)
        print(setting, f"NDCG@10 {ndcg:.4f}  liked {liked:.4f}", flush=True)


if __name__ == "__main__":
    main()
