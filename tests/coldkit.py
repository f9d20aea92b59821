"""A planted catalog with titles the training data never saw, for the tests of what members see of them
(tests/recsys/serving, tests/bot/features/seasonal)."""

import pandas as pd
from recsys.conftest import BLOCK_ITEMS, PLANTED_RELATIONS, PLANTED_SUPPORT_HALF, checkerboard, content_table

from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.model import ModelConfig, Recommender
from animerec.recsys.serving.served import ServedModel

# The checkerboard's titles (all aired before 2013) plus titles the training data never saw:
# 1030 is franchise B's new season (sequel of 1011), 1020 a new work of block 1's genres, 1021 one of
# block 0's, 1022 an older block 0 work (2019), 1023 a new work of genres nobody rated.
BLOCK0, BLOCK1 = ("Drama", "Romance", "School"), ("Action", "Sci-Fi", "Thriller")
COLD = {1030: (BLOCK1, "2026-04-03", 90_000), 1020: (BLOCK1, "2026-07-05", 85_000),
        1021: (BLOCK0, "2026-10-02", 85_000), 1022: (BLOCK0, "2019-01-10", 50_000),
        1023: (("Music", "Kids"), "2026-07-01", 70_000), 1024: (BLOCK0, "2018-07-10", 60_000)}
SEASON_OF_MONTH = {1: "winter", 4: "spring", 7: "summer", 10: "fall"}


def _planted_titles() -> list[Anime]:
    out = []
    for a in range(1000, 1020):
        genres = BLOCK0 if a < 1010 else BLOCK1
        year = 2001 + (a % 10)
        out.append(Anime(a, f"title {a}", genres, "Movie" if a == 1003 else "TV", 12, 7.5, 100_000 - a,
                         year=year, season="spring", start_date=f"{year}-04-01", members_2016=100_000 - a,
                         franchise_id=1000 if a <= 1003 else 1010 if a in (1010, 1011) else a,
                         work_id=1000 if a <= 1002 else 1010 if a in (1010, 1011) else a))
    for a, (genres, start, members) in COLD.items():
        month = int(start[5:7])
        out.append(Anime(a, f"new title {a}", genres, "TV", 12, 8.0, members, year=int(start[:4]),
                         season=SEASON_OF_MONTH[month], start_date=start,
                         franchise_id={1030: 1010, 1024: 1000}.get(a, a), work_id=1010 if a == 1030 else a))
    return out


def cold_plant() -> tuple[ServedModel, Catalog]:
    """(served model, catalog) of the checkerboard trained with a catalog that has cold titles (COLD)."""
    titles = _planted_titles()
    catalog = Catalog(titles)
    table = content_table(titles)
    board = checkerboard()
    assert board["anime_id"].max() < 1000 + 2 * BLOCK_ITEMS
    relations = [*PLANTED_RELATIONS, (1011, "Sequel", 1030), (1030, "Prequel", 1011),
                 (1000, "Spin-off", 1024), (1024, "Spin-off", 1000)]
    dates = {a.anime_id: a.start_date for a in titles}
    edges = pd.DataFrame(relations, columns=["anime_id", "relation", "related_id"])
    when = pd.DataFrame({"anime_id": list(dates), "start_date": pd.to_datetime(list(dates.values()))})
    franchises = Franchises((TitleInfo(a.anime_id, a.type, a.members) for a in catalog), edges, when)
    model = Recommender.fit(board, ModelConfig(factors=4, iterations=15, regularization=0.5, ease_neighbors=8,
                                               knn_neighbors=8, ann_trees=5, ann_search_k=100,
                                               given_support_half=PLANTED_SUPPORT_HALF), content=table,
                            franchises=franchises)
    return ServedModel(model, catalog, franchises), catalog
