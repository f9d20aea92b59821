"""What /rate does with many generated queries, and what a change to the search changed of it.

    python benchmarks/search_audit.py --out new.json [--against old.json] [--titles 1500]

The queries: the main and English names of the most-watched titles (--titles), and each name before any colon
with "season N", "N" and "sN" after it (N = 2, 3, 4), plus every query of tests/recsys/catalog/fan_queries.csv.
For each, what Catalog.resolve_choice stores (a title) or, when it stores nothing, the titles suggest() offers.
--out writes that as JSON; --against another run's JSON (run on the commit before a change) prints how many
stores moved to another title, became menus, or came from menus, each query listed, and how many menus
changed order, a sample listed. Reading the lists is the point: a move can be a fix or a new wrong store.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from animerec.recsys.catalog.catalog import Catalog

FAN_QUERIES = Path(__file__).resolve().parents[1] / "tests" / "recsys" / "catalog" / "fan_queries.csv"
SEASONS = (2, 3, 4)
MENU = 5  # titles suggest() offers
SAMPLE = 25  # menus whose order changed, listed


def queries(catalog: Catalog, titles: int) -> list[str]:
    out: set[str] = set()
    for a in list(catalog)[:titles]:
        for name in filter(None, (a.name, a.english)):
            out.add(name)
            base = name.split(":")[0]
            out.update(f"{base}{form}" for k in SEASONS for form in (f" season {k}", f" {k}", f" s{k}"))
    out.update(line.split(",")[0] for line in FAN_QUERIES.read_text(encoding="utf-8").splitlines()[1:])
    return sorted(out)


def outcomes(catalog: Catalog, asked: list[str]) -> dict[str, list]:
    """query -> [anime_id] stored, or ["menu", *ids offered]."""
    out: dict[str, list] = {}
    for q in asked:
        found = catalog.resolve_choice(q)
        out[q] = [found.anime.anime_id] if found else ["menu", *(a.anime_id for a in catalog.suggest(q, MENU))]
    return out


def shown(catalog: Catalog, outcome: list) -> str:
    def title(anime_id: int) -> str:
        a = catalog.get(anime_id)
        return f"{a.name} ({a.type} {a.year})"
    if outcome[0] == "menu":
        return "menu[" + "; ".join(title(i) for i in outcome[1:3]) + "]"
    return title(outcome[0])


def compare(catalog: Catalog, old: dict[str, list], new: dict[str, list]) -> None:
    kinds: dict[str, list[str]] = {}
    for q in sorted(set(old) & set(new)):
        if old[q] == new[q]:
            continue
        was, now = old[q][0] == "menu", new[q][0] == "menu"
        kind = "menu order" if was and now else f"{'menu' if was else 'store'} -> {'menu' if now else 'store'}"
        kinds.setdefault(kind, []).append(q)
    print(f"{len(set(old) & set(new)):,} queries in both runs")
    for kind in ("store -> store", "store -> menu", "menu -> store", "menu order"):
        listed = kinds.get(kind, [])
        print(f"\n{kind}: {len(listed)}")
        if kind == "menu order":
            listed = sorted(random.Random(1).sample(listed, min(SAMPLE, len(listed))))
        for q in listed:
            print(f"  {q!r}: {shown(catalog, old[q])} => {shown(catalog, new[q])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--titles", type=int, default=1500)
    args = parser.parse_args()
    catalog = Catalog.load()
    found = outcomes(catalog, queries(catalog, args.titles))
    args.out.write_text(json.dumps(found, ensure_ascii=False, indent=0), encoding="utf-8")
    stored = sum(v[0] != "menu" for v in found.values())
    print(f"{len(found):,} queries: {stored:,} store a title, {len(found) - stored:,} offer a menu")
    if args.against:
        compare(catalog, json.loads(args.against.read_text(encoding="utf-8")), found)


if __name__ == "__main__":
    main()
