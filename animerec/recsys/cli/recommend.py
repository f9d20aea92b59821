"""`recommend`: the picks /recommend shows for one ratings list."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.common import (
    CliError,
    add_aired_options,
    add_model_option,
    allowed_titles,
    catch_up_titles,
    check_input_file,
    filters,
    served_model,
)
from animerec.recsys.data import WATCHED, DataError, normalize_interactions
from animerec.recsys.serving.reasons import unnamed_reason
from animerec.recsys.serving.rules import CONTINUE


def add_parser(sub) -> None:
    s = sub.add_parser("recommend", help="picks for one ratings list")
    s.add_argument("--ratings", type=Path, required=True,
                   help="CSV anime_id,rating (or user_id,anime_id,rating), header line optional; "
                        "each title once; rating 1-10, or -1 for watched without a score")
    s.add_argument("-n", type=int, default=10)
    s.add_argument("--discover", action="store_true", help="favour less-watched titles")
    s.add_argument("--genre")
    s.add_argument("--type")
    add_aired_options(s)
    add_model_option(s)
    s.set_defaults(func=cmd_recommend)


def cmd_recommend(args: argparse.Namespace) -> None:
    check_input_file(args.ratings)
    catalog = Catalog.load()
    df = read_ratings(args.ratings, catalog)
    wanted = filters(catalog, args)
    served = served_model(args, catalog)  # loaded only once the inputs have passed
    ratings = dict(zip(df["anime_id"].tolist(), df["rating"].tolist()))
    found = served.recommend(ratings, args.n, allowed=allowed_titles(served, args, wanted), discover=args.discover,
                             catch_up=catch_up_titles(served, args, wanted))
    for rank, pick in enumerate(found.picks, 1):
        if pick.because is None:
            why = unnamed_reason(pick.source, members=catalog.get(pick.anime_id).members)
        elif pick.kind == CONTINUE:
            why = f"continues {catalog.get(pick.because).name}"
        else:
            gave = "watched" if ratings[pick.because] == WATCHED else "rated"
            why = f"because you {gave} {catalog.get(pick.because).name}"
        if pick.catch_up is not None:
            why += f"; catch up with {catalog.get(pick.catch_up).name} first"
        more = f", +{pick.more_in_series} more in this series" if pick.more_in_series else ""
        print(f"{rank:3d}. {catalog.get(pick.anime_id).name}  (match {pick.match:.0%}; {why}{more})")
    if found.short:
        print(f"only {len(found.picks)} good match(es) with these filters")
    if found.seen_these:
        print("seen these? rate them to sharpen your picks: " + "; ".join(catalog.get(a).name for a in found.seen_these))


def read_ratings(path: Path, catalog: Catalog) -> pd.DataFrame:
    """--ratings: one list, anime_id,rating lines (user_id,anime_id,rating also), with or without a
    header line. A title given twice is refused rather than one of its scores silently winning."""
    fields = _first_line(path).split(",")
    header = "anime_id" in (f.strip() for f in fields)
    names = None if header else HEADERLESS.get(len(fields))
    if not header and names is None:
        raise CliError(f"{path}: expected anime_id,rating lines (a header line is optional); "
                       f"the first line has {len(fields)} field(s)")
    try:
        df = pd.read_csv(path, dtype=str, header=0 if header else None, names=names)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: not a readable ratings CSV ({str(exc).splitlines()[0]})") from None
    if "user_id" not in df.columns:
        df.insert(0, "user_id", "me")
    try:
        ratings = normalize_interactions(df, catalog.ids())
    except DataError as exc:
        # normalize_interactions counts rows as lines below a header: one fewer without it.
        message = str(exc) if header else _ROW.sub(lambda m: f"row {int(m[1]) - 1}", str(exc))
        raise DataError(f"{path}: {message}") from None
    anime = pd.to_numeric(df["anime_id"]).to_numpy()
    twice = pd.Series(anime).duplicated(keep=False).to_numpy()
    if twice.any():
        first = int(anime[twice][0])
        lines = [int(i) + (2 if header else 1) for i in np.flatnonzero(anime == first)[:2]]
        raise CliError(f"{path}: anime_id {first} is rated twice (lines {lines[0]} and {lines[1]}): "
                       "keep the one that counts")
    return ratings


HEADERLESS = {2: ["anime_id", "rating"], 3: ["user_id", "anime_id", "rating"]}
_ROW = re.compile(r"\brow (\d+)")


def _first_line(path: Path) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read ({exc})") from None
