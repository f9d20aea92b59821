"""The built catalog (data/catalog) as the bot and the model read it: every source's titles in it, adult
gating of what no source vouched for, one genre vocabulary across the years."""

import csv
import json
from pathlib import Path

import pytest

from animerec.recsys.catalog.catalog import Catalog, TitleNotFound
from animerec.recsys.data import load_anime_table, load_catalog_table

SOURCES = Path("/work/shared/data/catalog-2026")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def table():
    return load_catalog_table()


def test_every_2016_title_is_in_the_catalog(catalog):
    assert set(load_anime_table()["anime_id"].astype(int)) <= catalog.ids()


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the 2026 sources are not on this machine")
def test_every_ate329_title_and_every_bangumi_item_with_a_mal_id_is_in_the_catalog(catalog):
    with (SOURCES / "ate329-all_anime.csv").open(encoding="utf-8", newline="") as f:
        ate329 = {int(row["mal_id"]) for row in csv.DictReader(f) if row["mal_id"]}
    items = json.loads((SOURCES / "bangumi-data-items.json").read_text(encoding="utf-8"))
    bangumi = {int(site["id"]) for item in items for site in item["sites"]
               if site["site"] == "mal" and site.get("id", "").isdigit()}
    assert ate329 and bangumi
    assert ate329 - catalog.ids() == set()
    assert bangumi - catalog.ids() == set()


def test_what_no_source_vouched_for_is_gated_like_hentai(catalog, table):
    gated = set(table.loc[table["adult"] != "no", "anime_id"].astype(int))
    assert {a.anime_id for a in catalog if a.is_adult} >= gated
    # An OVA only bangumi-data lists, with no age rating from any source.
    row = table[table["anime_id"] == 37021].iloc[0]
    assert (row["in_sources"], row["type"], row["adult"]) == ("bangumi", "OVA", "unknown")
    ova = catalog.get(37021)
    assert ova.is_adult
    assert catalog.resolve_choice(ova.name, allow_adult=False) is None
    assert catalog.resolve_choice("37021", allow_adult=False) is None
    assert ova not in catalog.search(ova.name, allow_adult=False)
    assert ova in catalog.search(ova.name)
    assert not catalog.filter_mask([37021], allow_adult=False)[0]


def test_a_tv_special_bangumi_data_files_as_tv_is_a_special_and_still_a_broadcast(table):
    """bangumi-data types a TV special "tv": one aired on a single day is typed Special (BNHA's "No.170+1 More",
    Kaguya-sama's New Year's Eve special), never a series a member is sent to, and a broadcast all the same: not
    gated as adult. A bangumi-only series that ran for weeks stays TV."""
    rows = table.set_index("anime_id")
    for special in (63130, 61903):
        row = rows.loc[special]
        assert (row["in_sources"], row["type"], row["start_date"], row["adult"]) == (
            "bangumi", "Special", row["end_date"], "no")
    series = rows[(rows["in_sources"] == "bangumi") & (rows["type"] == "TV")]
    assert len(series) > 200 and (series["start_date"] != series["end_date"]).all()
    assert rows.loc[60098, "type"] == "TV"  # the Final Season itself (ate329)


def test_a_2010_and_a_2024_psychological_thriller_share_their_genres(catalog):
    # Shiki (2010: in the 2016 data "Thriller"-era labels) and Classroom of the Elite's 3rd Season (2024).
    old, new = catalog.get(7724), catalog.get(51180)
    assert (old.year, new.year) == (2010, 2024) and old.members_2016 and new.members_2016 is None
    assert {"Psychological", "Suspense"} <= set(old.genres) & set(new.genres)
    ids = [7724, 51180]
    # The 2016 names, as fans still type them, filter both alike.
    for typed in ("Thriller", "Psychological", "Suspense"):
        assert catalog.filter_mask(ids, catalog.filters(genre=typed)).tolist() == [True, True], typed
    assert catalog.filters(genre="Thriller").genre == "Suspense"
    assert catalog.filters(genre="Shounen").genre == "Shounen"
    # One vocabulary: no 2016-only name is a label of any title.
    for stale in ("Thriller", "Dementia", "Shounen Ai", "Shoujo Ai"):
        assert stale not in catalog.genres
    assert all(set(a.genres) <= set(catalog.genres) for a in catalog)


def test_a_menu_offers_the_title_fans_mean_first_and_the_one_typed_too(catalog):
    hakyuu = [a.anime_id for a in catalog.suggest("hakyuu", 5)]
    assert hakyuu[0] == 20583 and 36029 in hakyuu  # Haikyuu!!, and Hakyuu Houshin Engi, whose name it starts
    assert catalog.suggest("eva", 5)[0].name == "Neon Genesis Evangelion"  # not only its films
    assert catalog.suggest("evangleion", 5)[0].name == "Neon Genesis Evangelion"
    assert catalog.suggest("kimetsu", 5)[0].anime_id == 38000  # not Kizetsu Yuusha, a slip far less watched
    assert all("Wing" in a.name for a in catalog.suggest("gundam wing", 5))  # not the franchise's top, IBO


def test_a_name_several_titles_bear_is_known_and_its_year_tells_them_apart(catalog):
    with pytest.raises(TitleNotFound) as shared:
        catalog.lookup("Mononoke")
    assert shared.value.named and {a.anime_id for a in shared.value.hints} >= {2246, 164}
    assert catalog.lookup("Mononoke (2007)").anime.anime_id == 2246
    assert catalog.lookup("mononoke 2007").anime.anime_id == 2246
    with pytest.raises(TitleNotFound) as unknown:
        catalog.lookup("zzqqxx vvkk")
    assert not unknown.value.named
