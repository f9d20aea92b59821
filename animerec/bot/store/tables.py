"""What every feature's tables build on: one Backend (animerec.bot.store.backends), reads as SQL with `?`
placeholders, writes as plain functions of a Tx, and the timestamps they store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from animerec.bot.store.backends import Backend, Tx

T = TypeVar("T")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Tables:
    """Reads and writes over one Backend. Each feature's tables subclass it with their own SQL, and
    animerec.bot.store.store.Store composes them all over one backend."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._closed = False

    @property
    def dialect(self) -> str:
        """SQLITE or POSTGRESQL."""
        return self._backend.dialect

    @property
    def commits(self) -> int:
        """Write transactions committed: with SQLite, fewer than writes when concurrent ones are grouped."""
        return self._backend.commits

    async def close(self) -> None:
        """Finish the writes already queued, then close every connection."""
        if self._closed:
            return
        self._closed = True
        await self._backend.close()

    async def _write(self, write: Callable[[Tx], T]) -> T:
        """write(tx)'s result once the transaction it ran in is committed; its exception (StoreBusy
        for a database locked past the busy timeout) with nothing of it stored."""
        if self._closed:
            raise RuntimeError("the store is closed")
        return await self._backend.write(write)

    async def _aggregate(self, sql: str, params: Iterable = ()) -> tuple:
        """The one row an aggregate query (COUNT, MAX) always returns."""
        row = await self._one(sql, params)
        assert row is not None, sql
        return row

    async def _one(self, sql: str, params: Iterable = ()) -> tuple | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Iterable = ()) -> list[tuple]:
        return await self._backend.fetch(sql, tuple(params))
