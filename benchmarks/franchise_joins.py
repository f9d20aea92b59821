"""How titles first aired in 2017 or later join works and franchises (docs/evaluation.md, "Franchise joins for new
titles"): counts per kind of evidence, and the hand-checked sample of 30 (docs/franchise_hand_check.csv) checked
again against the committed catalog build.

    python benchmarks/franchise_joins.py

Prints the section's markdown. A sampled title whose best-known work or franchise entry, or franchise size, differs
from what was checked by hand is marked "changed since the check" and has to be checked again.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_catalog_links, load_catalog_table
from animerec.recsys.serving.served import franchises_for

HAND_CHECK = Path(__file__).resolve().parents[1] / "docs" / "franchise_hand_check.csv"
NEW_FROM = "2017-01-01"
# Strongest first: each joined title is counted once, under the first kind it has.
KINDS = ("mal2018", "anime-relations", "bangumi:tmdb_tv", "title:sequel", "title:side", "title:remake",
         "title:prefix", "title:same_name", "title:shared_prefix", "crossover:home")


def kind_of(evidence: str) -> str:
    return "mal2018" if evidence.startswith("mal2018") else evidence


def main() -> None:
    table = load_catalog_table().set_index("anime_id")
    fr = franchises_for(Catalog.load())
    new = [a for a in table.index[table["start_date"].fillna("") >= NEW_FROM].tolist() if fr.work_of(a) is not None]
    old = lambda ids: any(str(table.at[b, "start_date"]) < NEW_FROM for b in ids)  # noqa: E731
    in_work = [a for a in new if len(fr.work_entries(fr.work_of(a))) > 1]
    in_franchise = [a for a in new if fr.size(a) > 1]
    links = load_catalog_links()
    links = pd.concat([links, links.rename(columns={"anime_id": "related_id", "related_id": "anime_id"})])
    check = pd.read_csv(HAND_CHECK)
    joined = set(in_franchise)
    mine = links[links["anime_id"].isin(joined | set(check["anime_id"].tolist()))]
    kinds: dict[int, set[str]] = {}
    for a, ev in zip(mine["anime_id"].tolist(), mine["evidence"].tolist()):
        if a not in joined:
            continue
        kinds.setdefault(a, set()).add(kind_of(ev))
    work_kinds = {a: {kind_of(e) for e in g["evidence"]} for a, g in mine[mine["level"] == "work"].groupby("anime_id")
                  if a in joined}
    strongest = Counter(next(k for k in KINDS if k in ks) for ks in kinds.values() if ks & set(KINDS))
    anyk = Counter(k for ks in kinds.values() for k in ks)
    anyw = Counter(k for ks in work_kinds.values() for k in ks)
    print(f"{len(new)} titles first aired on or after {NEW_FROM}:\n")
    print("| joined | titles |\n|---|---|")
    print(f"| a work with another entry | {len(in_work)} |")
    print(f"| a work with an entry aired before {NEW_FROM[:4]} | "
          f"{sum(old(fr.work_entries(fr.work_of(a))) for a in in_work)} |")
    print(f"| a franchise with another entry | {len(in_franchise)} |")
    print(f"| a franchise with an entry aired before {NEW_FROM[:4]} | "
          f"{sum(old(fr.entries(fr.franchise_of(a))) for a in in_franchise)} |")
    print(f"| nothing (a franchise of its own) | {len(new) - len(in_franchise)} |\n")
    print("| evidence | strongest | any link | any work link |\n|---|---|---|---|")
    for k in KINDS:
        print(f"| {k} | {strongest[k]} | {anyk[k]} | {anyw[k]} |")
    print("\n| anime_id | title | type | year | work (best-known entry) | franchise (best-known entry) | franchise size "
          "| evidence | verdict | note |\n|---|---|---|---|---|---|---|---|---|---|")
    best = lambda ids: table.loc[list(ids), "members_latest"].fillna(0).idxmax()  # noqa: E731
    changed = 0
    for r in check.itertuples(index=False):
        a = int(r.anime_id)
        work = table.at[best(fr.work_entries(fr.work_of(a))), "title"]
        franchise = table.at[best(fr.entries(fr.franchise_of(a))), "title"]
        size = fr.size(a)
        ev = "; ".join(sorted({kind_of(e) for e in mine.loc[mine["anime_id"] == a, "evidence"]}))
        same = (work, franchise, size) == (r.checked_work, r.checked_franchise, int(r.checked_franchise_size))
        changed += not same
        verdict = r.verdict if same else f"{r.verdict}; changed since the check (was {r.checked_work} / " \
            f"{r.checked_franchise} / {r.checked_franchise_size})"
        print(f"| {a} | {table.at[a, 'title']} | {table.at[a, 'type']} | {str(table.at[a, 'start_date'])[:4]} | {work} "
              f"| {franchise} | {size} | {ev} | {verdict} | {r.note} |")
    print(f"\n{len(check) - changed} of {len(check)} sampled titles are grouped as when they were checked; "
          f"verdicts: {dict(Counter(check['verdict']))}.")


if __name__ == "__main__":
    main()
