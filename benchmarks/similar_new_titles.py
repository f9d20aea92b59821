"""/similar of titles without interactions, on the time split of `python -m animerec.recsys evaluate --coldstart`.

Every title first aired on or after the cut (2016-04-01) is removed from training with its interactions
(animerec.recsys.evaluation.coldstart.time_split); the held-out members are split in two by the seed as there. A
query is a cut title from a scored member's history; its ten neighbours are ServedModel.similar's, as members see
them, over the titles the 2016 sample has (trained and cut: a title aired later, which no member of the sample could
have watched, would count as a miss for every method alike), and are judged as docs/evaluation.md's /similar
section judges them (animerec.recsys.evaluation.similar: co-watch precision@10 in that member's history, genre
overlap with the query, share of titles under 5,000 MyAnimeList members). Queries are split by where the cut
title's vector comes from (its franchise's predecessor, or its content alone).

Methods: the cold titles' /similar embeddings as served (their genre columns their own, like a trained title's:
Recommender.similar_space), as before (every column mapped from the cold vector), and the warm model trained with
the community half's interactions too (the ceiling: the cut titles they watched have learnt vectors).

    python benchmarks/similar_new_titles.py [--seed 0] [--guess-candidates watched|best-score|annoy-400]

--guess-candidates: where a content guess's /similar candidates come from, for the "as served" and "before (every
column mapped)" rows (the ceiling's cut titles are trained): its nearest titles among those members watch (watched,
as served: ServedModel._guess_candidates), the 100 titles with the best rerank score over every title (best-score),
or Annoy's 400 nearest over every title (annoy-400). The two others were measured and not kept (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import time

import numpy as np
import pandas as pd

from animerec.recsys.algorithms.coldstart import CONTENT, FRANCHISE
from animerec.recsys.algorithms.embeddings import CANDIDATES, SUPPORT_K
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_catalog_table, load_interactions
from animerec.recsys.evaluation.coldstart import halves, time_split
from animerec.recsys.evaluation.similar import similar_figures
from animerec.recsys.model import ModelConfig, Recommender
from animerec.recsys.serving.served import ServedModel, franchises_for


def without_cold_genres(model: Recommender) -> Recommender:
    """The model with its cold titles' genre columns mapped from their vectors, as before they were their own."""
    assert model.cold is not None
    out = copy.copy(model)
    out.cold = dataclasses.replace(model.cold, genres=np.zeros((0, 0), np.uint8))
    out._similar_space = out._similar_evidenced = out._ann = out._evidence_ann = None
    return out


def best_score_candidates(served: ServedModel, i: int) -> list[tuple[int, float]]:
    """The CANDIDATES titles with the best rerank score (cosine x support prior at SUPPORT_K) for item i, over
    every title, best first."""
    V = served._unit_vectors
    sims = V @ V[i]
    support = np.array(served._popularity_of)
    top = np.argsort(-(sims * support / (support + SUPPORT_K)), kind="stable")[:CANDIDATES]
    return list(zip(top.tolist(), sims[top].tolist()))


GUESS_CANDIDATES = {
    "watched": ServedModel._guess_candidates,
    "best-score": best_score_candidates,
    "annoy-400": lambda served, i: served.model.ensure_ann().neighbours(i, 4 * CANDIDATES),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--guess-candidates", choices=list(GUESS_CANDIDATES), default="watched")
    args = parser.parse_args()
    ServedModel._guess_candidates = GUESS_CANDIDATES[args.guess_candidates]  # type: ignore[method-assign]
    clock = time.perf_counter()
    df, table, catalog = load_interactions(), load_catalog_table(), Catalog.load()
    franchises = franchises_for(catalog)
    train, held, cut_ids = time_split(df, table)
    cases, community = halves(held, cut_ids, args.seed)
    scored = {case.user_id for case in cases}
    test = held[held["user_id"].astype(str).isin(scored)]
    config = ModelConfig()
    model = Recommender.fit(train, config, catalog=catalog, content=table, franchises=franchises)
    ceiling = Recommender.fit(pd.concat([train, community], ignore_index=True), config, catalog=catalog,
                              content=table, franchises=franchises)
    assert model.cold is not None
    sources = {int(a): int(model.cold.source[r]) for a in cut_ids.tolist()
               if (r := model.cold.index_of(a)) is not None}
    of = {"franchise": [a for a, s in sources.items() if s == FRANCHISE],
          "content": [a for a, s in sources.items() if s == CONTENT]}
    sample = set(train["anime_id"].tolist()) | set(cut_ids.tolist())
    print(f"cut at 2016-04-01: {len(cut_ids)} cut titles ({len(of['franchise'])} franchise vectors, "
          f"{len(of['content'])} content alone), {len(scored)} scored members, seed {args.seed}")
    print(f"{'method':46s}{'queries':>8s} {'co-watch p@10':>14s} {'genre overlap':>14s} {'under 5,000':>12s}")
    for label, m in (("as served (genre columns their own)", model), ("before (every column mapped)",
                     without_cold_genres(model)), ("warm ceiling (community half trained in)", ceiling)):
        served = ServedModel(m, catalog, franchises)
        allowed = np.isin(served.ids, np.fromiter(sample, np.int64))

        def neighbours(a: int, n: int, served: ServedModel = served, allowed: np.ndarray = allowed) -> list[int]:
            return [b for b, _ in served.similar(a, n, allowed=allowed).neighbours]

        for part, ids in of.items():
            f = similar_figures(neighbours, test, catalog, franchises, known=ids, seed=args.seed)
            print(f"{label + ', ' + part:46s}{f['queries']:8d} {f['cowatch_precision']:8.4f} ± "
                  f"{f['cowatch_precision_se']:.4f} {f['genre_overlap']:14.4f} {f['obscure_share']:12.4f}")
    print(f"({time.perf_counter() - clock:.0f} s)")


if __name__ == "__main__":
    main()
