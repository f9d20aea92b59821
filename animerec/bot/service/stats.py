"""/stats: the served model, the community's ratings and the retrain history."""

from __future__ import annotations

from animerec.bot.models.catalog import Currency
from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.results import Stats
from animerec.bot.store import Store, TrainingStatus


async def gather_stats(store: Store, models: ModelHolder, catalog: Currency | None = None) -> Stats:
    meta = models.meta
    ratings, members = await store.rating_counts()
    history = await store.training_history(20)
    running = [r for r in history if r.status == TrainingStatus.TRAINING]
    finished = [r for r in history if r.status != TrainingStatus.TRAINING]
    retry = models.next_training_at if meta is None else None
    return Stats(
        meta=meta,
        community_ratings=ratings,
        community_members=members,
        # Here, or in another process of a sharded bot (its run is in the shared registry).
        training_since=models.training_since or (running[0].started_at if running else None),
        last_training=finished[0] if finished else None,
        last_failure=next((r for r in finished if r.status == TrainingStatus.FAILED), None),
        next_training_at=retry.isoformat(timespec="seconds") if retry is not None else None,
        catalog=catalog.describe() if catalog is not None else None,
    )
