"""What a bonus for titles of a franchise the member loved would do to the time split: the served cold-start
scores of the cut titles (ColdConfig as chosen), plus a weight wherever the title is of a franchise the member
rated a title of at least ColdConfig.liked_rating (another version or a spin-off of a series they loved), on
the tuning seeds 1 and 2 (the bar's criterion: the smaller of served / popularity on NDCG@10 and liked NDCG@10),
then the reported seed 0 at 0 and at the best weight. Also how many scored members have a cut title they watched
in a franchise they loved (rated a title of it liked_rating or more), the members the bonus is for.

    nice -n 10 python benchmarks/liked_franchise.py
"""

from __future__ import annotations

import numpy as np
from tune_coldstart import _criterion, _line, _mean

from animerec.recsys.algorithms.coldstart import ColdConfig, catalog_franchises
from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.evaluation import coldstart as ce
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas

WEIGHTS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
TUNING, REPORTED = (1, 2), 0


def main() -> None:
    df, table = load_interactions(), load_catalog_table()
    train, held, cut_ids = ce.time_split(df, table)
    franchises = catalog_franchises(table)
    model = Recommender.fit(train, ModelConfig(), content=table, franchises=franchises)
    seeds = (*TUNING, REPORTED)
    split = {s: ce.halves(held, cut_ids, s)[0] for s in seeds}
    bar = ColdConfig().liked_rating
    with single_threaded_blas():
        folded = {s: ce.fold_cases(model, cases) for s, cases in split.items()}
        pop = {s: ce.figures(cases, cut_ids, ce.popularity_ranker(table, cut_ids)) for s, cases in split.items()}
    for s, cases in split.items():
        fans = sum(bool(set(franchises.franchise_of(a) for a in c.given_items[c.given_ratings >= bar])
                        & {franchises.franchise_of(a) for a in c.target_items} - {None}) for c in cases)
        print(f"seed {s}: {len(cases)} scored members, {fans} watched a cut title of a franchise they loved")

    cut_franchise = np.array([-1 if (f := franchises.franchise_of(a)) is None else f for a in cut_ids.tolist()])

    cut_work = np.array([franchises.work_key(a) for a in cut_ids.tolist()])

    def figures(weight: float, seeds: tuple[int, ...], other_works: bool) -> dict[int, dict]:
        """Each seed's figures with the bonus; ``other_works``: only where the member gave nothing of the
        title's own work (a new season of a loved title has its own bonus, liked_continuation_weight)."""
        out = {}
        with single_threaded_blas():
            for s in seeds:
                served = ce.cold_ranker(model, cut_ids, folded[s])

                def rank(case, served=served):
                    loved = {franchises.franchise_of(a) for a in case.given_items[case.given_ratings >= bar]} - {None}
                    bonus = np.isin(cut_franchise, list(loved))
                    if other_works:
                        bonus &= ~np.isin(cut_work, [franchises.work_key(a) for a in case.given_items.tolist()])
                    return served(case) + weight * bonus
                out[s] = ce.figures(split[s], cut_ids, rank)
        return out

    for other_works in (False, True):
        print("the bonus on", "other works of the franchise only" if other_works else "every title of the franchise")
        rows = []
        for weight in WEIGHTS:
            each = figures(weight, TUNING, other_works)
            rows.append((weight, _criterion(each, pop)))
            print(f"  weight {weight:4.1f}  seeds {TUNING}: {_line(_mean(each.values()))} criterion {rows[-1][1]:.4f}",
                  flush=True)
        best = max(rows, key=lambda r: r[1])[0]
        for weight in dict.fromkeys((0.0, best)):
            figs = figures(weight, (REPORTED,), other_works)[REPORTED]
            print(f"  seed {REPORTED}, weight {weight}: "
                  f"{_line({k: figs[k] for k in ('ndcg10', 'ndcg10_liked', 'recall20')})}")
    print(f"popularity, seed {REPORTED}: {_line({k: pop[REPORTED][k] for k in ('ndcg10', 'ndcg10_liked', 'recall20')})}")


if __name__ == "__main__":
    main()
