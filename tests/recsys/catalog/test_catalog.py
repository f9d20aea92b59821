from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.catalog.catalog import (
    NO_FILTERS,
    Anime,
    Catalog,
    Filters,
    Resolution,
    TitleNotFound,
    UnknownFilter,
    id_text,
    normalize_name,
)
from animerec.recsys.cli import main as cli
from animerec.recsys.data import load_catalog_titles


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def names(animes: list[Anime]) -> list[str]:
    return [a.name for a in animes]


def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "anime_id": [10, 20, 30, 40, 50],
            "name": ["Alpha", "Beta Nights", "Gamma Ray", "Delta", "Alpha Returns"],
            "genres": [("Action", "Comedy"), ("Hentai", "Romance"), ("Action", "Sci-Fi"), (), ("Action", "Hentai")],
            "type": ["TV", "OVA", "Movie", None, "TV"],
            "episodes": pd.array([12, 2, 1, pd.NA, 24], dtype="Int64"),
            "rating": [8.1, 6.0, float("nan"), 5.5, 7.0],
            "members": [500, 300, 1000, 10, 200],
        }
    )


@pytest.fixture
def tiny() -> Catalog:
    return Catalog.from_frame(tiny_frame())


# --- the real catalog -----------------------------------------------------------------------------


def test_load_real_catalog(catalog):
    assert len(catalog) == 15532  # the built catalog (data/catalog): 2016 titles and those after
    fmab = catalog.get(5114)
    assert fmab.name == "Fullmetal Alchemist: Brotherhood"
    assert fmab.type == "TV" and fmab.episodes == 64 and fmab.rating == pytest.approx(9.1)  # the newest score
    assert "Military" in fmab.genres and not fmab.is_adult
    assert 5114 in catalog and 0 not in catalog
    assert catalog.genres == tuple(sorted(catalog.genres)) and "Hentai" in catalog.genres
    assert len(catalog.genres) == 78  # MAL's 2020 genres, themes and demographics


def test_names_are_html_unescaped(catalog):
    assert catalog.get(9969).name == "Gintama'"
    assert catalog.get(9941).name == "Tiger & Bunny"


def test_iteration_is_most_popular_first_on_one_scale(catalog):
    members = catalog.members_now([a.anime_id for a in catalog]).tolist()
    assert members == sorted(members, reverse=True)
    assert len(members) == len(catalog)
    # Berserk (1997), counted only in 2016, is still the more watched of the two so named once grown.
    assert [a.anime_id for a in catalog if a.name == "Berserk"][:2] == [33, 32379]


def test_get_unknown_raises(catalog):
    with pytest.raises(KeyError):
        catalog.get(999_999_999)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Steins;Gate", "steins gate"),
        ("Kimi no Na wa.", "kimi no na wa"),
        ("Gintama°", "gintama"),
        ("Gintama'", "gintama"),
        ("Steins;Gate Movie: Fuka Ryouiki no Déjà vu", "steins gate movie fuka ryouiki no deja vu"),
        ("Mahou Shoujo Madoka★Magica", "mahou shoujo madoka magica"),
        ("  Tiger & Bunny!! ", "tiger bunny"),
        ("😀", ""),
    ],
)
def test_normalize_name(text, normalized):
    assert normalize_name(text) == normalized


def test_search_naruto_is_exact_then_franchise_by_popularity(catalog):
    titles = load_catalog_titles()
    known_as = titles[titles["kind"] != "japanese"].groupby("anime_id")["title"].apply(list).to_dict()
    results = catalog.search("naruto")
    assert results[0].name == "Naruto"
    assert results[1].name == "Naruto: Shippuuden"
    # any name counts: "The Last: Naruto the Movie" is also "Naruto the Movie: The Last"
    prefixed = [a for a in results[1:] if any(normalize_name(t).startswith("naruto") for t in known_as[a.anime_id])]
    assert prefixed == results[1 : len(prefixed) + 1]  # prefix matches come before any other kind
    now = catalog.members_now([a.anime_id for a in prefixed]).tolist()
    assert now == sorted(now, reverse=True)
    assert len(results) == 25


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("gintama", "Gintama"),
        ("Gintama'", "Gintama'"),  # all three normalize to "gintama": the one spelled as typed wins
        ("gintama°", "Gintama°"),
        ("steins gate", "Steins;Gate"),
        ("STEINS;GATE", "Steins;Gate"),
        ("kimi no na wa", "Kimi no Na wa."),
        ("deja vu", "Steins;Gate Movie: Fuka Ryouiki no Déjà vu"),
        ("madoka magica", "Mahou Shoujo Madoka★Magica"),  # word prefix
        ("tiger & bunny", "Tiger & Bunny"),
        ("fullmetal alchemst brotherhod", "Fullmetal Alchemist: Brotherhood"),  # typos
        ("fulmetal alch", "Fullmetal Alchemist: Brotherhood"),  # typo'd prefix
        ("shingeki no kyjin", "Shingeki no Kyojin"),
        ("one pice", "One Piece"),
    ],
)
def test_search_first_result(catalog, query, first):
    assert catalog.search(query)[0].name == first


def test_search_gintama_variants_all_on_top(catalog):
    assert set(names(catalog.search("gintama", 3))) == {"Gintama", "Gintama'", "Gintama°"}


def test_search_tolerates_typos(catalog):
    assert "Naruto: Shippuuden" in names(catalog.search("naruto shipuden", 3))


def test_search_gibberish_finds_nothing(catalog):
    assert catalog.search("zzqxw") == []


def test_search_empty_query_gives_most_popular(catalog):
    top = list(catalog)[:10]
    assert catalog.search("", 10) == top
    assert catalog.search("   ", 10) == top


