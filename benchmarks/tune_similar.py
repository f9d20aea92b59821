"""The /similar embeddings' genre weight and the rerank's support prior, tuned on seeds 1 and 2: the served
/similar's co-watch precision, genre overlap and obscure share (per-interaction queries, as
docs/evaluation.md's /similar table) for each pair. The model of each seed is the one
benchmarks/tune_ranking.py trains and caches; only the embeddings are remade per genre weight.

    python benchmarks/tune_similar.py --seeds 2 1 --genre-weights 0.5 0.6 --support-ks 200 400 800
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
from tune_ranking import fitted

from animerec.recsys.algorithms import embeddings
from animerec.recsys.algorithms.embeddings import genre_matrix, similar_embeddings
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation import protocols as ev
from animerec.recsys.evaluation.similar import similar_figures
from animerec.recsys.model import Interactions, single_threaded_blas
from animerec.recsys.serving.served import ServedModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--genre-weights", type=float, nargs="+", default=[embeddings.GENRE_WEIGHT])
    parser.add_argument("--support-ks", type=float, nargs="+", default=[embeddings.SUPPORT_K])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tune-ranking"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load()
    for seed in args.seeds:
        train, test, base = fitted(seed, args.cache, catalog, {})
        read = Interactions.of(train, base.config)
        assert np.array_equal(read.item_ids, base.item_ids)
        C, genres = read.confidence, genre_matrix(base.item_ids, catalog)[0]
        franchises = None
        for weight in args.genre_weights:
            model = copy.copy(base)
            model.similar_vectors = similar_embeddings(C, base.item_popularity, item_genres=genres,
                                                       seed=base.config.seed, genre_weight=weight)
            for cached in ("_similar_space", "_ann", "_evidence_ann", "_similar_evidenced"):
                setattr(model, cached, None)
            served = ServedModel(model, catalog, franchises)
            franchises = served.franchises
            for support_k in args.support_ks:
                assert embeddings.rerank.__kwdefaults__ is not None
                embeddings.rerank.__kwdefaults__["support_k"] = support_k
                with single_threaded_blas():
                    f = similar_figures(ev.served_neighbours(served), test, catalog, franchises, known=model.item_ids,
                                        seed=seed, per_interaction=ev.SIMILAR_QUERIES)
                print(f"seed {seed} genre weight {weight:g} support_k {support_k:g}: co-watch precision "
                      f"{f['cowatch_precision']:.4f} genre overlap {f['genre_overlap']:.4f} "
                      f"obscure share {f['obscure_share']:.4f}", flush=True)


if __name__ == "__main__":
    main()
