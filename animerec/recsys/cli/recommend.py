"""`recommend`: the picks /recommend shows for one ratings list."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.common import (
    CliError,
    add_aired_options,
    add_model_option,
    allowed_titles,
    check_input_file,
    filters,
    served_model,
)
from animerec.recsys.data import DataError, normalize_interactions, read_interactions_csv
from animerec.recsys.serving.rules import CONTINUE


def add_parser(sub) -> None:
    s = sub.add_parser("recommend", help="picks for one ratings list")
    s.add_argument("--ratings", type=Path, required=True, help="CSV anime_id,rating (or user_id,anime_id,rating)")
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
    df = read_interactions_csv(args.ratings, known_ids=catalog.ids()) if "user_id" in _header(args.ratings) \
        else _single_user(args.ratings, catalog)
    wanted = filters(catalog, args)
    served = served_model(args, catalog)  # loaded only once the inputs have passed
    ratings = dict(zip(df["anime_id"].tolist(), df["rating"].tolist()))
    found = served.recommend(ratings, args.n, allowed=allowed_titles(served, args, wanted), discover=args.discover)
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