def test_search_limit(catalog):
    assert len(catalog.search("a", 5)) == 5
    assert catalog.search("naruto", 1)[0].name == "Naruto"
    assert catalog.search("naruto", 0) == []


def test_resolve_by_id_exact_name_and_typo(catalog):
    assert catalog.resolve_choice("5114").anime.anime_id == 5114
    assert catalog.resolve_choice(" 9969 ").anime.name == "Gintama'"
    assert catalog.resolve_choice("kimi no na wa").anime.anime_id == 32281
    assert catalog.resolve_choice("Gintama'").anime.anime_id == 9969
    assert catalog.resolve_choice("Gintama").anime.anime_id == 918
    assert catalog.resolve_choice("steins gate").anime.anime_id == 9253
    assert catalog.resolve_choice("fullmetal alchemst brotherhod").anime.anime_id == 5114
    assert catalog.resolve_choice("naruto shipuden").anime.anime_id == 1735
    assert catalog.resolve_choice("narto").anime.anime_id == 20
    assert catalog.resolve_choice("death not").anime.name == "Death Note"


@pytest.mark.parametrize(
    "text",
    [
        "zzqxw",
        "fullmetal",  # a prefix of many titles, not one title
        "bleech",  # a 2-letter slip in a 6-letter title is below the bar: suggest() offers it instead
        "naruto shippuden movie 7",  # close to Movies 1-6, but the number is not a typo
        "shingeki no kyojin season 5",  # Seasons 2 and 3 exist; 5 is not a typo of them
        "",
        "!!!",
    ],
)
def test_resolve_refuses_what_is_not_clearly_one_title(catalog, text):
    assert catalog.resolve_choice(text) is None


@pytest.mark.parametrize("digits, named", [("86", 41457), ("1989", 30234), ("2010", 32813), ("001", 29978)])
def test_digits_that_name_a_title_are_its_name_and_id_text_is_always_the_id(catalog, digits, named):
    # Each of these digits is also a MAL id of another title (86 is Mobile Suit Gundam ZZ).
    assert catalog.get(int(digits)).anime_id != named
    assert catalog.resolve_choice(digits).anime.anime_id == named
    assert catalog.resolve_choice(id_text(int(digits))).anime.anime_id == int(digits)
    assert catalog.resolve_choice(id_text(named)).anime.anime_id == named


def test_the_start_of_a_works_names_is_its_first_series_unless_a_later_one_is_far_more_watched(catalog):
    # Initial D Fifth Stage has more members (168,803, counted in 2026) than First Stage (68,128, in 2016).
    found = catalog.resolve_choice("initial d")
    assert found.anime.name == "Initial D First Stage" and "Initial D Fifth Stage" in names(list(found.alternatives))
    assert catalog.resolve_choice("major").anime.name == "Major S1"
    assert catalog.resolve_choice("osomatsu").anime.name == "Osomatsu-san"  # not Osomatsu-kun of 1988 (1,723)


def test_a_name_that_loses_a_symbol_standing_for_a_word_is_not_that_shorter_name(catalog):
    # "∀ Gundam" (Turn A Gundam) and "∀ガンダム" without their "∀" would be every Gundam's word.
    assert catalog.resolve_choice("gundam") is None and catalog.resolve_choice("ガンダム") is None
    assert catalog.resolve_choice("turn a gundam").anime.anime_id == 95


@pytest.mark.parametrize("text, anime_id", [
    ("hunter x hunter 1999", 136), ("Hunter x Hunter (1999)", 136), ("hunter x hunter 2011", 11061),
    ("berserk 1997", 33), ("Fate/stay night (2006)", 356), ("trigun 1998", 6),
])
def test_a_name_with_the_year_its_label_shows_is_the_title_of_that_year(catalog, text, anime_id):
    assert catalog.resolve_choice(text).anime.anime_id == anime_id


@pytest.mark.parametrize("text", ["mal:11998", "11998", "52001", "61998"])
def test_an_id_is_never_read_as_a_name_and_a_year(catalog, text):
    # "1" and "5" are MAL ids of titles aired in 1998 and 2001 (Cowboy Bebop and its film); these are no ids.
    assert catalog.resolve_choice(text) is None


def test_a_digit_or_two_are_no_id_but_the_title_of_that_id_is_offered(catalog):
    # "1" in the title box is a slip (a score, a season) far more often than Cowboy Bebop's MAL id.
    assert catalog.resolve_choice("1") is None
    assert 1 in [a.anime_id for a in catalog.suggest("1", 3)]
    assert catalog.resolve_choice(id_text(1)).anime.anime_id == 1


@pytest.mark.parametrize("text", ["https://myanimelist.net/anime/5114junk", "myanimelist.net/anime.php?id=5114x",
                                  "https://anilist.co/anime/113415junk"])
def test_a_link_whose_id_runs_into_other_text_names_no_title(catalog, text):
    assert catalog.resolve_choice(text) is None


def test_digits_a_title_name_starts_with_are_no_id_and_both_are_offered(catalog):
    # 91 Days' name starts with "91"; MAL id 91 is Gundam Wing: Endless Waltz.
    assert catalog.resolve_choice("91") is None
    offered = [a.anime_id for a in catalog.suggest("91", 5, allow_adult=False)]
    assert 32998 in offered and 91 in offered
    assert catalog.resolve_choice("5114").anime.anime_id == 5114  # no name starts with it: the MAL id
    # Tengen Toppa Gurren Lagann's MAL id is 2001, which 2001 Nights' name starts with: only mal:2001 is the id.
    found = catalog.resolve_choice("2001")
    assert found is None or found.anime.anime_id != 2001
    assert catalog.resolve_choice(id_text(2001)).anime.anime_id == 2001


