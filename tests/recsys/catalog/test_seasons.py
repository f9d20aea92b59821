from datetime import date

from animerec.recsys.catalog.seasons import season_of


def test_the_season_of_a_day():
    assert [season_of(date(2026, m, d)) for m, d in ((1, 1), (3, 31), (4, 15), (7, 1), (9, 15), (10, 15), (12, 5))] == [
        (2026, "winter"), (2026, "winter"), (2026, "spring"), (2026, "summer"), (2026, "summer"),
        (2026, "fall"), (2026, "fall")]
