import numpy as np
import pandas as pd
import pytest

from recsys.catalog import Anime, Catalog, normalize_name


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
    assert len(catalog) == 12294
    fmab = catalog.get(5114)
    assert fmab.name == "Fullmetal Alchemist: Brotherhood"
    assert fmab.type == "TV" and fmab.episodes == 64 and fmab.rating == pytest.approx(9.26)
    assert "Military" in fmab.genres and not fmab.is_adult
    assert 5114 in catalog and 0 not in catalog
    assert catalog.genres == tuple(sorted(catalog.genres)) and "Hentai" in catalog.genres
    assert len(catalog.genres) == 43


def test_names_are_html_unescaped(catalog):
    assert catalog.get(9969).name == "Gintama'"
    assert catalog.get(9941).name == "Tiger & Bunny"


def test_iteration_is_most_popular_first(catalog):
    members = [a.members for a in catalog]
    assert members == sorted(members, reverse=True)
    assert len(members) == len(catalog)


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
    results = catalog.search("naruto")
    assert results[0].name == "Naruto"
    assert results[1].name == "Naruto: Shippuuden"
    prefixed = [a for a in results[1:] if normalize_name(a.name).startswith("naruto")]
    assert prefixed == results[1 : len(prefixed) + 1]  # prefix matches come before any other kind
    assert [a.members for a in prefixed] == sorted((a.members for a in prefixed), reverse=True)
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
    assert catalog.resolve("5114").anime_id == 5114
    assert catalog.resolve(" 9969 ").name == "Gintama'"
    assert catalog.resolve("kimi no na wa").anime_id == 32281
    assert catalog.resolve("Gintama'").anime_id == 9969
    assert catalog.resolve("Gintama").anime_id == 918
    assert catalog.resolve("steins gate").anime_id == 9253
    assert catalog.resolve("fullmetal alchemst brotherhod").anime_id == 5114
    assert catalog.resolve("naruto shipuden").anime_id == 1735
    assert catalog.resolve("narto").anime_id == 20
    assert catalog.resolve("death not").name == "Death Note"


@pytest.mark.parametrize(
    "text",
    [
        "zzqxw",
        "fullmetal",  # a prefix of many titles, not one title
        "bleech",  # a 2-letter slip in a 6-letter title is below the bar: suggest() offers it instead
        "naruto shippuden movie 7",  # close to Movies 1-6, but the number is not a typo
        "shingeki no kyojin season 3",  # Season 2 exists; 3 is not a typo of it
        "",
        "!!!",
    ],
)
def test_resolve_refuses_what_is_not_clearly_one_title(catalog, text):
    assert catalog.resolve(text) is None


def test_resolve_keeps_the_number(catalog):
    assert catalog.resolve("naruto shipuden movie 1").name == "Naruto: Shippuuden Movie 1"


def test_suggest(catalog):
    assert names(catalog.suggest("bleech"))[0] == "Bleach"
    assert "Shingeki no Kyojin Season 2" in names(catalog.suggest("shingeki no kyojin season 3"))
    assert len(catalog.suggest("fullmetal", 5)) == 5
    assert catalog.suggest("zzqxw") == []
    assert catalog.suggest("") == []


def test_allow_adult_false_never_returns_adult_titles(catalog):
    pico = catalog.get(1639)
    assert pico.is_adult
    assert pico in catalog.search("boku no")
    assert pico.anime_id in [a.anime_id for a in catalog.search("boku no pico")]
    assert catalog.resolve("1639") == pico and catalog.resolve("boku no pico") == pico

    assert catalog.resolve("1639", allow_adult=False) is None
    assert catalog.resolve("boku no pico", allow_adult=False) is None
    assert catalog.resolve("boku no pica", allow_adult=False) is None
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
    resolved = catalog.resolve(text)
    assert resolved is None or isinstance(resolved, Anime)


def test_long_query_is_capped_not_rejected(catalog):
    assert catalog.search("naruto" + "!" * 10_000)[0].name == "Naruto"


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
    assert tiny.resolve("20") is not None and tiny.resolve("20", allow_adult=False) is None


def test_filter_mask(tiny):
    ids = np.array([10, 20, 30, 40, 50, 99, -1])
    np.testing.assert_array_equal(tiny.filter_mask(ids), [1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, allow_adult=False), [1, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, genre="Action"), [1, 0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, genre="action", allow_adult=False), [1, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, type="TV"), [1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, genre="Action", type="movie"), [0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tiny.filter_mask(ids, type="Special"), [0] * 7)  # known type, no titles
    assert tiny.filter_mask(np.array([], dtype=np.int64)).shape == (0,)
    order = np.array([50, 50, 10])  # any order, repeats allowed
    np.testing.assert_array_equal(tiny.filter_mask(order, allow_adult=False), [0, 0, 1])


def test_filter_mask_rejects_unknown_filters(tiny):
    with pytest.raises(ValueError, match="genre"):
        tiny.filter_mask(np.array([10]), genre="Isekai")
    with pytest.raises(ValueError, match="type"):
        tiny.filter_mask(np.array([10]), type="Webtoon")


def test_filter_mask_on_real_catalog(catalog):
    ids = np.array([5114, 1639, 32281, 123_456_789])
    np.testing.assert_array_equal(catalog.filter_mask(ids), [1, 1, 1, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, allow_adult=False), [1, 0, 1, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, genre="Military", type="TV"), [1, 0, 0, 0])
    np.testing.assert_array_equal(catalog.filter_mask(ids, type="Movie"), [0, 0, 1, 0])


@pytest.mark.parametrize(
    ("text", "genre"),
    [("sci-fi", "Sci-Fi"), ("SCI FI", "Sci-Fi"), ("scifi", "Sci-Fi"), ("slice of life", "Slice of Life"),
     ("Hentai", "Hentai"), ("isekai", None), ("", None), (None, None), ("😀", None)],
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
    assert Catalog.TYPES == ("TV", "Movie", "OVA", "ONA", "Special", "Music")
