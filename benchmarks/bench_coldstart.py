"""Item fold-in speed: a new title folded in from its raters (Recommender.fold_in_title), against the
5 ms budget, beside the member fold-in (Recommender.fold_in) of the same model in the same run, and
beside the uncapped solve (every rater in the solve: what ColdConfig.max_raters saves). Each is timed
by the wall clock and by the thread's CPU time: on a shared machine the wall clock's p99 is mostly the
scheduler's preemption, which the CPU time leaves out, so the machine's load (`uptime`) is printed
before and after.

    python benchmarks/bench_coldstart.py
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace

import numpy as np

from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas

BUDGET_MS = 5.0
TITLES = 300  # item fold-ins timed per rater count


def percentiles(times: list[tuple[float, float]]) -> str:
    wall, cpu = (np.array(t) * 1000 for t in zip(*times))
    return (f"wall p50 {np.percentile(wall, 50):.2f} ms p99 {np.percentile(wall, 99):.2f} ms; "
            f"CPU p50 {np.percentile(cpu, 50):.2f} ms p99 {np.percentile(cpu, 99):.2f} ms")


def timed(call) -> tuple[tuple[float, float], object]:
    """((wall seconds, this thread's CPU seconds), the call's result)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    out = call()
    return (time.perf_counter() - wall, time.thread_time() - cpu), out


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    df = load_interactions()
    model = Recommender.fit(df, ModelConfig(), content=load_catalog_table())
    assert model.cold is not None
    users = [dict(zip(g["anime_id"].tolist(), g["rating"].tolist())) for _, g in df.groupby("user_id")][:400]
    uncapped = replace(model)
    uncapped.cold = replace(model.cold, config=replace(model.cold.config, max_raters=len(users)))
    print(f"before: {uptime()}")
    rng = np.random.default_rng(0)
    with single_threaded_blas():
        t_user, folded = [], []
        for ratings in users:
            t, user = timed(lambda: model.fold_in(ratings))  # noqa: B023
            t_user.append(t)
            folded.append(user)
        for n_raters in (model.cold.config.min_raters, 50, 400):
            for name, m in (("", model), (" (uncapped)", uncapped)):
                if name and n_raters <= model.cold.config.max_raters:
                    continue
                times = []
                for a in m.cold.anime_ids[:TITLES].tolist():
                    raters = [(folded[i], float(rng.integers(5, 11))) for i in rng.choice(len(folded), n_raters, False)]
                    t, done = timed(lambda: m.fold_in_title(a, raters))  # noqa: B023
                    assert done
                    times.append(t)
                print(f"item fold-in, {n_raters:3d} raters{name}: {percentiles(times)}  (budget {BUDGET_MS} ms, "
                      f"max_raters {m.cold.config.max_raters})")
    print(f"member fold-in (reference): {percentiles(t_user)}")
    print(f"after:  {uptime()}")


if __name__ == "__main__":
    main()
