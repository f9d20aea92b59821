"""The franchise graph (animerec.recsys.catalog.franchise), planted over the checkerboard's titles
(tests/recsys/conftest.py)."""


def test_franchise_graph_orders_entries_and_ignores_links_between_works(plant):
    _, f = plant()
    assert f.entries(f.franchise_of(1002)) == (1000, 1001, 1003, 1002)
    assert f.entry_point(f.franchise_of(1003)) == 1000
    assert f.franchise_of(1004) != f.franchise_of(1005)  # "Other" links two works, not one
    assert f.ancestors(1002) == {1000, 1001}
    assert f.ancestors(1003) == {1000}
    assert f.seen_earlier([1002, 1011]) == {1000, 1001, 1010}


def _graph(relations, dates, types, links=None):
    """A small graph: ``types`` anime id -> type, ``dates`` anime id -> ISO start date."""
    import pandas as pd

    from animerec.recsys.catalog.franchise import Franchises, TitleInfo

    edges = pd.DataFrame(relations, columns=["anime_id", "relation", "related_id"])
    when = pd.DataFrame({"anime_id": list(dates), "start_date": pd.to_datetime(list(dates.values()))})
    built = None if links is None else pd.DataFrame(links, columns=["anime_id", "related_id", "level", "evidence"])
    return Franchises([TitleInfo(a, t, 1000 - a) for a, t in types.items()], edges, when, built)


def both(a, rel, b, back):
    return [(a, rel, b), (b, back, a)]


def test_an_alternative_version_is_another_work_of_the_franchise_and_never_already_seen():
    # 1 (2003) and its retelling 2 (2009); 3 is 2's film.
    f = _graph(both(1, "Alternative version", 2, "Alternative version") + both(2, "Side story", 3, "Parent story"),
               {1: "2003-10-04", 2: "2009-04-05", 3: "2011-07-02"}, {1: "TV", 2: "TV", 3: "Movie"})
    assert f.franchise_of(1) == f.franchise_of(2) == f.franchise_of(3)
    assert f.work_of(1) != f.work_of(2) == f.work_of(3)
    assert f.seen_earlier([2, 3]) == {2}  # a member who rated the retelling has not seen the 2003 series
    assert f.work_entries(f.work_of(3)) == (2, 3)


def test_a_tv_series_told_as_a_side_story_of_another_is_its_own_work():
    # 10 (2008) -> sequel 11; 20 (2009) is MAL's "side story" of 10 with its own sequel 21.
    rel = both(10, "Sequel", 11, "Prequel") + both(10, "Side story", 20, "Parent story") + \
        both(20, "Sequel", 21, "Prequel")
    f = _graph(rel, {10: "2008-10-05", 11: "2010-10-08", 20: "2009-10-03", 21: "2013-04-12"},
               {10: "TV", 11: "TV", 20: "TV", 21: "TV"})
    assert f.franchise_of(20) == f.franchise_of(10)
    assert f.work_of(20) == 20 and f.work_of(21) == 20 and f.work_of(11) == 10
    assert f.before(20) == frozenset() and f.seen_earlier([21]) == {20}


def test_a_new_season_joins_its_work_by_the_built_links_and_follows_the_last_entry_aired_before_it():
    # 30 (2011) -> sequel 31 (2013) and a 2014 special 32 in MAL 2018; 40 (2024) is a new season MAL 2018 never
    # saw, joined by a built "work" link to 30 only; 50 (2025) a spin-off joined at franchise level.
    rel = both(30, "Sequel", 31, "Prequel") + both(31, "Side story", 32, "Parent story")
    built = [(30, 31, "work", "mal2018:Prequel/Sequel"), (31, 32, "work", "mal2018:Parent story/Side story"),
             (40, 30, "work", "bangumi:tmdb_tv"), (50, 30, "franchise", "title:prefix")]
    f = _graph(rel, {30: "2011-01-01", 31: "2013-01-01", 32: "2014-01-01", 40: "2024-01-01", 50: "2025-01-01"},
               {30: "TV", 31: "TV", 32: "Special", 40: "TV", 50: "TV"}, built)
    assert f.work_of(40) == f.work_of(31) == 30 and f.work_of(50) == 50 and f.franchise_of(50) == 30
    assert f.before(40) == {31}  # the latest series before it, not the 2014 special
    assert f.ancestors(40) == {30, 31}
    assert f.work_entries(30) == (30, 31, 32, 40)


def test_without_built_links_the_levels_come_from_the_relations_by_the_build_rule():
    # A one-way "Parent story" (no Side story back) is how MAL files a spin-off: franchise, not work.
    f = _graph([(60, "Parent story", 61), (61, "Spin-off", 60)], {60: "2014-01-01", 61: "1979-01-01"},
               {60: "TV", 61: "TV"})
    assert f.franchise_of(60) == f.franchise_of(61) and f.work_of(60) != f.work_of(61)
    assert f.ancestors(60) == frozenset()


