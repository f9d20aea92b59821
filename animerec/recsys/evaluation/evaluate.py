"""`python -m animerec.recsys evaluate`: the served model against baselines on held-out users.

Whole users are held out of training (strong generalization). Each protocol gives part of a held-out
user's interactions to the model (folded in, or retrained with for Funk SVD) and asks for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from animerec.recsys.algorithms.als import fit_als, solve_user
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.evaluation.metrics import Accumulator, Case, FanContext, Figures, make_cases, split_users
from animerec.recsys.evaluation.search import search_accuracy
from animerec.recsys.evaluation.similar import cosine_reference, exact_neighbours, similar_figures
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas, top_n
from animerec.recsys.serving.served import ServedModel

TEST_FRACTION = 0.15
EASE_LAMBDAS = (30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0)
K = 20  # ranked list length scored


class TrainIndex:
    """Dense integer indices for the training users and items."""

    def __init__(self, train: pd.DataFrame):
        self.items = np.sort(train["anime_id"].unique())
        self.item_pos = {int(a): i for i, a in enumerate(self.items)}
        users = train["user_id"].astype("category")
        self.user_codes = users.cat.codes.to_numpy()
        self.n_users = len(users.cat.categories)
        self.item_codes = np.searchsorted(self.items, train["anime_id"].to_numpy())
        self.ratings = train["rating"].to_numpy(np.float32)

    def matrix(self, values: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values, (self.user_codes, self.item_codes)), shape=(self.n_users, len(self.items)))

    def positions(self, anime_ids: np.ndarray) -> np.ndarray:
        return np.array([self.item_pos[a] for a in anime_ids.tolist() if a in self.item_pos], np.int64)


# A baseline scores every training item for one case; optionally predicts 1-10 ratings for its targets.
Scorer = Callable[[Case], np.ndarray]


def _rank(ix: TrainIndex, scores: np.ndarray, given_pos: np.ndarray) -> np.ndarray:
    scores = scores.astype(np.float64, copy=True)
    scores[given_pos] = -np.inf
    return ix.items[top_n(scores, K)]


def _run(ix: TrainIndex, cases: list[Case], scorer: Scorer,
         predictor: Callable[[Case], np.ndarray] | None = None, fan: FanContext | None = None) -> Figures:
    acc = Accumulator(len(ix.items), fan)
    for case in cases:
        acc.add(case, _rank(ix, scorer(case), ix.positions(case.given_items)),
                predictor(case) if predictor else None)
    return acc.figures()


# ---------------------------------------------------------------------------------------- baselines
def popularity(ix: TrainIndex) -> Scorer:
    counts = np.bincount(ix.item_codes, minlength=len(ix.items)).astype(np.float64)
    return lambda case: counts


def item_knn(ix: TrainIndex) -> Scorer:
    X = ix.matrix(np.ones(len(ix.ratings), np.float32))
    norms = np.sqrt(np.asarray(X.sum(axis=0)).ravel()) + 1e-9
    S = (X.T @ X).toarray() / norms[:, None] / norms[None, :]
    np.fill_diagonal(S, 0.0)
    return lambda case: S[ix.positions(case.given_items)].sum(axis=0)


def ease(ix: TrainIndex, lam: float) -> Scorer:
    X = ix.matrix(np.ones(len(ix.ratings), np.float32))
    G = (X.T @ X).toarray().astype(np.float64)
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    return lambda case: B[ix.positions(case.given_items)].sum(axis=0)


def implicit_als(ix: TrainIndex, factors: int = 128, alpha: float = 3.0, reg: float = 30.0) -> Scorer:
    """Plain binary iALS (every interaction the same confidence), folded in exactly."""
    C = ix.matrix(np.full(len(ix.ratings), 1.0 + alpha, np.float32))
    _, V = fit_als(C, factors, 15, reg)
    gram = (V.T @ V + reg * np.eye(factors)).astype(np.float32)

    def score(case: Case) -> np.ndarray:
        pos = ix.positions(case.given_items)
        if len(pos) == 0:
            return np.zeros(len(ix.items))
        return V @ solve_user(V, gram, pos, np.full(len(pos), 1.0 + alpha, np.float32))

    return score


def centred_svd(ix: TrainIndex, factors: int = 50) -> tuple[Scorer, Callable[[Case], np.ndarray]]:
    """Truncated SVD of the user-mean-centred rating matrix; a new user is projected onto V."""
    rated = ix.ratings > 0
    u, i, r = ix.user_codes[rated], ix.item_codes[rated], ix.ratings[rated].astype(np.float64)
    means = np.bincount(u, weights=r, minlength=ix.n_users) / np.maximum(np.bincount(u, minlength=ix.n_users), 1)
    R = sp.csr_matrix((r - means[u], (u, i)), shape=(ix.n_users, len(ix.items)))
    _, _, vt = svds(R, k=factors, random_state=0)
    V = vt.T

    def project(case: Case) -> tuple[np.ndarray, float]:
        ok = case.given_ratings > 0
        pos = np.array([ix.item_pos.get(a, -1) for a in case.given_items[ok].tolist()], np.int64)
        vals = case.given_ratings[ok][pos >= 0]
        pos = pos[pos >= 0]
        mean = float(vals.mean()) if len(vals) else 7.8
        x = np.zeros(len(ix.items))
        x[pos] = vals - mean
        return V @ (V.T @ x), mean

    def score(case: Case) -> np.ndarray:
        return project(case)[0]

    def predict(case: Case) -> np.ndarray:
        s, mean = project(case)
        pos = np.array([ix.item_pos.get(a, -1) for a in case.target_items.tolist()], np.int64)
        out = np.full(len(pos), mean)
        out[pos >= 0] += s[pos[pos >= 0]]
        return np.clip(out, 1, 10)

    return score, predict


@numba.njit(cache=True)
def _funk_epochs(users, items, ratings, mu, bu, bi, P, Q, epochs, lr, reg, seed):  # pragma: no cover - compiled
    np.random.seed(seed)
    n = len(ratings)
    for _ in range(epochs):
        for t in np.random.permutation(n):
            u, i = users[t], items[t]
            err = ratings[t] - (mu + bu[u] + bi[i] + np.dot(P[u], Q[i]))
            bu[u] += lr * (err - reg * bu[u])
            bi[i] += lr * (err - reg * bi[i])
            pu = P[u].copy()
            P[u] += lr * (err * Q[i] - reg * P[u])
            Q[i] += lr * (err * pu - reg * Q[i])


def funk_svd_predictor(train: pd.DataFrame, cases: list[Case], factors: int = 50, epochs: int = 20,
                       lr: float = 0.007, reg: float = 0.05, seed: int = 0) -> Callable[[Case], np.ndarray]:
    """Biased SGD matrix factorization, retrained with the held-out users' given ratings included."""
    given = pd.DataFrame(
        [(c.user_id, a, r) for c in cases for a, r in zip(c.given_items.tolist(), c.given_ratings.tolist())],
        columns=["user_id", "anime_id", "rating"],
    )
    df = pd.concat([train, given], ignore_index=True)
    df = df[df["rating"] > 0]
    users = df["user_id"].astype("category")
    items = df["anime_id"].astype("category")
    u, i = users.cat.codes.to_numpy().astype(np.int64), items.cat.codes.to_numpy().astype(np.int64)
    r = df["rating"].to_numpy(np.float64)
    rng = np.random.default_rng(seed)
    P = rng.normal(0, 0.1, (len(users.cat.categories), factors))
    Q = rng.normal(0, 0.1, (len(items.cat.categories), factors))
    bu, bi = np.zeros(len(P)), np.zeros(len(Q))
    mu = float(r.mean())
    _funk_epochs(u, i, r, mu, bu, bi, P, Q, epochs, lr, reg, seed)
    upos = {str(x): k for k, x in enumerate(users.cat.categories)}
    ipos = {int(x): k for k, x in enumerate(items.cat.categories)}

    def predict(case: Case) -> np.ndarray:
        k = upos.get(case.user_id)
        out = []
        for a in case.target_items.tolist():
            j = ipos.get(a)
            p = mu + (bu[k] if k is not None else 0.0)
            if j is not None:
                p += bi[j] + (P[k] @ Q[j] if k is not None else 0.0)
            out.append(p)
        return np.clip(np.array(out), 1, 10)

    return predict


