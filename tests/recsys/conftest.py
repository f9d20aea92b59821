import threading
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.catalog.build import relation_edges
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.model import ModelConfig, Recommender

BLOCK_ITEMS = 10  # checkerboard: users of group g interact only with items of block g
# ModelConfig.given_support_half at the checkerboard's scale: its titles have about 21 watchers each, well watched
# among 60 members (the default is set for the bundled sample's 5,000).
PLANTED_SUPPORT_HALF = 5.0


def checkerboard(n_users: int = 60, n_blocks: int = 2, density: float = 0.7, seed: int = 0) -> pd.DataFrame:
    """Planted structure: two taste groups, each watching (and rating 7-10) only its own block of titles."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        g = u % n_blocks
        for a in range(g * BLOCK_ITEMS, (g + 1) * BLOCK_ITEMS):
            if rng.random() < density:
                rating = float(rng.integers(7, 11)) if rng.random() < 0.8 else -1.0
                rows.append((f"u{u}", 1000 + a, rating))
    return pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"])


def content_table(titles: Sequence[Anime]) -> pd.DataFrame:
    """The catalog table a model's titles without interactions get vectors from (Recommender.fit's
    ``content``), of planted titles."""
    return pd.DataFrame({
        "anime_id": [a.anime_id for a in titles], "genres": ["|".join(a.genres) for a in titles],
        "type": [a.type for a in titles], "year": [a.year for a in titles],
        "start_date": [a.start_date for a in titles], "members_latest": [a.members for a in titles],
        "franchise_id": [a.franchise_id for a in titles], "work_id": [a.work_id for a in titles]})


def grouped_franchises(table: pd.DataFrame) -> Franchises:
    """The work and franchise graph of a synthetic catalog table: its work_id and franchise_id columns
    (franchise_id for both when it has no work_id) as the catalog build's links, ordered by start_date."""
    work = table["work_id"] if "work_id" in table else table["franchise_id"]
    links = [(a, g, level, "") for column, level in ((work, "work"), (table["franchise_id"], "franchise"))
             for a, g in zip(table["anime_id"].tolist(), column.tolist()) if a != g]
    types = table["type"].tolist() if "type" in table else ["TV"] * len(table)
    titles = [TitleInfo(int(a), t, 0) for a, t in zip(table["anime_id"].tolist(), types)]
    dates = pd.DataFrame({"anime_id": table["anime_id"], "start_date": pd.to_datetime(table["start_date"])})
    return Franchises(titles, pd.DataFrame(columns=["anime_id", "relation", "related_id"]), dates,
                      pd.DataFrame(links, columns=["anime_id", "related_id", "level", "evidence"]))


class CountingAnnoy:
    """An Annoy index that counts the queries it answers (from any thread)."""

    def __init__(self, index):
        self.index = index
        self.queries = 0
        self._lock = threading.Lock()

    def get_n_items(self):
        return self.index.get_n_items()

    def get_nns_by_item(self, *args, **kwargs):
        with self._lock:
            self.queries += 1
        return self.index.get_nns_by_item(*args, **kwargs)


@pytest.fixture(scope="session")
def board() -> pd.DataFrame:
    return checkerboard()


@pytest.fixture(scope="session")
def board_model(board) -> Recommender:
    return Recommender.fit(board, ModelConfig(factors=4, iterations=15, regularization=0.5, ease_neighbors=8,
                                              knn_neighbors=8, ann_trees=5, ann_search_k=100,
                                              given_support_half=PLANTED_SUPPORT_HALF))


# The planted catalog over the checkerboard's titles: block 0 (ids 1000-1009) is one taste group, block 1
# (1010-1019) the other. Franchise A: 1000 (TV, 2001) -> sequel 1001 (TV, 2003) -> sequel 1002 (TV, 2005),
# side-story film 1003 (2004, parent 1000). Franchise B: 1010 (TV, 2010) -> sequel 1011 (TV, 2012).
# Everything else stands alone; 1004 and 1005 are linked by "Other", which joins two works, not one.
PLANTED_RELATIONS = [
    (1000, "Sequel", 1001), (1001, "Prequel", 1000), (1001, "Sequel", 1002), (1002, "Prequel", 1001),
    (1000, "Side story", 1003), (1003, "Parent story", 1000), (1010, "Sequel", 1011), (1011, "Prequel", 1010),
    (1004, "Other", 1005),
]
PLANTED_DATES = {1000: "2001-01-01", 1001: "2003-01-01", 1002: "2005-01-01", 1003: "2004-01-01",
                 1010: "2010-01-01", 1011: "2012-01-01"}


def _planted_anime(a: int, specials: AbstractSet[int], types: Mapping[int, str], uncounted: AbstractSet[int]) -> Anime:
    genres = ("Drama", "Romance", "School") if a < 1010 else ("Action", "Sci-Fi", "Thriller")
    if a == 1009:
        genres = ("Music",)  # shares nothing with the rest of block 0
    kind = types.get(a) or ("Special" if a in specials else "Movie" if a == 1003 else "TV")
    return Anime(a, f"title {a}", genres, kind, 12, 7.5, 0 if a in uncounted else 100_000 - a)


def _plant(specials: AbstractSet[int] = frozenset(), relations: Sequence[tuple[int, str, int]] = (),
           dates: Mapping[int, str] | None = None, links: Sequence[tuple[int, int, str]] = (),
           types: Mapping[int, str] | None = None, uncounted: AbstractSet[int] = frozenset()
           ) -> tuple[Catalog, Franchises]:
    catalog = Catalog(_planted_anime(a, specials, types or {}, uncounted)
                      for a in range(1000, 1000 + 2 * BLOCK_ITEMS))
    edges = pd.DataFrame([*PLANTED_RELATIONS, *relations], columns=["anime_id", "relation", "related_id"])
    dated = {**PLANTED_DATES, **(dates or {})}
    when = pd.DataFrame({"anime_id": list(dated), "start_date": pd.to_datetime(list(dated.values()))})
    titles = [TitleInfo(a.anime_id, a.type, a.members) for a in catalog]
    if not links:
        return catalog, Franchises(titles, edges, when)
    # The build's links: the relations' levels (as without links) plus ``links`` (anime_id, related_id, level).
    built = pd.DataFrame(relation_edges(edges, {t.anime_id for t in titles}) + [(a, b, level, "planted")
                                                                                 for a, b, level in links],
                         columns=["anime_id", "related_id", "level", "evidence"])
    return catalog, Franchises(titles, edges, when, built)


@pytest.fixture(scope="session")
def plant() -> Callable[..., tuple[Catalog, Franchises]]:
    """plant(specials=(), relations=(), dates=None, links=(), types=None, uncounted=()): the checkerboard's catalog
    and the planted franchise graph (above), with the ids in ``specials`` typed Special (and those in ``types`` as
    it says), ``relations`` and start ``dates`` added, ``links`` as the catalog build's links (anime_id,
    related_id, level), and no MyAnimeList members for the ids in ``uncounted`` (a title bangumi-data alone lists)."""
    return _plant
