"""Bundled MyAnimeList data: the title table and the 5,000-user interaction sample, in MAL ids.

One interactions table serves everything downstream: columns ``user_id`` (str), ``anime_id`` (int,
MAL id) and ``rating`` (float32: 1-10 for a score, ``WATCHED`` for "watched, no score").
"""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from animerec.recsys.lifecycle.meta import INTERACTION_COLUMNS

# Package data (pyproject.toml [tool.setuptools.package-data]): found the same way in a checkout, an
# editable install and a wheel. A wheel is always unpacked on disk, so the traversable is a real Path,
# which pandas, zipfile and the franchise loader take as is.
DATA_DIR = Path(str(resources.files("animerec") / "data"))
ANIME_CSV = DATA_DIR / "anime.csv"
ANIME_ZIP = DATA_DIR / "anime.zip"
# English titles, synonyms, relation edges and air dates for the same MAL ids (see data/README.md).
MAL2018_DIR = DATA_DIR / "mal-2018"
TITLES_CSV = MAL2018_DIR / "titles.csv"
RELATIONS_CSV = MAL2018_DIR / "relations.csv"
DATES_CSV = MAL2018_DIR / "dates.csv"
# The catalog through 2026, built from the 2016 catalog, mal-2018/ and the 2017-2026 sources by
# animerec.recsys.catalog.build (schema and sources in data/README.md).
CATALOG_DIR = DATA_DIR / "catalog"
CATALOG_CSV = CATALOG_DIR / "catalog.csv.gz"
CATALOG_TITLES_CSV = CATALOG_DIR / "titles.csv.gz"
CATALOG_LINKS_CSV = CATALOG_DIR / "links.csv.gz"
# Integer columns stay integers (nullable where a source can lack the value) when read back.
CATALOG_DTYPES = {
    "anime_id": "int64", "anilist_id": "Int64", "episodes": "Int64", "year": "Int64", "members_2016": "Int64",
    "members_latest": "Int64", "score_2016": "float64", "score_latest": "float64", "work_id": "int64",
    "franchise_id": "int64",
}
# The sources of the bundled data, as data/README.md credits them: bangumi-data's CC BY 4.0 licence asks
# for this attribution wherever the data is shown, so the bot prints it in /stats and the console's /help.
DATA_CREDIT = ("Anime data: MyAnimeList (via Jikan, Ate329/anime-season-tracker and the 2016/2018 Kaggle datasets), "
               "bangumi-data (CC BY 4.0), kawaiioverflow/arm, erengy/anime-relations.")

# A "watched, no score" interaction, as MyAnimeList exports spell it.
WATCHED = -1.0
MAX_ANIME_ID = 2**31 - 1  # MAL ids are small positive integers: anything bigger (1e30) is not one


class DataError(ValueError):
    """Input data that cannot be used; the message is meant for a person."""


def load_anime_table(path: Path | str = ANIME_CSV) -> pd.DataFrame:
    """anime.csv with display names unescaped (``&#039;`` -> ``'``) and genres as tuples."""
    df = pd.read_csv(path, dtype={"anime_id": "int64", "name": "str", "genre": "str", "type": "str", "episodes": "str"})
    df["name"] = df["name"].map(html.unescape)
    df["genres"] = df["genre"].fillna("").map(lambda s: tuple(g.strip() for g in s.split(",") if g.strip()))
    df["episodes"] = pd.to_numeric(df["episodes"], errors="coerce").astype("Int64")
    df["type"] = df["type"].where(df["type"].notna(), None)
    return df.drop(columns=["genre"]).reset_index(drop=True)


def _read_table(path: Path | str, columns: list[str], dtype: dict) -> pd.DataFrame:
    """A bundled side table with the columns checked, so a replacement export fails with one line."""
    try:
        df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable table ({str(exc).splitlines()[0]})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(columns)}")
    return df[columns]


def load_titles(path: Path | str = TITLES_CSV) -> pd.DataFrame:
    """anime_id, kind (main / english / synonym / japanese), title: every name a title is known by."""
    df = _read_table(path, ["anime_id", "kind", "title"], {"anime_id": "int64", "kind": str, "title": str})
    return df.dropna(subset=["title"]).reset_index(drop=True)


def load_relations(path: Path | str = RELATIONS_CSV) -> pd.DataFrame:
    """anime_id, relation (MAL's name, e.g. "Sequel"), related_id: one directed edge a row."""
    return _read_table(path, ["anime_id", "relation", "related_id"],
                       {"anime_id": "int64", "relation": str, "related_id": "int64"})


def load_dates(path: Path | str = DATES_CSV) -> pd.DataFrame:
    """anime_id, start_date (datetime64, NaT when unknown)."""
    df = _read_table(path, ["anime_id", "start_date"], {"anime_id": "int64", "start_date": str})
    return df.assign(start_date=pd.to_datetime(df["start_date"], errors="coerce"))


def _read_dat(zf: zipfile.ZipFile, name: str) -> pd.DataFrame:
    member = next(n for n in zf.namelist() if n.endswith(name))
    return pd.read_csv(io.BytesIO(zf.read(member)), sep="\t")


def sample_id_map(zip_path: Path | str = ANIME_ZIP, csv_path: Path | str = ANIME_CSV) -> dict[int, int]:
    """Renumbered sample id -> MAL anime_id, matched on (raw name, members), which is one to one."""
    raw = pd.read_csv(csv_path, usecols=["anime_id", "name", "members"])
    with zipfile.ZipFile(zip_path) as zf:
        info = _read_dat(zf, "anime_info.dat")
    merged = info.merge(raw, on=["name", "members"], how="left", validate="one_to_one")
    if merged["anime_id"].isna().any():
        missing = merged.loc[merged["anime_id"].isna(), "name"].head(3).tolist()
        raise DataError(f"sample titles with no match in anime.csv: {missing}")
    return dict(zip(merged["anime_ids"].astype(int), merged["anime_id"].astype(int)))


