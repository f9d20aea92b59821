"""Tuning of the served ranking's item-item part and blend (for short and long histories), and of the fan
rules' floor, on seeds 1 and 2 (docs/evaluation.md, "The served ranking for long histories"): the served list
(ServedModel.recommend) and the plain ranking at the level of works, beside EDLAE with one slot per work, for
each setting.

    nice -n 10 python benchmarks/tune_ranking.py [--seeds 1 2] [--cache /tmp/tune-ranking]

Trains the model once per seed (cached); each setting refits only the item-item weights (EDLAE closed form
on the training co-occurrence) and serves the same held-out members. Prints one row per setting with work
NDCG@10 and its liked version per protocol, averaged over the seeds, and the bar's reference.
"""

from __future__ import annotations

import argparse
import copy
import functools
import itertools
import json
import pickle
from dataclasses import asdict, fields, replace
from pathlib import Path

import numpy as np

from animerec.recsys.algorithms.baselines import TrainIndex
from animerec.recsys.algorithms.itemitem import fit_ease
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation import protocols as ev
from animerec.recsys.evaluation.splits import PROTOCOLS, TEST_FRACTION, make_cases, split_users
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving import rules
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.served import ServedModel

FIGURES = ("work_ndcg10", "work_ndcg10_liked")
# EDLAE's grid points best for one slot per work on p80 and cold5 (docs/evaluation.md): the bar's reference.
REFERENCE_GRID = ((0.25, 300.0), (0.75, 300.0), (0.5, 300.0), (0.25, 30.0))


def fitted(seed: int, cache: Path, catalog: Catalog, fit: dict[str, float]):
    """The split and the model trained on it with ``fit``'s ModelConfig values (the defaults beside them)."""
    df = load_interactions()
    train, test = split_users(df, TEST_FRACTION, seed)
    tag = "".join(f"-{k}{v:g}" for k, v in sorted(fit.items()))
    path = cache / f"model-seed{seed}{tag}.pkl"
    if path.exists():
        model = pickle.loads(path.read_bytes())
    else:
        model = Recommender.fit(train, replace(ModelConfig(), **fit), catalog=catalog)
        path.write_bytes(pickle.dumps(model))
    return train, test, model


def parse_fit(text: str) -> dict[str, float]:
    """"factors=96,regularization=60" -> {"factors": 96, "regularization": 60.0} ("" is the defaults)."""
    types = {f.name: f.type for f in fields(ModelConfig)}
    out: dict[str, float] = {}
    for part in filter(None, text.split(",")):
        key, value = part.split("=")
        out[key] = int(value) if types[key] in (int, "int") else float(value)
    return out


