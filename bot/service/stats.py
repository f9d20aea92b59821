"""/stats: the served model, the community's ratings and the retrain history."""

from __future__ import annotations

from bot.service.model_holder import ModelHolder
from bot.service.results import Stats
from bot.store import Store


async def gather_stats(store: Store, models: ModelHolder) -> Stats:
    model = models.model
    meta = model.meta if model is not None else {}
    ratings, members = await store.rating_counts()
    history = await store.training_history(20)
    finished = [r for r in history if r.status != "training"]
    retry = models.next_training_at if model is None else None
    return Stats(
        model_version=meta.get("version"),
        trained_at=meta.get("trained_at"),
        counts=meta.get("counts", {}),
        evaluation=meta.get("evaluation") or {},
        community_ratings=ratings,
        community_members=members,
        training_since=models.training_since,
        last_training=finished[0] if finished else None,
        last_failure=next((r for r in finished if r.status == "failed"), None),
        next_training_at=retry.isoformat(timespec="seconds") if retry is not None else None,
    )
