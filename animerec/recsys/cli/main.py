"""`python -m animerec.recsys ...`: train, evaluate, and query models from a terminal or a batch job."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from animerec.recsys.catalog.catalog import Catalog, Filters, TitleNotFound, UnknownFilter
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import (
    DataError,
    anime_id_column,
    check_known_ids,
    check_user_ids,
    load_interactions,
    normalize_interactions,
    read_interactions_csv,
)
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.meta import CONFIG_NAMES, DEFAULT_CONFIG, SMALL_CONFIG
from animerec.recsys.model import ModelConfig, Recommender, UnknownTitle, single_threaded_blas
from animerec.recsys.serving.rules import CONTINUE
from animerec.recsys.serving.served import ServedModel, franchises_for

DEFAULT_MODELS = Path("var/models")
DOCS_EVALUATION = Path(__file__).resolve().parent.parent / "docs" / "evaluation.md"
EVALUATION_JSON = Path(__file__).resolve().parent / "evaluation.json"  # the served model's latest figures
EXIT_USAGE = 2


class CliError(Exception):
    """A one-line error for the user; exits with code 2."""


def _config(name: str) -> ModelConfig:
    configs = {DEFAULT_CONFIG: ModelConfig, SMALL_CONFIG: ModelConfig.small}
    if name not in configs:
        raise CliError(f"unknown --config {name!r}; use {' or '.join(CONFIG_NAMES)}")
    return configs[name]()


def _load_model(path: Path) -> Recommender:
    """A models root (with `current`) or one model directory."""
    try:
        if (path / artifacts.CURRENT).exists():
            return artifacts.load_current(path)
        return artifacts.load(path)
    except artifacts.ModelLoadError as exc:
        raise CliError(str(exc)) from None


# Path checks run before any long work (loading a model, training): a bad path fails in a second.
def _check_input_file(path: Path) -> None:
    """CliError unless path is a file this process can read."""
    if path.is_dir():
        raise CliError(f"{path}: is a directory, not a CSV file")
    try:
        open(path, "rb").close()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None


def _check_output_file(path: Path) -> None:
    """CliError unless a CSV file can be written at path."""
    if path.is_dir():
        raise CliError(f"--out {path} is a directory; give the CSV file to write")
    if not path.parent.is_dir():
        raise CliError(f"--out {path}: directory {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"--out {path}: not writable")


def _check_models_root(path: Path) -> None:
    """CliError unless train can publish into path (created if missing)."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise CliError(f"--out {path}: {existing} is a file; --out names the models directory to publish into")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CliError(f"--out {path}: {existing} is not writable")
    if (path / artifacts.CURRENT).is_dir():
        raise CliError(f"--out {path}: {path / artifacts.CURRENT} is a directory, not the name of a model version")


def _spark_settings(args: argparse.Namespace):
    """The Spark engine's settings for --engine spark (None for the default engine), checked early."""
    if args.engine != "spark":
        if args.master is not None:
            raise CliError("--master is for --engine spark")
        return None
    from animerec.recsys.algorithms.spark_als import SparkSettings, unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise CliError(f"--engine spark: {reason}")
    return SparkSettings(master=args.master) if args.master else SparkSettings()


def cmd_train(args: argparse.Namespace) -> None:
    _check_models_root(args.out)
    spark = _spark_settings(args)
    extra = None
    if args.extra:
        _check_input_file(args.extra)
        extra = read_interactions_csv(args.extra, known_ids=Catalog.load().ids())
    config = _config(args.config)
    # The recorded figures are the default model's: a small or Spark-trained model must not show them as its own.
    evaluation = json.loads(EVALUATION_JSON.read_text()) \
        if args.config == DEFAULT_CONFIG and spark is None and EVALUATION_JSON.exists() else None
    with tqdm(total=config.iterations, desc="training ALS" + (" on Spark" if spark else ""), unit="it",
              disable=args.quiet) as bar:
        from animerec.recsys.lifecycle.train import train_and_publish

        try:
            path = train_and_publish(args.out, extra, config, progress=lambda it: bar.update(it - bar.n),
                                     evaluation=evaluation, spark=spark)
        except artifacts.PublishBusy as exc:
            raise CliError(str(exc)) from None
    print(f"published {path} (current -> {path.name})")


