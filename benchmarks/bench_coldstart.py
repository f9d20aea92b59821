"""Item fold-in speed: a new title folded in from its raters (Recommender.fold_in_title), against the
5 ms budget, beside the member fold-in (Recommender.fold_in) of the same model in the same run.

    python benchmarks/bench_coldstart.py
"""

from __future__ import annotations

import time

import numpy as np

from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas

BUDGET_MS = 5.0


def percentiles(times: list[float]) -> str:
    ms = np.array(times) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms"


def main() -> None:
    df = load_interactions()
    model = Recommender.fit(df, ModelConfig(), content=load_catalog_table())
    assert model.cold is not None
    users = [dict(zip(g["anime_id"].tolist(), g["rating"].tolist())) for _, g in df.groupby("user_id")][:400]
    rng = np.random.default_rng(0)
    with single_threaded_blas():
        t_user, folded = [], []
        for ratings in users:
            t = time.perf_counter()
            folded.append(model.fold_in(ratings))
            t_user.append(time.perf_counter() - t)
        for n_raters in (5, 50, 400):
            times = []
            for a in model.cold.anime_ids[:200].tolist():
                raters = [(folded[i], float(rng.integers(5, 11))) for i in rng.choice(len(folded), n_raters, False)]
                t = time.perf_counter()
                model.fold_in_title(a, raters)
                times.append(time.perf_counter() - t)
            print(f"item fold-in, {n_raters:3d} raters: {percentiles(times)}  (budget {BUDGET_MS} ms)")
    print(f"member fold-in (reference):   {percentiles(t_user)}")


if __name__ == "__main__":
    main()