def test_a_year_no_title_of_the_name_aired_in_resolves_to_nothing(catalog):
    assert catalog.resolve_choice("trigun 2023") is None  # Trigun Stampede is another work, of another name
    assert catalog.resolve_choice("steins gate 1990") is None


def test_resolve_keeps_the_number(catalog):
    assert catalog.resolve_choice("naruto shipuden movie 1").anime.name == "Naruto: Shippuuden Movie 1"
    assert catalog.resolve_choice("shingeki no kyojin season 3").anime.anime_id == 35760


def test_suggest(catalog):
    assert "Bleach" in names(catalog.suggest("bleech"))  # behind Sennen Kessen-hen, now more watched
    assert "Shingeki no Kyojin Season 2" in names(catalog.suggest("shingeki no kyojin season 5"))
    assert len(catalog.suggest("fullmetal", 5)) == 5
    assert catalog.suggest("zzqxw") == []
    assert catalog.suggest("") == []


def test_allow_adult_false_never_returns_adult_titles(catalog):
    pico = catalog.get(1639)
    assert pico.is_adult
    assert pico in catalog.search("boku no")
    assert pico.anime_id in [a.anime_id for a in catalog.search("boku no pico")]
    assert catalog.resolve_choice("1639").anime == pico and catalog.resolve_choice("boku no pico").anime == pico

    assert catalog.resolve_choice("1639", allow_adult=False) is None
    assert catalog.resolve_choice("boku no pico", allow_adult=False) is None
    assert catalog.resolve_choice("boku no pica", allow_adult=False) is None
    for query in ["boku no", "boku no pico", "bible black", "", "a", "ova", "pico"]:
        assert not any(a.is_adult for a in catalog.search(query, 50, allow_adult=False)), query
        assert not any(a.is_adult for a in catalog.suggest(query, 10, allow_adult=False)), query
    assert len(catalog.search("", 100, allow_adult=False)) == 100


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "9" * 10_000,
        "naruto " * 2_000,
        "'; DROP TABLE ratings;--",
        "%_\\",
        "😀🍜",
        "",
        "   \t\n ",
        "\x00",
        "(((",
        "[a-z]*",
        "進撃の巨人",
    ],
)
def test_bad_inputs_do_not_raise(catalog, text):
    assert isinstance(catalog.search(text), list)
    assert isinstance(catalog.suggest(text), list)
    resolved = catalog.resolve_choice(text)
    assert resolved is None or isinstance(resolved.anime, Anime)


def test_long_query_is_capped_not_rejected(catalog):
    assert catalog.search("naruto" + "!" * 10_000)[0].name == "Naruto"


@pytest.mark.parametrize(
    ("query", "anime_id"),
    [
        ("attack on titan", 16498),  # English
        ("aot", 16498),  # a synonym that is an abbreviation
        ("snk", 16498),  # a generated acronym of the main name
        ("attack on titn", 16498),  # a typo'd English title
        ("your name", 32281),
        ("the future diary", 10620),
        ("hunter x hunter 2011", 11061),
        ("hunter x hunter", 11061),  # the English title of 136 and 11061 alike: the more popular first
        ("hunterxhunter", 11061),
        ("fma", 5114),  # a synonym of 121 and 5114 alike
        ("fma brotherhood", 5114),  # "fma" spelled out as another title's "Full Metal Alchemist"
        ("fmab", 5114),
        ("full metal alchemist", 121),  # spaces do not matter
        ("steinsgate", 9253),
        ("re zero", 31240),
        ("konosuba", 30831),  # a prefix of "kono subarashii" with the spaces removed
        ("my hero academia", 31964),
        ("bnha", 31964),
        ("nge", 30),
        ("ohshc", 853),
        ("logh", 820),
    ],
)
def test_search_finds_every_name_first(catalog, query, anime_id):
    assert catalog.search(query)[0].anime_id == anime_id


def test_search_lists_a_title_once_whatever_names_match(catalog):
    ids = [a.anime_id for a in catalog.search("fullmetal alchemist", 50)]
    assert len(ids) == len(set(ids))
    assert ids[:2] == [121, 5114]


def test_english_is_kept_only_when_it_differs(catalog):
    assert catalog.get(16498).english == "Attack on Titan"
    assert catalog.get(11061).english == "HUNTER×HUNTER"  # as data/catalog spells it
    assert catalog.get(1535).english is None  # "Death Note" both
    assert catalog.get(20).english is None


def test_load_without_titles_has_main_names_only():
    bare = Catalog.load(titles_path=None)
    assert bare.get(16498).english == "Attack on Titan"  # a column of catalog.csv.gz, not of titles
    assert 16498 not in [a.anime_id for a in bare.search("進撃の巨人")]
    assert 16498 in [a.anime_id for a in Catalog.load().search("進撃の巨人")]


def test_label(catalog):
    assert catalog.label(catalog.get(16498)) == "Shingeki no Kyojin · Attack on Titan"
    assert catalog.label(catalog.get(1535)) == "Death Note"
    for anime in list(catalog)[:3000]:
        label = catalog.label(anime)
        assert len(label) <= 100 and label.startswith(anime.name[:99])


