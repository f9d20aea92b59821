"""Works over the bundled catalog, with titles a catalog overlay adds (lifecycle/overlay.py): Franchises.load takes
air dates and links from the Catalog it is given, so an overlay title joins its work by its AniList relations or by
its season phrasing; MyAnimeList's timeline links do not join different stories into one work."""

from __future__ import annotations

import pandas as pd
import pytest
from anilist_fixtures import media

from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.data import load_catalog_table, load_catalog_titles
from animerec.recsys.lifecycle import overlay
from animerec.recsys.lifecycle.refresh import media_rows

pytestmark = pytest.mark.timeout(120)

OSHI, OSHI_3 = 52034, 60058  # [Oshi no Ko] and its 3rd Season (2026-01-14), bundled
OSHI_4 = 990_001  # "[Oshi no Ko] 4th Season": no relation in the fetched data, only its name
FRIEREN = 52991
FRIEREN_FILM = 990_002  # a film whose AniList relations name Frieren as its parent story
LONE = 990_003  # a new original with nothing to join


@pytest.fixture(scope="module")
def franchises():
    table, titles = load_catalog_table(), load_catalog_titles()
    fetched = [media(OSHI_4, "[Oshi no Ko] 4th Season", year=2027, season="WINTER"),
               media(FRIEREN_FILM, "Sousou no Frieren Gekijouban", fmt="MOVIE", year=2027,
                     relations=(("PARENT", FRIEREN),)),
               media(LONE, "Hoshizora Kissaten", year=2027)]
    rows, names, _ = media_rows(fetched, table[["anime_id", "work_id", "franchise_id"]])
    catalog = overlay.catalog_from_tables(*overlay.overlay_frames(table, titles, rows, names))
    return Franchises.load(catalog)


def test_an_overlay_title_gets_its_air_date_from_the_catalog(franchises):
    assert franchises.start(OSHI_4) == pd.Timestamp("2027-10-04")


def test_an_overlay_season_joins_its_work_by_its_name_and_follows_the_last_season_before_it(franchises):
    assert franchises.work_of(OSHI_4) == franchises.work_of(OSHI) == OSHI
    assert franchises.before(OSHI_4) == {OSHI_3}
    assert OSHI in franchises.seen_earlier([OSHI_4])


def test_an_overlay_title_joins_the_work_its_relations_name(franchises):
    assert franchises.work_of(FRIEREN_FILM) == franchises.work_of(FRIEREN)


def test_an_overlay_title_with_nothing_to_join_is_a_work_of_its_own(franchises):
    assert franchises.work_of(LONE) == LONE and franchises.size(LONE) == 1


@pytest.mark.parametrize("one, other", [
    (1000, 1491),  # Captain Harlock (1978) and Galaxy Express 999 (1978): joined by Maetel Legend (2000), a prequel
    (80, 88),  # Mobile Suit Gundam and F91 (1991): joined by Unicorn (2010), filed as F91's prequel
])
def test_stories_that_only_share_a_timeline_are_works_of_one_franchise(franchises, one, other):
    assert franchises.work_of(one) != franchises.work_of(other)
    assert franchises.franchise_of(one) == franchises.franchise_of(other)


@pytest.mark.parametrize("compilation, work", [
    (55357, 47917),  # 劇場総集編ぼっち・ざ・ろっく！ Re: (bangumi-data, no MyAnimeList relation) of Bocchi the Rock!
    (62352, 44511),  # Chainsaw Man – The Compilation (総集篇)
    (1378, 1378),  # Sengoku Kitan Youtouden Soushuuhen (2016 catalog, no Summary edge either)
])
def test_a_title_its_names_call_a_compilation_is_a_recap(franchises, compilation, work):
    assert franchises.is_recap(compilation) and franchises.work_of(compilation) == franchises.work_of(work)
    assert not franchises.is_recap(work) or work == compilation


@pytest.mark.parametrize("film, series", [
    (53888, 50265),  # SPY x FAMILY CODE: White (劇場版 SPY×FAMILY CODE: White) and Spy x Family
    (36862, 34599),  # 劇場版メイドインアビス深き魂の黎明 (Dawn of the Deep Soul) and Made in Abyss
])
def test_a_bundled_film_named_after_its_series_is_of_the_series_work(franchises, film, series):
    assert franchises.work_of(film) == franchises.work_of(series)
