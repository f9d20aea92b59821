"""Growth with data size: the bundled data vs synthetic data about 10x wider and deeper.

    python benchmarks/bench_scale.py            (about 5 minutes on 2 cores)

Each size runs in its own process so its peak memory (max RSS) is its own. Synthetic data: ~50k
users, 70k titles, ~5M interactions with power-law popularity and activity and 50 taste clusters
(so the factorization has structure to find), 20% "watched, no score".
The cold-start path is on at both sizes: the bundled data trains with the catalog (15k titles, those
without interactions get cold-start vectors); the synthetic one with a synthetic catalog of its 70k
titles plus 7,000 without interactions (genres from their cluster, 30% a new season of a trained
title), served as the bot serves them (ServedModel over every title).
Printed side by side: training time split by stage, peak memory, model size on disk, and the
/recommend and /similar latencies (p50/p99) on each, for 300 members with their whole histories: the
plain ranking, and as served (fan rules, reasons, every title).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving.served import ServedModel, catalog_links

GENRES = ("Action", "Adventure", "Comedy", "Drama", "Fantasy", "Horror", "Mystery", "Romance", "Sci-Fi",
          "Slice of Life", "Sports", "Supernatural", "Suspense", "Mecha", "Music", "School", "Psychological")
N_COLD = 7_000


def synthetic(n_users=50_000, n_items=70_000, target=5_000_000, clusters=50, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    item_cluster = rng.integers(0, clusters, n_items)
    item_pop = rng.pareto(1.2, n_items) + 1.0
    activity = rng.lognormal(mean=0.0, sigma=1.0, size=n_users)
    # Drawing with replacement repeats ~25% of pairs, which are dropped below: aim above the target.
    per_user = np.maximum(3, (activity / activity.sum() * target * 1.38).astype(int))
    per_user = np.minimum(per_user, n_items // 4)
    users = np.repeat(np.arange(n_users), per_user)
    user_cluster = rng.integers(0, clusters, n_users)
    # 70% of a user's titles from their own cluster, the rest from the whole catalog, both by popularity.
    own = rng.random(len(users)) < 0.7
    by_cluster = [np.flatnonzero(item_cluster == c) for c in range(clusters)]
    cdf_all = np.cumsum(item_pop) / item_pop.sum()
    items = np.searchsorted(cdf_all, rng.random(len(users)))
    for c in range(clusters):
        rows = np.flatnonzero(own & (user_cluster[users] == c))
        members = by_cluster[c]
        cdf = np.cumsum(item_pop[members]) / item_pop[members].sum()
        items[rows] = members[np.searchsorted(cdf, rng.random(len(rows)))]
    df = pd.DataFrame({"user_id": users, "anime_id": np.minimum(items, n_items - 1)}).drop_duplicates()
    ratings = np.clip(np.round(rng.normal(7.8, 1.6, len(df))), 1, 10).astype(np.float32)
    ratings[rng.random(len(df)) < 0.2] = -1.0
    return pd.DataFrame({"user_id": df["user_id"].astype(str).to_numpy(), "anime_id": df["anime_id"].to_numpy() + 1,
                         "rating": ratings})


def synthetic_catalog(n_items=70_000, clusters=50, seed=0) -> tuple[pd.DataFrame, Catalog, Franchises]:
    """The synthetic titles (ids 1..n_items, clusters as synthetic() draws them) plus N_COLD without
    interactions: a catalog table for the cold-start path, the Catalog and a franchise graph over it."""
    rng = np.random.default_rng(seed)
    item_cluster = rng.integers(0, clusters, n_items)  # the same draw as synthetic()'s first
    cold_of = rng.integers(0, clusters, N_COLD)
    cluster = np.concatenate([item_cluster, cold_of])
    ids = np.arange(1, n_items + N_COLD + 1)
    n = len(ids)
    sequel = np.zeros(n, bool)
    sequel[n_items:] = rng.random(N_COLD) < 0.3
    work = ids.copy()
    # A new season continues a trained title of its own cluster.
    for r in np.flatnonzero(sequel):
        same = np.flatnonzero(item_cluster == cluster[r])
        work[r] = ids[rng.choice(same)]
    year = np.where(ids <= n_items, rng.integers(1990, 2017, n), rng.integers(2017, 2027, n))
    month = rng.integers(1, 13, n)
    start = [f"{y}-{m:02d}-01" for y, m in zip(year.tolist(), month.tolist())]
    genres = ["|".join(GENRES[(c + k * 7) % len(GENRES)] for k in range(3)) for c in cluster.tolist()]
    members = (rng.pareto(1.2, n) + 1.0) * 1000
    table = pd.DataFrame({"anime_id": ids, "genres": genres, "type": "TV", "year": year, "start_date": start,
                          "members_latest": members.astype(int), "franchise_id": work, "work_id": work})
    seasons = ("winter", "spring", "summer", "fall")
    catalog = Catalog(Anime(int(a), f"title {a}", tuple(g.split("|")), "TV", 12, 7.5, int(m), year=int(y),
                            season=seasons[(mo - 1) // 3], start_date=s, work_id=int(w), franchise_id=int(w))
                      for a, g, m, y, mo, s, w in zip(ids.tolist(), genres, members.tolist(), year.tolist(),
                                                      month.tolist(), start, work.tolist()))
    links, dates = catalog_links(catalog, pd.DataFrame(columns=["anime_id", "relation", "related_id"]))
    franchises = Franchises((TitleInfo(a.anime_id, a.type, a.members) for a in catalog), links, dates)
    return table, catalog, franchises


def run_size(name: str) -> dict:
    if name == "bundled":
        df, content, catalog, franchises = load_interactions(), load_catalog_table(), Catalog.load(), None
    else:
        df = synthetic()
        content, catalog, franchises = synthetic_catalog()
    config = ModelConfig()
    stages: dict[str, float] = {}
    t = time.perf_counter()
    model = Recommender.fit(df, config, stage_times=stages, content=content, franchises=franchises)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    model.ensure_ann()
    ann_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = artifacts.publish(model, Path(tmp))
        disk_mb = sum(p.stat().st_size for p in path.iterdir()) / 2**20
    single_threaded_blas()  # serving from here on, as the bot does
    rng = np.random.default_rng(1)
    users = df["user_id"].unique()
    t = time.perf_counter()
    served = ServedModel(model, catalog, franchises)
    served_build_s = time.perf_counter() - t
    rec, sim, served_rec, served_sim = [], [], [], []
    for u in rng.choice(users, 300, replace=False):
        g = df[df["user_id"] == u]
        ratings = dict(zip(g["anime_id"].tolist(), g["rating"].tolist()))
        t = time.perf_counter()
        model.recommend(ratings, 10)
        rec.append(time.perf_counter() - t)
        t = time.perf_counter()
        served.recommend(ratings, 10)
        served_rec.append(time.perf_counter() - t)
    for i in rng.choice(model.n_items, 1000, replace=False):
        t = time.perf_counter()
        model.similar(int(model.item_ids[i]), 10)
        sim.append(time.perf_counter() - t)
    for a in rng.choice(served.similar_ids(), 1000, replace=False):
        t = time.perf_counter()
        served.similar(int(a), 10)
        served_sim.append(time.perf_counter() - t)
    def ms(xs, q):
        return float(np.percentile(np.array(xs) * 1000, q))
    return {
        "users": int(df["user_id"].nunique()), "items": int(model.n_items),
        "cold_items": int(served.n_items - served.n_trained), "interactions": int(len(df)),
        "fit_s": fit_s, **{f"{k}_s": v for k, v in stages.items()}, "annoy_build_s": ann_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "model_disk_mb": disk_mb,
        "recommend_p50_ms": ms(rec, 50), "recommend_p99_ms": ms(rec, 99),
        "similar_p50_ms": ms(sim, 50), "similar_p99_ms": ms(sim, 99), "served_build_s": served_build_s,
        "served_recommend_p50_ms": ms(served_rec, 50), "served_recommend_p99_ms": ms(served_rec, 99),
        "served_similar_p50_ms": ms(served_sim, 50), "served_similar_p99_ms": ms(served_sim, 99),
    }


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(run_size(sys.argv[1])))
        return
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores (shared machine)")
    results = {}
    for name in ("bundled", "synthetic"):
        out = subprocess.run([sys.executable, __file__, name], capture_output=True, text=True, check=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    keys = list(results["synthetic"])
    print(f"{'':22s}{'bundled':>14s}{'synthetic':>14s}{'growth':>10s}")
    for k in keys:
        a, b = results["bundled"].get(k, float("nan")), results["synthetic"][k]
        print(f"{k:22s}{a:14.2f}{b:14.2f}{b / a if a else float('nan'):9.1f}x")


if __name__ == "__main__":
    main()