def test_a_title_named_in_japanese_alone_is_labelled_with_its_franchises_latin_name():
    head = Anime(1, "Bakemonogatari", (), "TV", 15, None, 100, franchise_id=1)
    sequel = Anime(2, "終物語 第2期", (), "TV", 7, None, 0, franchise_id=1)
    titled = Anime(3, "劇場版 化物語", (), "Movie", 1, None, 0, "Bakemonogatari: The Movie", franchise_id=1)
    alone = Anime(4, "きみの声をとどけたい", (), "Movie", 1, None, 0, franchise_id=4)
    kana_head = Anime(5, "たまぽんず", (), "ONA", 12, None, 0, franchise_id=5)
    kana_sequel = Anime(6, "たまぽんず 2", (), "ONA", 12, None, 0, franchise_id=5)
    catalog = Catalog([head, sequel, titled, alone, kana_head, kana_sequel])
    assert catalog.label(catalog.get(2)) == "終物語 第2期 · Bakemonogatari series"
    assert catalog.label(catalog.get(3)) == "劇場版 化物語 · Bakemonogatari: The Movie"  # its own English title
    assert [catalog.label(catalog.get(a)) for a in (1, 4, 6)] == ["Bakemonogatari", "きみの声をとどけたい", "たまぽんず 2"]
    film = Catalog([head, Anime(7, "劇場版 終物語", (), "Movie", 1, None, 0, franchise_id=1, year=2020)])
    # Not "Bakemonogatari series", a name; and its year, as a franchise's films would otherwise read alike.
    assert film.label(film.get(7)) == "劇場版 終物語 · Bakemonogatari film (2020)"
    assert catalog.get(2).name == "終物語 第2期" and [a.anime_id for a in catalog.search("終物語")] == [2]


def test_labels_mark_the_year_where_names_collide(catalog):
    fate = catalog.search("fate stay night", 25)
    labels = dict(zip((a.anime_id for a in fate), catalog.labels(fate)))
    assert labels[356] == "Fate/stay night (2006)"
    assert labels[22297] == "Fate/stay night: Unlimited Blade Works (2014)"
    # A name no other listed title starts or shares reads as before; so does one that already says its year.
    [death_note] = catalog.labels([catalog.get(1535)])
    assert death_note == "Death Note"
    assert catalog.labels([catalog.get(11061), catalog.get(136)]) == [
        "Hunter x Hunter (2011)", "Hunter x Hunter (1999)"]


def test_labels_name_the_season_when_the_year_is_not_enough_and_keep_the_mark_within_the_limit():
    long = "Abcdefghij klmnopqrstuvwxyz " * 5
    animes = [Anime(1, "Alpha", (), "TV", 12, None, 10, year=2020, season="spring"),
              Anime(2, "Alpha", (), "TV", 12, None, 5, year=2020, season="fall"),
              Anime(3, "Alpha Beta", (), "TV", 12, None, 3, year=2021, season="fall"),
              Anime(4, long, (), "TV", 12, None, 2, "An English title", year=2019),
              Anime(5, long + "2nd Season", (), "TV", 12, None, 1, year=2022),
              Anime(6, "Gamma", (), "TV", 12, None, 1, year=2022)]
    catalog = Catalog(animes)
    labels = catalog.labels(animes, 40)
    assert labels[:3] == ["Alpha (Spring 2020)", "Alpha (Fall 2020)", "Alpha Beta (2021)"]
    assert labels[3].endswith("… (2019)") and labels[4].endswith("… (2022)")
    assert labels[5] == "Gamma"
    assert all(len(label) <= 40 for label in labels)


def test_resolve_choice_takes_the_most_popular_of_one_name(catalog):
    choice = catalog.resolve_choice("hunter x hunter")
    assert choice.anime.anime_id == 11061
    assert [a.anime_id for a in choice.alternatives] == [136]
    assert catalog.resolve_choice("hunter x hunter").anime.anime_id == 11061
    assert catalog.resolve_choice("hunter x huntr").anime.anime_id == 11061  # a typo of that one name
    assert catalog.resolve_choice("hunter x hunter 2011") == Resolution(catalog.get(11061))
    assert catalog.resolve_choice("11061") == Resolution(catalog.get(11061))
    assert catalog.resolve_choice("attack on titan").anime.anime_id == 16498
    assert catalog.resolve_choice("the future diary").anime.anime_id == 10620
    gintama = catalog.resolve_choice("Gintama'")
    assert gintama.anime.anime_id == 9969
    assert {a.anime_id for a in gintama.alternatives} == {918, 28977, 34096}  # Gintama. (2017) too
    assert len(catalog.resolve_choice("fma").alternatives) <= 3
    assert catalog.resolve_choice("zzqxw") is None


@pytest.mark.parametrize("key", ["titan", "kyojin", "noko", "frieren", "ore", "zzq", "ou", "gate0", "デスノート", "の"])
def test_substring_and_all_words_indexes_find_what_a_scan_of_every_name_finds(catalog, key):
    compact = catalog._compact
    expected = dict.fromkeys(int(catalog._entry_ranks[e]) for e, name in enumerate(compact) if key in name)
    assert list(dict.fromkeys(map(int, catalog._substring_ranks(key)))) == list(expected)
    for query in (f"{key} s", f"the {key}", f"{key} season 2 part"):
        words = query.split()
        scan = [e for e, name in enumerate(catalog._entry_names)
                if all(any(name.replace(" ", "")[sum(map(len, name.split()[:i])):].startswith(w)
                           for i in range(len(name.split()))) for w in words)]
        assert catalog._all_words_entries(query).tolist() == scan


def test_typos_pad_a_search_only_when_few_titles_are_named_as_typed():
    many = [Anime(i, f"Alpha Story {i}", (), "TV", 12, None, 1000 - i) for i in range(1, 13)]
    catalog = Catalog([*many, Anime(99, "Alphq", (), "TV", 12, None, 5000)])
    # Twelve names start with "alpha": the list is theirs, with no typo of it ("Alphq") padding it.
    assert [a.anime_id for a in catalog.search("alpha", 25)] == list(range(1, 13))
    # "alpha story 1" names few titles as typed (1, 10, 11, 12): typos fill the rest of the list.
    assert len(catalog.search("alpha story 1", 25)) > 4


