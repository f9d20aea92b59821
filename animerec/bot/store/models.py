"""The models every process on one database shares: the registry of training runs, the one training
lock, and the notice that a new model is published."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from animerec.bot.store.backends import LOCK_TRAINING
from animerec.bot.store.tables import Tables, now

MODEL_CHANNEL = "animerec_model"  # PostgreSQL NOTIFY channel: a new model is published
INTERRUPTED = "interrupted: the bot stopped while it was training"


class TrainingStatus(enum.StrEnum):
    """A training run's status, stored as its value: the model_registry table's CHECK allows exactly these."""

    TRAINING = "training"
    READY = "ready"  # published: its version is the one served
    FAILED = "failed"


@dataclass(frozen=True)
class TrainingRecord:
    id: int
    started_at: str
    finished_at: str | None
    status: TrainingStatus
    version: str | None
    trained_at: str | None
    error: str | None


class ModelRegistry(Tables):
    async def try_training_lock(self) -> Callable[[], Awaitable[None]] | None:
        """The one training lock of every process on this database (a PostgreSQL advisory lock, a file
        lock beside a SQLite file): its release function, to await, or None when
        another process (or another store in this one) holds it. Held until released or the holder dies."""
        return await self._backend.try_lock(LOCK_TRAINING)

    async def notify_model(self, version: str) -> None:
        """Tell every process listening (PostgreSQL) that `version` is now the published model."""
        await self._backend.notify(MODEL_CHANNEL, version)

    async def listen_models(self, callback: Callable[[str], None]) -> bool:
        """callback(version) on each notify_model, from any process; False when the database has no
        notifications (SQLite: processes watch the shared models directory instead)."""
        return await self._backend.listen(MODEL_CHANNEL, callback)

    async def training_started(self) -> int:
        stamp = now()
        return await self._write(
            lambda db: db.fetch(
                "INSERT INTO model_registry (started_at, status) VALUES (?, ?) RETURNING id",
                (stamp, TrainingStatus.TRAINING),
            )[0][0]
        )

    async def abandon_unfinished_training(self) -> None:
        """Runs still TRAINING at start died with the previous bot process."""
        params = (TrainingStatus.FAILED, now(), INTERRUPTED, TrainingStatus.TRAINING)
        await self._write(lambda db: db.execute(
            "UPDATE model_registry SET status = ?, finished_at = ?, error = ? WHERE status = ?", params))

    async def training_finished(
        self, record_id: int, *, version: str | None = None, trained_at: str | None = None, error: str | None = None
    ) -> None:
        status = TrainingStatus.FAILED if error else TrainingStatus.READY
        params = (now(), status, version, trained_at, error, record_id)
        await self._write(lambda db: db.execute(
            "UPDATE model_registry SET finished_at = ?, status = ?, version = ?, trained_at = ?, error = ? "
            "WHERE id = ?",
            params,
        ))

    async def training_history(self, limit: int = 5) -> list[TrainingRecord]:
        """The latest runs, newest first."""
        rows = await self._all(
            "SELECT id, started_at, finished_at, status, version, trained_at, error FROM model_registry "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TrainingRecord(r[0], r[1], r[2], TrainingStatus(r[3]), *r[4:]) for r in rows]
