"""`python -m animerec.recsys ...` (`animerec-recsys`): the parser and the entry point; one module per
subcommand beside it."""

from __future__ import annotations

import argparse
import sys

from animerec.recsys.cli import batch, catalog, evaluate, recommend, search, similar, train
from animerec.recsys.cli.common import CliError, NoMatch
from animerec.recsys.data import DataError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m animerec.recsys",
                                description="animerec's recommender: train, evaluate, query.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command", required=True)
    train.add_parser(sub)
    evaluate.add_parser(sub)
    similar.add_parser(sub)
    recommend.add_parser(sub)
    search.add_parser(sub)
    batch.add_parsers(sub)
    catalog.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "n", 1) is not None and getattr(args, "n", 1) < 1:
        print("error: -n must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        args.func(args)
    except NoMatch as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except (CliError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0
