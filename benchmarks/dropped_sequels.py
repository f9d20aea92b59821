"""How members who scored a TV series far under their own mean took its direct sequel, in the bundled
interactions: the evidence behind FanRules' dropped-work rule (animerec.recsys.serving.rules.DROPPED_SLACK).

For every (series, its direct TV sequel) pair both in the data (Franchises.before) and every member with at least
FEW_SCORES scores who scored the series, the share who watched the sequel and the share who scored it at or above
their mean, by how far under their mean they scored the series:

    python benchmarks/dropped_sequels.py
"""

from __future__ import annotations

import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import load_interactions
from animerec.recsys.serving.rules import FEW_SCORES

BANDS = [-10, -4, -3, -2, -1, 0, 10]  # the series' score less the member's mean


def main() -> None:
    df = load_interactions()
    catalog = Catalog.load()
    franchises = Franchises.load(catalog)
    ids = set(df["anime_id"].unique().tolist())

    def tv(a: int) -> bool:
        return a in ids and a in catalog and catalog.get(a).type == "TV"

    pairs = [(p, s) for s in ids if tv(s) for p in franchises.before(s) if tv(p)]
    scored = df[df["rating"] > 0]
    means = scored.groupby("user_id")["rating"].mean()
    counts = scored.groupby("user_id")["rating"].size()
    rows = []
    for user, g in df.groupby("user_id"):
        if counts.get(user, 0) < FEW_SCORES:
            continue
        given = dict(zip(g["anime_id"].tolist(), g["rating"].tolist()))
        mean = float(means[user])
        rows += [(given[p] - mean, s in given, given.get(s, 0) >= mean) for p, s in pairs if given.get(p, 0) > 0]
    x = pd.DataFrame(rows, columns=["under_mean", "watched_sequel", "liked_sequel"])
    x["band"] = pd.cut(x["under_mean"], BANDS)
    print(f"{len(pairs)} series-sequel pairs, {len(x)} members' scores of the series")
    print(x.groupby("band", observed=True).agg(scores=("under_mean", "size"), watched_sequel=("watched_sequel", "mean"),
                                              liked_sequel=("liked_sequel", "mean")).round(3).to_string())


if __name__ == "__main__":
    main()