def test_cli_acts_on_no_weak_match_and_takes_ratings_by_mal_id_only(tmp_path, capsys):
    """The CLI's one title argument (similar) follows /rate's rule: a weak match names the candidates and does
    nothing (no model is even read: none is there). `recommend --ratings` takes MAL ids: a name is refused."""
    nowhere = str(tmp_path / "no-model")
    assert cli.main(["similar", "hoshi no ko", "--model", nowhere]) == 2
    assert "unknown title 'hoshi no ko'; did you mean: [Oshi no Ko], Hoshi no Koe" in capsys.readouterr().err
    ratings = tmp_path / "mine.csv"
    ratings.write_text("anime_id,rating\n9253,9\nhoshi no ko,8\n", encoding="utf-8")
    assert cli.main(["recommend", "--ratings", str(ratings), "--model", nowhere]) == 2
    assert "anime_id is not an integer on row 3 ('hoshi no ko')" in capsys.readouterr().err


def test_cli_search(capsys):
    assert cli.main(["search", "attack", "on", "titan", "-n", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "16498\tShingeki no Kyojin" and len(lines) == 2
    assert cli.main(["search", "aot"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert cli.main(["search", "  "]) == 2
    assert capsys.readouterr().err == "error: search text is empty\n"


# --- a tiny synthetic catalog -----------------------------------------------------------------------


def test_from_frame(tiny):
    assert len(tiny) == 5
    assert [a.anime_id for a in tiny] == [30, 10, 20, 50, 40]  # by members
    delta = tiny.get(40)
    assert delta == Anime(40, "Delta", (), None, None, 5.5, 10)
    assert tiny.get(30).rating is None and tiny.get(30).episodes == 1
    assert tiny.genres == ("Action", "Comedy", "Hentai", "Romance", "Sci-Fi")
    assert [a.anime_id for a in tiny if a.is_adult] == [20, 50]


def test_from_frame_rejects_duplicate_ids():
    df = tiny_frame()
    df.loc[1, "anime_id"] = 10
    with pytest.raises(ValueError, match="duplicate"):
        Catalog.from_frame(df)


def test_tiny_search_and_adult(tiny):
    assert names(tiny.search("alpha")) == ["Alpha", "Alpha Returns"]
    assert names(tiny.search("alpha", allow_adult=False)) == ["Alpha"]
    assert names(tiny.search("nights")) == ["Beta Nights"]  # word prefix
    assert tiny.search("nights", allow_adult=False) == []
    assert names(tiny.search("", allow_adult=False)) == ["Gamma Ray", "Alpha", "Delta"]
    assert tiny.resolve_choice("mal:20") is not None and tiny.resolve_choice("mal:20", allow_adult=False) is None


def test_filter_mask(tiny):
    ids = np.array([10, 20, 30, 40, 50, 99, -1])
    np.testing.assert_array_equal(tiny.filter_mask(ids), [1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, allow_adult=False), [1, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, tiny.filters(genre="Action")), [1, 0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, tiny.filters("action"), allow_adult=False), [1, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, tiny.filters(type="TV")), [1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, tiny.filters(genre="Action", type="movie")), [0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, tiny.filters(type="Special")), [0] * 7)  # known type, no titles
    assert tiny.filter_mask(np.array([], dtype=np.int64)).shape == (0,)
    order = np.array([50, 50, 10])  # any order, repeats allowed
    np.testing.assert_array_equal(tiny.filter_mask(order, allow_adult=False), [0, 0, 1])


def test_filters_are_checked_and_spelt_as_the_catalog_does(tiny):
    assert tiny.filters("action", "movie") == Filters("Action", "Movie")
    assert tiny.filters() == tiny.filters("", None) == NO_FILTERS
    with pytest.raises(UnknownFilter, match="^Unknown genre “Isekai”. Genres: "):
        tiny.filters(genre="Isekai")
    with pytest.raises(UnknownFilter, match="^Unknown type “Webtoon”. Types: TV, Movie, OVA, ONA, Special, Music.$"):
        tiny.filters(type="Webtoon")


def test_lookup_resolves_or_says_what_is_close(catalog):
    assert catalog.lookup("steins gate").anime.name == "Steins;Gate"
    with pytest.raises(TitleNotFound) as missing:
        catalog.lookup("Steins Gateway")
    assert missing.value.text == "Steins Gateway" and "Steins;Gate" in [a.name for a in missing.value.hints]
    with pytest.raises(TitleNotFound) as nothing_close:
        catalog.lookup("zzqxw")
    assert nothing_close.value.hints == []


def test_filter_mask_on_real_catalog(catalog):
    ids = np.array([5114, 1639, 32281, 123_456_789])
    np.testing.assert_array_equal(catalog.filter_mask(ids), [1, 1, 1, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, allow_adult=False), [1, 0, 1, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, catalog.filters(genre="Military", type="TV")), [1, 0, 0, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, catalog.filters(type="Movie")), [0, 0, 1, 0])


@pytest.mark.parametrize(
    ("text", "genre"),
    [("sci-fi", "Sci-Fi"), ("SCI FI", "Sci-Fi"), ("scifi", "Sci-Fi"), ("slice of life", "Slice of Life"),
     ("Hentai", "Hentai"), ("isekai", "Isekai"),
     ("thriller", "Suspense"), ("Psychological", "Psychological"), ("Shounen", "Shounen"), ("zzqxw", None),
     ("", None), (None, None), ("😀", None)],
)
def test_normalize_genre(catalog, text, genre):
    assert catalog.normalize_genre(text) == genre


@pytest.mark.parametrize(
    ("text", "type_"),
    [("tv", "TV"), ("MOVIE", "Movie"), ("ova", "OVA"), ("Ona", "ONA"), ("special", "Special"), ("music", "Music"),
     ("movies", None), ("", None), (None, None)],
)
def test_normalize_type(tiny, text, type_):
    assert tiny.normalize_type(text) == type_


# --- a synthetic catalog with other names ---------------------------------------------------------


def aka() -> Catalog:
    def anime(anime_id: int, name: str, members: int, english: str | None = None) -> Anime:
        return Anime(anime_id, name, (), "TV", 12, 8.0, members, english)

    return Catalog(
        [
            anime(1, "Hagane no Kenshi", 900, english="Steelsword Master"),
            anime(2, "Hagane no Kenshi: Kyoudai", 1000, english="Steelsword Master: Brothers"),
            anime(3, "Kagami Monogatari", 500, english="Mirror Story"),
            anime(4, "Kagami Monogatari (2010)", 800, english="Mirror Story"),
            anime(5, "Tsuki no Uta", 300),
        ],
        {1: ["Steelsword Master", "SSM", "Steel Sword Master"], 2: ["SSM"], 3: ["MS"], 5: ["Moon Song"]},
    )


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("steelsword master", [1, 2]),  # exact English, then prefix
        ("steel sword master", [1, 2]),  # spaces do not matter
        ("mirror story", [4, 3]),  # one English title, two titles: the more popular first
        ("ssm", [2, 1]),  # an abbreviation both carry
        ("ssm brothers", [2]),  # "ssm" spelled out as title 1 has it: "steel sword master brothers"
        ("ssmb", [2]),  # the acronym of "Steelsword Master: Brothers" with "ssm" in it
        ("moon song", [5]),
        ("tsuki no ufa", [5]),
        ("moon sonj", []),  # typos are matched against main and English names only
        ("tnu", [5]),  # the acronym of a 3-word main name
        ("kagami", [4, 3]),
        ("monogatari", [4, 3]),  # word prefix
    ],
)
def test_aliases_search(query, ids):
    assert [a.anime_id for a in aka().search(query)] == ids


def test_aliases_resolve_choice():
    catalog = aka()
    assert catalog.resolve_choice("mirror story") == Resolution(catalog.get(4), (catalog.get(3),))
    assert catalog.resolve_choice("mirror stroy") == Resolution(catalog.get(4), (catalog.get(3),))
    assert catalog.resolve_choice("ms") == Resolution(catalog.get(3))
    assert catalog.resolve_choice("Kagami Monogatari") == Resolution(catalog.get(3))
    assert catalog.resolve_choice("ssm") == Resolution(catalog.get(2), (catalog.get(1),))
    assert catalog.resolve_choice("moon song").anime.anime_id == 5


def test_from_frame_with_titles():
    titles = pd.DataFrame(
        {
            "anime_id": [10, 10, 10, 30, 30],
            "kind": ["main", "english", "japanese", "english", "synonym"],
            "title": ["Alpha", "ALPHA!", "アルファ", "Gamma Beam", "GR"],
        }
    )
    catalog = Catalog.from_frame(tiny_frame(), titles)
    assert catalog.get(10).english is None  # "ALPHA!" is "Alpha" once normalized
    assert catalog.get(30).english == "Gamma Beam"
    assert names(catalog.search("gamma beam")) == ["Gamma Ray"]
    assert names(catalog.search("gr")) == ["Gamma Ray"]
    assert catalog.search("アルファ") == []  # Japanese titles are not names search can match


@pytest.mark.parametrize(
    ("name", "english", "limit", "label"),
    [
        ("Kimi no Na wa.", "Your Name.", 100, "Kimi no Na wa. · Your Name."),
        ("Death Note", None, 100, "Death Note"),
        ("Abcdef", "Ghijklmnop", 15, "Abcdef · Ghijk…"),  # the English part is clipped first
        ("Abcdef", "Ghijklmnop", 10, "Abcdef"),  # no room for English worth showing
        ("Abcdefghijkl", "Mnop", 10, "Abcdefghi…"),
        ("Abcdefghij", None, 10, "Abcdefghij"),
        ("Haikyuu!!", "Haikyu!!", 100, "Haikyuu!!"),  # an English name the name holds adds nothing
        ("Spy x Family Part 2", "SPY x FAMILY", 100, "Spy x Family Part 2"),
        ("Hunter x Hunter (2011)", "HUNTER×HUNTER", 100, "Hunter x Hunter (2011)"),
        ("Gintama'", "Gintama Season 2", 100, "Gintama' · Gintama Season 2"),  # one that says more is shown
    ],
)
def test_label_clipping(name, english, limit, label):
    anime = Anime(1, name, (), None, None, None, 1, english)
    assert Catalog.label(anime, limit) == label
    assert len(label) <= limit


def test_the_start_of_one_series_names_resolves_to_its_most_popular_entry(catalog):
    geass = catalog.resolve_choice("Code Geass")
    assert geass.anime.anime_id == 1575 and 2904 in [a.anime_id for a in geass.alternatives]  # R2 offered
    # Without works (each title its own), the entries so named are rivals: not one title.
    unjoined = Catalog(replace(a, work_id=None, franchise_id=None) for a in catalog)
    assert unjoined.resolve_choice("Code Geass") is None
    # "evangelion" is a word of the TV series' name, which is the most watched: not only prefixes count.
    assert catalog.resolve_choice("evangelion").anime.anime_id == 30
    # The two most watched titles so named belong to different works: let the member pick.
    for text in ("one", "cod", "fullmetal"):
        assert catalog.resolve_choice(text) is None
    # Shingeki no Kyojin's seasons are one work in data/catalog, ten times as watched as Shingeki no Bahamut.
    assert catalog.resolve_choice("shingeki").anime.anime_id == 16498
    # Where adult titles are hidden, a name that means one is not taken as a safe entry of its series.
    assert catalog.resolve_choice("Boku no Pico", allow_adult=False) is None


def test_members_now_grows_a_2016_only_count_as_titles_of_its_size_grew():
    # Band 10^5: thirty titles that tripled; band 10^4: thirty that doubled. A title with only its 2016
    # count (members == members_2016) grows by its own band's median, a newer count stays as it is.
    grown = [Anime(i, f"t{i}", (), "TV", 12, None, 3 * (100_000 + i), members_2016=100_000 + i) for i in range(30)]
    grown += [Anime(100 + i, f"u{i}", (), "TV", 12, None, 2 * (20_000 + i), members_2016=20_000 + i) for i in range(30)]
    old_film = Anime(500, "film", (), "Movie", 1, None, 200_000, members_2016=200_000)
    old_ova = Anime(501, "ova", (), "OVA", 1, None, 50_000, members_2016=50_000)
    new_show = Anime(502, "new", (), "TV", 12, None, 400_000)
    catalog = Catalog([*grown, old_film, old_ova, new_show])
    now = catalog.members_now([500, 501, 502, 999])
    assert now == pytest.approx([600_000, 100_000, 400_000, 0])
    # By its raw count the 2016 film is half as watched as the new show; on one scale it is more.
    assert now[0] > now[2]


def test_members_now_without_any_newer_count_is_the_count():
    catalog = Catalog([Anime(1, "a", (), "TV", 12, None, 5_000, members_2016=5_000),
                       Anime(2, "b", (), "TV", 12, None, 7_000, members_2016=7_000)])
    assert catalog.members_now([1, 2]).tolist() == [5_000, 7_000]


def test_a_label_copied_from_a_reply_resolves_to_its_title(catalog):
    """"Not this one?" offers other entries by their labels and says to rate one "as written here": the label,
    its English part clipped or not, names the title, by its name and the year it ends with."""
    assert catalog.resolve_choice("K-On!! · K-ON! Season 2 (2010)").anime.anime_id == 7791
    clipped = "Kimetsu no Yaiba: Yuukaku-hen · Demon Slayer: Kimetsu no Yaiba Entertain… (2022)"
    assert catalog.resolve_choice(clipped).anime.name == "Kimetsu no Yaiba: Yuukaku-hen"


def test_a_name_fans_use_for_a_franchise_offers_its_most_watched_entry_first(catalog):
    """ワンピース is the Japanese title of a recap only: nothing is stored on it, and the series is offered first."""
    assert catalog.resolve_choice("ワンピース") is None
    assert catalog.suggest("ワンピース", 5)[0].name == "One Piece"


@pytest.mark.parametrize("text, anime_id", [("mal:9253", 9253), ("https://myanimelist.net/anime/9253/Steins_Gate", 9253),
                                            ("https://anilist.co/anime/113415/Jujutsu-Kaisen/", 40748)])
def test_search_offers_the_title_a_pasted_link_names_first(catalog, text, anime_id):
    # Autocomplete searches what the member types: a link the commands take must offer its title.
    assert catalog.search(text, 5, allow_adult=False)[0].anime_id == anime_id


@pytest.mark.parametrize("text, anime_id", [("jujutsu kaisen 2", 51009), ("kuroko no basket 2", 16894),
                                            ("golden kamuy 3", 40059)])
def test_a_number_after_a_name_is_that_season_not_a_slip_of_the_name(catalog, text, anime_id):
    # "kuroko no basket 2" is two edits from Kuroko no Basket, whose names say no 2: it was stored on the first
    # season as a typo of it.
    assert catalog.resolve_choice(text).anime.anime_id == anime_id


def test_a_name_spelled_out_finds_its_own_franchise_only(catalog):
    # "dandadan" spelled out as its other name "dan da dan": words that also start DanMachi II's names ("danmachi",
    # "darou") made "dandadan 2" a choice between the two.
    assert catalog.resolve_choice("dandadan 2").anime.anime_id == 60543
    assert catalog.resolve_choice("jjk 2").anime.anime_id == 51009


@pytest.mark.parametrize("text", ["naruto season 3", "hunter x hunter season 2", "detective conan season 2",
                                  "naruto 3", "yu yu hakusho 2", "macross f 2"])
def test_a_season_query_is_no_ova_whose_number_says_something_else(catalog, text):
    # Naruto Narutimate Hero 3 (a game's OVA; its Japanese name ends with 3), Hunter x Hunter OVA 2 (Greed
    # Island), Detective Conan Magic File 2, Yu Yu Hakusho: Eizou Hakusho II (a 2 after "eizou hakusho", not
    # after the name typed), Macross II: each was stored for a season that never aired.
    assert catalog.resolve_choice(text) is None


@pytest.mark.parametrize("text", ["digimon adventure s3", "digimon adventure 3", "sora no otoshimono s3"])
def test_a_season_or_a_number_is_no_slip_of_a_film(catalog, text):
    # Digimon Adventure 3D (a film whose 3 is part of a word); Sora no Otoshimono Final, a film whose English
    # name ends with 3: a slip of neither.
    assert catalog.resolve_choice(text) is None


def test_a_works_first_series_names_it_when_an_older_ova_joined_the_work(catalog):
    # SD Gundam Gaiden (OVA, 1990) is in Gundam Wing's work: the name of the first series is still the series.
    assert catalog.resolve_choice("gundam wing").anime.anime_id == 90


def test_a_name_then_its_subtitles_initials_is_that_title(catalog):
    assert catalog.resolve_choice("bleach tybw").anime.anime_id == 41467  # Bleach: Thousand-Year Blood War


@pytest.mark.parametrize("text, offered", [
    ("demon slayer season 2", [49926, 47778]),  # Mugen Ressha-hen (a TV re-cut), then Yuukaku-hen
    ("owarimonogatari 2", [35247]),  # counted from the title named, not the Monogatari work's first series
    ("black bullet 2", [20787]),  # a season that never aired: the series itself
    ("naruto season 3", [34566, 20, 1735]),  # Boruto, the work's third series, then Naruto and Shippuuden
])
def test_a_season_no_entry_names_offers_that_season_of_the_work_first(catalog, text, offered):
    assert catalog.resolve_choice(text) is None
    assert [a.anime_id for a in catalog.suggest(text, 3)][:len(offered)] == offered


@pytest.mark.parametrize("text", ["k-oni!", "no-oin", "r.o. ova", "k-on!d season 2", "i''s pre", "k-n!!"])
def test_a_short_word_typed_is_a_word_of_the_name_not_the_start_of_one(catalog, text):
    # Slips of K-On!, No-Rin, R.O.D OVA, I''s Pure: each stored a title whose words merely start with the letters
    # typed (Oniichan dakedo Ai sae Areba Kankeinai yo ne!, Wagaya no Oinari-sama, Black★Rock Shooter (OVA),
    # Class de 2-banme ni Kawaii Onnanoko to Tomodachi ni Natta, Okusama ga Seitokaichou!). Two letters alone
    # name nothing, though N.H.K ni Youkoso!'s names have a "k" and an "n".
    found = catalog.resolve_choice(text)
    assert found is None or found.anime.anime_id in {5680, 7791, 18095, 208, 811}  # the titles meant


@pytest.mark.parametrize("text, anime_id", [
    ("k-on! season 2", 7791),  # K-On!!: "k" now names only a name's word "k", not KonoSuba's "kono"
    ("dan da dan 2", 60543),  # "da" no longer starts DanMachi's "darou"
    ("Girlfriend, Girlfriend season 2", 53040),  # Kanojo mo Kanojo, not Rent-a-Girlfriend: "girlfriend" twice
    ("girlfriend, girlfriend seaso 2", 53040),  # a slip of it stored Rent-a-Girlfriend's 2nd season
    ("isekai quartetx3", 61851),  # a slip of Isekai Quartet 3: "quartetx3" is a word, not the number 3
])
def test_the_words_typed_name_the_title_that_has_them_all(catalog, text, anime_id):
    assert catalog.resolve_choice(text).anime.anime_id == anime_id


@pytest.mark.parametrize("text, anime_id", [("kaisen jujutsu", 40748), ("galaxy tatami", 7785),
                                            ("alchemist fullmetal brotherhood", 5114)])
def test_words_out_of_order_name_a_title_when_each_is_a_whole_word_of_it(catalog, text, anime_id):
    assert catalog.resolve_choice(text).anime.anime_id == anime_id


def test_words_out_of_order_do_not_name_a_title_they_merely_start_words_of(catalog):
    # Yojouhan Shinwa Taikei's names hold "han shinwa": "shin han" put "han" first and "shin" is only the start
    # of "shinwa". It stored that title; it is a slip of "shin chan" (Crayon Shin-chan) as likely as anything.
    found = catalog.resolve_choice("shin han")
    assert found is None or found.anime.anime_id != 7785
    assert catalog.resolve_choice("yojouhan shinwa").anime.anime_id == 7785  # in order, as before


def test_a_number_in_a_word_typed_is_no_season(catalog):
    # 3D Kanojo's only 3 is the one in "3D": it has no 3rd season.
    assert catalog.resolve_choice("3d kanojo 3") is None
    assert catalog.resolve_choice("3d kanojo 2").anime.anime_id == 37956  # its 2nd season


@pytest.mark.parametrize("text, anime_id", [("code geass: hanyaku no lelouch r2", 2904), ("sk8 the infiity", 42923),
                                            ("digimon adventure 3", None)])
def test_a_slip_of_a_name_with_a_number_in_a_word_is_that_name(catalog, text, anime_id):
    # The numbers typed on their own must be the name's on their own; one inside a word typed is that word's:
    # "r2" is Code Geass R2's, but "digimon adventure 3" is still no slip of the film Digimon Adventure 3D.
    found = catalog.resolve_choice(text)
    assert (found and found.anime.anime_id) == anime_id


def test_initials_name_a_series_fans_shorten_not_any_title_of_three_words(catalog):
    # "ski", a slip of Saki, stored Soukou Kijo Iris (about 7,000 members): its initials, which nobody types for it.
    assert catalog.resolve_choice("ski") is None
    assert catalog.resolve_choice("umo").anime.name == "Umo"  # the name itself, no longer a choice with initials
    assert catalog.resolve_choice("ttgl").anime.anime_id == 2001  # Tengen Toppa Gurren Lagann


@pytest.mark.parametrize("text, first", [("shki", 7724), ("knon", 5680), ("bloo", 150)])
def test_a_slip_of_a_short_name_is_offered_first_never_stored(catalog, text, first):
    # Shiki, K-On! ("k on") and Blood+: names too short for a slip of them to resolve (a slip of a short name is as
    # likely another word); the menus led with Captain Tsubasa, Amagi Brilliant Park and Kekkai Sensen.
    assert catalog.resolve_choice(text) is None
    assert catalog.suggest(text, 3)[0].anime_id == first
