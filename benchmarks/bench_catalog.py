"""Latency of Catalog.search() on autocomplete-like queries, next to a naive rapidfuzz baseline.

Queries: every prefix (1-20 characters) of the main names of the 100 most popular titles and of the
English titles of the 100 most popular titles that have a distinct one, as typed, plus a copy of each
prefix of 4+ characters with one typo (a dropped, doubled, swapped or replaced letter); and every fan
name of animerec.recsys.evaluation.search (abbreviations such as "aot", "fma brotherhood"), whole. The baseline,
process.extract(query, raw_names, scorer=WRatio, limit=25), takes tens of ms a call, so it runs on
every 10th query only; Catalog.search() is also reported on that same subset for a like-for-like row,
and on the main-name queries without titles.csv (main names only, as before English titles and
synonyms were indexed) to show what the extra names cost on the same machine. The old catalog (the 2016
anime.csv with the 2018 titles, as Catalog.load read before data/catalog) runs the same queries for the figure
before the catalog grew, and resolve_choice (what /rate stores) and lookup (resolve_choice, else the
titles /rate offers: what a title the catalog does not know costs) are timed on tests/recsys/catalog/fan_queries.csv
on both. "autocomplete" adds the labels /rate's autocomplete shows to each search. `uptime` is printed before
and after: the machine is shared, and its load moves wall times far more than CPU times.
"target found" is how often the title the query was cut from is among the results (for resolve_choice: is the
resolution, so it is the top-1 share; rows without an id count as misses there).

Run: /work/main/.venv/bin/python benchmarks/bench_catalog.py
"""

from __future__ import annotations

import csv
import random
import string
import subprocess
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from animerec.recsys.catalog.catalog import Catalog, TitleNotFound
from animerec.recsys.data import load_anime_table, load_titles
from animerec.recsys.evaluation.search import FAN_NAMES

TITLES = 100
MAX_PREFIX = 20
LIMIT = 25
REFERENCE_EVERY = 10
FAN_QUERIES = Path(__file__).parent.parent / "tests" / "recsys" / "catalog" / "fan_queries.csv"


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


def make_queries(catalog: Catalog) -> list[tuple[str, int, str]]:
    """(query, anime_id it was cut from, group)"""
    rng = random.Random(0)
    queries = []
    by_english = [(a.english, a) for a in catalog if a.english is not None][:TITLES]
    for group, named in (("main", [(a.name, a) for a in list(catalog)[:TITLES]]), ("English", by_english)):
        for name, anime in named:
            for n in range(1, min(len(name), MAX_PREFIX) + 1):
                prefix = name[:n]
                queries.append((prefix, anime.anime_id, group))
                if n >= 4:
                    queries.append((typo(prefix, rng), anime.anime_id, f"{group} typo"))
    queries += [(query, anime_id, "fan name") for query, anime_id in FAN_NAMES if anime_id in catalog]
    return queries


def timed(search, queries: list[tuple[str, int, str]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-query wall and CPU milliseconds, and the share of queries whose target came back. CPU time
    leaves out the waits for a core that a busy machine adds to the wall time."""
    wall, cpu, hits = [], [], 0
    for query, target, _ in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        ids = search(query)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        hits += target in ids
    return np.array(wall), np.array(cpu), hits / len(queries)


def main() -> None:
    start = time.perf_counter()
    catalog = Catalog.load()
    load_ms = (time.perf_counter() - start) * 1000
    main_only = Catalog.load(titles_path=None)
    old = Catalog.from_frame(load_anime_table(), load_titles())

    animes = list(catalog)
    raw_names = [a.name for a in animes]
    raw_ids = [a.anime_id for a in animes]

    def ours(query: str) -> list[int]:
        return [a.anime_id for a in catalog.search(query, LIMIT)]

    def ours_main_only(query: str) -> list[int]:
        return [a.anime_id for a in main_only.search(query, LIMIT)]

    def ours_old(query: str) -> list[int]:
        return [a.anime_id for a in old.search(query, LIMIT)]

    def autocomplete(of: Catalog):
        def complete(query: str) -> list[int]:
            found = of.search(query, LIMIT)
            of.labels(found)  # what /rate's autocomplete shows: names, English titles, years where names collide
            return [a.anime_id for a in found]
        return complete

    def resolver(of: Catalog):
        def resolve(query: str) -> list[int]:
            found = of.resolve_choice(query)
            return [] if found is None else [found.anime.anime_id]
        return resolve

    def looker(of: Catalog):
        def look(query: str) -> list[int]:
            try:
                return [of.lookup(query).anime.anime_id]
            except TitleNotFound:  # what /rate answers then: the titles it offers
                return []
        return look

    with FAN_QUERIES.open(encoding="utf-8", newline="") as f:
        fan = [(r["query"], int(r["expected_anime_id"] or 0), "fan query") for r in csv.DictReader(f)]

    def naive(query: str) -> list[int]:
        return [raw_ids[i] for _, _, i in process.extract(query, raw_names, scorer=fuzz.WRatio, limit=LIMIT)]

    queries = make_queries(catalog)
    subset = queries[::REFERENCE_EVERY]
    main_queries = [q for q in queries if q[2] in ("main", "main typo")]
    for query, _, _ in queries[:50]:  # warm up caches and allocators
        ours(query)
        ours_main_only(query)
        ours_old(query)
        naive(query)

    groups = ("main", "main typo", "English", "English typo", "fan name")
    rows = [
        ("Catalog.search, all queries", queries, ours),
        *((f"  {g}", [q for q in queries if q[2] == g], ours) for g in groups),
        ("main names only, main queries", main_queries, ours_main_only),
        (f"old catalog ({len(old)}), all queries", queries, ours_old),
        ("autocomplete (search + labels)", queries, autocomplete(catalog)),
        ("  old catalog", queries, autocomplete(old)),
        ("resolve_choice, fan queries", fan, resolver(catalog)),
        ("  old catalog", fan, resolver(old)),
        ("lookup (resolve, else suggest)", fan, looker(catalog)),
        ("  old catalog", fan, looker(old)),
        (f"Catalog.search, every {REFERENCE_EVERY}th", subset, ours),
        (f"naive WRatio, every {REFERENCE_EVERY}th", subset, naive),
    ]
    # The machine is shared: its load says how far the wall times stand from a quiet machine's.
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime: {uptime}")
    print(f"catalog: {len(catalog)} titles, loaded in {load_ms:.0f} ms")
    print(f"{'':32} {'queries':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu p99':>7} {'target found':>17}")
    for label, rows_queries, search in rows:
        wall, cpu, recall = timed(search, rows_queries)
        p50, p99 = np.percentile(wall, [50, 99])
        cpu_p99 = np.percentile(cpu, 99)
        print(f"{label:32} {len(rows_queries):7d} {p50:7.2f} {p99:7.2f} {wall.max():7.2f} {cpu_p99:7.2f} {recall:17.1%}")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime: {uptime}")


if __name__ == "__main__":
    main()
