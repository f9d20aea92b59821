"""Training speed on the bundled data, beside implicit's ALS in the same run.

    python benchmarks/bench_train.py          (needs `pip install -e '.[bench]'` for implicit)

Prints: the full `train` (load data, fit, Annoy, publish) against the 15 s budget, and our ALS
against implicit.cpu.als.AlternatingLeastSquares at the same rank, iterations, regularization and
confidence matrix, with their ratio and their final training losses.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from animerec.recsys.algorithms.als import fit_als
from animerec.recsys.data import load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_model
from animerec.recsys.model import ModelConfig, confidence_weight

REPEATS = 3


def confidence_matrix(config: ModelConfig) -> sp.csr_matrix:
    df = load_interactions()
    users = df["user_id"].astype("category").cat.codes.to_numpy()
    items = df["anime_id"].astype("category").cat.codes.to_numpy()
    conf = 1.0 + config.alpha * confidence_weight(df["rating"].to_numpy(), config)
    return sp.csr_matrix((conf, (users, items)), dtype=np.float32)


def loss(C: sp.csr_matrix, U: np.ndarray, V: np.ndarray, reg: float) -> float:
    """The implicit-ALS objective, computed densely (fine at this size)."""
    P = U @ V.T
    Cd = C.toarray()
    observed = Cd > 0
    return float((Cd[observed] * (1 - P[observed]) ** 2).sum() + (P[~observed] ** 2).sum()
                 + reg * ((U**2).sum() + (V**2).sum()))


def best_of(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    config = ModelConfig()
    print(f"config: factors={config.factors} iterations={config.iterations} reg={config.regularization} "
          f"alpha={config.alpha}")

    t = time.perf_counter()
    fit_als(sp.csr_matrix(np.ones((2, 2), np.float32)), 2, 1, 0.1)  # numba compile or cache load
    print(f"numba kernels ready in {time.perf_counter() - t:.2f} s (cached after the first run)")

    def full_train() -> Path:
        with tempfile.TemporaryDirectory() as tmp:
            return artifacts.publish(train_model(config=config), Path(tmp))

    full, _ = best_of(full_train, 2)
    print(f"\nfull train + publish on the bundled data: {full:.2f} s (budget 15 s)")

    C = confidence_matrix(config)
    ours, (U, V) = best_of(lambda: fit_als(C, config.factors, config.iterations, config.regularization,
                                           cg_steps=config.cg_steps))
    ours3, (U3, V3) = best_of(lambda: fit_als(C, config.factors, config.iterations, config.regularization,
                                             cg_steps=3))
    try:
        import implicit
    except ImportError:
        print("implicit is not installed: pip install -e '.[bench]' for the side-by-side figure")
        return
    with threadpool_limits(1, "blas"):  # implicit asks for single-threaded BLAS
        model = implicit.cpu.als.AlternatingLeastSquares(
            factors=config.factors, iterations=config.iterations, regularization=config.regularization,
            alpha=1.0, random_state=0)  # implicit runs 3 CG steps, as our default
        theirs, _ = best_of(lambda: model.fit(C, show_progress=False))
    print(f"\nALS only ({C.shape[0]} users x {C.shape[1]} items, {C.nnz} interactions, best of {REPEATS}):")
    print(f"{'':36s}{'seconds':>10s}{'loss':>16s}")
    print(f"{f'fit_als, {config.cg_steps} CG steps':36s}{ours:10.2f}{loss(C, U, V, config.regularization):16.0f}")
    print(f"{'fit_als, 3 CG steps':36s}{ours3:10.2f}{loss(C, U3, V3, config.regularization):16.0f}")
    theirs_loss = loss(C, model.user_factors, model.item_factors, config.regularization)
    print(f"{'implicit ALS (cpu, 3 CG steps)':36s}{theirs:10.2f}{theirs_loss:16.0f}")
    print(f"ratio ours / implicit: {ours / theirs:.2f} as served ({config.cg_steps} CG steps), "
          f"{ours3 / theirs:.2f} at implicit's 3 CG steps")


if __name__ == "__main__":
    main()