# ---------------------------------------------------------------------------------------- the run
SERVED, PLAIN = "animerec (served list)", "animerec (plain ranking)"
DISCOVER = "animerec (served, discover)"
# The bars for what members see: (protocol, figure, bound, "max" or "min").
SIMILAR_BARS = (("cowatch_precision", 0.50, "min"), ("genre_overlap", 0.35, "min"), ("obscure_share", 0.05, "max"))
FAN_BARS = (
    ("p80", "earlier10", 0.2, "max"), ("p80", "extra10", 0.3, "max"),
    ("p80", "fresh_ndcg10", 0.47, "min"), ("p80", "fresh_ndcg10_liked", 0.37, "min"),
    ("cold5", "earlier10", 0.2, "max"), ("cold5", "extra10", 0.3, "max"),
    ("cold5", "fresh_ndcg10", 0.65, "min"), ("cold5", "fresh_ndcg10_liked", 0.48, "min"),
)


def _given(case: Case) -> dict[int, float]:
    return dict(zip(case.given_items.tolist(), case.given_ratings.tolist()))


def served_lists(served: ServedModel, *, discover: bool = False) -> Callable[[Case], np.ndarray]:
    """The bot's own code path: ServedModel.recommend, the list a member sees."""
    return lambda case: np.array([p.anime_id for p in served.recommend(_given(case), K, discover=discover).picks],
                                 np.int64)


