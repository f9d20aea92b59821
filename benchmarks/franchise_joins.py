"""How titles first aired in 2017 or later join works and franchises (docs/evaluation.md, "Franchise joins for new
titles"): counts per kind of evidence, and the hand-checked sample of 30 (docs/franchise_hand_check.csv) checked
again against the committed catalog build.

    python benchmarks/franchise_joins.py [--data ../shared/data]

Prints the section's markdown. A sampled title whose best-known work or franchise entry, or franchise size, differs
from what was checked by hand is marked "changed since the check" and has to be checked again. With --data (the raw
sources the catalog build reads), also how the film-name rules (animerec.recsys.catalog.build.film_heads) do on the
2016 catalog, whose MyAnimeList relations are known.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

from animerec.recsys.catalog import build
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


def film_names_on_2016(data: Path) -> None:
    """Each film-prefixed name of a 2016 title ("劇場版 X", "映画 X") matched, as title_edges matches, to the
    latest earlier 2016 title named X, and checked against the MyAnimeList 2018 relations: one work, one
    franchise only, or unrelated. By the rule that proposed X: a strong cut (a colon, brackets, a space after
    Japanese text) or the whole name after the prefix, against film_heads' weaker cuts (tried only where the
    former find nothing)."""
    anime = build.load_anime_2016(data / "anime.csv")
    mal_titles, relations, dates = build.load_mal2018(data / "mal-2018")
    c26 = data / "catalog-2026"
    titles = build.build_titles(anime, mal_titles, build.load_ate329(c26 / "ate329-all_anime.csv"),
                                build.load_bangumi(c26 / "bangumi-data-items.json"))
    old = set(anime["anime_id"])
    titles = titles[titles["anime_id"].isin(old) & titles["kind"].isin(["main", "english", "japanese"])]
    edges = build.relation_edges(relations, old)
    work, franchise = build.UnionFind(old), build.UnionFind(old)
    for a, b, level, _ in edges:
        franchise.union(a, b)
        if level == "work":
            work.union(a, b)
    start = {int(a): d for a, d in zip(dates["anime_id"], dates["start_date"]) if isinstance(d, str)}
    named: dict[str, set[int]] = defaultdict(set)
    for i, t in zip(titles["anime_id"].tolist(), titles["title"].tolist()):
        named[build.norm_title(t)].add(i)
    verdicts: dict[str, Counter] = {"strong cut or whole name": Counter(), "film_heads": Counter()}
    missed = []
    for i, t in zip(titles["anime_id"].tolist(), titles["title"].tolist()):
        film, body, heads = build.title_heads(t)
        if not film:
            continue
        strong = {build.norm_title(body)} | {h for h, s, _ in heads if s}
        for rule, bases in (("strong cut or whole name", strong), ("film_heads", set(build.film_heads(body, heads)))):
            found = [(base, {c for c in named.get(base, ()) if c != i and start.get(c, "") <= start.get(i, "~")})
                     for base in sorted(bases, key=len, reverse=True)]
            found = [(base, cands) for base, cands in found if cands]
            if found:
                target = max(found[0][1], key=lambda c: start.get(c, ""))
                verdict = "one work" if work.find(i) == work.find(target) else \
                    "one franchise only" if franchise.find(i) == franchise.find(target) else "unrelated"
                verdicts[rule][verdict] += 1
                if rule == "film_heads" and verdict != "one work":
                    missed.append(f"{t} -> {found[0][0]} ({verdict})")
                break
    print("| rule | films matched | one work | one franchise only | unrelated |\n|---|---|---|---|---|")
    for rule, c in verdicts.items():
        n = sum(c.values())
        print(f"| {rule} | {n} | {c['one work']} | {c['one franchise only']} | {c['unrelated']} |")
    print("\nfilm_heads' matches outside one MyAnimeList work: " + "; ".join(missed) + ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the raw sources (the project's shared/data): adds the 2016 check")
    args = parser.parse_args()
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
    if args.data is not None:
        print()
        film_names_on_2016(args.data)


if __name__ == "__main__":
    main()
