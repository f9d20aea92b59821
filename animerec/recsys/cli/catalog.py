"""`catalog update`: refresh the catalog overlay from AniList (or a JSON file of its answers)."""

from __future__ import annotations

import argparse
from pathlib import Path

from animerec.recsys.cli.common import CliError, check_input_file
from animerec.recsys.lifecycle.overlay import OverlayError, overlay_dir_in
from animerec.recsys.lifecycle.refresh import AniListSource, FileSource, Source, SourceError, update_catalog

DEFAULT_DATA_DIR = Path("var")  # the bot's default ANIMEREC_DATA_DIR


def add_parser(sub) -> None:
    c = sub.add_parser("catalog", help="the catalog overlay: titles newer than the bundled catalog")
    csub = c.add_subparsers(dest="catalog_command", required=True)
    u = csub.add_parser("update", help="fetch the current and next season (and --ids) into the overlay")
    u.add_argument("--source", default="anilist",
                   help="anilist (https://graphql.anilist.co), or a JSON file of AniList's answer shape (offline)")
    u.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help=f"the bot's data directory; the overlay lives in its catalog/ (default {DEFAULT_DATA_DIR})")
    u.add_argument("--ids", default="", help="comma-separated MAL ids to fetch as well when the catalog lacks them")
    u.set_defaults(func=cmd_update)


def source_of(name: str) -> Source:
    if name == "anilist":
        return AniListSource()
    path = Path(name)
    if not path.exists():
        raise CliError(f"--source {name}: use anilist, or the path of a JSON file")
    check_input_file(path)
    return FileSource(path)


def _ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise CliError(f"--ids {text!r}: give MAL ids separated by commas") from None
    if any(i <= 0 for i in ids):
        raise CliError("--ids: MAL ids are positive")
    return ids


def cmd_update(args: argparse.Namespace) -> None:
    source = source_of(args.source)
    try:
        result = update_catalog(overlay_dir_in(args.data_dir), source, wanted_ids=_ids(args.ids))
    except (SourceError, OverlayError) as exc:
        raise CliError(f"catalog unchanged: {exc}") from None
    print(result.summary())