def figures(lists, cases, fan, n_items) -> dict[str, float]:
    return {k: v for k, v in asdict(ev.list_figures(lists, cases, fan, n_items)).items() if k in FIGURES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tune-ranking"))
    parser.add_argument("--dropouts", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    parser.add_argument("--lambdas", type=float, nargs="+", default=[30.0, 300.0])
    parser.add_argument("--neighbors", type=int, nargs="+", default=[100])
    parser.add_argument("--blends", type=float, nargs="+", default=[0.5])
    parser.add_argument("--ratings", type=float, nargs="+", default=[0.0], help="blend_rating values")
    defaults = ModelConfig()
    parser.add_argument("--long-histories", type=int, nargs="+", default=[defaults.long_history],
                        help="long_history values (from this many titles the long blend applies)")
    parser.add_argument("--long-blends", type=float, nargs="+", default=[defaults.long_blend_factorization],
                        help="long_blend_factorization values")
    parser.add_argument("--floors", nargs="+", default=["sd1"], help="names of pick_floor variants (FLOORS)")
    parser.add_argument("--shifts", type=float, nargs="+", default=[rules.STARTED_SHIFT],
                        help="STARTED_SHIFT values (how far the works the member started move)")
    parser.add_argument("--doubts", nargs="+", choices=("on", "off"), default=["on"],
                        help="whether another work of a franchise the member disliked needs a prediction at their "
                             "floor (FanRules.disliked_elsewhere)")
    parser.add_argument("--depths", type=int, nargs="+", default=[rules.CANDIDATE_DEPTH], help="CANDIDATE_DEPTH values")
    parser.add_argument("--firsts", type=int, nargs="+", default=[served_module.CANDIDATE_FIRST],
                        help="CANDIDATE_FIRST values")
    parser.add_argument("--fits", nargs="+", default=[""],
                        help='ModelConfig values the model is trained with, e.g. "factors=96,regularization=60"')
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load()
    results: dict[str, dict] = {}
    references: dict[int, dict[str, dict[str, float]]] = {}
    for seed, fit_text in itertools.product(args.seeds, args.fits):
        fit = parse_fit(fit_text)
        train, test, model = fitted(seed, args.cache, catalog, fit)
        served = ServedModel(model, catalog)
        ix = TrainIndex(train)
        assert np.array_equal(ix.items, model.item_ids)
        ranks = ev.popularity_ranks(ix.items, catalog)
        scored = {}
        for protocol in PROTOCOLS:
            cases = make_cases(test, protocol, seed + 1)
            scored[protocol] = cases, ev.fan_context(served, cases, ranks)
        ref_path = args.cache / f"reference-seed{seed}.json"
        if not args.no_reference and not ref_path.exists():
            rows = ev.edlae_rows(ix, scored, served.franchises.work_array(ix.items), REFERENCE_GRID, print)
            ref_path.write_text(json.dumps(rows))
        if ref_path.exists() and seed not in references:
            for protocol, rows in json.loads(ref_path.read_text()).items():
                for name, row in rows.items():
                    if name.startswith(ev.EDLAE_ONE_SLOT):
                        references.setdefault(seed, {})[protocol] = {k: row[k] for k in FIGURES}
                        results.setdefault(f"reference {ev.EDLAE_ONE_SLOT}", {}).setdefault(protocol, []).append(
                            {k: row[k] for k in FIGURES})
        gram = ix.cooccurrence()
        original_floor = served_module.pick_floor
        original_depths = served_module.CANDIDATE_DEPTH, served_module.CANDIDATE_FIRST
        original_shift = rules.STARTED_SHIFT
        original_doubt = rules.FanRules.disliked_elsewhere
        for dropout, lam, keep in itertools.product(args.dropouts, args.lambdas, args.neighbors):
            ease = fit_ease(gram.copy(), lam=lam, dropout=dropout, neighbors=keep)
            for blend, rating, long_history, long_blend in itertools.product(
                    args.blends, args.ratings, args.long_histories, args.long_blends):
                variant = copy.copy(model)
                variant.ease = ease
                variant.config = replace(model.config, blend_factorization=blend, blend_rating=rating,
                                         long_history=long_history, long_blend_factorization=long_blend)
                served_variant = served.with_model(variant)
                for floor, shift, doubt, depth, first in itertools.product(
                        args.floors, args.shifts, args.doubts, args.depths, args.firsts):
                    served_module.pick_floor = FLOORS[floor]
                    served_module.CANDIDATE_DEPTH, served_module.CANDIDATE_FIRST = depth, first
                    rules.STARTED_SHIFT = shift  # what FanRules.favour_started reads
                    rules.FanRules.disliked_elsewhere = original_doubt if doubt == "on" else _doubting_nothing
                    name = (f"{fit_text or 'default fit'} dropout={dropout:g} lambda={lam:g} keep={keep} "
                            f"blend={blend:g} rating={rating:g} long={long_history}:{long_blend:g} "
                            f"floor={floor} started={shift:g} doubt={doubt} depth={depth} "
                            f"first={first}")
                    with single_threaded_blas():
                        for protocol, (cases, fan) in scored.items():
                            row = figures(ev.served_lists(served_variant), cases, fan, len(ix.items))
                            row["seed"] = seed
                            results.setdefault(name, {}).setdefault(protocol, []).append(row)
                            if (floor, shift, doubt, depth, first) == (
                                    args.floors[0], args.shifts[0], args.doubts[0], args.depths[0], args.firsts[0]):
                                plain = figures(ev.plain_lists(variant), cases, fan, len(ix.items))
                                plain["seed"] = seed
                                results.setdefault(f"plain {name}", {}).setdefault(protocol, []).append(plain)
                    print(seed, name, {p: results[name][p][-1] for p in PROTOCOLS}, flush=True)
                served_module.pick_floor = original_floor
                served_module.CANDIDATE_DEPTH, served_module.CANDIDATE_FIRST = original_depths
                rules.STARTED_SHIFT = original_shift
                rules.FanRules.disliked_elsewhere = original_doubt
    print(f"\nseeds {args.seeds} (means; bar: the smaller of served / reference over {', '.join(FIGURES)}, "
          "per seed, then the mean over seeds)\n")
    print("| setting | " + " | ".join(f"{p} {f}" for p in PROTOCOLS for f in FIGURES)
          + " | " + " | ".join(f"{p} bar" for p in PROTOCOLS) + " |")
    print("|---|" + "---|" * (len(PROTOCOLS) * (len(FIGURES) + 1)))
    for name, per in results.items():
        cells = [f"{np.mean([r[f] for r in per[p]]):.4f}" for p in PROTOCOLS for f in FIGURES]
        cells += [f"{bar_ratio(per[p], references, p):.4f}" for p in PROTOCOLS]
        print(f"| {name} | " + " | ".join(cells) + " |")


def _doubting_nothing(self: rules.FanRules, ratings, floor: float) -> np.ndarray:
    """FanRules.disliked_elsewhere turned off: no title needs more than the list's floor."""
    return np.zeros(len(self.entry_points), bool)


def bar_ratio(rows: list[dict], references: dict[int, dict[str, dict[str, float]]], protocol: str) -> float:
    """The bar's ratio, min over FIGURES of served / EDLAE one slot per work, averaged over the rows' seeds."""
    ratios = [min(r[f] / references[r["seed"]][protocol][f] for f in FIGURES) for r in rows
              if "seed" in r and r["seed"] in references]
    return float(np.mean(ratios)) if ratios else float("nan")


FLOORS = {"mean-1": lambda ratings: rules.member_floor(ratings, 1.0), "none": lambda ratings: -np.inf,
          **{f"sd{z:g}": functools.partial(rules.pick_floor, sds=z) for z in (0.75, 1.0, 1.25, 1.5)}}


if __name__ == "__main__":
    main()
