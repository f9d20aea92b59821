"""/similar of titles with little support (under embeddings.SPARSE_SUPPORT training watchers): their exact
SPARSE_CANDIDATES nearest re-ranked (ServedModel._sparse_candidates), beside Annoy's CANDIDATES as before, on
held-out splits: co-watch precision@10, genre overlap and obscure share (docs/evaluation.md's /similar
figures), over every query as the bars read them and over the queries with little support alone.

    python benchmarks/similar_sparse.py [--seeds 1 2] [--supports 0 20] [--sparse-ks 200] [--cache /tmp/tune-ranking]

``--supports``: the SPARSE_SUPPORT values to serve with (0: none, Annoy's CANDIDATES for every title, as
before); the queries with little support are those under the largest given (or under SPARSE_SUPPORT).
``--sparse-ks``: the SPARSE_SUPPORT_K values their re-ranking is tried with (each with every threshold); each
line also says which titles come first most often in the lists of the little-watched non-adult titles, as in
an ordinary channel (the most watched standing first for hundreds of titles is the prior's lean).

The model of each seed is the one benchmarks/tune_ranking.py trains and caches.
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
from tune_ranking import fitted

from animerec.recsys.algorithms.embeddings import SPARSE_SUPPORT, SPARSE_SUPPORT_K
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation import protocols as ev
from animerec.recsys.evaluation.similar import similar_figures
from animerec.recsys.model import single_threaded_blas
from animerec.recsys.serving import served as served_module
from animerec.recsys.serving.served import ServedModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--supports", type=float, nargs="+", default=[0, SPARSE_SUPPORT])
    parser.add_argument("--sparse-ks", type=float, nargs="+", default=[SPARSE_SUPPORT_K])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tune-ranking"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load()
    single_threaded_blas()
    for seed in args.seeds:
        train, test, model = fitted(seed, args.cache, catalog, {})
        served = ServedModel(model, catalog)
        support = np.array(served._popularity_of)
        widest = max(args.supports)
        sparse = model.item_ids[model.item_popularity < widest]
        print(f"seed {seed}: {len(sparse)} of {model.n_items} trained titles under {widest:g} watchers")
        safe = np.array([not (a in catalog and catalog.get(a).is_adult) for a in served.ids.tolist()])
        little = [a for a in sparse.tolist() if not catalog.get(a).is_adult]
        for threshold, sparse_k in itertools.product(args.supports, args.sparse_ks):
            served._exact_similar = served._evidenced & (support < threshold)
            served_module.SPARSE_SUPPORT_K = sparse_k
            served._prior = support / (support + sparse_k)
            name = f"exact 400 under {threshold:g}, k {sparse_k:g}" if threshold else "Annoy's 100 for all"
            for queries, known in (("every query", model.item_ids), (f"under {widest:g}", sparse)):
                f = similar_figures(ev.served_neighbours(served), test, catalog, served.franchises, known=known,
                                    seed=seed, per_interaction=ev.SIMILAR_QUERIES)
                print(f"  {name:30s} {queries:12s} ({f['queries']:5d} queries): co-watch precision "
                      f"{f['cowatch_precision']:.4f} ± {f['cowatch_precision_se']:.4f}, genre overlap "
                      f"{f['genre_overlap']:.4f}, obscure share {f['obscure_share']:.4f}", flush=True)
            first = Counter(nb[0][0] for a in little if (nb := served.similar(a, 1, allowed=safe).neighbours))
            print(f"  {'':30s} first in the lists of {len(little)} little-watched titles: " +
                  ", ".join(f"{catalog.get(a).name[:20]} {k}" for a, k in first.most_common(3)), flush=True)


if __name__ == "__main__":
    main()
