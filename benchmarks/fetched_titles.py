"""New titles as a catalog refresh fetches them, on the time split of `python -m animerec.recsys evaluate --coldstart`.

A title the refresh adds (animerec.recsys.lifecycle.refresh) comes from AniList, which has no age rating: its row
carries the "missing" marker that, among the training titles, marks the 2016-only ones. This runs the time split
twice per seed, with the cut titles' age ratings as the catalog has them and blanked as a fetched row has them,
and prints the served path's ranking figures and its prediction error on the cut titles.

    python benchmarks/fetched_titles.py [--seeds 1,2]
"""

from __future__ import annotations

import argparse

from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.evaluation.coldstart import SERVED, evaluate_coldstart, time_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2", help="comma-separated split seeds (default 1,2: the tuning's)")
    args = parser.parse_args()
    df, table = load_interactions(), load_catalog_table()
    cut_ids = time_split(df, table)[2]
    cut = table["anime_id"].isin(cut_ids)
    print(f"{len(cut_ids)} cut titles, {int(table.loc[cut, 'age_rating'].notna().sum())} of them with an age rating")
    print(f"{'seed':>4s}  {'age rating':<12s}{'NDCG@10':>9s}{'liked':>9s}{'Recall@20':>11s}{'RMSE':>9s}")
    for seed in (int(s) for s in args.seeds.split(",")):
        for label, ages in (("as built", table["age_rating"]), ("blanked", table["age_rating"].where(~cut))):
            result = evaluate_coldstart(df, table.assign(age_rating=ages), seed, lightfm=False, ceiling=False)
            m = result["methods"][SERVED]
            print(f"{seed:>4d}  {label:<12s}{m['ndcg10']:>9.4f}{m['ndcg10_liked']:>9.4f}{m['recall20']:>11.4f}"
                  f"{result['calibration']['served']:>9.4f}")


if __name__ == "__main__":
    main()