def served_predictions(model: Recommender) -> Callable[[Case], np.ndarray]:
    """Recommender.predict, as /rate and the lists show it: the RMSE figures."""
    return lambda case: model.predict(_given(case), case.target_items.tolist())


def plain_lists(model: Recommender) -> Callable[[Case], np.ndarray]:
    """The model's raw ranking, before the fan rules."""
    return lambda case: np.array([r.anime_id for r in model.recommend(_given(case), K)], np.int64)


def evaluate(df: pd.DataFrame, protocols: list[str], seed: int, config: ModelConfig | None = None,
             progress: Callable[[str], None] | None = None) -> dict:
    """{"protocols": {protocol: {method: figures dict}}, "similar": {method: figures}, "franchises":
    co-watch check of the franchise edges, "search": title search accuracy}; the list members see is
    SERVED."""
    say = progress or (lambda msg: None)
    train, test = split_users(df, TEST_FRACTION, seed)
    ix = TrainIndex(train)
    say(f"split: {train['user_id'].nunique()} training users, {test['user_id'].nunique()} held-out users")
    say("training the served model")
    catalog = Catalog.load()
    model = Recommender.fit(train, config or ModelConfig(), catalog=catalog)
    served = ServedModel(model, catalog)
    ours = {SERVED: served_lists(served), DISCOVER: served_lists(served, discover=True), PLAIN: plain_lists(model)}
    say("fitting baselines: popularity, item-kNN, centred SVD, iALS")
    fixed: dict[str, tuple[Scorer, Scorer | None]] = {"popularity": (popularity(ix), None),
                                                      "item-kNN cosine": (item_knn(ix), None)}
    svd_score, svd_predict = centred_svd(ix)
    fixed["centred SVD"] = (svd_score, svd_predict)
    fixed["iALS (binary)"] = (implicit_als(ix), None)
    ease_scorers = {}
    for lam in EASE_LAMBDAS:
        say(f"fitting EASE^R lambda={lam:g}")
        ease_scorers[lam] = ease(ix, lam)
    popularity_rank = _popularity_ranks(ix.items, np.bincount(ix.item_codes, minlength=len(ix.items)))
    results: dict = {"protocols": {}}
    for protocol in protocols:
        cases = make_cases(test, protocol, seed + 1)
        fan = _fan_context(served, cases, popularity_rank)
        with single_threaded_blas():
            results["protocols"][protocol] = _score_protocol(protocol, cases, ix, train, fan, ours,
                                                             served_predictions(model), fixed, ease_scorers, say)
    say("/similar: co-watch precision on held-out members")
    with single_threaded_blas():
        results["similar"] = similar_rows(served, train, test, seed)
    results["franchises"] = franchise_check(served.franchises, df)
    results["search"] = search_accuracy(catalog)
    return results


