"""The community's SQLite store: ratings, dismissals, guild settings and the model registry.

One aiosqlite connection in autocommit mode. Every write is one explicit transaction taken under
an asyncio lock, so transactions of concurrent commands never interleave on the shared
connection. WAL lets readers run while the training export or another process writes.
"""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

# Append-only: migration i brings the schema from version i to i + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE ratings (
            user_id INTEGER NOT NULL,
            anime_id INTEGER NOT NULL,
            rating REAL NOT NULL CHECK (rating = -1 OR rating BETWEEN 1 AND 10),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, anime_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE dismissals (
            user_id INTEGER NOT NULL,
            anime_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, anime_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE guild_settings (
            guild_id INTEGER PRIMARY KEY,
            hide_adult INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE model_registry (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('training', 'ready', 'failed')),
            version TEXT,
            trained_at TEXT,
            error TEXT
        )""",
    ),
    (
        # Watch-party votes outlive a restart: a row per party member, with the rank of the pick they
        # voted for (NULL: not yet).
        """CREATE TABLE party_votes (
            message_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            rank INTEGER,
            created_at TEXT NOT NULL,
            PRIMARY KEY (message_id, user_id)
        ) WITHOUT ROWID""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
DEFAULT_BUSY_TIMEOUT = 5.0
PARTY_DAYS = 7  # a watch party's vote closes (and its rows go) after this


class StoreBusy(RuntimeError):
    """The database stayed locked by another writer for longer than the busy timeout."""


@dataclass(frozen=True)
class StoredRating:
    anime_id: int
    rating: float
    updated_at: str


@dataclass(frozen=True)
class TrainingRecord:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    version: str | None
    trained_at: str | None
    error: str | None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        try:
            store = cls(conn)
            await store._one("PRAGMA journal_mode = WAL")  # returns a row: read it, or COMMIT sees it in progress
            await store._one(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            await store._migrate()
        except BaseException:
            await conn.close()
            raise
        return store

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _busy_or(exc) from exc
            try:
                yield self._conn
            except BaseException as exc:
                await self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise _busy_or(exc) from exc
                raise
            # A cancel (shutdown) cannot stop a COMMIT already handed to aiosqlite's thread: see it
            # through, or a ROLLBACK after it fails ("no transaction is active") in place of the cancel.
            commit = asyncio.ensure_future(self._conn.execute("COMMIT"))
            try:
                await asyncio.shield(commit)
            except asyncio.CancelledError:
                await asyncio.wait([commit])
                if commit.exception() is not None:
                    await self._conn.execute("ROLLBACK")
                raise
            except sqlite3.OperationalError as exc:
                await self._conn.execute("ROLLBACK")
                raise _busy_or(exc) from exc

    async def _migrate(self) -> None:
        async with self._transaction() as db:
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = (await self._one("SELECT MAX(version) FROM schema_version"))[0] or 0
            if current > SCHEMA_VERSION:
                raise RuntimeError(f"database schema {current} is newer than this bot ({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    await db.execute(statement)
                await db.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))

    async def schema_version(self) -> int:
        return (await self._one("SELECT MAX(version) FROM schema_version"))[0]

    async def _one(self, sql: str, params: Iterable = ()) -> tuple | None:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Iterable = ()) -> list[tuple]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    # --- ratings ------------------------------------------------------------------------------

    async def upsert_ratings(self, user_id: int, ratings: dict[int, float]) -> dict[int, float | None]:
        """Store ratings (re-rating replaces); returns each title's previous rating (None if new)."""
        stamp = now()
        async with self._transaction() as db:
            async with db.execute("SELECT anime_id, rating FROM ratings WHERE user_id = ?", (user_id,)) as cur:
                previous = dict(await cur.fetchall())
            await db.executemany(
                "INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, anime_id) DO UPDATE SET rating = excluded.rating, updated_at = excluded.updated_at",
                [(user_id, a, float(r), stamp) for a, r in ratings.items()],
            )
            # A title rated now is no longer dismissed.
            await db.executemany(
                "DELETE FROM dismissals WHERE user_id = ? AND anime_id = ?", [(user_id, a) for a in ratings]
            )
        return {a: previous.get(a) for a in ratings}

    async def delete_rating(self, user_id: int, anime_id: int) -> bool:
        async with self._transaction() as db:
            async with db.execute("DELETE FROM ratings WHERE user_id = ? AND anime_id = ?", (user_id, anime_id)) as cur:
                return cur.rowcount > 0

    async def ratings(self, user_id: int) -> list[StoredRating]:
        """A member's ratings, most recently updated first."""
        rows = await self._all(
            "SELECT anime_id, rating, updated_at FROM ratings WHERE user_id = ? ORDER BY updated_at DESC, anime_id",
            (user_id,),
        )
        return [StoredRating(*row) for row in rows]

    async def rating_map(self, user_id: int) -> dict[int, float]:
        return dict(await self._all("SELECT anime_id, rating FROM ratings WHERE user_id = ?", (user_id,)))

    async def rating_counts(self) -> tuple[int, int]:
        """(ratings, members) over the whole community."""
        row = await self._one("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM ratings")
        return row[0], row[1]

    async def export_ratings(self, path: Path) -> int:
        """Write every community rating as CSV user_id,anime_id,rating into a file only this user can
        read (mode 0600); returns the row count. The caller deletes it once done."""
        rows = await self._all("SELECT user_id, anime_id, rating FROM ratings ORDER BY user_id, anime_id")
        await asyncio.to_thread(_write_csv, path, ["user_id", "anime_id", "rating"], rows)
        return len(rows)

    # --- dismissals ---------------------------------------------------------------------------

    async def dismiss(self, user_id: int, anime_ids: Iterable[int]) -> None:
        stamp = now()
        async with self._transaction() as db:
            await db.executemany(
                "INSERT OR IGNORE INTO dismissals (user_id, anime_id, created_at) VALUES (?, ?, ?)",
                [(user_id, a, stamp) for a in anime_ids],
            )

    async def dismissals(self, user_id: int) -> set[int]:
        return {row[0] for row in await self._all("SELECT anime_id FROM dismissals WHERE user_id = ?", (user_id,))}

    async def forget(self, user_id: int) -> tuple[int, int]:
        """Delete everything stored about a member (watch-party votes too); returns (ratings, dismissals) deleted."""
        async with self._transaction() as db:
            async with db.execute("DELETE FROM ratings WHERE user_id = ?", (user_id,)) as cur:
                ratings = cur.rowcount
            async with db.execute("DELETE FROM dismissals WHERE user_id = ?", (user_id,)) as cur:
                dismissals = cur.rowcount
            await db.execute("DELETE FROM party_votes WHERE user_id = ?", (user_id,))
        return ratings, dismissals

    # --- watch-party votes --------------------------------------------------------------------

    async def open_party(self, message_id: int, user_ids: Iterable[int]) -> None:
        """The members who may vote on a watch-party message; parties older than PARTY_DAYS close."""
        cutoff = (datetime.now(UTC) - timedelta(days=PARTY_DAYS)).isoformat(timespec="seconds")
        stamp = now()
        async with self._transaction() as db:
            await db.execute("DELETE FROM party_votes WHERE created_at < ?", (cutoff,))
            await db.executemany(
                "INSERT OR IGNORE INTO party_votes (message_id, user_id, rank, created_at) VALUES (?, ?, NULL, ?)",
                [(message_id, u, stamp) for u in user_ids],
            )

    async def vote(self, message_id: int, user_id: int, rank: int) -> bool:
        """Record (or move) a member's vote; False when they are not in that party (or it closed)."""
        async with self._transaction() as db:
            async with db.execute(
                "UPDATE party_votes SET rank = ? WHERE message_id = ? AND user_id = ?", (rank, message_id, user_id)
            ) as cur:
                return cur.rowcount > 0

    async def party_tally(self, message_id: int) -> dict[int, int]:
        """rank -> votes, for the ranks that have any."""
        return dict(await self._all(
            "SELECT rank, COUNT(*) FROM party_votes WHERE message_id = ? AND rank IS NOT NULL GROUP BY rank",
            (message_id,),
        ))

    # --- guild settings -----------------------------------------------------------------------

    async def hide_adult(self, guild_id: int) -> bool:
        row = await self._one("SELECT hide_adult FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return bool(row and row[0])

    async def set_hide_adult(self, guild_id: int, hide: bool) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, hide_adult) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET hide_adult = excluded.hide_adult",
                (guild_id, int(hide)),
            )

    # --- model registry -----------------------------------------------------------------------

    async def training_started(self) -> int:
        async with self._transaction() as db:
            async with db.execute(
                "INSERT INTO model_registry (started_at, status) VALUES (?, 'training')", (now(),)
            ) as cur:
                return cur.lastrowid

    async def abandon_unfinished_training(self) -> None:
        """Runs still marked 'training' at start died with the previous bot process."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE model_registry SET status = 'failed', finished_at = ?, "
                "error = 'interrupted: the bot stopped while it was training' WHERE status = 'training'",
                (now(),),
            )

    async def training_finished(
        self, record_id: int, *, version: str | None = None, trained_at: str | None = None, error: str | None = None
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE model_registry SET finished_at = ?, status = ?, version = ?, trained_at = ?, error = ? "
                "WHERE id = ?",
                (now(), "failed" if error else "ready", version, trained_at, error, record_id),
            )

    async def training_history(self, limit: int = 5) -> list[TrainingRecord]:
        rows = await self._all(
            "SELECT id, started_at, finished_at, status, version, trained_at, error FROM model_registry "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TrainingRecord(*row) for row in rows]


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    # Member data: created 0600, and an existing file (from mkstemp) keeps its own mode.
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _busy_or(exc: sqlite3.OperationalError) -> Exception:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return StoreBusy(str(exc))
    return exc
