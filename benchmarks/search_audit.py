"""What /rate does with many generated queries, and what a change to the search changed of it.

    python benchmarks/search_audit.py --out new.json [--against old.json] [--titles 1500]

The queries: the main and English names of the most-watched titles (--titles), and each name before any colon
with "season N", "N" and "sN" after it (N = 2, 3, 4), plus every query of tests/recsys/catalog/fan_queries.csv;
and slips of those names (--typos): TYPOS_PER_NAME each of the names of 6 letters or more in Latin letters, each
with one letter dropped, changed or added, or two swapped, at a seeded random place. For each, what
Catalog.resolve_choice stores (a title) or, when it stores nothing, the titles suggest() offers. Of the slips, it
prints how many store the title slipped on (or an entry of its work), offer a menu, or store a title of another
work: of its franchise (a remake, a version: "magic kaito" is Magic Kaito 1412 too) or of another franchise,
each of the latter listed.
--out writes that as JSON; --against another run's JSON (run on the commit before a change) prints how many
stores moved to another title, became menus, or came from menus, each query listed, and how many menus
changed order, a sample listed. Reading the lists is the point: a move can be a fix or a new wrong store.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import string
from pathlib import Path

from animerec.recsys.catalog.catalog import Catalog, normalize_name

FAN_QUERIES = Path(__file__).resolve().parents[1] / "tests" / "recsys" / "catalog" / "fan_queries.csv"
SEASONS = (2, 3, 4)
MENU = 5  # titles suggest() offers
SAMPLE = 25  # menus whose order changed, listed
TYPOS_PER_NAME = 2
TYPO_SEED = 11


def queries(catalog: Catalog, titles: int) -> list[str]:
    out: set[str] = set()
    for a in list(catalog)[:titles]:
        for name in filter(None, (a.name, a.english)):
            out.add(name)
            base = name.split(":")[0]
            out.update(f"{base}{form}" for k in SEASONS for form in (f" season {k}", f" {k}", f" s{k}"))
    with FAN_QUERIES.open(encoding="utf-8", newline="") as f:
        out.update(row["query"] for row in csv.DictReader(f))  # a query may hold a comma, quoted
    return sorted(out)


def typos(catalog: Catalog, titles: int) -> dict[str, int]:
    """slip -> the anime id of the title whose name it is a slip of (the first title slipped on, if two)."""
    rng = random.Random(TYPO_SEED)
    out: dict[str, int] = {}
    for a in list(catalog)[:titles]:
        for name in dict.fromkeys(n.casefold() for n in (a.name, a.english) if n):
            if len(name) < 6 or not name.isascii():
                continue
            for _ in range(TYPOS_PER_NAME):
                at, kind = rng.randrange(1, len(name) - 1), rng.choice("dcas")
                letter = rng.choice(string.ascii_lowercase)
                slip = {"d": name[:at] + name[at + 1:], "c": name[:at] + letter + name[at + 1:],
                        "a": name[:at] + letter + name[at:], "s": name[:at] + name[at + 1] + name[at] + name[at + 2:]}[kind]
                if normalize_name(slip) != normalize_name(name):
                    out.setdefault(slip, a.anime_id)
    return out


def slips_stored(catalog: Catalog, slips: dict[str, int], found: dict[str, list]) -> None:
    """How the slips resolved: the title meant or its work, a menu, another work of its franchise, another
    franchise (listed)."""
    counts = {"the title or its work": 0, "a menu": 0, "a work of its franchise": 0, "another franchise": 0}
    elsewhere = []
    for slip, meant in slips.items():
        got, want = found[slip], catalog.get(meant)
        if got[0] == "menu":
            counts["a menu"] += 1
            continue
        stored = catalog.get(got[0])
        if stored.anime_id == meant or (stored.work_id is not None and stored.work_id == want.work_id):
            counts["the title or its work"] += 1
        elif stored.franchise_id is not None and stored.franchise_id == want.franchise_id:
            counts["a work of its franchise"] += 1
        else:
            counts["another franchise"] += 1
            elsewhere.append(f"  {slip!r} (of {want.name}): {shown(catalog, got)}")
    print(f"\n{len(slips):,} slips: " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()))
    print("\n".join(elsewhere))


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
    parser.add_argument("--typos", type=int, default=4000, help="the most-watched titles whose names are slipped on")
    args = parser.parse_args()
    catalog = Catalog.load()
    slips = typos(catalog, args.typos)
    found = outcomes(catalog, sorted(set(queries(catalog, args.titles)) | set(slips)))
    args.out.write_text(json.dumps(found, ensure_ascii=False, indent=0), encoding="utf-8")
    stored = sum(v[0] != "menu" for v in found.values())
    print(f"{len(found):,} queries: {stored:,} store a title, {len(found) - stored:,} offer a menu")
    slips_stored(catalog, slips, found)
    if args.against:
        compare(catalog, json.loads(args.against.read_text(encoding="utf-8")), found)


if __name__ == "__main__":
    main()