def test_a_prequel_told_after_its_sequel_aired_is_another_work_of_the_franchise():
    # MAL's timeline: 1 (TV 1978) -> sequel 2 (OVA 1999) -> sequel 3 (OVA 2000) -> sequel 4 (TV 1978-09), and 4 ->
    # sequel 5 (film 1979). 3 is a prequel of 4 made 22 years later (Maetel Legend before Galaxy Express 999).
    rel = both(1, "Sequel", 2, "Prequel") + both(2, "Sequel", 3, "Prequel") + both(3, "Sequel", 4, "Prequel") + \
        both(4, "Sequel", 5, "Prequel")
    f = _graph(rel, {1: "1978-03-14", 2: "1999-05-25", 3: "2000-12-13", 4: "1978-09-14", 5: "1979-08-04"},
               {1: "TV", 2: "OVA", 3: "OVA", 4: "TV", 5: "Movie"})
    assert f.work_of(1) == f.work_of(2) == f.work_of(3) != f.work_of(4) == f.work_of(5)
    assert f.franchise_of(1) == f.franchise_of(4)
    assert f.seen_earlier([5]) == {4}  # a fan of 4 and its film has not seen the story told in 2000
    assert f.seen_earlier([3]) == {1, 2}


def test_a_prequel_told_later_is_no_earlier_entry_even_when_a_recap_keeps_it_in_the_work():
    # 1 (TV 2009) and its MAL prequel 2 (TV 2012, told later); 3 (2013) recaps both, so all three stay one work.
    rel = both(1, "Prequel", 2, "Sequel") + both(3, "Full story", 1, "Summary") + both(3, "Full story", 2, "Summary")
    f = _graph(rel, {1: "2009-07-03", 2: "2012-12-31", 3: "2013-01-01"}, {1: "TV", 2: "TV", 3: "Special"})
    assert f.work_of(1) == f.work_of(2)
    assert f.seen_earlier([1]) == set()  # a fan of the 2009 series has not thereby seen the 2012 one


def test_a_title_named_a_compilation_is_a_recap_and_never_a_works_entry_point():
    from animerec.recsys.catalog.franchise import Franchises, TitleInfo, named_recap

    assert named_recap("劇場総集編ぼっち・ざ・ろっく！ Re:") and named_recap(None, "Chainsaw Man – The Compilation")
    assert named_recap("Koutetsujou no Kabaneri Soushuuhen 1") and named_recap("Gosick Recap", None, None)
    assert not named_recap("Sousou no Frieren", "Frieren: Beyond Journey's End", "葬送のフリーレン")
    assert not named_recap("Recapitulation Blues") and not named_recap(None, None)
    # A compilation film (2) filed as the series' (1) sequel, with no Summary edge: one work, and the film a
    # recap for the fan rules (never the entry a member who gave the series goes on to).
    import pandas as pd

    edges = pd.DataFrame([(1, "Sequel", 2), (2, "Prequel", 1)], columns=["anime_id", "relation", "related_id"])
    when = pd.DataFrame({"anime_id": [1, 2], "start_date": pd.to_datetime(["2022-10-09", "2024-06-07"])})
    f = Franchises([TitleInfo(1, "TV", 900), TitleInfo(2, "Movie", 2000, recap=True)], edges, when)
    assert f.is_recap(2) and not f.is_recap(1) and f.work_of(2) == f.work_of(1) == 1


def test_a_new_season_after_an_ova_goes_on_from_the_season_before_it_too_but_a_film_between_stays_a_step():
    # Work 70: series 70 (2016), OVA 71 (2018), season 72 (2020); work 80: series 80 (2017), film 81 (2020),
    # season 82 (2022); work 90: series 90 (2015), film 91 (2017), OVA 92 (2019), season 93 (2021). Only built
    # links join them (titles MAL 2018 never ordered), so each follows what aired before it.
    built = [(71, 70, "work", "bangumi:tmdb_tv"), (72, 70, "work", "bangumi:tmdb_tv"),
             (81, 80, "work", "bangumi:tmdb_tv"), (82, 80, "work", "bangumi:tmdb_tv"),
             (91, 90, "work", "bangumi:tmdb_tv"), (92, 90, "work", "bangumi:tmdb_tv"), (93, 90, "work", "bangumi:tmdb_tv")]
    dates = {70: "2016-04-04", 71: "2018-10-06", 72: "2020-07-08", 80: "2017-07-07", 81: "2020-01-17",
             82: "2022-07-06", 90: "2015-01-01", 91: "2017-01-01", 92: "2019-01-01", 93: "2021-01-01"}
    types = {70: "TV", 71: "OVA", 72: "TV", 80: "TV", 81: "Movie", 82: "TV", 90: "TV", 91: "Movie", 92: "OVA", 93: "TV"}
    f = _graph([], dates, types, built)
    assert f.before(71) == {70}
    assert f.before(72) == {71, 70}  # the OVA aside: a member who gave the first season can go on to the second
    assert f.before(82) == {81}  # the film between the seasons is a step of the story
    assert f.before(93) == {92}  # a film since the last season: the OVA after it is no side step past the film
    assert f.ancestors(72) == {70, 71} and f.work_entries(70) == (70, 71, 72)
