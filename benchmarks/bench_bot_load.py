"""/rate and /recommend under load at the service level: the bot now, beside another revision's (--base)
when given, both measured in this run.

    python benchmarks/bench_bot_load.py [--config default|small | --models DIR] [--members 200]
                                        [--ramp 1.0] [--think 0.3] [--base REV]

The scenario: MEMBERS members at once (each starts within the first RAMP s, with 30 earlier ratings)
each give 5 /rate by title name and 1 /recommend, in a random order, 0-THINK s apart (faster than
people type: 1200 commands in about 2.5 s); when half the ratings are in, a newly published model is
hot-swapped in (ModelHolder.reload, as a retrain ends). Both sides get the same members, plans and
timings, each in a fresh event loop and database; --think 0 --ramp 0 is a pure burst.

Measured: each call's latency at the service level; the event loop's lag (how much a 5 ms ticker
oversleeps); lost ratings (acknowledged, but not in the database once the service closed, read back
with plain sqlite3); failed calls; the process's CPU time over the run; write transactions committed.
The --base revision's animerec package is read from git as bench_revisions.py reads it (a revision since the
package move; the first figures in docs/benchmarks.md were taken against one before it, 9737454, with an
earlier copy of this script).

Model: the default config trained now (about a minute), as the bot serves; --config small for the
tests' small one (seconds); --models serves a published one instead (a copy: the directory is not
touched).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np
from bench_revisions import BASE, base_package

from animerec.bot import service as service_now
from animerec.bot.store import store as store_now
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_and_publish
from animerec.recsys.model import ModelConfig, single_threaded_blas
from animerec.recsys.serving.served import ServedModel

RATES, EARLIER = 5, 30
TICK = 0.005
TARGETS = {"rate": 0.150, "recommend": 0.100, "lag": 0.020}  # p99 budgets under this load, in seconds
ROOT = Path(__file__).resolve().parents[1]


def base_modules(rev: str, tmp: Path):
    """(store, service) packages of the animerec package at rev, read under tmp."""
    base_package(rev, tmp)
    sys.path.insert(0, str(tmp))
    return importlib.import_module(f"{BASE}.bot.store"), importlib.import_module(f"{BASE}.bot.service")


def plans(catalog: Catalog, model, members: int, think: float, ramp: float, seed: int = 0):
    """Per member: (start delay, earlier ratings, steps); a step is (delay after it, anime_id or None
    for /recommend, name, score)."""
    rng = random.Random(seed)
    known = [a for a in catalog if not a.is_adult and model.index_of(a.anime_id) is not None]
    typed = [a for a in known[:400] if (f := catalog.resolve_choice(a.name)) and f.anime.anime_id == a.anime_id]
    out = {}
    for m in range(members):
        earlier = {a.anime_id: float(rng.randint(1, 10)) for a in rng.sample(known[:1500], EARLIER)}
        steps = [(rng.uniform(0, think), a.anime_id, a.name, str(rng.randint(1, 10))) for a in rng.sample(typed, RATES)]
        steps.insert(rng.randrange(RATES + 1), (rng.uniform(0, think), None, "", ""))
        out[10_000 + m] = (rng.uniform(0, ramp), earlier, steps)
    return out


def _calls(service):
    """(rate, recommend, reload, model version)."""
    return (service.ratings.rate, service.picks.recommend, service.models.reload,
            lambda: service.models.model_version)


async def scenario(store_cls, service_cls, catalog: Catalog, data_dir: Path, v1: str, v2: str, member_plans) -> dict:
    models = data_dir / "models"
    (models / artifacts.CURRENT).write_text(v1 + "\n")
    store = await store_cls.open(data_dir / "animerec.sqlite3")
    service = service_cls(store, catalog, data_dir, train_config="small")
    await service.start()
    rate, recommend, reload, version = _calls(service)
    for m, (_, earlier, _) in member_plans.items():
        await store.upsert_ratings(m, earlier)
    commits_before = getattr(store, "commits", 0)
    (models / artifacts.CURRENT).write_text(v2 + "\n")  # a retrain has just published v2

    latency = {"rate": [], "recommend": []}
    failed = {"rate": 0, "recommend": 0}
    acknowledged = {m: dict(earlier) for m, (_, earlier, _) in member_plans.items()}
    half = asyncio.Event()
    rated = 0
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - t - TICK)

    async def member(m: int) -> None:
        nonlocal rated
        start, _, steps = member_plans[m]
        await asyncio.sleep(start)
        for pause, anime_id, name, score in steps:
            kind = "recommend" if anime_id is None else "rate"
            t = time.perf_counter()
            try:
                if anime_id is None:
                    await recommend(m, count=10)
                else:
                    await rate(m, name, score)
                    acknowledged[m][anime_id] = float(score)
                    rated += 1
                    if rated * 2 >= len(member_plans) * RATES:
                        half.set()
            except Exception:
                failed[kind] += 1
            latency[kind].append(time.perf_counter() - t)
            await asyncio.sleep(pause)

    async def swap() -> float:
        await half.wait()
        t = time.perf_counter()
        assert await reload()
        return time.perf_counter() - t

    tick = asyncio.create_task(ticker())
    swapping = asyncio.create_task(swap())
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(member(m) for m in member_plans))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    done.set()
    await tick
    swap_s = await swapping
    assert version() == v2
    commits = getattr(store, "commits", None)
    await service.close()

    with closing(sqlite3.connect(data_dir / "animerec.sqlite3")) as db:
        stored = {(u, a): r for u, a, r in db.execute("SELECT user_id, anime_id, rating FROM ratings")}
    lost = sum(stored.get((m, a)) != r for m, given in acknowledged.items() for a, r in given.items())
    return {"latency": latency, "lags": lags, "failed": sum(failed.values()), "lost": lost, "elapsed": elapsed,
            "cpu": cpu, "swap": swap_s, "commits": None if commits is None else commits - commits_before,
            "rates": rated}


def ms(samples: list[float]) -> str:
    a = np.array(samples) * 1000
    return f"{np.percentile(a, 50):7.1f}{np.percentile(a, 99):7.1f}{a.max():7.1f}"


def report(label: str, r: dict) -> None:
    commits = "-" if r["commits"] is None else f"{r['commits']} for {r['rates']} ratings"
    print(f"{label:22s}{ms(r['latency']['rate'])}  {ms(r['latency']['recommend'])}  {ms(r['lags'])}"
          f"{r['lost']:6d}{r['failed']:7d}  {r['elapsed']:5.1f} s {r['cpu']:5.1f} s  {r['swap'] * 1000:5.0f} ms"
          f"  {commits}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", choices=["default", "small"], default="default",
                        help="the model to train and serve")
    parser.add_argument("--models", type=Path, help="a published models root to serve (copied) instead")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--think", type=float, default=0.3, help="most seconds between a member's commands")
    parser.add_argument("--ramp", type=float, default=1.0, help="members start within this many seconds")
    parser.add_argument("--base", help="a git revision to measure beside this checkout")
    args = parser.parse_args()
    single_threaded_blas()  # as the bot's process does
    catalog = Catalog.load()
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        if args.models:
            shutil.copytree(args.models, models)
        else:
            train_and_publish(models, config=ModelConfig.small() if args.config == "small" else ModelConfig())
        model = artifacts.load_current(models)
        v1 = model.meta["version"]
        del model.meta["version"]
        v2 = artifacts.publish(model, models).name  # the same factors as a new version: the swap is what counts
        member_plans = plans(catalog, model, args.members, args.think, args.ramp)
        ServedModel(model, catalog).recommend(member_plans[10_000][1], 10)  # compile and warm up before either side
        print(f"{args.members} members at once, each {RATES} /rate + 1 /recommend 0-{args.think:g} s apart, "
              f"{EARLIER} earlier ratings each, arriving within {args.ramp:g} s; "
              f"model {v1} ({args.models or args.config}) hot-swapped for {v2} halfway")
        print(f"{'':22s}{'/rate ms':^21s}  {'/recommend ms':^21s}  {'loop lag ms':^21s}")
        print(f"{'':22s}{'p50    p99    max':>21s}  {'p50    p99    max':>21s}  {'p50    p99    max':>21s}"
              f"{'lost':>6s}{'failed':>7s}  {'run':>7s} {'cpu':>7s}  {'swap':>8s}  commits")
        sides = [("this checkout", store_now.Store, service_now.Service)]
        if args.base:
            old_store, old_service = base_modules(args.base, Path(tmp) / "base")
            sides.insert(0, (f"base {args.base}", old_store.Store, old_service.Service))
        for label, store_cls, service_cls in sides:
            data_dir = Path(tmp) / label.replace(" ", "-")
            shutil.copytree(models, data_dir / "models")
            report(label, asyncio.run(scenario(store_cls, service_cls, catalog, data_dir, v1, v2, member_plans)))
        print(f"{'target (p99)':22s}{TARGETS['rate'] * 1000:14.0f}{'':9s}{TARGETS['recommend'] * 1000:14.0f}"
              f"{'':9s}{TARGETS['lag'] * 1000:14.0f}{0:13d}{0:7d}")


if __name__ == "__main__":
    main()
