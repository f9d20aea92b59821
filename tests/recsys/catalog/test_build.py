"""The catalog build's own rules, on small frames with known answers."""

import pandas as pd
import pytest

from animerec.recsys.catalog.build import _names_another, in_season, title_proposals
from animerec.recsys.catalog.catalog import Catalog


def test_a_start_date_that_contradicts_its_premiered_season_takes_the_season():
    frame = pd.DataFrame([
        # A one-day special dated a year late (Fall 2012, aired 31 December 2012): start and end move.
        ("2013-12-31", "2013-12-31", "fall", 2012, "2012-12-31", "2012-12-31"),
        # Only the start year was off: the end (27 March 1999) was right and stays.
        ("1998-01-03", "1999-03-27", "winter", 1999, "1999-01-03", "1999-03-27"),
        # Both a year early: the end, which would now come before the start, moves with it.
        ("1998-01-03", "1998-03-27", "winter", 1999, "1999-01-03", "1999-03-27"),
        # Day and month fit no day of the season: the season's first day.
        ("2018-12-11", "2019-01-11", "winter", 2005, "2005-01-01", "2019-01-11"),
        # A December start of a winter season, and a date with no season, stay.
        ("2012-12-28", "2013-03-20", "winter", 2013, "2012-12-28", "2013-03-20"),
        ("2020-05-01", None, None, None, "2020-05-01", None),
    ], columns=["start", "end", "season", "year", "want_start", "want_end"])
    start, end = in_season(frame["start"], frame["end"], frame["season"], frame["year"].astype("Int64"))
    assert start.tolist() == frame["want_start"].tolist()
    assert end.where(end.notna(), None).tolist() == frame["want_end"].tolist()


def test_the_catalogs_start_dates_agree_with_their_seasons():
    table = pd.read_csv("animerec/data/catalog/catalog.csv.gz", usecols=["anime_id", "start_date", "season", "year"])
    start, _ = in_season(table["start_date"], table["start_date"], table["season"], table["year"].astype("Int64"))
    assert start.equals(table["start_date"])  # the committed build already holds every correction
    kuro = table.set_index("anime_id").loc[15689]
    assert kuro["start_date"] == "2012-12-31"  # before Monogatari Second Season (2013-07-07), as it aired


@pytest.mark.parametrize("name, base", [
    ("劇場版メイドインアビス深き魂の黎明", "メイドインアビス"),  # a Japanese name glued to the film's subtitle
    ("劇場版 SPY×FAMILY CODE: White", "spy family"),  # a Latin name of two words, cut at a plain space
    ("劇場版 化物語", "化物語"),  # the whole body after the film prefix
])
def test_a_film_is_proposed_as_a_side_story_of_the_name_after_its_film_prefix(name, base):
    assert (base, "side") in title_proposals(name)


@pytest.mark.parametrize("name, base", [
    ("劇場版 機動戦士ガンダム00 -A wakening of the Trailblazer-", "機動戦士ガンダム"),  # "00" goes on the name
    ("劇場版 FAIRY TAIL -DRAGON CRY-", "fairy"),  # one Latin word cut at a space: too short a name
    ("SPY×FAMILY CODE: White", "spy family"),  # no film prefix: a space cut alone names no work
])
def test_a_cut_that_leaves_a_name_half_said_proposes_no_side_story(name, base):
    assert (base, "side") not in title_proposals(name)


def test_a_cut_where_latin_script_starts_claims_only_the_franchise():
    # "劇場版 美少女戦士セーラームーンCosmos" is a film of the Crystal remake, not of the 1992 series.
    proposals = dict(title_proposals("劇場版 美少女戦士セーラームーンCosmos"))
    assert proposals["美少女戦士セーラームーン"] == "prefix"


def test_a_bangumi_english_title_that_ends_with_another_titles_name_is_a_slip():
    mains = {"q transformers: kaette kita convoy no nazo": {28401}, "slam dunk": {170}}
    assert _names_another("Raw Anime Q Transformers: Kaette Kita Convoy no Nazo", 30123, mains)
    assert not _names_another("Q Transformers: Kaette Kita Convoy no Nazo", 28401, mains)  # its own name
    assert not _names_another("The First Slam Dunk", 45649, mains)  # a short name ends titles of their own
    # In the built catalog, Snow White with the Red Hair is not shown as a Transformers short.
    assert "Transformers" not in Catalog.label(Catalog.load().get(30123))
