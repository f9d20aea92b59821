"""Latency of Catalog.search() on autocomplete-like queries, next to a naive rapidfuzz baseline.

Queries: every prefix (1-20 characters) of the 100 most popular titles, as typed, plus a copy of each
prefix of 4+ characters with one typo (a dropped, doubled, swapped or replaced letter). The baseline,
process.extract(query, raw_names, scorer=WRatio, limit=25), takes tens of ms a call, so it runs on
every 10th query only; Catalog.search() is also reported on that same subset for a like-for-like row.
"target in top 25" is how often the title the query was cut from is among the results.

Run: /work/venv/bin/python benchmarks/bench_catalog.py
"""

from __future__ import annotations

import random
import string
import time

import numpy as np
from rapidfuzz import fuzz, process

from recsys.catalog import Catalog

TITLES = 100
MAX_PREFIX = 20
LIMIT = 25
REFERENCE_EVERY = 10


def typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text))  # keep the first letter: people rarely miss it
    match rng.choice(("drop", "double", "swap", "replace")):
        case "drop":
            return text[:i] + text[i + 1 :]
        case "double":
            return text[:i] + text[i] + text[i:]
        case "swap":
            return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
        case _:
            return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


def make_queries(catalog: Catalog) -> list[tuple[str, int, bool]]:
    """(query, anime_id it was cut from, typo'd?)"""
    rng = random.Random(0)
    queries = []
    for anime in list(catalog)[:TITLES]:
        for n in range(1, min(len(anime.name), MAX_PREFIX) + 1):
            prefix = anime.name[:n]
            queries.append((prefix, anime.anime_id, False))
            if n >= 4:
                queries.append((typo(prefix, rng), anime.anime_id, True))
    return queries


def timed(search, queries: list[tuple[str, int, bool]]) -> tuple[np.ndarray, float]:
    """Per-query milliseconds, and the share of queries whose target came back."""
    millis, hits = [], 0
    for query, target, _ in queries:
        start = time.perf_counter()
        ids = search(query)
        millis.append((time.perf_counter() - start) * 1000)
        hits += target in ids
    return np.array(millis), hits / len(queries)


def main() -> None:
    start = time.perf_counter()
    catalog = Catalog.load()
    load_ms = (time.perf_counter() - start) * 1000

    animes = list(catalog)
    raw_names = [a.name for a in animes]
    raw_ids = [a.anime_id for a in animes]

    def ours(query: str) -> list[int]:
        return [a.anime_id for a in catalog.search(query, LIMIT)]

    def naive(query: str) -> list[int]:
        return [raw_ids[i] for _, _, i in process.extract(query, raw_names, scorer=fuzz.WRatio, limit=LIMIT)]

    queries = make_queries(catalog)
    subset = queries[::REFERENCE_EVERY]
    for query, _, _ in queries[:50]:  # warm up caches and allocators
        ours(query)
        naive(query)

    rows = [
        ("Catalog.search, all queries", queries, ours),
        ("  as typed", [q for q in queries if not q[2]], ours),
        ("  with a typo", [q for q in queries if q[2]], ours),
        (f"Catalog.search, every {REFERENCE_EVERY}th", subset, ours),
        (f"naive WRatio, every {REFERENCE_EVERY}th", subset, naive),
    ]
    print(f"catalog: {len(catalog)} titles, loaded in {load_ms:.0f} ms")
    print(f"{'':32} {'queries':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'target in top 25':>17}")
    for label, rows_queries, search in rows:
        millis, recall = timed(search, rows_queries)
        p50, p99 = np.percentile(millis, [50, 99])
        print(f"{label:32} {len(rows_queries):7d} {p50:7.2f} {p99:7.2f} {millis.max():7.2f} {recall:17.1%}")


if __name__ == "__main__":
    main()
