"""/recommend as a member asks it, the list made when their ratings last changed, beside a first ask, in one run.

    python benchmarks/bench_made_ahead.py --models DIR [--members 500] [--rounds 3]

The bot's service (animerec.bot.service.Service) over a SQLite store in a temporary directory and the
published model of ``--models`` (a models root, as bench_serve.py takes), with bench_serve.py's members'
lists stored as their ratings. Per member, each timing the least of ``--rounds``:

* the model work of a /recommend with no option: a first ask (ServedModel.recommend with no coverage row
  kept, what bench_serve.py times) beside a list made ahead (Picks: the digest of what the list is made of,
  and the look-up of the list kept under it);
* Picks.recommend end to end, as the cog calls it (the store's reads, the model work, the page's titles):
  a first ask (no list kept) beside the ask after the member's ratings changed (Picks.ratings_changed, as
  /rate calls it, its making finished first: a member reads /rate's reply before asking);
* the store's reads alone (the member's ratings and dismissals), which every ask makes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_serve import forget_rows, member_lists, percentiles

from animerec.bot.features.recommend.service import Ask, _made_of
from animerec.bot.service.facade import Service
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.model import single_threaded_blas


async def bench(args: argparse.Namespace) -> None:
    single_threaded_blas()  # as every serving process does
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} "
          "cores (other engineers' jobs share the machine: compare lines of one run, not runs)")
    members = member_lists(args.members)
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        service = Service(store, Catalog.load(), Path(tmp), models_dir=args.models)
        try:
            await service.start()
            await run(service, members, args.rounds)
        finally:
            await service.close()


async def run(service: Service, members: list[dict[int, float]], rounds: int) -> None:
    picks, served = service.picks, service.models.served()
    picks.quiet_for = 0.0  # made as soon as asked below (the bot waits for a member to stop rating first)
    users = list(range(1, len(members) + 1))
    for user, ratings in zip(users, members):
        await service.store.upsert_ratings(user, ratings)
    for user in users[:20]:
        await picks.recommend(user)  # warm caches
    plain = Ask()  # a /recommend with no option, what a member who never asked another has made ahead
    filters = service.catalog.filters(plain.genre, plain.type, allow_adult=plain.allow_adult)
    times = {k: np.full(len(users), np.inf) for k in ("first", "made", "reads", "model first", "model made")}

    def least(key: str, j: int, t: float) -> None:
        times[key][j] = min(times[key][j], (time.perf_counter() - t) * 1000)

    for _ in range(rounds):
        for j, user in enumerate(users):
            t = time.perf_counter()
            ratings = await service.store.rating_map(user)
            dismissed = await service.store.dismissals(user)
            least("reads", j, t)

            forget_rows(served)
            t = time.perf_counter()
            served.recommend(ratings, plain.count, exclude=dismissed)
            least("model first", j, t)

            picks.forgotten(user)
            forget_rows(served)
            t = time.perf_counter()
            await picks.recommend(user)
            least("first", j, t)

            picks.forgotten(user)
            forget_rows(served)
            picks.ratings_changed(user)
            await picks.made_ahead(user)
            t = time.perf_counter()
            await picks.recommend(user)
            least("made", j, t)

            t = time.perf_counter()
            made_of = _made_of(ratings, dismissed, set(), set(), 0, plain.count, filters, plain.allow_adult, None,
                               plain.discover)
            assert picks._made_list(served, user, made_of) is not None
            least("model made", j, t)
    sizes = np.array([len(m) for m in members])
    print(f"{len(users)} members of {sizes.min()}-{sizes.max()} titles, each timing the least of {rounds}")
    print(f"{'':58s}{'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    for label, key in (("model work, a first ask (ServedModel.recommend)", "model first"),
                       ("model work, the list made ahead (digest, look-up)", "model made"),
                       ("Picks.recommend, a first ask", "first"),
                       ("Picks.recommend, after the ratings changed", "made"),
                       ("  of which the store's reads (ratings, dismissals)", "reads")):
        print(f"{label:58s}{percentiles(list(times[key] / 1000))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, required=True, help="a models root (artifacts.publish)")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
