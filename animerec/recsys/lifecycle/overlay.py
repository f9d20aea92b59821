"""The catalog overlay: titles fetched after the bundled catalog was built, kept in the data directory.

    <overlay_dir>/<version>/catalog.csv.gz   rows in the bundled catalog's schema (data/README.md)
    <overlay_dir>/<version>/titles.csv.gz    anime_id,kind,title for the overlay's new ids
    <overlay_dir>/<version>/meta.json        version, refreshed_at, source, newest season, row counts, sha256 of each file
    <overlay_dir>/current                    the version in use (replaced atomically, as for models)

The bundled catalog is the floor: the overlay adds ids it lacks, and for an id it has, only the
counts, the score and the airing status. A new overlay is refused unless it is valid and keeps every
id of the previous one, so a bad or partial fetch can never take a title away.

Rows come from AniList (animerec.recsys.lifecycle.refresh): members_latest is AniList's popularity times
the refresh's members_scale (MyAnimeList members per AniList user, told by settled series both count),
and score_latest AniList's mean score over 10.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from animerec.recsys.catalog.catalog import SEASONS, Catalog
from animerec.recsys.catalog.seasons import season_name
from animerec.recsys.data import (
    CATALOG_DTYPES,
    MAX_ANIME_ID,
    DataError,
    load_catalog_table,
    load_catalog_titles,
)
from animerec.recsys.lifecycle import artifacts

CATALOG_FILE, TITLES_FILE = "catalog.csv.gz", "titles.csv.gz"
FORMAT_VERSION = 1
# The bundled catalog's columns, in its order (data/README.md): an overlay row has exactly these.
COLUMNS = (
    "anime_id", "anilist_id", "title", "title_english", "title_japanese", "type", "episodes", "status",
    "start_date", "end_date", "season", "year", "members_2016", "members_latest", "score_2016", "score_latest",
    "genres", "themes", "demographics", "tags_source", "age_rating", "adult", "adult_evidence", "studios", "source",
    "work_id", "franchise_id", "in_sources",
)
TITLE_COLUMNS = ("anime_id", "kind", "title")
TITLE_KINDS = ("main", "english", "japanese", "synonym")
# What a refresh may change on a title the bundled catalog has: how many watch it, how they score it,
# and whether it is still airing. Names, dates, genres and franchise stay as built.
UPDATABLE = ("members_latest", "score_latest", "status")
ADULT_VALUES = ("yes", "no", "unknown")


def overlay_dir_in(data_dir: Path) -> Path:
    """Where a data directory (the bot's, or the CLI's --data-dir) keeps its overlay."""
    return Path(data_dir) / "catalog"


class OverlayError(DataError):
    """An overlay that must not be published or used; the message says why in one line."""


@dataclass(frozen=True)
class OverlayInfo:
    """The overlay in use: its version, when it was fetched, and the newest season it has titles of."""

    version: str
    refreshed_at: datetime
    source: str
    rows: int
    newest_season: tuple[int, str] | None  # (2026, "fall")
    members_scale: float | None = None  # MyAnimeList members per AniList user its counts were scaled by


def _frame(rows: list[dict] | pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise OverlayError(f"overlay rows lack column(s) {', '.join(missing)}")
    return df.loc[:, list(columns)].reset_index(drop=True)


def validate(catalog: pd.DataFrame, titles: pd.DataFrame, previous_ids: set[int] | None = None) -> None:
    """OverlayError unless the frames are an overlay that may replace one with previous_ids."""
    extra = [c for c in catalog.columns if c not in COLUMNS]
    if extra or len(catalog.columns) != len(COLUMNS):
        raise OverlayError(f"overlay columns differ from the catalog's: {', '.join(map(str, extra)) or 'some missing'}")
    ids = pd.to_numeric(catalog["anime_id"], errors="coerce")
    if ids.isna().any() or (ids != ids.round()).any() or not ids.between(1, MAX_ANIME_ID).all():
        raise OverlayError("overlay anime_id values must be positive integers")
    if ids.duplicated().any():
        raise OverlayError(f"overlay lists anime_id {int(ids[ids.duplicated()].iloc[0])} twice")
    if catalog["title"].isna().any() or (catalog["title"].astype(str).str.strip() == "").any():
        raise OverlayError("every overlay row needs a title")
    if not catalog["adult"].isin(ADULT_VALUES).all():
        raise OverlayError(f"overlay adult values must be {', '.join(ADULT_VALUES)}")
    unknown_kinds = set(titles["kind"]) - set(TITLE_KINDS)
    if unknown_kinds:
        raise OverlayError(f"overlay title kinds must be {', '.join(TITLE_KINDS)}; got {', '.join(sorted(unknown_kinds))}")
    orphans = set(titles["anime_id"].astype("int64")) - set(ids.astype("int64"))
    if orphans:
        raise OverlayError(f"overlay titles name anime_id {min(orphans)}, which has no overlay row")
    if previous_ids:
        lost = previous_ids - set(ids.astype("int64"))
        if lost:
            raise OverlayError(f"overlay would drop {len(lost)} title(s) of the previous one (e.g. {min(lost)})")


def read(overlay_dir: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, OverlayInfo] | None:
    """The overlay in use, checked against its checksums; None when there is none yet."""
    if overlay_dir is None or not (Path(overlay_dir) / artifacts.CURRENT).exists():
        return None
    try:
        directory = artifacts.current_dir(Path(overlay_dir))
    except artifacts.ModelLoadError as exc:
        raise OverlayError(str(exc)) from None
    try:
        meta = json.loads((directory / artifacts.META_FILE).read_text(encoding="utf-8"))
        for name, digest in meta["files"].items():
            if artifacts.sha256(directory / name) != digest:
                raise OverlayError(f"catalog overlay at {directory} is corrupt: {name} does not match its checksum")
        catalog = pd.read_csv(directory / CATALOG_FILE, dtype=CATALOG_DTYPES, keep_default_na=False, na_values=[""])
        titles = pd.read_csv(directory / TITLES_FILE, dtype={"anime_id": "int64", "kind": "str", "title": "str"},
                             keep_default_na=False)
        season = meta.get("newest_season")
        scale = meta.get("members_scale")
        info = OverlayInfo(meta["version"], datetime.fromisoformat(meta["refreshed_at"]), meta.get("source", ""),
                           len(catalog), (int(season[0]), str(season[1])) if season else None,
                           None if scale is None else float(scale))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OverlayError(f"catalog overlay at {directory} cannot be read: {exc}") from None
    validate(catalog, titles)
    return catalog, titles, info


def newest_season(catalog: pd.DataFrame) -> tuple[int, str] | None:
    """The latest (year, season) any row airs in."""
    seasons = [(int(y), s) for y, s in zip(catalog["year"], catalog["season"])
               if not pd.isna(y) and isinstance(s, str) and s in SEASONS]
    return max(seasons, key=lambda ys: (ys[0], SEASONS.index(ys[1])), default=None)


def merge(old: pd.DataFrame | None, old_titles: pd.DataFrame | None, new: pd.DataFrame, new_titles: pd.DataFrame
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The previous overlay with freshly fetched rows on top: a fetched id replaces its row and titles."""
    new = _frame(new, COLUMNS)
    new_titles = _frame(new_titles, TITLE_COLUMNS)
    if old is None or old.empty:
        return new, new_titles
    fetched = set(new["anime_id"].astype("int64"))
    kept = old[~old["anime_id"].isin(fetched)]
    kept_titles = old_titles[~old_titles["anime_id"].isin(fetched)] if old_titles is not None else None
    return (pd.concat([kept, new], ignore_index=True).sort_values("anime_id", kind="stable").reset_index(drop=True),
            pd.concat([kept_titles, new_titles], ignore_index=True))


