"""The catalog refresh: fetch new titles into the overlay in a low-priority thread, then swap the
catalog in between requests (as a retrained model is), and say how current the catalog is."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from animerec.recsys.catalog.catalog import SEASONS, Catalog
from animerec.recsys.lifecycle import overlay
from animerec.recsys.lifecycle.refresh import AniListSource, Source, SourceError, UpdateResult, update_catalog

log = logging.getLogger(__name__)

# Titles members rated that the catalog lacks, asked of the source per refresh (CatalogRefresh.asked): each
# member keeps up to MAX_UNKNOWN_KEPT of them, and a server of thousands could name more than a weekly refresh
# should ask a rate-limited API for (AniList: 50 a page, 90 pages a minute at best). The rest wait for the
# next refresh; those it found leave the list.
WANTED_PER_REFRESH = 1000
LOW_PRIORITY = 19  # nice value of the refresh thread: parsing a few hundred titles must not slow answers


@dataclass(frozen=True)
class Currency:
    """How current the catalog is: its newest season, and when the overlay was last refreshed."""

    newest: str | None  # "Fall 2026"
    refreshed_at: datetime | None  # None: never refreshed here (the bundled catalog only)

    def describe(self, now: datetime | None = None) -> str:
        """"titles up to Fall 2026, refreshed 3 days ago"."""
        text = f"titles up to {self.newest}" if self.newest else "titles of the bundled catalog"
        if self.refreshed_at is None:
            return text + ", as bundled (never refreshed here)"
        return f"{text}, refreshed {overlay.ago(self.refreshed_at, now)}"


def _low_priority() -> None:
    try:  # on Linux a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
    except (AttributeError, OSError):
        pass


class CatalogRefresh:
    """One refresh at a time; `use` swaps a newly published catalog in (the service's use_catalog)."""

    def __init__(self, overlay_dir: Path, use: Callable[[Catalog], Awaitable[None]],
                 wanted_ids: Callable[[], Awaitable[Mapping[int, int]]],
                 source: Callable[[], Source] = AniListSource) -> None:
        self.overlay_dir = Path(overlay_dir)
        self.use = use
        self.wanted_ids = wanted_ids  # the titles members rated that the catalog lacks, with their raters
        self.source = source
        self._missed: dict[int, int] = {}  # wanted ids by the refreshes in a row that asked and did not find them
        self._lock = asyncio.Lock()
        self._bundled_newest: str | None = None
        self.currency = Currency(None, None)
        self.version: str | None = None  # the overlay served; None: the bundled catalog alone

    async def start(self) -> None:
        """Read how current the catalog is (the overlay the service loaded, if any)."""
        self.currency = await asyncio.to_thread(self._currency)
        self.version = await asyncio.to_thread(self._published_version)

    def _published_version(self) -> str | None:
        try:
            found = overlay.info(self.overlay_dir)
        except overlay.OverlayError:
            return self.version  # unreadable now: keep serving what was read
        return None if found is None else found.version

    async def check_published(self) -> bool:
        """Serve the overlay another process published (a shard of the same bot refreshed it): whether one was
        swapped in. A bad one is logged and the catalog served stays."""
        async with self._lock:
            version = await asyncio.to_thread(self._published_version)
            if version is None or version == self.version:
                return False
            try:
                catalog = await asyncio.to_thread(overlay.load_catalog, self.overlay_dir)
            except overlay.OverlayError as exc:
                log.warning("cannot load the published catalog overlay, catalog unchanged: %s", exc)
                return False
            self.version = version
            self.currency = await asyncio.to_thread(self._currency)
            await self.use(catalog)
            log.info("catalog overlay %s published elsewhere; now serving %d titles", version, len(catalog))
            return True

    def _currency(self) -> Currency:
        if self._bundled_newest is None:
            self._bundled_newest = overlay.season_label(overlay.bundled_newest_season()) or ""
        try:
            found = overlay.info(self.overlay_dir)
        except overlay.OverlayError:
            found = None
        newest = self._bundled_newest or None
        if found is not None and found.newest_season is not None:
            newest = max(filter(None, [newest, overlay.season_label(found.newest_season)]), key=_season_order)
        return Currency(newest, found.refreshed_at if found else None)

    async def refresh(self) -> UpdateResult | None:
        """Fetch, publish and swap in; with the source or the result unusable, log one line and change
        nothing (None)."""
        async with self._lock:
            wanted = self.asked(await self.wanted_ids())
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-refresh",
                                    initializer=_low_priority) as pool:
                loop = asyncio.get_running_loop()
                try:
                    result = await loop.run_in_executor(pool, self._update, wanted)
                except (SourceError, overlay.OverlayError) as exc:
                    log.warning("catalog refresh failed, catalog unchanged: %s", exc)
                    return None
                found = set(result.added)
                for a in wanted:
                    if a in found:
                        self._missed.pop(a, None)
                    else:
                        self._missed[a] = self._missed.get(a, 0) + 1
                catalog = await loop.run_in_executor(pool, overlay.load_catalog, self.overlay_dir)
                self.currency = await loop.run_in_executor(pool, self._currency)
                self.version = await loop.run_in_executor(pool, self._published_version)
            await self.use(catalog)
            log.info("%s; now serving %d titles", result.summary(), len(catalog))
            return result

    def asked(self, raters: Mapping[int, int]) -> set[int]:
        """Of the wanted ids (with their raters), the WANTED_PER_REFRESH a refresh asks for: those the fewest
        refreshes in a row asked for in vain first (an id the source does not know, or a made-up one in an
        export, would otherwise hold its place for good), then the most rated, then the lowest id. The
        count of misses lives as long as the process."""
        order = sorted(raters, key=lambda a: (self._missed.get(a, 0), -raters[a], a))
        return set(order[:WANTED_PER_REFRESH])

    def _update(self, wanted: set[int]) -> UpdateResult:
        return update_catalog(self.overlay_dir, self.source(), wanted_ids=wanted)


def _season_order(label: str) -> tuple[int, int]:
    name, year = label.split()
    return int(year), SEASONS.index(name.lower())
