"""`search`: titles matching a text, best first, as anime_id<TAB>name lines (a third field `adult` marks
an adult title); no match exits 1, as grep does."""

from __future__ import annotations

import argparse

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.common import CliError, NoMatch


def add_parser(sub) -> None:
    se = sub.add_parser("search", help="titles matching TEXT, best first: anime_id<TAB>name lines, "
                        "<TAB>adult after an adult title's name; exit 1 when nothing matches")
    se.add_argument("text", nargs="+", help="any name of a title: main, English, synonym, abbreviation")
    se.add_argument("-n", type=int, default=5)
    se.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> None:
    text = " ".join(args.text)
    if not text.strip():
        raise CliError("search text is empty")
    found = Catalog.load().search(text, args.n)
    if not found:
        raise NoMatch(f"no match for {text!r}")
    for anime in found:
        print(f"{anime.anime_id}\t{anime.name}" + ("\tadult" if anime.is_adult else ""))
