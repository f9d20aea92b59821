"""The numba implicit-ALS solver (animerec.recsys.algorithms.als) on planted matrices."""

import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.als import fit_als, solve_user


def test_fold_in_of_a_training_user_reproduces_its_trained_vector():
    # Near-converged ALS: the user half-step is the fold-in objective, so the two must agree (the
    # last item half-step moved V a little after U was solved, hence a 1% tolerance).
    rng = np.random.default_rng(1)
    dense = (rng.random((80, 30)) < 0.3).astype(np.float32)
    C = sp.csr_matrix(dense * 4.0 + dense)  # confidence 5 where observed
    reg = 0.5
    U, V = fit_als(C, 6, 100, reg, cg_steps=12)
    gram = (V.T @ V + reg * np.eye(6)).astype(np.float32)
    for u in range(0, 80, 7):
        row = C.getrow(u)
        folded = solve_user(V, gram, row.indices, row.data)
        cos = folded @ U[u] / (np.linalg.norm(folded) * np.linalg.norm(U[u]))
        assert cos > 0.999
        assert np.linalg.norm(folded - U[u]) < 0.01 * np.linalg.norm(U[u])


def test_als_lowers_its_objective_on_a_planted_low_rank_matrix():
    blocks = np.kron(np.eye(3), np.ones((10, 8)))  # 30 users x 24 items, 3 taste groups
    C = sp.csr_matrix(blocks * 10.0)
    U, V = fit_als(C, 3, 10, 0.1)
    scores = U @ V.T
    inside = scores[blocks > 0].min()
    outside = scores[blocks == 0].max()
    assert inside > outside  # every planted pair outranks every unplanted one