# /similar queries drawn uniformly over held-out interactions. This protocol reproduces the reference
# figures issue #7 quotes (item-kNN cosine with same-series neighbours 0.477 vs its 0.49, the ALS
# factors 0.382 vs its 0.36, seed 1); five queries per member gives 0.333 / 0.253, so the bars are
# read on this one and the per-member figures are kept beside it.
SIMILAR_QUERIES = 10_000


def _popularity_ranks(item_ids: np.ndarray, counts: np.ndarray) -> dict[int, int]:
    """anime id -> popularity rank (0 = most watched in training)."""
    return {int(item_ids[i]): r for r, i in enumerate(np.argsort(-counts, kind="stable"))}


def _fan_context(served: ServedModel, cases: list[Case], popularity_rank: dict[int, int]) -> FanContext:
    """What the fan figures need for these held-out members: their already-seen earlier entries."""
    return FanContext({c.user_id: served.franchises.seen_earlier(c.given_items.tolist()) for c in cases},
                      served.franchises.franchise_of, popularity_rank)


def similar_rows(served: ServedModel, train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, dict[str, dict]]:
    """{query sampling: {neighbours: figures}}: /similar as served beside item-kNN cosine and the ALS
    factors, each through similar_figures on the same queries."""
    fr, catalog, model = served.franchises, served.catalog, served.model
    methods = {
        "animerec /similar (served)": lambda a, n: [b for b, _ in served.similar(a, n).neighbours],
        "item-kNN cosine (one per franchise)": cosine_reference(train, fr, one_per_franchise=True),
        "item-kNN cosine (same series allowed)": cosine_reference(train, _NO_FRANCHISES),
        "ALS item factors (one per franchise)": exact_neighbours(model.item_factors, model.item_ids, fr,
                                                                 one_per_franchise=True),
    }
    samplings = {"per interaction": {"per_interaction": SIMILAR_QUERIES}, "5 per member": {"queries_per_user": 5}}
    return {
        sampling: {name: similar_figures(fn, test, catalog, fr, known=model.item_ids, seed=seed, **how)
                   for name, fn in methods.items()}
        for sampling, how in samplings.items()
    }


class _NoFranchises:
    """Every title its own work: the reference neighbours a plain item-kNN gives, sequels included."""

    def franchise_of(self, anime_id: int) -> None:
        return None

    def franchise_array(self, anime_ids: np.ndarray) -> np.ndarray:
        return np.arange(len(anime_ids))


_NO_FRANCHISES = _NoFranchises()


def franchise_check(franchises: Franchises, df: pd.DataFrame, min_watchers: int = 20) -> dict:
    """How often the co-watch data agrees with the franchise order: for each edge "b comes before a"
    (a prequel or parent story) with at least min_watchers watchers of a, the share of a's watchers
    who also watched b. An edge disagrees when under half of them did."""
    grouped = df.groupby("anime_id")["user_id"].agg(frozenset)
    watchers: dict[int, frozenset] = dict(zip(grouped.index.tolist(), grouped.tolist()))
    shares: list[float] = []
    for a in watchers:
        if len(watchers[a]) < min_watchers:
            continue
        for b in franchises.before(a):
            if b in watchers:
                shares.append(len(watchers[a] & watchers[b]) / len(watchers[a]))
    share = np.array(shares)
    return {"edges": int(len(share)), "disagree": int((share < 0.5).sum()),
            "median_share": float(np.median(share)) if len(share) else float("nan"), "min_watchers": min_watchers}


