"""The served lists with and without the dislike floors (animerec.recsys.serving.rules.DISLIKED_FLOOR: no pick
predicted under 4.5, and a TV series scored 4 or less drops its work whatever the member's mean), on the
evaluation's protocols: work NDCG@10 and its liked version over every held-out member, and over those who gave
a score of 4 or less, with the paired difference from the floors left out.

    nice python benchmarks/disliked_floors.py [--seeds 1 2] [--cache DIR]

The model of each seed is the one benchmarks/little_watched_given.py trains and caches.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from little_watched_given import cell, scores, seeded_models

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation.splits import make_cases
from animerec.recsys.model import single_threaded_blas
from animerec.recsys.serving import rules
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.served import ServedModel


def pick_floor_without(ratings) -> float:
    """rules.pick_floor before DISLIKED_FLOOR."""
    s = rules._scores(ratings)
    if len(s) < rules.FEW_SCORES:
        return rules.FEW_SCORES_FLOOR
    return float(s.mean() - rules.PICK_FLOOR_SDS * max(float(s.std()), rules.FLOOR_SLACK))


def dropped_floor_without(ratings) -> float:
    """rules.dropped_floor before DISLIKED_FLOOR."""
    s = rules._scores(ratings)
    return (float(s.mean()) if len(s) >= rules.FEW_SCORES else rules.FEW_SCORES_FLOOR) - rules.DROPPED_SLACK


VARIANTS = {"without the floors": (pick_floor_without, dropped_floor_without),
            "served (both floors)": (rules.pick_floor, rules.dropped_floor)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/little-watched-given"))
    args = parser.parse_args()
    catalog = Catalog.load()
    print("seed | protocol | lists | members | work NDCG@10 | liked | difference | liked difference")
    for seed, test, model in seeded_models(args.seeds, args.cache, catalog):
        served = ServedModel(model, catalog)
        for protocol in ("p80", "cold5"):
            every = make_cases(test, protocol, seed + 1)
            low = [c for c in every if any(0 < r <= rules.DISLIKED for r in c.given_ratings)]
            for group, cases in (("every member", every), (f"gave a {rules.DISLIKED:g} or less", low)):
                first = None
                for name, (pick, dropped) in VARIANTS.items():
                    served_module.pick_floor, served_module.dropped_floor = pick, dropped
                    try:
                        with single_threaded_blas():
                            found = scores(served, cases)
                    finally:
                        served_module.pick_floor, served_module.dropped_floor = rules.pick_floor, rules.dropped_floor
                    diff = ("", "") if first is None else (cell(found[0] - first[0]), cell(found[1] - first[1]))
                    first = first or found
                    print(f"{seed} | {protocol} | {name}, {group} | {len(cases)} | {cell(found[0])} | {cell(found[1])} | "
                          f"{diff[0]} | {diff[1]}", flush=True)


if __name__ == "__main__":
    main()
