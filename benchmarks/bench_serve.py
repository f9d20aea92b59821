"""Serving latency and Annoy recall on the bundled data, each beside a reference in the same run.

    python benchmarks/bench_serve.py [--models DIR] [--least-of N]   (default: trains a model in a temp dir)

* /recommend path: what the bot runs (animerec.recsys.serving.served.ServedModel.recommend: fold-in, score, filter, fan
  rules, reasons) and the plain ranking under it (Recommender.recommend), for held-out-like members of
  5..300 titles with a genre/type mask on two thirds of them; reference: implicit's
  recommend(..., recalculate_user=True) at the same rank, on the same members (if installed). A member with
  few titles also reads each liked title's ranking alone (the coverage order), kept by (title, rating) once
  made: timed with none kept (a first ask: every call starts from no kept rows), with the member's kept (asked
  again), and with what the warm-up keeps (ServedModel.alone_warm_up) and nothing else, beside the share of
  these members' liked titles the warm-up had kept.
* /similar path: what the bot runs (ServedModel.similar: 100 Annoy candidates re-ranked with the support
  prior and the franchise graph) over every served title it lists neighbours for (similar_ids), once its
  warm-up has kept each title's candidates (ServedModel.similar_warm_up), beside the same path asking
  Annoy live (as before the warm-up, and before candidates were kept at all), Annoy's own top 10, and
  exact cosine over all /similar embeddings; the served model's build time beside the warm-up's, and the
  memory the kept candidates take; recall@20 of Annoy against the exact top 20 over every title whose
  /similar asks it.
* /seasonal path: a season's shows ranked for a member (ServedModel.rank_titles), over the last eight
  seasons of the catalog, the words made for the ten a list shows; beside it, for every show (as before).

Every catalog title is served (the trained ones and those without interactions, with their cold-start
vectors); each served line is printed beside the same path over the trained titles alone, the catalog
as it was served before titles without interactions were ("trained only"), on the same members.
"""

from __future__ import annotations

import argparse
import copy
import functools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from animerec.bot.features.seasonal.service import DEFAULT_COUNT as SEASONAL_COUNT
from animerec.recsys.algorithms.ann import AnnIndex
from animerec.recsys.catalog.catalog import SEASONS, Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_model
from animerec.recsys.model import Recommender, single_threaded_blas
from animerec.recsys.serving.rules import NEW_TYPES as SEASON_TYPES
from animerec.recsys.serving.rules import member_floor
from animerec.recsys.serving.served import (
    ALONE_WARM_UP_RATINGS,
    ALONE_WARM_UP_TITLES,
    COVERAGE_BELOW,
    ServedModel,
    _KeptRows,
)

FAINT = 0.05  # a /similar score shown as 0.0x: a neighbour in name only

# Each timed call is made this many times and the least kept (--least-of): on a machine other jobs
# share, what the call costs when nothing else interferes. 1 (the default) is one call, as served.
LEAST_OF = 1


def timed(call, *args, before: Callable[[], object] | None = None, **kwargs) -> float:
    """Seconds call(*args, **kwargs) takes: the least of LEAST_OF runs, each after before() (untimed)."""
    best = float("inf")
    for _ in range(LEAST_OF):
        if before is not None:
            before()
        t = time.perf_counter()
        call(*args, **kwargs)
        best = min(best, time.perf_counter() - t)
    return best


def percentiles(samples_s: list[float]) -> str:
    ms = np.array(samples_s) * 1000
    return f"{np.percentile(ms, 50):8.3f} {np.percentile(ms, 99):8.3f} {ms.max():8.3f}"


def member_lists(n: int, seed: int = 0) -> list[dict[int, float]]:
    df = load_interactions()
    rng = np.random.default_rng(seed)
    users = rng.choice(df["user_id"].unique(), n, replace=False)
    out = []
    for _, g in df[df["user_id"].isin(users)].groupby("user_id"):
        g = g.sample(min(len(g), int(rng.integers(5, 300))), random_state=int(rng.integers(1 << 31)))
        out.append(dict(zip(g["anime_id"].tolist(), g["rating"].tolist())))
    return out


