"""The catalog refresh (lifecycle/refresh.py) with the real AniList client against a local HTTP server
on 127.0.0.1 (pytest-httpserver): what a good answer adds, and that every fault keeps the catalog."""

from __future__ import annotations

import json
import logging
import socket
from datetime import date

import pandas as pd
import pytest
from anilist_fixtures import FRIEREN_2, NEW_FILM, NEW_TV, media, page, write
from werkzeug import Response

from animerec.recsys.data import load_catalog_table, load_catalog_titles
from animerec.recsys.lifecycle import overlay
from animerec.recsys.lifecycle import refresh as update
from animerec.recsys.lifecycle.refresh import (
    AniListClient,
    AniListSource,
    FileSource,
    SourceError,
    media_rows,
    next_season,
    scale_ids,
    update_catalog,
)

pytestmark = pytest.mark.timeout(60)
TODAY = date(2026, 12, 5)  # Fall 2026: the refresh asks for fall 2026 and winter 2027


@pytest.fixture(scope="module")
def tables():
    return load_catalog_table(), load_catalog_titles()


@pytest.fixture(scope="module")
def bundled(tables):
    return tables[0]


@pytest.fixture(autouse=True)
def _bundled_once(monkeypatch, tables):
    """update_catalog reads the bundled tables once for the module, not per test."""
    monkeypatch.setattr(update, "load_catalog_table", lambda: tables[0])
    monkeypatch.setattr(update, "load_catalog_titles", lambda: tables[1])


def in_catalog(overlay_dir, tables) -> set[int]:
    return set(overlay.apply_overlay(*tables, overlay_dir)[0]["anime_id"])


class Sleeps(list):
    """An injected sleep: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source_for(httpserver, sleeps=None, **kw) -> AniListSource:
    client = AniListClient(httpserver.url_for("/"), timeout=kw.pop("timeout", 2.0), retries=kw.pop("retries", 2),
                           backoff=0.01, sleep=sleeps if sleeps is not None else Sleeps(), **kw)
    return AniListSource(client)


def frieren_update(popularity: int) -> dict:
    return media(FRIEREN_2, "Sousou no Frieren 2nd Season", popularity=popularity, score=91, season="WINTER")


SCALE = 3.0  # the planted MyAnimeList members per AniList user


def serve_seasons(httpserver, fall: dict, winter: dict, bundled: pd.DataFrame) -> None:
    """Answers per season variable, as AniList does: the request body decides the page; and the settled
    series the refresh scales AniList's counts by, each with a third of its MyAnimeList members."""
    httpserver.expect_request("/", method="POST", json=_body("FALL", 2026)).respond_with_json(fall)
    httpserver.expect_request("/", method="POST", json=_body("WINTER", 2027)).respond_with_json(winter)
    httpserver.expect_request("/", method="POST", json=_by_ids(scale_ids(bundled))).respond_with_json(
        scale_page(bundled))


def scale_page(bundled: pd.DataFrame, ratio: float = SCALE) -> dict:
    members = bundled.set_index("anime_id")["members_latest"]
    return page(*(media(a, f"settled {a}", popularity=round(members[a] / ratio)) for a in scale_ids(bundled)))


def _body(season: str, year: int) -> dict:
    from animerec.recsys.lifecycle.refresh import PER_PAGE, QUERY

    return {"query": QUERY, "variables": {"season": season, "seasonYear": year, "page": 1, "perPage": PER_PAGE}}


def _by_ids(ids: list[int]) -> dict:
    return {"query": _body("FALL", 2026)["query"], "variables": {"idMal_in": ids, "page": 1, "perPage": 50}}


def test_the_season_after_one():
    assert next_season((2026, "fall")) == (2027, "winter")
    assert next_season((2026, "spring")) == (2026, "summer")


def test_the_fixture_ids_are_new_and_bundled_as_claimed(bundled):
    ids = set(bundled["anime_id"])
    assert NEW_TV not in ids and NEW_FILM not in ids and FRIEREN_2 in ids


