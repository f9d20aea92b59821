"""/taste, /compare, /score and /server top on a server of 5,000 members, at the service level.

    python benchmarks/bench_community.py [--config default|small | --models DIR] [--members 5000] [--calls 200]

The server: the bundled MyAnimeList sample's 5,000 users as members of one server (their ~520k
ratings and watches in the bot's SQLite store). Each command is timed as its extension runs it:
the service call plus the reply it renders (the embed; for /taste the PNG too, off the event loop as
the extension does). /server top is timed warm (the server's tally cached, as between rating changes)
and cold (recounted from the database, as after a rating when the cache has aged out: at most once
per Community.tally_seconds; a server of under FRESH_BELOW members, after every write: --members 9).
Targets: p99 under 50 ms for text replies, under 1 s for pictures.

Model: the default config trained now (about a minute), as the bot serves; --config small for the
tests' small one (seconds); --models serves a published one instead (a copy).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from animerec.bot.features.community import render as rc
from animerec.bot.features.community.pictures import taste_png
from animerec.bot.features.community.service import FRESH_BELOW
from animerec.bot.service import open_service
from animerec.bot.settings import Settings
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.lifecycle.train import train_and_publish
from animerec.recsys.model import ModelConfig, single_threaded_blas

GUILD = 1
TEXT_TARGET, PICTURE_TARGET = 0.050, 1.0


def row(label: str, times: list[float], target: float | None, extra: str = "") -> None:
    ms = np.array(times) * 1000
    p50, p99, top = np.percentile(ms, 50), np.percentile(ms, 99), ms.max()
    verdict = "" if target is None else f"   p99 < {target * 1000:.0f} ms: {'ok' if p99 < target * 1000 else 'OVER'}"
    print(f"{label:34s}{p50:9.1f}{p99:9.1f}{top:9.1f}{verdict}{extra}")


async def scenario(data_dir: Path, catalog: Catalog, members: int, calls: int) -> None:
    settings = Settings(data_dir=data_dir, discord_token=None, _env_file=None)
    service = await open_service(settings, catalog)
    try:
        frame = load_interactions()
        users = list(dict.fromkeys(frame["user_id"].tolist()))[:members]
        number = {u: i + 1 for i, u in enumerate(users)}
        frame = frame[frame["user_id"].isin(number)]
        rows = [(number[u], int(a), float(r), "2026-01-01T00:00:00+00:00")
                for u, a, r in zip(frame["user_id"], frame["anime_id"], frame["rating"])]
        clock = time.perf_counter()
        await service.store._write(lambda db: db.executemany(
            "INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, ?, ?)", rows))
        community = service.community
        await community.seen(GUILD, *number.values())  # as each member's first interaction there does
        print(f"server: {len(number):,} members, {len(rows):,} ratings and watches "
              f"(loaded in {time.perf_counter() - clock:.1f} s)\n")
        rng = random.Random(0)
        ids = list(number.values())
        served = service.models.served()
        popular = [a for a in catalog if not a.is_adult and served.model.index_of(a.anime_id) is not None][:2000]

        print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; other work on the machine shows in the tails)")
        print(f"{'':34s}{'p50 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}")
        await community.server_top(GUILD, ids[0])  # builds the map views and the first tally
        cold = []
        for _ in range(max(5, calls // 20)):
            community._servers.clear()
            clock = time.perf_counter()
            rc.server_top_embed(await community.server_top(GUILD, rng.choice(ids)))
            cold.append(time.perf_counter() - clock)
        warm = []
        for _ in range(calls):
            clock = time.perf_counter()
            rc.server_top_embed(await community.server_top(GUILD, rng.choice(ids)))
            warm.append(time.perf_counter() - clock)
        row("/server top (tally cached)", warm, TEXT_TARGET)
        if len(number) < FRESH_BELOW:
            row("  server recount (at once)", cold, None,
                f"   after every write: a server of under {FRESH_BELOW} members with ratings")
        else:
            row("  server recount (background)", cold, None,
                f"   after writes, at most every {community.tally_seconds:g} s; only a server's first /server top waits")

        await community.score(GUILD, ids[0], popular[0])  # numba's kernels load on first use
        await community.compare(GUILD, ids[0], ids[1], other_name="them")
        score = []
        for _ in range(calls):
            anime = rng.choice(popular[:500])
            clock = time.perf_counter()
            result = await community.score(GUILD, rng.choice(ids), service.titles.resolve(str(anime.anime_id)))
            rc.score_embed(result, {m: f"member {m}" for m in result.tally.loved_by})
            score.append(time.perf_counter() - clock)
        row("/score", score, TEXT_TARGET)

        compare = []
        for _ in range(calls):
            a, b = rng.sample(ids, 2)
            clock = time.perf_counter()
            rc.compare_embed(await community.compare(GUILD, a, b, other_name="them"), "them")
            compare.append(time.perf_counter() - clock)
        row("/compare", compare, TEXT_TARGET)

        pictures, data, sizes = [], [], []
        taste_png((await community.taste(GUILD, ids[0], viewer_id=ids[0], name="you")).picture)  # fonts load once
        for _ in range(max(10, calls // 5)):
            member = rng.choice(ids)
            clock = time.perf_counter()
            result = await community.taste(GUILD, member, viewer_id=member, name="you")
            middle = time.perf_counter()
            png = await asyncio.to_thread(taste_png, result.picture)
            rc.taste_embed(result, "you", True)
            pictures.append(time.perf_counter() - clock)
            data.append(middle - clock)
            sizes.append(len(png))
        row("/taste (data + PNG)", pictures, PICTURE_TARGET, f"  (PNG up to {max(sizes) / 1e3:.0f} kB, limit 500)")
        row("  of which the data", data, PICTURE_TARGET)
        privacy = []
        for k in range(max(10, calls // 4)):
            clock = time.perf_counter()
            await community.set_privacy(rng.choice(ids), k % 2 == 0)
            rc.PRIVACY_TEXT[k % 2 == 0]
            privacy.append(time.perf_counter() - clock)
        row("/privacy (a write)", privacy, TEXT_TARGET)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        await service.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", choices=["default", "small"], default="default")
    parser.add_argument("--models", type=Path, help="a published models root to serve (copied) instead")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=200, help="calls per text command (a fifth for /taste)")
    args = parser.parse_args()
    single_threaded_blas()  # as the bot's process does
    catalog = Catalog.load()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        if args.models:
            shutil.copytree(args.models, data_dir / "models")
        else:
            config = ModelConfig.small() if args.config == "small" else ModelConfig()
            train_and_publish(data_dir / "models", config=config)
        asyncio.run(scenario(data_dir, catalog, args.members, args.calls))


if __name__ == "__main__":
    main()
