"""Training time of the Spark engine (local[2]) beside the default engine, in the same run.

    python benchmarks/bench_spark.py               (bundled data, both engines: about 5 minutes)
    python benchmarks/bench_spark.py --scale 3     (also the 10x synthetic set of bench_scale.py,
                                                    3 ALS iterations per engine: about 25 minutes)

Needs the `spark` extra and Java. Each (data, engine) runs in its own process, so peak memory is
its own (for Spark: the Python driver and the JVM, reported apart). On the bundled data both train
the whole served model (`Recommender.fit` with the default ModelConfig, then Annoy): the stages
after ALS are the same code, so the difference is the ALS stage. On the synthetic set only the
factorization runs, for --scale iterations (rank 128): the seconds per iteration are the figure to
extrapolate from (for Spark they include its fixed costs: reading the input, caching, collecting).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.als import fit_als
from animerec.recsys.algorithms.spark_als import DEFAULT_MASTER, SparkSettings, fit_item_factors, unavailable_reason
from animerec.recsys.data import load_interactions
from animerec.recsys.model import ModelConfig, Recommender, confidence_weight

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import synthetic  # noqa: E402


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_bundled(engine: str, master: str) -> dict:
    df = load_interactions()
    config = ModelConfig()
    spark = SparkSettings(master=master) if engine == "spark" else None
    if spark is None:  # load numba's cached kernels outside the timing, as a warm bot process has them
        fit_als(sp.csr_matrix(np.ones((2, 2), np.float32)), 2, 1, 1.0)
    stages: dict[str, float] = {}
    t = time.perf_counter()
    model = Recommender.fit(df, config, stage_times=stages, spark=spark)
    model.ensure_ann()
    total = time.perf_counter() - t
    return {"interactions": len(df), "iterations": config.iterations, "train_s": total, "als_s": stages["als"],
            "rest_s": total - stages["als"], "als_per_iter_s": stages["als"] / config.iterations,
            "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF), "jvm_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN)}


def run_synthetic(engine: str, master: str, iterations: int) -> dict:
    df = synthetic()
    config = ModelConfig()
    users = df["user_id"].astype("category").cat.codes.to_numpy()
    items = df["anime_id"].astype("category").cat.codes.to_numpy()
    conf = 1.0 + config.alpha * confidence_weight(df["rating"].to_numpy(), config)
    C = sp.csr_matrix((conf, (users, items)), dtype=np.float32)
    del df, users, items, conf
    times: dict[str, float] = {}
    if engine == "spark":
        t = time.perf_counter()
        fit_item_factors(C, config.factors, iterations, config.alpha, SparkSettings(master=master), timings=times)
        als = time.perf_counter() - t
    else:
        fit_als(sp.csr_matrix(np.ones((2, 2), np.float32)), 2, 1, 1.0)
        t = time.perf_counter()
        fit_als(C, config.factors, iterations, config.regularization, cg_steps=config.cg_steps)
        als = time.perf_counter() - t
    fit = times.get("als", als)
    return {"interactions": C.nnz, "iterations": iterations, "als_s": als, "jvm_start_s": times.get("start", 0.0),
            "als_per_iter_s": fit / iterations, "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF),
            "jvm_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN)}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode != 0:
        err = out.stderr if len(out.stderr) < 6000 else out.stderr[:3000] + "\n...\n" + out.stderr[-3000:]
        raise SystemExit(f"{' '.join(args)} failed:\n{err}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(title: str, results: dict[str, dict]) -> None:
    names = list(results)
    print(title)
    print(f"{'':22s}" + "".join(f"{n:>18s}" for n in names) + f"{'spark/default':>15s}")
    for key in results[names[0]]:
        vals = [results[n][key] for n in names]
        ratio = f"{vals[1] / vals[0]:14.1f}x" if vals[0] else f"{'–':>15s}"  # e.g. JVM start: the default has none
        print(f"{key:22s}" + "".join(f"{v:18.2f}" for v in vals) + ratio)
    print()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--master", default=DEFAULT_MASTER)
    p.add_argument("--scale", type=int, default=0, help="also the 10x synthetic set, this many ALS iterations")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        data, engine, *rest = args.child
        result = run_bundled(engine, args.master) if data == "bundled" else \
            run_synthetic(engine, args.master, int(rest[0]))
        print(json.dumps(result))
        return
    reason = unavailable_reason()
    if reason:
        sys.exit(f"the Spark engine cannot run here: {reason}")
    config = ModelConfig()
    print(f"config: factors={config.factors} iterations={config.iterations} alpha={config.alpha}; "
          f"Spark master {args.master}, regParam {SparkSettings().reg_param}\n")
    engines = ("default", f"spark {args.master}")
    bundled = {name: _child("bundled", kind, "--master", args.master) if kind == "spark" else _child("bundled", kind)
               for name, kind in zip(engines, ("default", "spark"))}
    _table("bundled data, whole served model (Recommender.fit + Annoy):", bundled)
    if args.scale:
        scaled = {name: _child("synthetic", kind, str(args.scale), "--master", args.master)
                  for name, kind in zip(engines, ("default", "spark"))}
        _table(f"10x synthetic set (benchmarks/bench_scale.py), ALS only, {args.scale} iterations:", scaled)


if __name__ == "__main__":
    main()
