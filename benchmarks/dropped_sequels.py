"""How members who scored a TV series far under their own mean took what comes after it, in the bundled
interactions: the evidence behind FanRules' dropped-work rule (animerec.recsys.serving.rules.DROPPED_SLACK) and
the floor a disliked franchise's other works are held to (FanRules.disliked_elsewhere).

For every member with at least FEW_SCORES scores who scored a TV series, by how far under their mean they
scored it, the share who watched, and the share who scored at or above their mean:
- its direct TV sequel (every (series, sequel) pair both in the data, Franchises.before);
- the entry point (a TV series, film, OVA or ONA) of each other work of its franchise: a spin-off or another
  version (Railgun beside Index).

    python benchmarks/dropped_sequels.py
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import load_interactions
from animerec.recsys.serving.rules import FEW_SCORES, NEW_TYPES

BANDS = [-10, -4, -3, -2, -1, 0, 10]  # the series' score less the member's mean


def main() -> None:
    df = load_interactions()
    catalog = Catalog.load()
    franchises = Franchises.load(catalog)
    ids = set(df["anime_id"].unique().tolist())

    def of_type(a: int, types: frozenset[str]) -> bool:
        return a in ids and a in catalog and catalog.get(a).type in types

    def tv(a: int) -> bool:
        return of_type(a, frozenset({"TV"}))

    sequels = [(p, s) for s in ids if tv(s) for p in franchises.before(s) if tv(p)]
    other_works = []
    for p in ids:
        franchise = franchises.franchise_of(p)
        if not tv(p) or franchise is None:
            continue
        other_works += [(p, s) for s in franchises.entries(franchise)
                        if (w := franchises.work_of(s)) != franchises.work_of(p) and franchises.entry_point(w) == s
                        and of_type(s, NEW_TYPES)]
    scored = df[df["rating"] > 0]
    means = scored.groupby("user_id")["rating"].mean()
    counts = scored.groupby("user_id")["rating"].size()
    members = [(dict(zip(g["anime_id"].tolist(), g["rating"].tolist())), float(means[user]))
               for user, g in df.groupby("user_id") if counts.get(user, 0) >= FEW_SCORES]
    for what, pairs in (("its direct TV sequel", sequels), ("another work of its franchise", other_works)):
        after: dict[int, list[int]] = defaultdict(list)
        for p, s in pairs:
            after[p].append(s)
        rows = [(given[p] - mean, s in given, given.get(s, 0) >= mean)
                for given, mean in members for p, following in after.items() if given.get(p, 0) > 0
                for s in following]
        x = pd.DataFrame(rows, columns=["under_mean", "watched", "liked"])
        x["band"] = pd.cut(x["under_mean"], BANDS)
        print(f"\n{what}: {len(pairs)} (series, title) pairs, {len(x)} members' scores of the series")
        print(x.groupby("band", observed=True).agg(scores=("under_mean", "size"), watched=("watched", "mean"),
                                                  liked=("liked", "mean")).round(3).to_string())


if __name__ == "__main__":
    main()
