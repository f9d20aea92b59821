"""The batch jobs: `recommend-batch`, `similar-batch` and `predict-batch`, CSV in, CSV out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.common import (
    CliError,
    add_aired_options,
    add_model_option,
    allowed_titles,
    catch_up_titles,
    check_input_file,
    check_output_file,
    given_by_user,
    load_model,
    served_model,
)
from animerec.recsys.data import DataError, anime_id_column, check_known_ids, check_user_ids


def add_parsers(sub) -> None:
    rb = sub.add_parser("recommend-batch", help="top n per user for users unknown to the model")
    add_model_option(rb, required=True)
    rb.add_argument("--given", type=Path, required=True, help="CSV user_id,anime_id,rating")
    rb.add_argument("--out", type=Path, required=True)
    rb.add_argument("-n", type=int, default=50)
    add_aired_options(rb)
    rb.set_defaults(func=cmd_recommend_batch)

    sb = sub.add_parser("similar-batch", help="n neighbours per title, as /similar serves them")
    add_model_option(sb, required=True)
    sb.add_argument("--ids", type=Path, required=True, help="CSV with a column anime_id")
    sb.add_argument("--out", type=Path, required=True)
    sb.add_argument("-n", type=int, default=10)
    sb.set_defaults(func=cmd_similar_batch)

    pb = sub.add_parser("predict-batch", help="1-10 predictions for (user, anime) pairs")
    add_model_option(pb, required=True)
    pb.add_argument("--given", type=Path, required=True, help="CSV user_id,anime_id,rating")
    pb.add_argument("--pairs", type=Path, required=True, help="CSV user_id,anime_id")
    pb.add_argument("--out", type=Path, required=True)
    pb.set_defaults(func=cmd_predict_batch)


def cmd_recommend_batch(args: argparse.Namespace) -> None:
    check_input_file(args.given)
    check_output_file(args.out)
    catalog = Catalog.load()
    given = given_by_user(args.given, catalog)
    served = served_model(args, catalog)  # loaded only once the inputs have passed
    allowed, catch_up = allowed_titles(served, args), catch_up_titles(served, args)
    rows = []
    for user, ratings in tqdm(given.items(), desc="recommending", unit="user", disable=args.quiet):
        for rank, pick in enumerate(served.recommend(ratings, args.n, allowed=allowed, catch_up=catch_up).picks, 1):
            rows.append((user, pick.anime_id, rank, round(pick.score, 6)))
    pd.DataFrame(rows, columns=["user_id", "anime_id", "rank", "score"]).to_csv(args.out, index=False)
    print(f"wrote {len(rows)} rows for {len(given)} users to {args.out}", file=sys.stderr)


def cmd_similar_batch(args: argparse.Namespace) -> None:
    check_input_file(args.ids)
    check_output_file(args.out)
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
    served = served_model(args)
    unknown = [a for a in dict.fromkeys(wanted) if served.index_of(a) is None]  # every catalog title is served
    if unknown:
        raise CliError(f"unknown anime_id(s) (not in the model): {', '.join(map(str, unknown[:5]))}"
                       + (" ..." if len(unknown) > 5 else ""))
    # A title nothing places (no ratings, franchise or genres: PlacedByNothing) gets no rows, and is named.
    listed = set(served.similar_ids().tolist())
    unplaced = [a for a in dict.fromkeys(wanted) if a not in listed]
    rows = [(a, s_id, rank, round(sim, 6))
            for a in tqdm(wanted, desc="similar", unit="title", disable=args.quiet) if a in listed
            for rank, (s_id, sim) in enumerate(served.similar(a, args.n).neighbours, 1)]
    pd.DataFrame(rows, columns=["anime_id", "similar_id", "rank", "similarity"]).to_csv(args.out, index=False)
    print(f"wrote {len(rows)} rows for {len(wanted)} titles to {args.out}", file=sys.stderr)
    if unplaced:
        print(f"no rows for {len(unplaced)} title(s) with no ratings, franchise or genres to place them by: "
              f"{', '.join(map(str, unplaced[:5]))}" + (" ..." if len(unplaced) > 5 else ""), file=sys.stderr)


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
    check_input_file(args.given)
    check_input_file(args.pairs)
    check_output_file(args.out)
    catalog = Catalog.load()
    given = given_by_user(args.given, catalog)
    pairs = _read_pairs(args.pairs, catalog)
    model = load_model(args)  # loaded only once the inputs have passed
    out = []
    for user, g in tqdm(pairs.groupby("user_id", sort=False), desc="predicting", unit="user", disable=args.quiet):
        preds = model.predict(given.get(str(user), {}), g["anime_id"].tolist())
        out.append(pd.DataFrame({"user_id": g["user_id"], "anime_id": g["anime_id"], "prediction": np.round(preds, 4)}))
    result = pd.concat(out).loc[pairs.index]  # the input's row order
    result.to_csv(args.out, index=False)
    print(f"wrote {len(result)} predictions to {args.out}", file=sys.stderr)