def cmd_evaluate(args: argparse.Namespace) -> None:
    if args.engines:
        return _evaluate_engines(args)
    if args.master:
        raise CliError("--master is for --engines with spark")
    from animerec.recsys.evaluation.evaluate import SERVED, bars, evaluate, format_table

    protocols = [args.protocol] if args.protocol else ["p80", "cold5"]
    results = evaluate(load_interactions(), protocols, args.seed, _config(args.config),
                       progress=lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    table = format_table(results)
    checks = bars(results)
    print(table)
    for text, ok in checks:
        print(f"[{'PASS' if ok else 'FAIL'}] {text}")
    if args.write_docs:
        command = (f"python -m animerec.recsys evaluate --seed {args.seed}"
                   + (f" --protocol {args.protocol}" if args.protocol else ""))
        DOCS_EVALUATION.write_text(_evaluation_doc(table, checks, command) + _engines_section())
        EVALUATION_JSON.write_text(json.dumps(
            {"seed": args.seed, "command": command,
             **{p: rows[SERVED] for p, rows in results["protocols"].items()}}, indent=2))
        print(f"wrote {DOCS_EVALUATION} and {EVALUATION_JSON}")


ENGINES_BEGIN, ENGINES_END = "<!-- engines: begin -->", "<!-- engines: end -->"


def _engines_section(text: str | None = None) -> str:
    """The engine comparison section of docs/evaluation.md (written by evaluate --engines), kept
    as it is when the rest of the page is regenerated; "" when there is none."""
    if text is None:
        text = DOCS_EVALUATION.read_text() if DOCS_EVALUATION.exists() else ""
    begin, end = text.find(ENGINES_BEGIN), text.find(ENGINES_END)
    if begin < 0 or end < begin:
        return ""
    return "\n" + text[begin:end + len(ENGINES_END)] + "\n"


def _evaluate_engines(args: argparse.Namespace) -> None:
    """evaluate --engines default,spark: the served list of each engine's model on one split."""
    from animerec.recsys.evaluation.evaluate import ENGINE_TOLERANCE, compare_engines, engine_checks, format_engines

    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = set(names) - {"default", "spark"}
    if unknown or len(set(names)) != len(names) or "default" not in names:
        raise CliError("--engines takes default and, after it, spark (e.g. --engines default,spark)")
    if args.master and "spark" not in names:
        raise CliError("--master is for --engines with spark")
    engines: dict = {}
    for name in names:
        if name == "default":
            engines[name] = None
        else:
            settings = _spark_settings(argparse.Namespace(engine="spark", master=args.master))
            engines[name] = settings
    protocols = [args.protocol] if args.protocol else ["p80", "cold5"]
    results = compare_engines(load_interactions(), engines, protocols, args.seed, _config(args.config),
                              progress=lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    table, checks = format_engines(results), engine_checks(results)
    print(table)
    for text, ok in checks:
        print(f"[{'PASS' if ok else 'FAIL'}] {text}")
    if args.write_docs:
        command = f"python -m animerec.recsys evaluate --engines {','.join(names)} --seed {args.seed}" + \
            (f" --protocol {args.protocol}" if args.protocol else "") + (f" --master {args.master}" if args.master else "")
        spark = engines.get("spark")
        section = _engines_doc(table, checks, command, spark, ENGINE_TOLERANCE)
        text = DOCS_EVALUATION.read_text() if DOCS_EVALUATION.exists() else "# Evaluation\n"
        old = _engines_section(text)
        text = text.replace(old.strip("\n"), section) if old else text.rstrip("\n") + "\n\n" + section + "\n"
        DOCS_EVALUATION.write_text(text)
        print(f"wrote the engines section of {DOCS_EVALUATION}")


def _engines_doc(table: str, checks: list[tuple[str, bool]], command: str, spark, tolerance: float) -> str:
    check_lines = "\n".join(f"- {'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks)
    spark_note = "" if spark is None else (
        f" The Spark engine is MLlib's `ALS(implicitPrefs=True)` on `{spark.master}` with the default model's rank, "
        f"iterations and alpha, and `regParam={spark.reg_param:g}`: Spark regularizes each row by regParam times its "
        "number of interactions, ours by a constant, so regParam was chosen on evaluation seeds 1 and 2 "
        "(`python benchmarks/tune_spark.py`), not on this split.")
    return f"""{ENGINES_BEGIN}
## Training engines

Produced by `{command} --write-docs` (this section only; a regeneration of the page above keeps it).
Both models are trained on the same split and served the same way (`animerec.recsys.serving.served.ServedModel`): only the
ALS item factors differ.{spark_note} The bar: the Spark-trained served list within {tolerance:.0%} of
the default engine's on NDCG@10, and its predictions within {tolerance:.0%} on RMSE. "ALS s" is the
factorization alone (for Spark: starting the local JVM, the fit and collecting the factors), measured
in this run on this 2-core machine; `docs/benchmarks.md` has the timing benchmark.

{table}

{check_lines}
{ENGINES_END}"""


def _evaluation_doc(table: str, checks: list[tuple[str, bool]], command: str) -> str:
    from animerec.recsys.evaluation.evaluate import EASE_LAMBDAS

    bar_lines = "\n".join(f"- {'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks)
    return f"""# Evaluation

Produced by `{command} --write-docs` (the whole table, every method, in one run).

Whole users are held out of training (15% of the 5,000, chosen by the seed); on them:
- `p80`: 80% of each user's interactions are given (folded in), the other 20% are the targets;
- `cold5`: only 5 of the user's ratings are given, everything else is a target.

**Methods.** `animerec (served list)` is what members see: `animerec.recsys.serving.served.ServedModel.recommend`, the
ranking after the fan rules (no earlier entries of the member's franchises, one slot per franchise,
entry points for new franchises, sequels only after a title before them, the quality floor). A list
may be shorter than 20 when the floor cuts it. `animerec (served, discover)` is the same with
`/recommend discover` (no title among the 100 most watched). `animerec (plain ranking)` is the model's
raw ranking (`Recommender.recommend`) before those rules. Funk SVD is retrained with the held-out users' given
ratings included and is scored on RMSE only. EASE^R's lambda is chosen per protocol on these same
held-out users (a grid of {', '.join(f'{x:g}' for x in EASE_LAMBDAS)}), which favours the
baseline. Every baseline's list is scored as it is, with no fan rules.

**Ranking figures.** Recall@20 is hits over min(20, targets); NDCG@10 is binary. "liked" restricts the
targets to those rated 8 or more. RMSE/MAE are on the held-out explicit ratings. coverage@10 is the
share of the training titles that appear in at least one top-10 list.

**What a fan notices.** "Earlier entries" are the top-10 picks that are an ancestor (prequel, parent
story, earlier original of an alternative version; `animerec.recsys.catalog.franchise`) of a title the member gave;
"extra same-series" counts top-10 slots beyond one per franchise (both per 10 picks). Fresh NDCG@10
removes those already-seen earlier entries from the list and from the targets alike. Popularity: the
median popularity rank of a member's top 10 (0 = most watched in training), averaged over members, and
the share of top-10 picks outside the 100 most watched.

**/similar.** A query is a title from a held-out member's history: 10,000 drawn uniformly over the
held-out interactions ("per interaction", the protocol the bars are read on: it reproduces the
reference figures the issue quotes, item-kNN cosine with same-series neighbours 0.49 and the old ALS
/similar 0.36), and, beside it, up to 5 per member. Its 10 neighbours come from other franchises;
co-watch precision@10 is the share of them in that member's history, genre overlap the
mean Jaccard of genres with the query, and the last column the share of neighbours with under 5,000
MyAnimeList members. The served neighbours are the Annoy index over `animerec.recsys.algorithms.embeddings` (a rank-96
factorization of the item-kNN cosine matrix with the genres appended), re-ranked with a support prior
n / (n + 200) and one title per franchise; item-kNN cosine and the ALS factors are exact, one title per
franchise, same-franchise titles excluded, the same way.

**Honesty notes.** The served model's hyperparameters were chosen on other splits (seeds 1 and 2),
and so were the fan rules' constants (the floor's half point, the match figure's fit) and the /similar
embeddings (by recsys/embeddings.py's tuning on seeds 1 and 2). Seed 0 was looked at during the first
tuning round (see git history); the sealed holdout of real users is the clean test.

{table}
## Bars

{bar_lines}
"""


def _serving_model(args: argparse.Namespace) -> Recommender:
    single_threaded_blas()  # this process only serves from here on
    return _load_model(args.model)


def _filters(catalog: Catalog, args: argparse.Namespace) -> Filters:
    try:
        return catalog.filters(args.genre, args.type)
    except UnknownFilter as exc:
        raise CliError(str(exc)) from None


def _served(args: argparse.Namespace, catalog: Catalog | None = None, franchises: Franchises | None = None) -> ServedModel:
    """The served model with its fan rules, as the bot serves it."""
    return ServedModel(_serving_model(args), catalog or Catalog.load(), franchises)


def _resolve(catalog: Catalog, franchises: Franchises, text: str) -> int:
    """A title as /similar resolves it in the bot: the start of one series' names included."""
    try:
        return catalog.lookup(text, franchise_of=franchises.franchise_of).anime.anime_id
    except TitleNotFound as exc:
        hints = ", ".join(a.name for a in exc.hints)
        raise CliError(f"unknown title {text!r}" + (f"; did you mean: {hints}?" if hints else "")) from None


def cmd_similar(args: argparse.Namespace) -> None:
    catalog = Catalog.load()
    filters = _filters(catalog, args)
    franchises = franchises_for(catalog)  # one graph for the title and the served model
    anime_id = _resolve(catalog, franchises, args.title)
    served = _served(args, catalog, franchises)  # loaded only once the inputs have passed
    try:
        found = served.similar(anime_id, args.n, allowed=served.allowed(filters))
    except UnknownTitle:
        raise CliError(f"{catalog.get(anime_id).name!r} has too few ratings in the training data "
                       "to have neighbours") from None
    print(f"Similar to {catalog.get(anime_id).name}:")
    for rank, (aid, sim) in enumerate(found.neighbours, 1):
        print(f"{rank:3d}. {catalog.get(aid).name}  (similarity {sim:.3f})")
    if found.same_series:
        print("same series: " + "; ".join(catalog.get(a).name for a in found.same_series))


def cmd_similar_batch(args: argparse.Namespace) -> None:
    _check_input_file(args.ids)
    _check_output_file(args.out)
    try:
        ids = pd.read_csv(args.ids, dtype=str)
    except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.ids}: cannot read ids ({str(exc).splitlines()[0]})") from None
    if "anime_id" not in ids.columns:
        raise CliError(f"{args.ids}: expected a column anime_id")
    try:
        wanted = anime_id_column(ids["anime_id"]).tolist()  # "1e30" is refused, not overflowed
    except DataError as exc:
        raise CliError(f"{args.ids}: {exc}") from None
    served = _served(args)
    unknown = [a for a in dict.fromkeys(wanted) if served.model.index_of(a) is None]
    if unknown:
        raise CliError(f"unknown anime_id(s) (not in the model): {', '.join(map(str, unknown[:5]))}"
                       + (" ..." if len(unknown) > 5 else ""))
    rows = [(a, s_id, rank, round(sim, 6))
            for a in tqdm(wanted, desc="similar", unit="title", disable=args.quiet)
            for rank, (s_id, sim) in enumerate(served.similar(a, args.n).neighbours, 1)]
    pd.DataFrame(rows, columns=["anime_id", "similar_id", "rank", "similarity"]).to_csv(args.out, index=False)
    print(f"wrote {len(rows)} rows for {len(wanted)} titles to {args.out}", file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> None:
    text = " ".join(args.text)
    if not text.strip():
        raise CliError("search text is empty")
    for anime in Catalog.load().search(text, args.n):
        print(f"{anime.anime_id}\t{anime.name}")


def _given_by_user(path: Path, catalog: Catalog) -> dict[str, dict[int, float]]:
    df = read_interactions_csv(path, known_ids=catalog.ids())
    return {str(u): dict(zip(g["anime_id"].tolist(), g["rating"].tolist())) for u, g in df.groupby("user_id", sort=False)}


def cmd_recommend(args: argparse.Namespace) -> None:
    _check_input_file(args.ratings)
    catalog = Catalog.load()
    df = read_interactions_csv(args.ratings, known_ids=catalog.ids()) if "user_id" in _header(args.ratings) \
        else _single_user(args.ratings, catalog)
    filters = _filters(catalog, args)
    served = _served(args, catalog)  # loaded only once the inputs have passed
    ratings = dict(zip(df["anime_id"].tolist(), df["rating"].tolist()))
    found = served.recommend(ratings, args.n, allowed=served.allowed(filters), discover=args.discover)
    for rank, pick in enumerate(found.picks, 1):
        if pick.because is None:
            why = "popular with members who like what you like"
        else:
            why = f"{'continues' if pick.kind == CONTINUE else 'because you rated'} {catalog.get(pick.because).name}"
        more = f", +{pick.more_in_series} more in this series" if pick.more_in_series else ""
        print(f"{rank:3d}. {catalog.get(pick.anime_id).name}  (match {pick.match:.0%}; {why}{more})")
    if found.short:
        print(f"only {len(found.picks)} good match(es) with these filters")
    if found.seen_these:
        print("seen these? rate them to sharpen your picks: " + "; ".join(catalog.get(a).name for a in found.seen_these))


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return [c.strip() for c in f.readline().split(",")]
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read ({exc})") from None


def _single_user(path: Path, catalog: Catalog) -> pd.DataFrame:
    """A ratings CSV without user_id (anime_id,rating) is one user's list."""
    try:
        df = pd.read_csv(path, dtype=str)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: not a readable ratings CSV ({str(exc).splitlines()[0]})") from None
    df.insert(0, "user_id", "me")
    try:
        return normalize_interactions(df, catalog.ids())
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def cmd_recommend_batch(args: argparse.Namespace) -> None:
    _check_input_file(args.given)
    _check_output_file(args.out)
    catalog = Catalog.load()
    given = _given_by_user(args.given, catalog)
    served = _served(args, catalog)  # loaded only once the inputs have passed
    rows = []
    for user, ratings in tqdm(given.items(), desc="recommending", unit="user", disable=args.quiet):
        for rank, pick in enumerate(served.recommend(ratings, args.n).picks, 1):
            rows.append((user, pick.anime_id, rank, round(pick.score, 6)))
    pd.DataFrame(rows, columns=["user_id", "anime_id", "rank", "score"]).to_csv(args.out, index=False)
    print(f"wrote {len(rows)} rows for {len(given)} users to {args.out}", file=sys.stderr)


def _read_pairs(path: Path, catalog: Catalog) -> pd.DataFrame:
    """The user_id,anime_id pairs of predict-batch, every row checked (ids of titles in the catalog)."""
    try:
        pairs = pd.read_csv(path, dtype=str)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read pairs ({str(exc).splitlines()[0]})") from None
    if not {"user_id", "anime_id"} <= set(pairs.columns):
        raise CliError(f"{path}: expected columns user_id,anime_id")
    if pairs.empty:
        raise CliError(f"{path}: no rows")
    try:
        check_user_ids(pairs["user_id"])
        anime = anime_id_column(pairs["anime_id"])
        check_known_ids(anime, catalog.ids())
    except DataError as exc:
        raise CliError(f"{path}: {exc}") from None
    return pairs.assign(anime_id=anime)


def cmd_predict_batch(args: argparse.Namespace) -> None:
    _check_input_file(args.given)
    _check_input_file(args.pairs)
    _check_output_file(args.out)
    catalog = Catalog.load()
    given = _given_by_user(args.given, catalog)
    pairs = _read_pairs(args.pairs, catalog)
    model = _serving_model(args)  # loaded only once the inputs have passed
    out = []
    for user, g in tqdm(pairs.groupby("user_id", sort=False), desc="predicting", unit="user", disable=args.quiet):
        preds = model.predict(given.get(str(user), {}), g["anime_id"].tolist())
        out.append(pd.DataFrame({"user_id": g["user_id"], "anime_id": g["anime_id"], "prediction": np.round(preds, 4)}))
    result = pd.concat(out).loc[pairs.index]  # the input's row order
    result.to_csv(args.out, index=False)
    print(f"wrote {len(result)} predictions to {args.out}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m animerec.recsys",
                                description="animerec's recommender: train, evaluate, query.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train on the bundled data (+ --extra) and publish a model")
    t.add_argument("--out", type=Path, default=DEFAULT_MODELS, help=f"models root (default {DEFAULT_MODELS})")
    t.add_argument("--extra", type=Path, help="CSV user_id,anime_id,rating (1-10 or -1) added to the dataset")
    t.add_argument("--config", default=DEFAULT_CONFIG,
                   help=f"{' or '.join(CONFIG_NAMES)} ({SMALL_CONFIG}: a seconds-long model for tests)")
    t.add_argument("--engine", choices=["default", "spark"], default="default",
                   help="ALS engine: default (numba, one process) or spark (MLlib; needs the spark extra and Java)")
    t.add_argument("--master", help="Spark master URL with --engine spark (default local[2])")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="held-out-user evaluation against baselines")
    e.add_argument("--protocol", choices=["p80", "cold5"], help="one protocol (default: both)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--config", default=DEFAULT_CONFIG, help=" or ".join(CONFIG_NAMES))
    e.add_argument("--write-docs", action="store_true", help="write docs/evaluation.md and recsys/evaluation.json "
                   "(with --engines: only the engines section of docs/evaluation.md)")
    e.add_argument("--engines", help="compare training engines instead, e.g. default,spark (the served list's "
                   "NDCG@10 and RMSE per engine)")
    e.add_argument("--master", help="Spark master URL with --engines ...,spark (default local[2])")
    e.set_defaults(func=cmd_evaluate)

    for name, func, helptext in (("similar", cmd_similar, "titles near one title"),
                                 ("recommend", cmd_recommend, "picks for one ratings list")):
        s = sub.add_parser(name, help=helptext)
        if name == "similar":
            s.add_argument("title")
        else:
            s.add_argument("--ratings", type=Path, required=True, help="CSV anime_id,rating (or user_id,anime_id,rating)")
        s.add_argument("-n", type=int, default=10)
        if name == "recommend":
            s.add_argument("--discover", action="store_true", help="favour less-watched titles")
        s.add_argument("--genre")
        s.add_argument("--type")
        s.add_argument("--model", type=Path, default=DEFAULT_MODELS, help="models root or model directory")
        s.set_defaults(func=func)

    se = sub.add_parser("search", help="titles matching TEXT, best first: anime_id<TAB>name lines")
    se.add_argument("text", nargs="+", help="any name of a title: main, English, synonym, abbreviation")
    se.add_argument("-n", type=int, default=5)
    se.set_defaults(func=cmd_search)

    rb = sub.add_parser("recommend-batch", help="top n per user for users unknown to the model")
    rb.add_argument("--model", type=Path, required=True)
    rb.add_argument("--given", type=Path, required=True, help="CSV user_id,anime_id,rating")
    rb.add_argument("--out", type=Path, required=True)
    rb.add_argument("-n", type=int, default=50)
    rb.set_defaults(func=cmd_recommend_batch)

    sb = sub.add_parser("similar-batch", help="n neighbours per title, as /similar serves them")
    sb.add_argument("--model", type=Path, required=True)
    sb.add_argument("--ids", type=Path, required=True, help="CSV with a column anime_id")
    sb.add_argument("--out", type=Path, required=True)
    sb.add_argument("-n", type=int, default=10)
    sb.set_defaults(func=cmd_similar_batch)

    pb = sub.add_parser("predict-batch", help="1-10 predictions for (user, anime) pairs")
    pb.add_argument("--model", type=Path, required=True)
    pb.add_argument("--given", type=Path, required=True, help="CSV user_id,anime_id,rating")
    pb.add_argument("--pairs", type=Path, required=True, help="CSV user_id,anime_id")
    pb.add_argument("--out", type=Path, required=True)
    pb.set_defaults(func=cmd_predict_batch)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "n", 1) is not None and getattr(args, "n", 1) < 1:
        print("error: -n must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        args.func(args)
    except (CliError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0
