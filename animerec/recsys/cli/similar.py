"""`similar`: the titles /similar shows for one title."""

from __future__ import annotations

import argparse

from animerec.recsys.catalog.catalog import Catalog, TitleNotFound
from animerec.recsys.cli.common import CliError, add_model_option, filters, served_model
from animerec.recsys.model import UnknownTitle
from animerec.recsys.serving.served import PlacedByNothing


def add_parser(sub) -> None:
    s = sub.add_parser("similar", help="titles near one title")
    s.add_argument("title", nargs="+", help="any name of the title, quoted or not")
    s.add_argument("-n", type=int, default=10)
    s.add_argument("--genre")
    s.add_argument("--type")
    add_model_option(s)
    s.set_defaults(func=cmd_similar)


def _resolve(catalog: Catalog, text: str) -> int:
    """A title as /similar resolves it in the bot: the start of one series' names included."""
    try:
        return catalog.lookup(text).anime.anime_id
    except TitleNotFound as exc:
        hints = ", ".join(a.name for a in exc.hints)
        raise CliError(f"unknown title {text!r}" + (f"; did you mean: {hints}?" if hints else "")) from None


def cmd_similar(args: argparse.Namespace) -> None:
    catalog = Catalog.load()
    wanted = filters(catalog, args)
    anime_id = _resolve(catalog, " ".join(args.title))
    served = served_model(args, catalog)  # loaded only once the inputs have passed
    try:
        found = served.similar(anime_id, args.n, allowed=served.allowed(wanted))
    except UnknownTitle:
        raise CliError(f"{catalog.get(anime_id).name!r} is not in the catalog the model was trained over: "
                       "it has neighbours after a retrain over this catalog") from None
    except PlacedByNothing:
        raise CliError(f"{catalog.get(anime_id).name!r} has no ratings, franchise or genres to place it by: "
                       "no neighbours until members rate it") from None
    print(f"Similar to {catalog.get(anime_id).name}:")
    for rank, (aid, sim) in enumerate(found.neighbours, 1):
        start = found.starts_at.get(aid)
        later = f"; comes later in its series, start with {catalog.get(start).name}" if start is not None else ""
        print(f"{rank:3d}. {catalog.get(aid).name}  (similarity {sim:.3f}{later})")
    if found.same_series:
        print("same series: " + "; ".join(catalog.get(a).name for a in found.same_series))