def _score_protocol(protocol, cases, ix, train, fan, ours, predicted, fixed, ease_scorers, say) -> dict[str, dict]:
    """Every method's figures on one protocol's cases (the fitting is done; this only scores). ``ours``:
    our list makers by name, all scored with the same predictions."""
    say(f"{protocol}: {len(cases)} held-out users")
    accumulators = {name: Accumulator(len(ix.items), fan) for name in ours}
    for case in cases:
        prediction = predicted(case)
        for name, lists in ours.items():
            accumulators[name].add(case, lists(case), prediction)
    rows: dict[str, dict] = {name: asdict(acc.figures()) for name, acc in accumulators.items()}
    for name, (scorer, predictor) in fixed.items():
        rows[name] = asdict(_run(ix, cases, scorer, predictor, fan))
    say(f"{protocol}: Funk SVD retrained with the given ratings")
    rows["Funk SVD (retrained)"] = {k: float("nan") for k in rows[SERVED]}
    rows["Funk SVD (retrained)"].update(asdict(_run(ix, cases, popularity(ix), funk_svd_predictor(train, cases))),
                                        **{k: float("nan") for k in ("recall20", "ndcg10", "recall20_liked",
                                                                      "ndcg10_liked", "coverage10")})
    # EASE^R with its lambda tuned for this protocol (on these held-out users: generous to it).
    best_lam, best = max(((lam, _run(ix, cases, s, None, fan)) for lam, s in ease_scorers.items()),
                         key=lambda t: t[1].ndcg10)
    rows[f"EASE^R (lambda={best_lam:g}, tuned)"] = asdict(best)
    return rows


def bars(results: dict) -> list[tuple[str, bool]]:
    """The acceptance bars of what members see, each (description, passed)."""
    protocols = results["protocols"]
    out = []
    for protocol, figure, bound, kind in FAN_BARS:
        if protocol in protocols:
            out.append(_bar(f"{protocol}: {figure}", protocols[protocol][SERVED][figure], bound, kind))
    for protocol, rows in protocols.items():
        served, funk = rows[SERVED], rows["Funk SVD (retrained)"]
        out.append((f"{protocol}: RMSE {served['rmse']:.4f} < Funk SVD {funk['rmse']:.4f}", served["rmse"] < funk["rmse"]))
    similar = results["similar"]["per interaction"]["animerec /similar (served)"]
    for figure, bound, kind in SIMILAR_BARS:
        out.append(_bar(f"/similar: {figure}", similar[figure], bound, kind))
    search = results["search"]
    for figure in ("english_top1", "abbrev_top1"):
        out.append(_bar(f"title search: {figure}", search[figure], 0.9, "min"))
    return out


def _bar(name: str, value: float, bound: float, kind: str) -> tuple[str, bool]:
    ok = value <= bound if kind == "max" else value >= bound
    return f"{name} {value:.4f} {'<=' if kind == 'max' else '>='} {bound}", ok


def format_table(results: dict) -> str:
    lines = []
    for protocol, rows in results["protocols"].items():
        lines += [f"### protocol `{protocol}` ({next(iter(rows.values()))['users']} held-out users)", "",
                  "Ranking figures:", "",
                  "| method | Recall@20 | NDCG@10 | Recall@20 liked | NDCG@10 liked | RMSE | MAE | coverage@10 |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {_cells(f, Figures.COLUMNS)} |" for name, f in rows.items()]
        lines += ["", "What a fan notices:", "",
                  "| method | earlier entries /10 | extra same-series /10 | fresh NDCG@10 | fresh NDCG@10 liked "
                  "| median popularity rank | outside top 100 |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {_cells(f, Figures.FAN_COLUMNS)} |" for name, f in rows.items()
                  if not np.isnan(f["fresh_ndcg10"])]
        lines.append("")
    lines += ["### `/similar`", "",
              "| queries | neighbours | co-watch precision@10 | genre overlap | share under 5,000 members |",
              "|---|---|---|---|---|"]
    for sampling, rows in results["similar"].items():
        lines += [f"| {sampling} ({f['queries']}) | {name} | {f['cowatch_precision']:.4f} | {f['genre_overlap']:.4f} "
                  f"| {f['obscure_share']:.4f} |" for name, f in rows.items()]
    fc, search = results["franchises"], results["search"]
    lines += ["", "### Franchise graph against co-watch data", "",
              f"{fc['edges']} prequel/parent edges whose later title has at least {fc['min_watchers']} watchers in "
              f"the sample: {fc['disagree']} disagree (under half of the later title's watchers watched the earlier "
              f"one); median share {fc['median_share']:.3f}.", "",
              "### Title search", "",
              f"Top-1 of `Catalog.search`: English titles of the 500 most popular titles {search['english_top1']:.3f} "
              f"({search['english_n']} queries); fan names and abbreviations {search['abbrev_top1']:.3f} "
              f"({search['abbrev_n']} queries).", ""]
    return "\n".join(lines)