def sampled_members(description: str) -> tuple[Catalog, ServedModel, list[dict[int, float]]]:
    """The command line of a benchmark over sampled members' lists (--models, a models root; --members, how many
    of member_lists): the catalog, the served model over the published model, and the members."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", type=Path, required=True, help="a models root (artifacts.publish)")
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    catalog = Catalog.load()
    return catalog, ServedModel(artifacts.load_current(args.models), catalog), member_lists(args.members)


def implicit_reference(model: Recommender, members: list[dict[int, float]]) -> None:
    try:
        from implicit.cpu.als import AlternatingLeastSquares
    except ImportError:
        print("(implicit not installed: pip install -e '.[bench]' for the reference line)")
        return
    import scipy.sparse as sp
    from threadpoolctl import threadpool_limits

    ref = AlternatingLeastSquares(factors=model.config.factors, iterations=1, random_state=0)
    ref.item_factors = model.item_factors.copy()
    ref.user_factors = np.zeros((1, model.config.factors), np.float32)
    rows = []
    for m in members:
        idx = [model.index_of(a) for a in m if model.index_of(a) is not None]
        rows.append(sp.csr_matrix((np.ones(len(idx), np.float32), ([0] * len(idx), idx)), shape=(1, model.n_items)))
    times = []
    with threadpool_limits(1, "blas"):
        for row in rows:
            times.append(timed(ref.recommend, 0, row, N=10, recalculate_user=True, filter_already_liked_items=True))
    print(f"{'implicit recommend(recalculate_user=True)':44s}{percentiles(times)}   (reference: ALS alone)")


def trained_only(model: Recommender) -> Recommender:
    """The model as served before titles without interactions were: its trained titles alone."""
    out = copy.copy(model)
    out.cold, out._similar_space, out._similar_evidenced, out._ann, out._evidence_ann = None, None, None, None, None
    return out


def recommend_times(served: ServedModel, members: list[dict[int, float]], masks: list) -> list[float]:
    """/recommend of each member, a first ask: no coverage rows kept before each call."""
    for m in members[:20]:
        served.recommend(m, 10)  # warm caches
    times = []
    for j, m in enumerate(members):
        times.append(timed(served.recommend, m, 10, allowed=masks[j % 3], before=lambda: forget_rows(served)))
    return times


def forget_rows(served: ServedModel, rows: dict | None = None) -> None:
    """The served model's kept coverage rows emptied, then ``rows`` ((title, rating) -> row) put back."""
    served._kept_alone = _KeptRows(served.n_items, served._kept_alone.limit)
    for key, row in (rows or {}).items():
        served._kept_alone.put(key, row)


def kept_rows(served: ServedModel, members: list[dict[int, float]], masks: list, first: list[float]) -> None:
    """/recommend of the members with few titles a second time (their rows kept as made: ranked on the
    way), and again (kept as ranks), then with the warm-up's rows alone kept, and what the warm-up costs; every
    member with the first's rows kept (``first``: the first-ask times of all members)."""
    few = [j for j, m in enumerate(members) if len(m) < COVERAGE_BELOW]
    second, times = [], []
    for j in few:
        forget_rows(served)
        served.recommend(members[j], 10, allowed=masks[j % 3])
        made = dict(served._kept_alone._rows)  # as a first ask left them: the rows' values
        second.append(timed(served.recommend, members[j], 10, allowed=masks[j % 3],
                            before=functools.partial(forget_rows, served, made)))
        times.append(timed(served.recommend, members[j], 10, allowed=masks[j % 3]))
    print(f"{f'  under {COVERAGE_BELOW} titles, a second ask (rows ranked)':44s}{percentiles(second)}")
    print(f"{f'  under {COVERAGE_BELOW} titles, asked again (rows kept)':44s}{percentiles(times)}")
    every = np.array(first)
    every[few] = times
    print(f"{'  every member, the first ones asked again':44s}{percentiles(list(every))}")
    forget_rows(served)
    cpu = time.process_time()
    made = sum(served.alone_warm_up())
    cpu = time.process_time() - cpu
    warm = dict(served._kept_alone._rows)
    loves = []  # the (title, rating) rows a covering member's list reads
    for j in few:
        floor = member_floor(members[j])
        mine = [(a, float(r)) for a, r in members[j].items() if (r < 0 or r >= floor) and served.index_of(a) is not None]
        loves += mine if len(mine) >= 2 else []
    share = np.mean([key in warm for key in loves])
    times = [timed(served.recommend, members[j], 10, allowed=masks[j % 3], before=lambda: forget_rows(served, warm))
             for j in few]
    print(f"{f'  under {COVERAGE_BELOW} titles, after the warm-up alone':44s}{percentiles(times)}   "
          f"({share:.0%} of their liked titles' rows kept)")
    print(f"(coverage rows warm-up: {made} rows of the {ALONE_WARM_UP_TITLES} most-watched titles at "
          f"{ALONE_WARM_UP_RATINGS}, {cpu:.2f} s CPU, {served._kept_alone.nbytes / 1e6:.1f} MB kept)")
    forget_rows(served)


