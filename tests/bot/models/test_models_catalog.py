"""The bot's catalog refresh (models/catalog.py): a refresh swaps new titles in between requests, an
import's unknown titles count once it has, and with no network one line is logged and nothing changes."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from anilist_fixtures import NEW_TV, media, page, write

from animerec.bot.models import catalog as models_catalog
from animerec.bot.models.catalog import Currency
from animerec.bot.service import Service
from animerec.bot.store import Store
from animerec.recsys.lifecycle.refresh import AniListClient, AniListSource, FileSource
from botkit import ALICE, BOB, CAROL, STEINS_GATE, mal_export

pytestmark = pytest.mark.timeout(120)


def refused_source() -> AniListSource:
    with socket.socket() as s:  # nothing listens on this port: connection refused, as offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return AniListSource(AniListClient(f"http://127.0.0.1:{port}/", timeout=1.0))


async def open_service(data_dir, catalog, source) -> Service:
    store = await Store.open(data_dir / "animerec.sqlite3")
    service = Service(store, catalog, data_dir, train_config="small", catalog_source=source)
    await service.start()
    return service


async def test_no_network_logs_one_line_and_changes_nothing(data_dir, catalog, caplog):
    service = await open_service(data_dir, catalog, refused_source)
    try:
        served = service.models.served()
        with caplog.at_level(logging.INFO, logger="animerec.bot.models.catalog"):
            assert await service.catalog_refresh.refresh() is None
        lines = [r for r in caplog.records if r.name == "animerec.bot.models.catalog"]
        assert len(lines) == 1 and "cannot reach" in lines[0].getMessage() and lines[0].levelno == logging.WARNING
        assert service.catalog is catalog and service.models.served() is served
        assert not (data_dir / "catalog" / "current").exists()
        assert "never refreshed" in (await service.stats()).catalog
    finally:
        await service.close()


async def test_an_imported_unknown_title_is_kept_then_counts_after_a_refresh(data_dir, catalog, tmp_path):
    answers = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi", english="Star Bond",
                                                          year=2025, season="SUMMER")))
    service = await open_service(data_dir, catalog, lambda: FileSource(answers))
    try:
        report = await service.ratings.import_mal_xml(ALICE, mal_export((STEINS_GATE, 9, "Completed"),
                                                                         (NEW_TV, 8, "Completed")))
        assert (report.added, report.unknown) == (2, 1)
        listed = await service.ratings.of(ALICE)
        assert [r.anime.anime_id for r in listed.items] == [STEINS_GATE] and listed.pending == (NEW_TV,)
        assert await service._wanted_ids() == {NEW_TV: 1}

        served_before = service.models.served()
        result = await service.catalog_refresh.refresh()

        assert result is not None and result.added == (NEW_TV,)
        assert NEW_TV in service.catalog and service.titles.catalog is service.catalog
        assert service.models.served() is not served_before  # the model is shown through the new catalog
        assert service.models.served().catalog is service.catalog
        assert service.titles.resolve("Star Bond").anime_id == NEW_TV
        listed = await service.ratings.of(ALICE)
        assert {r.anime.anime_id for r in listed.items} == {STEINS_GATE, NEW_TV} and listed.pending == ()
        export = tmp_path / "export.csv"
        assert await service.store.export_ratings(export, service.catalog) == 2  # the next retrain learns it
        assert "titles up to" in (await service.stats()).catalog
        assert "refreshed just now" in (await service.stats()).catalog
    finally:
        await service.close()


async def test_a_refresh_asks_for_the_most_rated_unknown_titles_and_then_those_not_missed(data_dir, catalog,
                                                                                         tmp_path, monkeypatch):
    """Unknown titles are asked for up to the cap per refresh: the most rated first (the lowest id among
    equals), except that ids a refresh asked for in vain wait behind the others; known titles never."""
    monkeypatch.setattr(models_catalog, "WANTED_PER_REFRESH", 2)
    answers = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi", year=2025, season="SUMMER")))
    service = await open_service(data_dir, catalog, lambda: FileSource(answers))
    asked: list[set[int]] = []
    update = service.catalog_refresh._update
    monkeypatch.setattr(service.catalog_refresh, "_update", lambda wanted: (asked.append(wanted), update(wanted))[1])
    try:
        made_up = [990_001, 990_002, 990_003]
        await service.store.upsert_ratings(ALICE, {STEINS_GATE: 9.0, **{a: 7.0 for a in made_up}})
        await service.store.upsert_ratings(BOB, {STEINS_GATE: 8.0, 990_003: 6.0, 990_002: 6.0})
        await service.store.upsert_ratings(CAROL, {990_003: -1.0})
        assert await service.store.raters_per_title() == {STEINS_GATE: 2, 990_001: 1, 990_002: 2, 990_003: 3}
        assert await service._wanted_ids() == {990_001: 1, 990_002: 2, 990_003: 3}
        for _ in range(3):  # the source knows none of them
            assert await service.catalog_refresh.refresh() is not None
        # The two most rated, both missed; then the one never asked before the most rated of those; then the
        # twice-missed 990_003 waits behind the two missed once.
        assert asked == [{990_003, 990_002}, {990_001, 990_003}, {990_002, 990_001}]
    finally:
        await service.close()


def test_currency_in_words():
    now = datetime(2026, 12, 8, tzinfo=UTC)
    assert Currency("Fall 2026", now - timedelta(days=3, hours=2)).describe(now) == \
        "titles up to Fall 2026, refreshed 3 days ago"
    assert Currency("Fall 2026", None).describe(now) == "titles up to Fall 2026, as bundled (never refreshed here)"


async def test_a_shard_serves_the_overlay_another_process_published(data_dir, catalog, tmp_path):
    """Two processes of one bot share the overlay directory: what one refresh publishes, the other serves at
    its next look, once; a look with nothing new changes nothing."""
    answers = write(tmp_path / "answers.json", page(media(NEW_TV, "Kessoku no Hoshi", english="Star Bond",
                                                          year=2025, season="SUMMER")))
    shared = tmp_path / "overlay"
    services = []
    for name in ("one", "two"):
        store = await Store.open(tmp_path / f"{name}.sqlite3")
        service = Service(store, catalog, data_dir, train_config="small", catalog_overlay=shared,
                          catalog_source=lambda: FileSource(answers))
        await service.start()
        services.append(service)
    one, two = services
    try:
        assert not await two.catalog_refresh.check_published()  # nothing published yet
        assert await one.catalog_refresh.refresh() is not None
        assert NEW_TV in one.catalog and NEW_TV not in two.catalog
        assert await two.catalog_refresh.check_published()
        assert NEW_TV in two.catalog and two.titles.resolve("Star Bond").anime_id == NEW_TV
        assert two.models.served().catalog is two.catalog
        assert two.catalog_refresh.version == one.catalog_refresh.version is not None
        served = two.catalog
        assert not await two.catalog_refresh.check_published() and two.catalog is served  # loaded once
        assert not await one.catalog_refresh.check_published()  # its own publication is no news to it
    finally:
        for service in services:
            await service.close()