def _cells(f: dict, columns: tuple[str, ...]) -> str:
    return " | ".join("–" if np.isnan(f[c]) else (f"{f[c]:.0f}" if c == "popularity_rank" else f"{f[c]:.4f}")
                      for c in columns)


# ---------------------------------------------------------------------------------------- engines
ENGINE_TOLERANCE = 0.03  # the Spark engine's bar: within 3% of the default engine on NDCG@10 and RMSE


def fit_engine(train: pd.DataFrame, config: ModelConfig, catalog: Catalog, spark=None) -> tuple[Recommender, float]:
    """The served model trained with one engine (``spark``: a animerec.recsys.algorithms.spark_als.SparkSettings, or None
    for the default numba ALS) and its fit seconds."""
    stages: dict[str, float] = {}
    model = Recommender.fit(train, config, catalog=catalog, spark=spark, stage_times=stages)
    return model, stages["als"]


def engine_figures(model: Recommender, catalog: Catalog, test: pd.DataFrame, protocols: list[str],
                   seed: int) -> dict[str, dict]:
    """{protocol: figures of the served list and predictions} of one trained model, on held-out users."""
    served = ServedModel(model, catalog)
    popularity_rank = _popularity_ranks(model.item_ids, model.item_popularity)
    out = {}
    with single_threaded_blas():
        for protocol in protocols:
            cases = make_cases(test, protocol, seed + 1)
            acc = Accumulator(model.n_items, _fan_context(served, cases, popularity_rank))
            lists, predicted = served_lists(served), served_predictions(model)
            for case in cases:
                acc.add(case, lists(case), predicted(case))
            out[protocol] = asdict(acc.figures())
    return out


def compare_engines(df: pd.DataFrame, engines: dict, protocols: list[str], seed: int,
                    config: ModelConfig | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """The served list of each engine's model, trained on the same split: {"seed", "engines": {name:
    {"als_seconds", "settings", "protocols": {protocol: figures}}}}. ``engines`` maps a name to a
    SparkSettings or None (the default engine)."""
    say = progress or (lambda msg: None)
    config = config or ModelConfig()
    train, test = split_users(df, TEST_FRACTION, seed)
    catalog = Catalog.load()
    out: dict = {"seed": seed, "engines": {}}
    for name, spark in engines.items():
        say(f"training with the {name} engine")
        model, seconds = fit_engine(train, config, catalog, spark)
        say(f"{name}: ALS {seconds:.1f} s; scoring")
        out["engines"][name] = {"als_seconds": seconds, "settings": None if spark is None else asdict(spark),
                                "protocols": engine_figures(model, catalog, test, protocols, seed)}
    return out


def engine_checks(results: dict, reference: str = "default") -> list[tuple[str, bool]]:
    """Each other engine within ENGINE_TOLERANCE of the reference on NDCG@10 and RMSE (relative)."""
    engines = results["engines"]
    ref = engines[reference]["protocols"]
    checks = []
    for name, row in engines.items():
        if name == reference:
            continue
        for protocol, f in row["protocols"].items():
            for figure, worse in (("ndcg10", -1.0), ("rmse", 1.0)):
                change = (f[figure] - ref[protocol][figure]) / ref[protocol][figure]
                checks.append((f"{protocol}: {name} {figure} {f[figure]:.4f} vs {reference} "
                               f"{ref[protocol][figure]:.4f} ({change:+.2%}; worse by at most "
                               f"{ENGINE_TOLERANCE:.0%})", worse * change <= ENGINE_TOLERANCE))
    return checks


def format_engines(results: dict) -> str:
    lines = ["| engine | protocol | ALS s | Recall@20 | NDCG@10 | NDCG@10 liked | fresh NDCG@10 | RMSE | MAE |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, row in results["engines"].items():
        for protocol, f in row["protocols"].items():
            lines.append(f"| {name} | {protocol} | {row['als_seconds']:.1f} | {f['recall20']:.4f} | {f['ndcg10']:.4f} "
                         f"| {f['ndcg10_liked']:.4f} | {f['fresh_ndcg10']:.4f} | {f['rmse']:.4f} | {f['mae']:.4f} |")
    return "\n".join(lines)