def test_new_titles_appear_and_counts_update(httpserver, tmp_path, bundled, tables):
    before = int(bundled.loc[bundled["anime_id"] == FRIEREN_2, "members_latest"].iloc[0])
    new_tv = media(NEW_TV, "Kessoku no Hoshi", english="Star Bond", native="結束の星", synonyms=("KnH",),
                   genres=("Action", "Thriller", "Mecha"), tags=(("Shounen", 90), ("School", 20)),
                   relations=(("PREQUEL", FRIEREN_2),), popularity=5000)
    film = media(NEW_FILM, "Kessoku no Hoshi Movie", fmt="MOVIE", season="WINTER", year=2027, adult=True)
    # AniList counts a third of the MyAnimeList members: 1000 more of its users are 3000 more members.
    serve_seasons(httpserver, page(new_tv), page(film, frieren_update(round(before / SCALE) + 1000)), bundled)

    result = update_catalog(tmp_path, source_for(httpserver), today=TODAY)

    assert result.added == (NEW_TV, NEW_FILM) and result.updated == 1 and result.rows == 3
    assert result.scale_titles == len(scale_ids(bundled)) == 50
    assert result.members_scale == pytest.approx(SCALE, rel=1e-4)
    cat, titles = overlay.apply_overlay(*tables, tmp_path)
    assert len(cat) == len(bundled) + 2
    tv = cat.loc[cat["anime_id"] == NEW_TV].iloc[0]
    # AniList's genres and tags in the catalog's vocabulary: Thriller is Suspense, Mecha a theme,
    # Shounen a demographic; a tag below the relevance cut is left out.
    assert (tv["genres"], tv["themes"], tv["demographics"]) == ("Action|Suspense", "Mecha", "Shounen")
    assert (tv["type"], tv["season"], int(tv["year"]), tv["adult"]) == ("TV", "fall", 2026, "no")
    frieren = bundled.loc[bundled["anime_id"] == FRIEREN_2].iloc[0]
    assert tv["work_id"] == frieren["work_id"]  # a sequel joins its prequel's work
    assert cat.loc[cat["anime_id"] == NEW_FILM, "adult"].iloc[0] == "yes"
    updated = cat.loc[cat["anime_id"] == FRIEREN_2].iloc[0]
    assert int(updated["members_latest"]) == pytest.approx(before + 3000, abs=2) and updated["score_latest"] == 9.1
    assert int(tv["members_latest"]) == pytest.approx(5000 * SCALE, abs=1)
    assert set(cat["anime_id"]) - set(bundled["anime_id"]) == {NEW_TV, NEW_FILM}  # the settled ones only told the scale
    assert updated["title"] == frieren["title"]  # a bundled title is never renamed
    assert set(titles.loc[titles["anime_id"] == NEW_TV, "kind"]) == {"main", "english", "japanese", "synonym"}

    catalog = overlay.catalog_from_tables(cat, titles)
    assert catalog.get(NEW_TV).english == "Star Bond" and catalog.get(NEW_FILM).is_adult
    assert catalog.lookup("Star Bond").anime.anime_id == NEW_TV
    info = overlay.info(tmp_path)
    assert info is not None and info.newest_season == (2027, "winter") and info.rows == 3


def test_rated_ids_the_catalog_lacks_are_fetched_by_id(httpserver, tmp_path, tables):
    serve_seasons(httpserver, page(), page(), tables[0])
    httpserver.expect_request("/", method="POST", json=_by_ids([NEW_FILM])).respond_with_json(
        page(media(NEW_FILM, "Kessoku no Hoshi Movie", fmt="MOVIE", year=2025, season="SUMMER")))

    result = update_catalog(tmp_path, source_for(httpserver), wanted_ids={FRIEREN_2, NEW_FILM}, today=TODAY)

    assert result.added == (NEW_FILM,)  # Frieren is bundled: not asked for
    assert NEW_FILM in in_catalog(tmp_path, tables)


