"""/recommend new with discover: what the lists of new titles to discover hold, for sampled members of the bundled
interactions (bench_serve.member_lists): how many picks, where each one's score comes from (the pick's words:
ServedModel._sources), how many are among the window's ten titles with most MyAnimeList members, and how alike two
members' lists are (mean Jaccard over pairs of members). First, how many of the same members' lists without
discover are mostly picked for being widely watched, and so point to discover (render.recommend_embed).

    python benchmarks/discover_new.py --models <data dir>/models [--members 500]
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from bench_serve import sampled_members
from new_catch_up import WINDOWS

from animerec.recsys.serving.reasons import mostly_popular

MOST_WATCHED = 10


def main() -> None:
    catalog, served, members = sampled_members(__doc__.splitlines()[0])
    members_now = catalog.members_now(served.ids.tolist())
    for since in WINDOWS:
        allowed = served.allowed(aired_from=since, allow_adult=False)
        before = served.before_window(aired_from=since, allow_adult=False)
        widely = 0
        for ratings in members:
            picks = served.recommend(ratings, 10, allowed=allowed, catch_up=before).picks
            widely += mostly_popular((p.because, p.source) for p in picks)
        print(f"first aired since {since}, without discover: {widely} of {len(members)} lists mostly picked for being "
              "widely watched (pointing to discover)")
        inside = np.flatnonzero(allowed)
        top = set(served.ids[inside[np.argsort(-members_now[inside], kind="stable")[:MOST_WATCHED]]].tolist())
        sources: Counter[str | None] = Counter()
        lengths, lists, most_watched = [], [], 0
        for ratings in members:
            picks = served.recommend(ratings, 10, allowed=allowed, discover=True).picks
            lengths.append(len(picks))
            sources.update(p.source for p in picks)
            most_watched += sum(p.anime_id in top for p in picks)
            lists.append(frozenset(p.anime_id for p in picks))
        alike = [len(a & b) / len(a | b) for a, b in zip(lists[::2], lists[1::2]) if a | b]
        print(f"first aired since {since}: {sum(lengths)} picks for {len(members)} members (mean {np.mean(lengths):.1f}, "
              f"{sum(n == 0 for n in lengths)} empty); by source {dict(sources.most_common())}; {most_watched} among "
              f"the window's {MOST_WATCHED} most watched; two members' lists alike (Jaccard) {np.mean(alike):.3f}")


if __name__ == "__main__":
    main()
