"""Ablation of the fan rules (animerec.recsys.serving.rules): the served list with each rule left out, beside
the plain ranking and EDLAE with one slot per work, on one split (docs/evaluation.md, "Fan rules, one at a
time"). Trains the model once; every variant serves the same held-out members through ServedModel.recommend.

    python benchmarks/ablate_rules.py [--seed 1] [--cache /tmp/ablate-model-seed1.pkl]

Prints one table row per variant and protocol: work NDCG@10 (plain and liked), fresh NDCG@10, earlier
entries and extra same-work slots per 10.
"""

from __future__ import annotations

import argparse
import copy
import pickle
from dataclasses import asdict, replace
from pathlib import Path
from typing import cast

from animerec.recsys.algorithms.baselines import TrainIndex
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation import protocols as ev
from animerec.recsys.evaluation.splits import PROTOCOLS, TEST_FRACTION, make_cases, split_users
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving import rules as rules_module
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.rules import CANDIDATE_DEPTH, FEW_SCORES_FLOOR, PICK_FLOOR_SDS, RULES, FanRules
from animerec.recsys.serving.served import ServedModel

FIGURES = ("work_ndcg10", "work_ndcg10_liked", "fresh_ndcg10", "earlier10", "extra10")
DEPTHS = (100, 1000)  # beside CANDIDATE_DEPTH
SDS = (1.0, 2.0)  # the floor's standard deviations below the member's mean, beside PICK_FLOOR_SDS
FEW_FLOORS = (6.0,)  # the floor of members with few scores, beside FEW_SCORES_FLOOR


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-edlae", action="store_true", help="leave out EDLAE (a dense fit per grid point)")
    parser.add_argument("--only", nargs="*", help="only these variants (names as printed)")
    parser.add_argument("--cache", type=Path, help="the trained model is kept here (pickle) for the next run")
    args = parser.parse_args()
    df = load_interactions()
    train, test = split_users(df, TEST_FRACTION, args.seed)
    catalog = Catalog.load()
    if args.cache and args.cache.exists():
        model = pickle.loads(args.cache.read_bytes())
    else:
        model = Recommender.fit(train, ModelConfig(), catalog=catalog)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(model))
    served = ServedModel(model, catalog)
    ix = TrainIndex(train)
    ranks = ev.popularity_ranks(ix.items, catalog)
    scored = {}
    for protocol in PROTOCOLS:
        cases = make_cases(test, protocol, args.seed + 1)
        scored[protocol] = cases, ev.fan_context(served, cases, ranks)

    base = (frozenset(), CANDIDATE_DEPTH, PICK_FLOOR_SDS, FEW_SCORES_FLOOR)
    variants: list[tuple[str, tuple[frozenset[str], int, float, float]]] = [("all rules", base)]
    variants += [(f"without {rule}", (frozenset({rule}), *base[1:])) for rule in RULES]
    variants += [(f"candidate depth {d}", (base[0], d, *base[2:])) for d in DEPTHS]
    variants += [(f"floor: mean - {s:g} sd", (*base[:2], s, base[3])) for s in SDS]
    variants += [(f"floor with few scores {f:g}", (*base[:3], f)) for f in FEW_FLOORS]
    if args.only:
        variants = [v for v in variants if v[0] in args.only]
    rows: dict[str, dict[str, dict]] = {p: {} for p in PROTOCOLS}
    for name, (without, depth, sds, few) in variants:
        served.rules = rules_over(served, without)
        served_module.CANDIDATE_DEPTH = depth  # how deep ServedModel._candidates reads the ranking
        rules_module.PICK_FLOOR_SDS, rules_module.FEW_SCORES_FLOOR = sds, few  # what pick_floor reads
        lists = ev.served_lists(served)
        with single_threaded_blas():
            for protocol, (cases, fan) in scored.items():
                rows[protocol][name] = asdict(ev.list_figures(lists, cases, fan, len(ix.items)))
        print(name, {p: round(rows[p][name]["work_ndcg10"], 4) for p in PROTOCOLS}, flush=True)
    served_module.CANDIDATE_DEPTH = CANDIDATE_DEPTH
    rules_module.PICK_FLOOR_SDS, rules_module.FEW_SCORES_FLOOR = PICK_FLOOR_SDS, FEW_SCORES_FLOOR
    served.rules = rules_over(served)
    unrated = copy.copy(model)  # every rule, the ranking without the member's predicted score
    unrated.config = replace(model.config, blend_rating=0.0)
    short = copy.copy(model)  # every rule, long histories ranked with the blend of short ones
    short.config = replace(model.config, long_blend_factorization=model.config.blend_factorization)
    named = {"ranking without the predicted score": ev.served_lists(served.with_model(unrated)),
             "ranking without the long-history blend": ev.served_lists(served.with_model(short)),
             ev.PLAIN: ev.plain_lists(model)}
    if args.only:
        named = {k: v for k, v in named.items() if k in args.only or k == ev.PLAIN}
    for name, lists in named.items():
        with single_threaded_blas():
            for protocol, (cases, fan) in scored.items():
                rows[protocol][name] = asdict(ev.list_figures(lists, cases, fan, len(ix.items)))
    if not args.no_edlae:
        for protocol, extra in ev.edlae_rows(ix, scored, served.franchises.work_array(ix.items), ev.EDLAE_GRID,
                                             print).items():
            rows[protocol].update(extra)
    print(f"\nseed {args.seed}\n")
    print("| protocol | variant | " + " | ".join(FIGURES) + " |")
    print("|---|---|" + "---|" * len(FIGURES))
    for protocol, named in rows.items():
        for name, f in named.items():
            print(f"| {protocol} | {name} | " + " | ".join(f"{f[c]:.4f}" for c in FIGURES) + " |")


def rules_over(served: ServedModel, without: frozenset[str] = frozenset()) -> FanRules:
    """The fan rules of a served model with ``without`` left out, over every title it serves (trained and cold),
    as ServedModel builds its own."""
    return FanRules(cast(Recommender, served.titles), served.catalog, served.franchises, without,
                    trained=served.n_trained)


if __name__ == "__main__":
    main()