def test_a_429_is_waited_out_for_its_retry_after_then_the_answer_counts(httpserver, tmp_path):
    sleeps = Sleeps()
    httpserver.expect_ordered_request("/", method="POST").respond_with_response(
        Response("Too Many Requests.", status=429, headers={"Retry-After": "1", "X-RateLimit-Remaining": "0"}))
    httpserver.expect_ordered_request("/", method="POST").respond_with_json(page(media(NEW_TV, "Kessoku no Hoshi")))
    httpserver.expect_ordered_request("/", method="POST").respond_with_json(page())
    httpserver.expect_ordered_request("/", method="POST").respond_with_json(page())  # no settled title answered

    result = update_catalog(tmp_path, source_for(httpserver, sleeps), today=TODAY)

    assert result.added == (NEW_TV,)
    assert 1 in sleeps  # Retry-After honoured
    assert [r.status_code for _, r in httpserver.log][-4:] == [429, 200, 200, 200]
    assert result.members_scale is None and "kept unscaled (only 0 settled titles answered)" in result.summary()


def test_requests_keep_to_the_rate_limit_the_api_reports(httpserver):
    sleeps = Sleeps()
    httpserver.expect_request("/", method="POST").respond_with_json(page(), headers={"X-RateLimit-Limit": "30"})
    client = AniListClient(httpserver.url_for("/"), sleep=sleeps, clock=lambda: 0.0)
    client.pages({"season": "FALL", "seasonYear": 2026})
    client.pages({"season": "WINTER", "seasonYear": 2027})
    assert sleeps == [2.0]  # 30 a minute: two seconds apart, not 60/90


FAULTS = {
    "500": lambda s: s.expect_request("/").respond_with_data("oops", status=500),
    "malformed JSON": lambda s: s.expect_request("/").respond_with_data("{\"data\": {\"Page\": ", status=200),
    "GraphQL error": lambda s: s.expect_request("/").respond_with_json(
        {"errors": [{"message": "Too Many Requests.", "status": 429}], "data": None}),
    "empty page": lambda s: s.expect_request("/").respond_with_json(page()),
    "no media list": lambda s: s.expect_request("/").respond_with_json({"data": {"Page": {"pageInfo": {}}}}),
    "timeout": lambda s: s.expect_request("/").respond_with_handler(_slow),
}


def _slow(request):
    import time

    time.sleep(0.6)
    return Response(json.dumps(page()), content_type="application/json")


@pytest.fixture
def published(tmp_path, httpserver):
    """An overlay already in use (one refresh done), and its files' bytes."""
    httpserver.expect_oneshot_request("/").respond_with_json(page(media(NEW_TV, "Kessoku no Hoshi")))
    httpserver.expect_oneshot_request("/").respond_with_json(page())
    httpserver.expect_oneshot_request("/").respond_with_json(page())
    update_catalog(tmp_path, source_for(httpserver), today=TODAY)
    httpserver.clear()
    return _snapshot(tmp_path)


def _snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_keeps_the_catalog_and_says_why_in_one_line(fault, httpserver, tmp_path, published, tables):
    FAULTS[fault](httpserver)
    with pytest.raises(SourceError) as error:
        update_catalog(tmp_path, source_for(httpserver, timeout=0.3, retries=1), today=TODAY)
    assert "\n" not in str(error.value) and str(error.value)
    assert _snapshot(tmp_path) == published
    assert NEW_TV in in_catalog(tmp_path, tables)


def test_500s_are_retried_a_bounded_number_of_times(httpserver, tmp_path):
    httpserver.expect_request("/").respond_with_data("oops", status=503)
    with pytest.raises(SourceError, match="HTTP 503"):
        update_catalog(tmp_path, source_for(httpserver, retries=2), today=TODAY)
    assert sum(r.status_code == 503 for _, r in httpserver.log) == 3  # the first try and two retries
    assert not (tmp_path / "current").exists()


def test_no_network_changes_nothing(tmp_path, published):
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = AniListClient(f"http://127.0.0.1:{port}/", timeout=1.0, sleep=Sleeps())
    with pytest.raises(SourceError, match="cannot reach"):
        update_catalog(tmp_path, AniListSource(client), today=TODAY)
    assert client.requests == 1  # refused is not retried: it will not be up in a second
    assert _snapshot(tmp_path) == published


def test_media_without_a_mal_id_are_left_out(bundled):
    rows, titles, without = media_rows([media(None, "AniList only"), media(NEW_TV, "Kessoku no Hoshi")], bundled)
    assert list(rows["anime_id"]) == [NEW_TV] and without == 1 and set(titles["anime_id"]) == {NEW_TV}


