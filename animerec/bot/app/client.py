"""The Discord client: opens the store and the model, loads every extension, starts the retrain
schedule and the health heartbeat."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands, tasks

from animerec.bot.app import health
from animerec.bot.app.errors import report_error
from animerec.bot.service import Service, open_service
from animerec.bot.settings import Settings
from animerec.recsys.catalog.catalog import Catalog

log = logging.getLogger(__name__)

# One package per feature under animerec.bot.features; its `cog` module is the discord.py extension.
EXTENSIONS = tuple(f"animerec.bot.features.{feature}.cog"
                   for feature in ("rating", "recommend", "similar", "watchparty", "admin", "community", "seasonal"))
RETRAIN_JOB = "retrain"
CATALOG_JOB = "catalog-refresh"
CATALOG_WATCH_JOB = "catalog-watch"
COMMUNITY_FOLD_JOB = "community-fold-in"
# Between retrains, new titles' raters are folded in this often (ModelHolder.refresh_community).
COMMUNITY_FOLD_MINUTES = 60


class AnimeRecTree(app_commands.CommandTree):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # What an error reply may carry for the member to act on ("did you mean" menus): registered by the
        # extensions that make them, as this module imports none of theirs.
        self.error_views: list[Callable[[discord.Interaction, BaseException], discord.ui.View | None]] = []

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        view = next(filter(None, (make(interaction, error) for make in self.error_views)), None)
        await report_error(interaction, error, view)


class AnimeRecBot(commands.Bot):
    service: Service
    scheduler: AsyncIOScheduler

    def __init__(self, settings: Settings, *, catalog: Catalog | None = None, **options) -> None:
        # Slash commands only: no privileged intents. voice_states (a default intent) lets
        # /watchparty see who is in a voice channel.
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         tree_cls=AnimeRecTree, help_command=None, **options)
        self.settings = settings
        self._catalog = catalog  # tests share one catalog between bots
        self.connected = False

    async def setup_hook(self) -> None:
        settings = self.settings
        self.service = await open_service(settings, self._catalog)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.scheduler = start_schedule(self.service, settings)
        if not self.syncs_commands:
            log.info("slash commands are synced by the process running shard 0")
        elif settings.guild_id:
            guild = discord.Object(settings.guild_id)
            self.tree.copy_global_to(guild=guild)  # a guild sync shows up instantly; a global one can take an hour
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self.heartbeat.start()
        keep_out_of_collections()

    @property
    def syncs_commands(self) -> bool:
        """One process of a sharded bot syncs the slash commands (they are the bot's, not a shard's)."""
        ids = self.settings.shard_ids
        return ids is None or 0 in ids

    # The heartbeat file is fresh only while the gateway is connected: the Docker HEALTHCHECK reads it.
    async def on_connect(self) -> None:
        self.connected = True

    # Beat as soon as the session is back: disconnecting deleted the file, and waiting for the
    # next loop tick (up to INTERVAL) would fail a health probe of a healthy bot.
    async def on_ready(self) -> None:
        self.connected = True
        health.beat(self.settings.heartbeat_path)

    async def on_resumed(self) -> None:
        self.connected = True
        health.beat(self.settings.heartbeat_path)

    async def on_disconnect(self) -> None:
        self.connected = False
        health.clear(self.settings.heartbeat_path)

    @tasks.loop(seconds=health.INTERVAL)
    async def heartbeat(self) -> None:
        if self.connected:
            health.beat(self.settings.heartbeat_path)

    async def close(self) -> None:
        if self.heartbeat.is_running():
            self.heartbeat.cancel()
        if getattr(self, "scheduler", None) is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if getattr(self, "service", None) is not None:
            await self.service.close()
        health.clear(self.settings.heartbeat_path)
        gc.unfreeze()  # what the bot held is ordinary garbage again once it is let go
        await super().close()


def start_schedule(service: Service, settings: Settings) -> AsyncIOScheduler:
    """The scheduled retrain and catalog refresh, on this event loop: the Discord client's and the
    console's alike, so that the next retrain /forget names runs in either."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(_scheduled_retrain, CronTrigger.from_crontab(settings.retrain_cron, timezone="UTC"),
                      args=[service], id=RETRAIN_JOB, max_instances=1, coalesce=True, misfire_grace_time=3600)
    # The fetch runs in a low-priority thread (CatalogRefresh), the swap between requests.
    scheduler.add_job(_scheduled_catalog_refresh, CronTrigger.from_crontab(settings.catalog_cron, timezone="UTC"),
                      args=[service], id=CATALOG_JOB, max_instances=1, coalesce=True, misfire_grace_time=6 * 3600)
    if settings.model_poll_seconds > 0:  # shards: another process's refresh is looked for as its models are
        scheduler.add_job(service.catalog_refresh.check_published, IntervalTrigger(seconds=settings.model_poll_seconds),
                          id=CATALOG_WATCH_JOB, max_instances=1, coalesce=True)
    scheduler.add_job(service.models.refresh_community, IntervalTrigger(minutes=COMMUNITY_FOLD_MINUTES),
                      id=COMMUNITY_FOLD_JOB, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler


async def _scheduled_retrain(service: Service) -> None:
    task = service.models.request_retrain()  # its end is logged by the model holder
    if task is None:
        log.info("scheduled retrain skipped: one is already running")
        return
    await task
    keep_out_of_collections()  # the new model's objects


async def _scheduled_catalog_refresh(service: Service) -> None:
    await service.catalog_refresh.refresh()
    keep_out_of_collections()  # the new catalog's objects


def keep_out_of_collections() -> None:
    """Move every object alive now (the catalog, the model, the service: hundreds of thousands of
    them) into the permanent generation. A full collection walks every tracked object, and with
    these in it each one held the event loop for 0.1-0.5 s, a stall every member waiting then paid;
    what is allocated afterwards is collected as usual. Without a collection first (that would be
    such a stall itself), garbage that exists now stays until close: a bounded, one-time amount."""
    gc.freeze()


class ShardedAnimeRecBot(AnimeRecBot, commands.AutoShardedBot):
    """The shards ANIMEREC_SHARD_IDS (all of them when unset) of ANIMEREC_SHARD_COUNT, in this process;
    other processes run the others, on the same database and models."""


def create_bot(settings: Settings | None = None, *, catalog: Catalog | None = None) -> AnimeRecBot:
    """An unstarted bot; its setup_hook opens the store and the model and starts the scheduler.
    Sharded (discord.py AutoShardedBot) when ANIMEREC_SHARD_COUNT is set."""
    settings = settings or Settings()
    if settings.sharded:
        shard_ids = list(settings.shard_ids) if settings.shard_ids is not None else None
        return ShardedAnimeRecBot(settings, catalog=catalog, shard_count=settings.shard_count, shard_ids=shard_ids)
    return AnimeRecBot(settings, catalog=catalog)
