"""What /recommend new's catch-up picks do to members' lists: for sampled members of the bundled interactions
(bench_serve.member_lists), each list of titles first aired since a day, with and without the entries its
window alone leaves out open to be named as the one to catch up with (ServedModel.before_window): how many
lists change, how many picks name an entry to catch up with (and how many of those are of a work the member has
not started, in a franchise they like: FanRules.liked_franchise), where they stand, and the pairs seen most. Then
/seasonal's lines (ServedModel.rank_titles of every TV show aired from 2024 on): how often the entry they name
(FanRules.catch_up_to: the oldest unseen TV season of those before the show) differs from the entry the member
can go on to next (FanRules.go_on_to over next_entries, which /seasonal named before), and the pairs that differ;
and how many lines give the member's own title of the series as the reason, or their title of another work of
its franchise.

    python benchmarks/new_catch_up.py --models <data dir>/models [--members 500]
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
from bench_serve import sampled_members

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.serving.served import ServedModel

WINDOWS = (date(2025, 12, 1), date(2024, 1, 1))  # /recommend new on 2026-12-05, and new=2024
SHOWN_PAIRS = 8
SEASONAL_FROM = 2024
SEASONAL_MEMBERS = 300


def main() -> None:
    catalog, served, members = sampled_members(__doc__.splitlines()[0])
    for since in WINDOWS:
        allowed = served.allowed(aired_from=since, allow_adult=False)
        before = served.before_window(aired_from=since, allow_adult=False)
        changed = with_pick = other_work = 0
        ranks: list[int] = []
        pairs: Counter[tuple[str, str]] = Counter()
        for ratings in members:
            plain = [p.anime_id for p in served.recommend(ratings, 10, allowed=allowed).picks]
            picks = served.recommend(ratings, 10, allowed=allowed, catch_up=before).picks
            changed += plain != [p.anime_id for p in picks]
            caught = [(rank, p) for rank, p in enumerate(picks, 1) if p.catch_up is not None]
            with_pick += bool(caught)
            ranks += [rank for rank, _ in caught]
            started = served.rules.given(ratings).started
            other_work += sum(served.rules.work_of(served.index_of(p.anime_id)) not in started for _, p in caught)
            pairs.update((catalog.get(p.anime_id).name[:45], catalog.get(p.catch_up).name[:45]) for _, p in caught)
        print(f"first aired since {since}: {len(members)} members, {changed} lists changed, {with_pick} with a "
              f"catch-up pick; {len(ranks)} such picks, median rank {np.median(ranks) if ranks else 0:.0f}, "
              f"{sum(r <= 3 for r in ranks)} in the first 3; {other_work} of them into a work the member has not "
              "started, of a franchise they like")
        for (shown, first), count in pairs.most_common(SHOWN_PAIRS):
            print(f"  {count:4d}  {shown}  <- catch up with {first}")
    seasonal_lines(served, catalog, members[:SEASONAL_MEMBERS])


def seasonal_lines(served: ServedModel, catalog: Catalog, members: list[dict[int, float]]) -> None:
    """/seasonal's catch-up lines against the entry each member can go on to next."""
    shows = [a.anime_id for a in catalog if (a.year or 0) >= SEASONAL_FROM and a.type == "TV"]
    rules, lines, own, franchise_own, differ = served.rules, 0, 0, 0, Counter[tuple[str, str, str]]()
    other_works = Counter[str]()
    for ratings in members:
        picks = [p for p in served.rank_titles(ratings, shows) if p.catch_up is not None]
        if not picks:
            continue
        mine, gave = rules.given(ratings), served.blocked(served.given(ratings))
        scores = served.scores(served.model.fold_in(ratings), ratings, new_only=True)[0]  # as rank_titles ranks them
        for p in picks:
            lines += 1
            work = rules.work_of(served.index_of(p.anime_id))
            own += p.because is not None and served.franchises.work_of(p.because) == work
            if p.because is not None and served.franchises.work_of(p.because) != work and \
                    served.franchises.franchise_of(p.because) == served.franchises.franchise_of(p.anime_id):
                franchise_own += 1
                other_works[catalog.get(p.anime_id).name[:50]] += 1
            nxt = rules.go_on_to(rules.next_entries(rules.work_of(served.index_of(p.anime_id)), [mine], gave), scores)
            if nxt is None or int(served.ids[nxt]) != p.catch_up:
                differ[(catalog.get(p.anime_id).name[:40], catalog.get(p.catch_up).name[:40],
                        "nothing" if nxt is None else catalog.get(int(served.ids[nxt])).name[:40])] += 1
    print(f"/seasonal, {len(members)} members, every TV show from {SEASONAL_FROM}: {lines} catch-up lines, "
          f"{own} for the member's own title of the series, {franchise_own} for their title of another work of its "
          f"franchise, {sum(differ.values())} naming another entry than the one they can go on to next")
    print("  another work of the franchise, most seen: " + ", ".join(
        f"{name} ({count})" for name, count in other_works.most_common(SHOWN_PAIRS)))
    for (shown, first, nxt), count in differ.most_common(2 * SHOWN_PAIRS):
        print(f"  {count:4d}  {shown}  <- catch up with {first}  (next: {nxt})")


if __name__ == "__main__":
    main()