def test_a_file_of_answers_is_an_offline_source(tmp_path):
    path = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi")), page(media(NEW_FILM, "Movie")))
    result = update_catalog(tmp_path / "overlay", FileSource(path), today=TODAY)
    assert result.added == (NEW_TV, NEW_FILM)
    (tmp_path / "bad.json").write_text("[{\"data\": 1}]")
    with pytest.raises(SourceError, match="without data"):
        update_catalog(tmp_path / "overlay", FileSource(tmp_path / "bad.json"), today=TODAY)


def test_the_cli_updates_and_refuses_with_one_line(tmp_path, capsys, tables):
    from animerec.recsys.cli.main import main

    path = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi")))
    assert main(["catalog", "update", "--source", str(path), "--data-dir", str(tmp_path / "var")]) == 0
    assert "1 new" in capsys.readouterr().out
    assert NEW_TV in in_catalog(overlay.overlay_dir_in(tmp_path / "var"), tables)
    (tmp_path / "empty.json").write_text(json.dumps(page()))
    assert main(["catalog", "update", "--source", str(tmp_path / "empty.json"),
                 "--data-dir", str(tmp_path / "var")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: catalog unchanged") and err.count("\n") == 1


logging.getLogger("werkzeug").setLevel(logging.WARNING)


def test_every_fetched_count_ends_on_one_scale(httpserver, tmp_path, bundled, tables):
    """A refresh that cannot tell the scale (an answers file without the settled series) keeps the last one
    known; rows a refresh kept as AniList counted them are put on the scale once one is known."""
    another = 60_002
    assert another not in set(bundled["anime_id"])

    def members(anime_id: int) -> int:
        cat = overlay.apply_overlay(*tables, tmp_path)[0]
        return int(cat.loc[cat["anime_id"] == anime_id, "members_latest"].iloc[0])

    offline = write(tmp_path / "first.json", page(media(NEW_FILM, "Kessoku no Hoshi Movie", popularity=1000)))
    first = update_catalog(tmp_path, FileSource(offline), today=TODAY)
    assert first.members_scale is None and members(NEW_FILM) == 1000
    assert overlay.info(tmp_path).members_scale is None

    serve_seasons(httpserver, page(media(NEW_TV, "Kessoku no Hoshi", popularity=5000)), page(), bundled)
    second = update_catalog(tmp_path, source_for(httpserver), today=TODAY)
    assert second.members_scale == pytest.approx(SCALE, rel=1e-4)
    assert (members(NEW_TV), members(NEW_FILM)) == (15000, 3000)  # the first refresh's row rescaled
    assert overlay.info(tmp_path).members_scale == pytest.approx(SCALE, rel=1e-4)

    offline = write(tmp_path / "third.json", page(media(another, "Kessoku no Hoshi 2", popularity=100)))
    third = update_catalog(tmp_path, FileSource(offline), today=TODAY)
    assert members(another) == 300 and (members(NEW_TV), members(NEW_FILM)) == (15000, 3000)
    assert "x3.00, the previous refresh's (only 0 settled titles answered)" in third.summary()


def test_settled_series_in_an_answers_file_only_tell_the_scale(tmp_path, bundled, tables):
    """A file answers with all it holds, asked for the settled series or not: they scale the counts, and
    their rows (AniList's score among them) never enter the overlay."""
    settled = scale_page(bundled)["data"]["Page"]["media"]
    for m in settled:
        m["averageScore"] = 50
    path = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi", popularity=2000), *settled))
    result = update_catalog(tmp_path / "overlay", FileSource(path), today=TODAY)
    assert result.added == (NEW_TV,) and result.updated == 0 and result.members_scale == pytest.approx(SCALE, rel=1e-4)
    cat = overlay.apply_overlay(*tables, tmp_path / "overlay")[0]
    assert set(overlay.read(tmp_path / "overlay")[0]["anime_id"]) == {NEW_TV}
    ids = scale_ids(bundled)
    assert cat.set_index("anime_id").loc[ids, "score_latest"].equals(bundled.set_index("anime_id").loc[ids, "score_latest"])
