"""The catalog build's own rules, on small frames with known answers."""

import pandas as pd

from animerec.recsys.catalog.build import in_season


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