def publish(catalog: pd.DataFrame, titles: pd.DataFrame, overlay_dir: Path, *, source: str,
            previous_ids: set[int] | None = None, refreshed_at: datetime | None = None,
            members_scale: float | None = None) -> Path:
    """Validate and publish an overlay (temp dir + rename, then `current`, as for models); ``members_scale``:
    what the fetched counts were scaled by (refresh.members_scale), kept for the next refresh."""
    catalog = _frame(catalog, COLUMNS).sort_values("anime_id", kind="stable").reset_index(drop=True)
    titles = _frame(titles, TITLE_COLUMNS)
    validate(catalog, titles, previous_ids)
    version = artifacts.new_version()
    refreshed = (refreshed_at or datetime.now(UTC)).isoformat(timespec="seconds")

    def write(directory: Path) -> None:
        # mtime=0: the same rows give the same bytes, so a checksum names the content.
        catalog.to_csv(directory / CATALOG_FILE, index=False, compression={"method": "gzip", "mtime": 0})
        titles.to_csv(directory / TITLES_FILE, index=False, compression={"method": "gzip", "mtime": 0})
        meta = dict(format=FORMAT_VERSION, version=version, refreshed_at=refreshed, source=source,
                    newest_season=newest_season(catalog), counts={"rows": len(catalog), "titles": len(titles)},
                    members_scale=members_scale,
                    files={name: artifacts.sha256(directory / name) for name in (CATALOG_FILE, TITLES_FILE)})
        (directory / artifacts.META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")

    return artifacts.publish_dir(Path(overlay_dir), version, write)


def apply_overlay(catalog: pd.DataFrame, titles: pd.DataFrame, overlay_dir: Path | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled frames with the overlay in overlay_dir on top (unchanged without one)."""
    found = read(overlay_dir)
    if found is None:
        return catalog, titles
    return overlay_frames(catalog, titles, found[0], found[1])


def overlay_frames(catalog: pd.DataFrame, titles: pd.DataFrame, overlay: pd.DataFrame, overlay_titles: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New ids are appended with their titles; a bundled id takes only the UPDATABLE fields."""
    bundled = set(catalog["anime_id"])
    is_new = ~overlay["anime_id"].isin(bundled)
    updates = overlay.loc[~is_new].set_index("anime_id")
    out = catalog.copy()
    if not updates.empty:
        at = out["anime_id"].isin(updates.index)
        rows = out.loc[at, "anime_id"]
        fetched = updates.reindex(rows)
        # A fetched count is AniList's scaled by one ratio for every title (refresh.members_scale): an
        # estimate, so a smaller one is not fewer watchers, and the bundled count only ever grows.
        members = pd.concat([out.loc[at, "members_latest"].reset_index(drop=True),
                             fetched["members_latest"].reset_index(drop=True)], axis=1).max(axis=1)
        out.loc[at, "members_latest"] = members.astype("Int64").to_numpy()
        for column in ("score_latest", "status"):
            value = fetched[column].to_numpy()
            keep = pd.isna(value)
            out.loc[at, column] = [old if k else v for old, v, k in zip(out.loc[at, column], value, keep)]
    added = overlay.loc[is_new]
    out = pd.concat([out, added.astype(out.dtypes.to_dict())], ignore_index=True) if len(added) else out
    new_titles = overlay_titles[overlay_titles["anime_id"].isin(set(added["anime_id"]))]
    return out, pd.concat([titles, new_titles], ignore_index=True) if len(new_titles) else titles


def catalog_from_tables(catalog: pd.DataFrame, titles: pd.DataFrame) -> Catalog:
    """A Catalog over frames in the bundled catalog's schema."""
    return Catalog.from_table(catalog, titles)


def load_catalog(overlay_dir: Path | None = None) -> Catalog:
    """The catalog the bot serves and the retrain uses: the bundled one with the overlay on top (its new
    ids added with their names; for a bundled id, only a larger members count, the score and the status).
    Without an overlay, exactly Catalog.load(). Either way it carries its table (Catalog.table), from
    which a retrain makes the vectors of titles without ratings."""
    found = read(overlay_dir)
    if found is None:
        return Catalog.load()
    return catalog_from_tables(*overlay_frames(load_catalog_table(), load_catalog_titles(), found[0], found[1]))


def info(overlay_dir: Path | None) -> OverlayInfo | None:
    found = read(overlay_dir)
    return found[2] if found is not None else None


def season_label(season: tuple[int, str] | None) -> str | None:
    return season_name(*season) if season else None


def bundled_newest_season() -> tuple[int, str] | None:
    """The newest season the bundled catalog's titles air in."""
    return newest_season(load_catalog_table())


def ago(then: datetime, now: datetime | None = None) -> str:
    """"3 days ago", "5 hours ago", "just now"."""
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        n = math.floor(seconds / size)
        if n >= 1:
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"