def bench(model: Recommender, catalog: Catalog) -> None:
    single_threaded_blas()  # as every serving process does
    if LEAST_OF > 1:
        print(f"each call timed {LEAST_OF} times, the least kept")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores "
          "(other engineers' jobs share the machine: compare lines of one run, not runs)")
    members = member_lists(500)
    t = time.perf_counter()
    served = ServedModel(model, catalog)
    build_s = time.perf_counter() - t
    before = ServedModel(trained_only(model), catalog, served.franchises)
    print(f"served titles: {served.n_items} ({served.n_trained} trained, {served.n_items - served.n_trained} "
          "without interactions)")

    def masks_for(s: ServedModel) -> list:
        return [None, s.allowed(catalog.filters("Comedy")), s.allowed(catalog.filters(type="Movie"), allow_adult=False)]

    served_times = recommend_times(served, members, masks_for(served))
    before_times = recommend_times(before, members, masks_for(before))
    masks = masks_for(before)
    rec_times, fold_times = [], []
    for j, m in enumerate(members):
        rec_times.append(timed(model.recommend, m, 10, allowed=masks[j % 3]))
        fold_times.append(timed(model.fold_in, m))
    print(f"{'':44s}{'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    print(f"{'/recommend as served, first ask':44s}{percentiles(served_times)}   (target p99 < 2 ms)")
    # Members under COVERAGE_BELOW titles rank by each title they liked alone as well (the coverage order);
    # a longer history costs more in the fold-in and "because". Where the slowest first asks come from:
    sizes = np.array([len(m) for m in members])
    few = sizes < COVERAGE_BELOW
    for label, part in ((f"  members under {COVERAGE_BELOW} titles", few),
                        (f"  members of {COVERAGE_BELOW} to 49 titles", (sizes >= COVERAGE_BELOW) & (sizes < 50)),
                        ("  members of 50 to 149 titles", (sizes >= 50) & (sizes < 150)),
                        ("  members of 150 titles or more", sizes >= 150)):
        print(f"{f'{label} ({part.sum()})':44s}{percentiles(list(np.array(served_times)[part]))}")
    kept_rows(served, members, masks_for(served), served_times)
    print(f"{'  trained titles only (before)':44s}{percentiles(before_times)}")
    print(f"{'  plain ranking: fold-in+score+filter+top10':44s}{percentiles(rec_times)}")
    print(f"{'  of which fold-in (ridge solves)':44s}{percentiles(fold_times)}")
    implicit_reference(model, members)
    # The filter mask each request asks for before /recommend (not in the lines above): the adult gate alone, in a
    # channel that is not age-restricted; kept by the served model, beside the catalog making it.
    kept = [timed(served.allowed, allow_adult=False) for _ in members]
    made = [timed(catalog.filter_mask, served.ids, allow_adult=False) for _ in members]
    print(f"{'filter mask of a request, as kept':44s}{percentiles(kept)}   (made each time: {percentiles(made)})")

    seasons = sorted({(a.year, SEASONS.index(a.season)) for a in catalog if a.year and a.season in SEASONS})[-8:]
    shows = [[a.anime_id for a in catalog if (a.year, a.season) == (y, SEASONS[s]) and a.type in SEASON_TYPES]
             for y, s in seasons]
    for m in members[:20]:
        served.rank_titles(m, shows[0])
    seasonal_t = [timed(served.rank_titles, m, shows[j % len(shows)], n=SEASONAL_COUNT) for j, m in enumerate(members)]
    every_show_t = [timed(served.rank_titles, m, shows[j % len(shows)]) for j, m in enumerate(members)]
    own = model.with_own_cold()
    cold_ids = own.cold.anime_ids[:300].tolist() if own.cold is not None else []
    raters = [(model.fold_in(m), 8.0) for m in members[:20]]
    fold_item_t = []
    for a in cold_ids:
        fold_item_t.append(timed(own.fold_in_title, a, raters))
    if fold_item_t:
        print(f"{'item fold-in of a new title (20 raters)':44s}{percentiles(fold_item_t)}   (target < 5 ms)")
    print(f"{'/seasonal ranking (' + str(int(np.mean([len(s) for s in shows]))) + ' shows a season)':44s}"
          f"{percentiles(seasonal_t)}   (target p99 < 5 ms)")
    print(f"{'  the words of every show, not the ' + str(SEASONAL_COUNT) + ' shown':44s}{percentiles(every_show_t)}"
          "   (as before)")

    similar(served, before, build_s, members)
    recall(served)


def with_indexes(model: Recommender, make: Callable[[AnnIndex], AnnIndex]) -> Recommender:
    """The model with its /similar indexes replaced by make(index): the same Annoy indexes, kept apart."""
    out = copy.copy(model)
    out._ann = make(model.ensure_ann())
    out._evidence_ann = make(model._evidence_ann) if model._evidence_ann is not None else None
    return out


def similar(served: ServedModel, before: ServedModel, build_s: float, members: list[dict[int, float]]) -> None:
    """/similar of every served title, after the warm-up and asking Annoy live, and what the warm-up costs;
    then as the bot asks it, for a member whose titles are left out (``members``, one random title each)."""
    model = served.model

    def over(m: Recommender, s: ServedModel = served) -> ServedModel:
        return ServedModel(m, s.catalog, s.franchises)

    # As /similar was served before candidates were kept: every query asks Annoy (AnnIndex.live).
    live = over(with_indexes(model, AnnIndex.live))
    # Indexes that have kept nothing yet: each title's first /similar before the warm-up reaches it.
    first = over(with_indexes(model, lambda a: AnnIndex(a.index, a.item_ids, a.search_k, a.rows)))
    t = time.perf_counter()
    asked = sum(served.similar_warm_up())
    warm_s = time.perf_counter() - t
    kept_mb = (model.ensure_ann().kept_bytes + model.evidence_ann().kept_bytes) / 1e6
    exact, guessed = served._sparse_kept, served._guess_kept
    exact_mb, guessed_mb = (sum(rows.nbytes + sims.nbytes for rows, sims in kept.values()) / 1e6
                            for kept in (exact, guessed))
    print(f"served model build {build_s:.2f} s; /similar warm-up of its {asked} titles {warm_s:.2f} s more "
          f"(in the background, SERVING_WARM_UP_AFTER after a swap); {kept_mb:.1f} MB allocated for the kept candidates, "
          f"{exact_mb:.1f} MB for the exact ones of {len(exact)} titles with little support, {guessed_mb:.1f} MB for "
          f"those of {len(guessed)} content guesses")
    rows = [("/similar as served (every title, warmed up)", served, "   (target p99 < 0.5 ms)"),
            ("  asking Annoy live, as before (reference)", live, ""),
            ("  a title's first ask before the warm-up", first, "   (one call each)"),
            ("  trained titles only, live (before)", over(with_indexes(before.model, AnnIndex.live), before), "")]
    for label, s, note in rows:
        if s is first:  # a second call would read what the first kept
            times = []
            for a in s.similar_ids().tolist():
                t = time.perf_counter()
                s.similar(a, 10)
                times.append(time.perf_counter() - t)
        else:
            times = [timed(s.similar, a, 10) for a in s.similar_ids().tolist()]
        print(f"{label:44s}{percentiles(times)}{note}")
    # Lists a fan reads as nothing: every neighbour scored (cosine x support prior) about 0.
    listed = np.isin(served.ids, served.similar_ids())
    faint = np.array([listed[i] and all(score < FAINT for _, score in served.similar(a, 10).neighbours)
                      for i, a in enumerate(served.ids.tolist())])
    guesses = ~served._evidenced
    print(f"titles /similar declines (content guesses without a genre known: PlacedByNothing): {(~listed).sum()}")
    print(f"unfiltered lists whose every neighbour scores under {FAINT}: {np.sum(faint & guesses)} of {guesses.sum()} "
          f"content guesses, {np.sum(faint & ~guesses)} of {(~guesses).sum()} titles placed by evidence")
    # What the bot asks: the member's titles left out of the list (more of the kept candidates fall away).
    asked = np.random.default_rng(2).choice(served.similar_ids(), len(members))
    for label, s in ((f"/similar, a member's titles left out ({len(members)})", served),
                     ("  asking Annoy live, as before (reference)", live)):
        times = [timed(s.similar, int(a), 10, given=m) for a, m in zip(asked, members)]
        print(f"{label:44s}{percentiles(times)}")
    ann = live.model.ensure_ann()
    ann_t, exact_t = [], []
    for i in np.random.default_rng(1).choice(served.n_items, 2000, replace=False):
        ann_t.append(timed(ann.similar, int(i), 10))
        exact_t.append(timed(exact_similar, served, int(i), 10))
    print(f"{'  Annoy top 10 alone (live)':44s}{percentiles(ann_t)}")
    print(f"{'similar_items, exact cosine (reference)':44s}{percentiles(exact_t)}")


def recall(served: ServedModel) -> None:
    """Annoy recall@20 against exact search over what /similar may list for each title whose /similar
    asks Annoy: a title placed by evidence (and not of little support, which is searched exactly) searches
    the evidence index (Recommender.evidence_ann) among titles placed by evidence. A content guess is
    searched exactly too (ServedModel._guess_candidates). "Tie-aware" also counts a hit any title as near
    as the exact 20th."""
    model = served.model
    evidenced = model.similar_evidenced()
    searched = np.flatnonzero(evidenced & ~served._exact_similar)
    hits = near = 0
    V = served._unit_vectors
    for i in searched.tolist():
        sims = V @ V[i]
        sims[~evidenced] = -np.inf
        sims[i] = -np.inf
        exact = np.argpartition(-sims, 20)[:20]
        bar = float(sims[exact].min()) - 1e-6
        approx = [j for j, _ in served._similar_index(bool(served._by_evidence[i]))[0].neighbours(i, 20)]
        hits += len(set(exact.tolist()) & set(approx))
        near += sum(sims[j] >= bar for j in approx)
    count = 20 * max(len(searched), 1)
    cfg = model.config
    print(f"Annoy recall@20 vs exact, the {len(searched)} titles whose /similar asks Annoy: {hits / count:.4f}, "
          f"tie-aware {near / count:.4f}")
    print(f"  (trees={cfg.ann_trees}, search_k={cfg.ann_search_k}; target >= 0.95)")


def exact_similar(served: ServedModel, i: int, n: int) -> list[int]:
    """Exact cosine neighbours of item index i over every served title's /similar embedding."""
    V = served._unit_vectors
    sims = V @ V[i]
    sims[i] = -np.inf
    return np.argpartition(-sims, n)[:n].tolist()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, help="a published models root; default: train one now")
    parser.add_argument("--least-of", type=int, default=1,
                        help="time each call this many times and keep the least (a shared machine)")
    args = parser.parse_args()
    global LEAST_OF
    LEAST_OF = args.least_of
    catalog = Catalog.load()
    if args.models:
        bench(artifacts.load_current(args.models), catalog)
        return
    with tempfile.TemporaryDirectory() as tmp:
        artifacts.publish(train_model(), Path(tmp))
        bench(artifacts.load_current(Path(tmp)), catalog)


if __name__ == "__main__":
    main()
