"""Service: one object holding every feature, for the exts, the console and the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from animerec.bot.features.community.service import Community
from animerec.bot.features.rating.service import Ratings
from animerec.bot.features.recommend.service import Picks
from animerec.bot.features.seasonal.service import Seasonal
from animerec.bot.features.similar.service import Similar
from animerec.bot.features.watchparty.service import WatchParties
from animerec.bot.models.catalog import CatalogRefresh
from animerec.bot.models.holder import FIRST_TRAINING_RETRY_DELAYS, ModelHolder
from animerec.bot.service.results import Stats
from animerec.bot.service.stats import gather_stats
from animerec.bot.service.titles import Titles
from animerec.bot.settings import IMPORT_COOLDOWN, RETRAIN_COOLDOWN, Settings
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.lifecycle.meta import DEFAULT_CONFIG
from animerec.recsys.lifecycle.overlay import load_catalog, overlay_dir_in
from animerec.recsys.lifecycle.refresh import AniListSource, Source


class Service:
    def __init__(self, store: Store, catalog: Catalog, data_dir: Path, *, train_config: str = DEFAULT_CONFIG,
                 import_cooldown: float = IMPORT_COOLDOWN, retry_delays: Sequence[float] = FIRST_TRAINING_RETRY_DELAYS,
                 models_dir: Path | None = None, model_poll: float = 0.0, retrain_cooldown: float = RETRAIN_COOLDOWN,
                 retrain_cron: str | None = None, catalog_overlay: Path | None = None,
                 catalog_source: Callable[[], Source] = AniListSource) -> None:
        self.store = store
        self.catalog = catalog
        self.data_dir = Path(data_dir)
        self.models = ModelHolder(store, catalog, self.data_dir, train_config=train_config, retry_delays=retry_delays,
                                  models_dir=models_dir, poll=model_poll, retrain_cooldown=retrain_cooldown,
                                  retrain_cron=retrain_cron, catalog_overlay=catalog_overlay)
        self.catalog_refresh = CatalogRefresh(catalog_overlay or overlay_dir_in(self.data_dir), self.use_catalog,
                                              self._wanted_ids, catalog_source)
        self.titles = Titles(store, catalog, self.models.franchises)
        self.community = Community(store, catalog, self.models.served, self.models.ranked)
        self.picks = Picks(store, catalog, self.models)
        self.models.on_serve = self.picks.model_served
        self.ratings = Ratings(store, self.titles, self.models, import_cooldown=import_cooldown,
                               on_forget=self._forgotten, check_visible=self.community.check_visible,
                               on_change=self.picks.ratings_changed)
        self.similar = Similar(self.titles, self.models, self.store)
        self.parties = WatchParties(store, catalog, self.models)
        self.seasonal = Seasonal(store, catalog, self.models)

    async def start(self) -> None:
        await self.catalog_refresh.start()
        await self.models.start()

    async def use_catalog(self, catalog: Catalog) -> None:
        """Swap a refreshed catalog in between requests: a request already running keeps the objects it took."""
        await self.models.use_catalog(catalog)
        self.catalog = catalog
        for feature in (self.titles, self.community, self.ratings, self.picks, self.similar, self.parties,
                        self.seasonal):
            feature.catalog = catalog
        self.titles.franchises = self.models.franchises
        self.community.genres_of = {a.anime_id: a.genres for a in catalog}

    async def _wanted_ids(self) -> dict[int, int]:
        """Titles members rated (imported) that the catalog lacks, with how many rated each: the refresh
        fetches them (CatalogRefresh.asked)."""
        return {a: n for a, n in (await self.store.raters_per_title()).items() if a not in self.catalog}

    def _forgotten(self, user_id: int) -> None:
        """After /forget: what this process remembers of the member goes too."""
        self.community.forgotten(user_id)
        self.picks.forgotten(user_id)

    async def close(self) -> None:
        await self.picks.close()
        await self.models.close()
        await self.community.close()
        await self.store.close()

    async def stats(self) -> Stats:
        return await gather_stats(self.store, self.models, self.catalog_refresh.currency)


async def open_service(settings: Settings, catalog: Catalog | None = None) -> Service:
    """A started service on the settings' data directory and database (catalog: reuse one already loaded)."""
    store = await Store.open(settings.database)
    try:
        if catalog is None:  # the bundled catalog with the titles refreshes added
            catalog = await asyncio.to_thread(load_catalog, settings.catalog_overlay_dir)
        service = Service(store, catalog, settings.data_dir, train_config=settings.train_config,
                          import_cooldown=settings.import_cooldown, models_dir=settings.models_dir,
                          model_poll=settings.model_poll_seconds, retrain_cooldown=settings.retrain_cooldown,
                          retrain_cron=settings.retrain_cron, catalog_overlay=settings.catalog_overlay_dir)
        await service.start()
    except BaseException:
        await store.close()  # aiosqlite's thread is not a daemon: left open, the process never exits
        raise
    return service
