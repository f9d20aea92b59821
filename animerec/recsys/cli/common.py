"""What the subcommands share: the one-line usage error, path checks, and loading the served model."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

import numpy as np

from animerec.recsys.catalog.catalog import NO_FILTERS, Catalog, Filters, UnknownFilter
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import read_interactions_csv
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.meta import CONFIG_NAMES, DEFAULT_CONFIG, SMALL_CONFIG
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving.served import ServedModel

DEFAULT_MODELS = Path("var/models")


class CliError(Exception):
    """A one-line error for the user; exits with code 2 (a usage or input error)."""

    exit_code = 2


class NoMatch(CliError):
    """Nothing matched a query that was fine in itself, as grep says: exits with code 1."""

    exit_code = 1


def say(msg: str) -> None:
    """Progress of a long run, on stderr so that stdout keeps only the results."""
    print(f"... {msg}", file=sys.stderr, flush=True)


def model_config(name: str) -> ModelConfig:
    configs = {DEFAULT_CONFIG: ModelConfig, SMALL_CONFIG: ModelConfig.small}
    if name not in configs:
        raise CliError(f"unknown --config {name!r}; use {' or '.join(CONFIG_NAMES)}")
    return configs[name]()


def spark_settings(engine: str, master: str | None):
    """The Spark engine's settings for --engine spark (None for the default engine), checked early."""
    if engine != "spark":
        if master is not None:
            raise CliError("--master is for --engine spark")
        return None
    from animerec.recsys.algorithms.spark_als import SparkSettings, unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise CliError(f"--engine spark: {reason}")
    return SparkSettings(master=master) if master else SparkSettings()


# Path checks run before any long work (loading a model, training): a bad path fails in a second.
def check_input_file(path: Path) -> None:
    """CliError unless path is a file this process can read."""
    if path.is_dir():
        raise CliError(f"{path}: is a directory, not a CSV file")
    try:
        open(path, "rb").close()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None


def check_output_file(path: Path) -> None:
    """CliError unless a CSV file can be written at path."""
    if path.is_dir():
        raise CliError(f"--out {path} is a directory; give the CSV file to write")
    if not path.parent.is_dir():
        raise CliError(f"--out {path}: directory {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"--out {path}: not writable")


def add_model_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    if required:
        parser.add_argument("--model", type=Path, required=True)
    else:
        parser.add_argument("--model", type=Path, default=DEFAULT_MODELS, help="models root or model directory")


def load_model(args: argparse.Namespace) -> Recommender:
    """--model: a models root (with `current`) or one model directory; this process only serves from here on."""
    single_threaded_blas()
    try:
        if (args.model / artifacts.CURRENT).exists():
            return artifacts.load_current(args.model)
        return artifacts.load(args.model)
    except artifacts.ModelLoadError as exc:
        raise CliError(str(exc)) from None


def served_model(args: argparse.Namespace, catalog: Catalog | None = None,
                 franchises: Franchises | None = None) -> ServedModel:
    """The served model with its fan rules, as the bot serves it."""
    return ServedModel(load_model(args), catalog or Catalog.load(), franchises)


def filters(catalog: Catalog, args: argparse.Namespace) -> Filters:
    """--genre and --type."""
    try:
        return catalog.filters(args.genre, args.type)
    except UnknownFilter as exc:
        raise CliError(str(exc)) from None


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def add_aired_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aired-from", type=_iso_date, metavar="YYYY-MM-DD",
                        help="only titles first aired on or after this day")
    parser.add_argument("--aired-to", type=_iso_date, metavar="YYYY-MM-DD",
                        help="only titles first aired on or before this day")


def allowed_titles(served: ServedModel, args: argparse.Namespace, wanted: Filters = NO_FILTERS) -> np.ndarray | None:
    """The served titles --genre/--type (``wanted``) and --aired-from/--aired-to leave in."""
    if args.aired_from is not None and args.aired_to is not None and args.aired_from > args.aired_to:
        raise CliError(f"--aired-from {args.aired_from} is after --aired-to {args.aired_to}")
    return served.allowed(wanted, aired_from=args.aired_from, aired_to=args.aired_to)


def catch_up_titles(served: ServedModel, args: argparse.Namespace, wanted: Filters = NO_FILTERS) -> np.ndarray | None:
    """The titles --aired-from alone leaves out that a pick may name as the one to catch up with first
    (ServedModel.before_window), as /recommend new names them."""
    return served.before_window(wanted, aired_from=args.aired_from)


def given_by_user(path: Path, catalog: Catalog) -> dict[str, dict[int, float]]:
    """A user_id,anime_id,rating CSV: each user's ratings."""
    df = read_interactions_csv(path, known_ids=catalog.ids())
    return {str(u): dict(zip(g["anime_id"].tolist(), g["rating"].tolist())) for u, g in df.groupby("user_id", sort=False)}
