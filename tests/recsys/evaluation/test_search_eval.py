import pytest

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation.search import FAN_NAMES, search_accuracy


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_search_accuracy_on_the_real_catalog(catalog):
    result = search_accuracy(catalog)
    assert result["english_n"] == 500
    assert result["abbrev_n"] == len(FAN_NAMES)  # every expected id is in the bundled data
    assert result["english_top1"] >= 0.9
    assert result["abbrev_top1"] >= 0.9
    assert len(result["misses"]) <= 10
    for query, expected, got in result["misses"]:
        assert isinstance(query, str) and expected in catalog and got != expected


@pytest.mark.parametrize(
    ("query", "anime_id"),
    [("aot", 16498), ("fma brotherhood", 5114), ("hunter x hunter 2011", 11061), ("your name", 32281),
     ("the future diary", 10620), ("dn", 1535), ("ttgl", 2001)],
)
def test_fan_names_are_what_the_data_says(catalog, query, anime_id):
    assert (query, anime_id) in FAN_NAMES
    assert catalog.search(query, 1)[0].anime_id == anime_id


def test_a_miss_is_reported(catalog, monkeypatch):
    monkeypatch.setattr("animerec.recsys.evaluation.search.FAN_NAMES", (("aot", 16498), ("aot", 1535)))
    result = search_accuracy(catalog)
    assert result["abbrev_n"] == 2 and result["abbrev_top1"] == 0.5
    assert ("aot", 1535, 16498) in result["misses"]
