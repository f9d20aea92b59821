"""Serving latency and Annoy recall on the bundled data, each beside a reference in the same run.

    python benchmarks/bench_serve.py [--models DIR]   (default: trains a model in a temp dir)

* /recommend path: what the bot runs (animerec.recsys.serving.served.ServedModel.recommend: fold-in, score, filter, fan
  rules, reasons) and the plain ranking under it (Recommender.recommend), for held-out-like members of
  5..300 titles with a genre/type mask on two thirds of them; reference: implicit's
  recommend(..., recalculate_user=True) at the same rank, on the same members (if installed).
* /similar path: what the bot runs (ServedModel.similar: 100 Annoy candidates re-ranked with the support
  prior and the franchise graph), Annoy's own top 10, and exact cosine over all /similar embeddings;
  recall@20 of Annoy against the exact top 20 over every item.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_model
from animerec.recsys.model import Recommender, single_threaded_blas
from animerec.recsys.serving.served import ServedModel


def percentiles(samples_s: list[float]) -> str:
    ms = np.array(samples_s) * 1000
    return f"{np.percentile(ms, 50):8.3f} {np.percentile(ms, 99):8.3f} {ms.max():8.3f}"


def member_lists(n: int, seed: int = 0) -> list[dict[int, float]]:
    df = load_interactions()
    rng = np.random.default_rng(seed)
    users = rng.choice(df["user_id"].unique(), n, replace=False)
    out = []
    for _, g in df[df["user_id"].isin(users)].groupby("user_id"):
        g = g.sample(min(len(g), int(rng.integers(5, 300))), random_state=int(rng.integers(1 << 31)))
        out.append(dict(zip(g["anime_id"].tolist(), g["rating"].tolist())))
    return out


def implicit_reference(model: Recommender, members: list[dict[int, float]]) -> None:
    try:
        from implicit.cpu.als import AlternatingLeastSquares
    except ImportError:
        print("(implicit not installed: pip install -e '.[bench]' for the reference line)")
        return
    import scipy.sparse as sp
    from threadpoolctl import threadpool_limits

    ref = AlternatingLeastSquares(factors=model.config.factors, iterations=1, random_state=0)
    ref.item_factors = model.item_factors.copy()
    ref.user_factors = np.zeros((1, model.config.factors), np.float32)
    rows = []
    for m in members:
        idx = [model.index_of(a) for a in m if model.index_of(a) is not None]
        rows.append(sp.csr_matrix((np.ones(len(idx), np.float32), ([0] * len(idx), idx)), shape=(1, model.n_items)))
    times = []
    with threadpool_limits(1, "blas"):
        for row in rows:
            t = time.perf_counter()
            ref.recommend(0, row, N=10, recalculate_user=True, filter_already_liked_items=True)
            times.append(time.perf_counter() - t)
    print(f"{'implicit recommend(recalculate_user=True)':44s}{percentiles(times)}   (reference: ALS alone)")


def bench(model: Recommender, catalog: Catalog) -> None:
    single_threaded_blas()  # as every serving process does
    members = member_lists(500)
    masks = [None, catalog.filter_mask(model.item_ids, catalog.filters("Comedy")),
             catalog.filter_mask(model.item_ids, catalog.filters(type="Movie"), allow_adult=False)]
    served = ServedModel(model, catalog)
    for m in members[:20]:
        served.recommend(m, 10)  # warm caches
    served_times, rec_times, fold_times = [], [], []
    for j, m in enumerate(members):
        t = time.perf_counter()
        served.recommend(m, 10, allowed=masks[j % 3])
        served_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.recommend(m, 10, allowed=masks[j % 3])
        rec_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.fold_in(m)
        fold_times.append(time.perf_counter() - t)
    print(f"{'':44s}{'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    print(f"{'/recommend as served (fan rules, reasons)':44s}{percentiles(served_times)}   (target p99 < 2 ms)")
    print(f"{'  plain ranking: fold-in+score+filter+top10':44s}{percentiles(rec_times)}")
    print(f"{'  of which fold-in (ridge solves)':44s}{percentiles(fold_times)}")
    implicit_reference(model, members)

    ann = model.ensure_ann()
    rng = np.random.default_rng(1)
    queries = rng.choice(model.n_items, 2000, replace=False)
    served_t, ann_t, exact_t = [], [], []
    for i in queries:
        t = time.perf_counter()
        served.similar(int(model.item_ids[i]), 10)
        served_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        ann.similar(int(i), 10)
        ann_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.similar_exact(int(i), 10)
        exact_t.append(time.perf_counter() - t)
    print(f"{'/similar as served (Annoy 100 + rerank)':44s}{percentiles(served_t)}   (target p99 < 0.5 ms)")
    print(f"{'  Annoy top 10 alone':44s}{percentiles(ann_t)}")
    print(f"{'similar_items, exact cosine (reference)':44s}{percentiles(exact_t)}")

    hits = 0
    for i in range(model.n_items):
        exact = {a for a, _ in model.similar_exact(i, 20)}
        approx = {a for a, _ in ann.similar(i, 20)}
        hits += len(exact & approx)
    cfg = model.config
    print(f"Annoy recall@20 vs exact over all {model.n_items} items: {hits / (20 * model.n_items):.4f} "
          f"(trees={cfg.ann_trees}, search_k={cfg.ann_search_k}; target >= 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, help="a published models root; default: train one now")
    args = parser.parse_args()
    catalog = Catalog.load()
    if args.models:
        bench(artifacts.load_current(args.models), catalog)
        return
    with tempfile.TemporaryDirectory() as tmp:
        artifacts.publish(train_model(), Path(tmp))
        bench(artifacts.load_current(Path(tmp)), catalog)


if __name__ == "__main__":
    main()