def load_interactions(zip_path: Path | str = ANIME_ZIP, csv_path: Path | str = ANIME_CSV) -> pd.DataFrame:
    """All interactions of the sample: every rating, plus every watched title without a rating."""
    id_map = sample_id_map(zip_path, csv_path)
    with zipfile.ZipFile(zip_path) as zf:
        ratings = _read_dat(zf, "anime_ratings.dat")
        history = _read_dat(zf, "anime_history.dat")
    ratings.columns = history.columns = ["user", "item", "feedback"]
    # History is a superset of ratings: what it has beyond them is "watched, no score".
    history = history.merge(ratings[["user", "item"]], on=["user", "item"], how="left", indicator=True)
    watched = history[history["_merge"] == "left_only"]
    df = pd.concat(
        [
            pd.DataFrame({"user": ratings["user"], "item": ratings["item"],
                          "rating": ratings["feedback"].astype("float32")}),
            pd.DataFrame({"user": watched["user"], "item": watched["item"], "rating": np.float32(WATCHED)}),
        ],
        ignore_index=True,
    )
    out = pd.DataFrame(
        {
            "user_id": "mal:" + df["user"].astype(str),
            "anime_id": df["item"].map(id_map).astype("int64"),
            "rating": df["rating"].astype("float32"),
        }
    )
    return out.sort_values(["user_id", "anime_id"], kind="stable").reset_index(drop=True)


def normalize_interactions(df: pd.DataFrame, known_ids: set[int] | None = None) -> pd.DataFrame:
    """Validate a user-supplied interactions table (columns user_id, anime_id, rating).

    Ratings must be 1-10 or -1 (watched, no score). Later duplicates of a (user, anime) pair win.
    Raises DataError with a one-line reason.
    """
    missing = [c for c in INTERACTION_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}; expected {','.join(INTERACTION_COLUMNS)}")
    if df.empty:
        raise DataError("no rows")
    check_user_ids(df["user_id"])
    anime = anime_id_column(df["anime_id"])
    rating = pd.to_numeric(df["rating"], errors="coerce")
    ok_rating = rating.isin([WATCHED]) | ((rating >= 1) & (rating <= 10))
    if not ok_rating.all():
        row = int(np.flatnonzero(~ok_rating.to_numpy())[0])
        raise DataError(f"rating must be 1-10 or -1 (watched), got {df['rating'].iloc[row]!r} on row {row + 2}")
    out = pd.DataFrame({"user_id": df["user_id"].astype(str), "anime_id": anime, "rating": rating.astype("float32")})
    if known_ids is not None:
        check_known_ids(out["anime_id"], known_ids)
    return out.drop_duplicates(["user_id", "anime_id"], keep="last").reset_index(drop=True)


def check_user_ids(values: pd.Series) -> None:
    """DataError naming the first row (as a CSV line number) with an empty user_id."""
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        raise DataError(f"user_id is empty on row {int(np.flatnonzero(empty.to_numpy())[0]) + 2}")


def anime_id_column(values: pd.Series) -> pd.Series:
    """The anime_id column as int64; DataError naming the first row that is not a MAL id.

    "9253.7" and "1e30" are refused, not truncated or overflowed into some other id.
    """
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() | (numbers != numbers.round()) | ~numbers.between(1, MAX_ANIME_ID)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"anime_id is not an integer on row {row + 2} ({values.iloc[row]!r})")
    return numbers.astype("int64")


def check_known_ids(anime_ids: pd.Series, known_ids: set[int]) -> None:
    unknown = sorted(set(anime_ids) - known_ids)
    if unknown:
        raise DataError(f"unknown anime_id(s): {', '.join(map(str, unknown[:5]))}{' ...' if len(unknown) > 5 else ''}")


def read_interactions_csv(path: Path | str, known_ids: set[int] | None = None) -> pd.DataFrame:
    """Read and validate an interactions CSV; DataError with one line on any problem."""
    try:
        df = pd.read_csv(path, dtype=str)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    except OSError as exc:  # a directory, no permission
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return normalize_interactions(df, known_ids)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def fingerprint(df: pd.DataFrame) -> str:
    """A short content hash of an interactions table, recorded in a model's meta.json."""
    h = hashlib.sha256()
    for col in INTERACTION_COLUMNS:
        h.update(pd.util.hash_pandas_object(df[col], index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def load_catalog_table(path: Path | str = CATALOG_CSV, usecols: list[str] | None = None) -> pd.DataFrame:
    """The built catalog: one row per MAL id, 1960s to this season (columns in data/README.md; ``usecols``:
    only these)."""
    return pd.read_csv(path, dtype=CATALOG_DTYPES, usecols=usecols)


def load_catalog_titles(path: Path | str = CATALOG_TITLES_CSV) -> pd.DataFrame:
    """Every title of every catalog entry: anime_id, kind (main, english, japanese, synonym, zh-Hans, zh-Hant), title."""
    return pd.read_csv(path, dtype={"anime_id": "int64", "kind": "str", "title": "str"}, keep_default_na=False)


def load_catalog_links(path: Path | str = CATALOG_LINKS_CSV) -> pd.DataFrame:
    """Why two entries share a work or a franchise: anime_id, related_id, level (work/franchise), evidence."""
    return pd.read_csv(path, dtype={"anime_id": "int64", "related_id": "int64", "level": "str", "evidence": "str"})
