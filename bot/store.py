"""The community's SQLite store: ratings, dismissals, guild settings and the model registry.

Two connections. Writes go through a group commit: while any are pending, a committer task takes
every write queued during the previous commit and runs them, each in its own savepoint, in one
transaction on a sqlite3 connection with a thread of its own; each caller resumes once that
transaction is committed, so an acknowledged write is durable, and a failed write undoes itself
alone. A member's /rate then pays for one commit shared by everyone rating at that moment, not for a
queue of commits ahead of it. Reads go through an aiosqlite connection in autocommit mode; WAL lets
them run while the writer (or another process) writes, and they only ever see committed data.
"""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import aiosqlite

from recsys.meta import INTERACTION_COLUMNS

T = TypeVar("T")

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
    (
        # The community features (issue 10), in portable SQL. Who has used the bot in which server: a
        # server's views (/server top, /score, /taste's server profile) count these members only.
        """CREATE TABLE guild_members (
            guild_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, user_id)
        )""",
        "CREATE INDEX guild_members_by_user ON guild_members (user_id)",
        # /privacy: a hidden member counts only in anonymous aggregates. No row: visible.
        """CREATE TABLE member_privacy (
            user_id BIGINT PRIMARY KEY,
            hidden INTEGER NOT NULL
        )""",
        # /score reads one title's ratings within a server: covering, so no row is looked up (2 ms, not 9,
        # for a title 2,600 of 5,000 members gave).
        "CREATE INDEX ratings_by_anime ON ratings (anime_id, user_id, rating)",
        # A watch party's group and picks (for "We watched it", across restarts), and who confirmed.
        """CREATE TABLE parties (
            message_id BIGINT PRIMARY KEY,
            group_key TEXT NOT NULL,
            picks TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX parties_by_group ON parties (group_key)",
        """CREATE TABLE party_watched (
            message_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            anime_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (message_id, user_id)
        )""",
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
    def __init__(self, reader: aiosqlite.Connection, writer: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._reader = reader
        self._writer = writer  # used on the executor's one thread only
        self._executor = executor
        self._pending: list[tuple[Callable[[sqlite3.Connection], object], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None  # runs while writes are pending, none when idle
        self._closed = False
        self.commits = 0  # write transactions committed: fewer than writes when concurrent ones are grouped

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        try:
            writer = await asyncio.get_running_loop().run_in_executor(executor, _connect_writer, path, busy_timeout)
        except BaseException:
            executor.shutdown()
            raise
        try:
            reader = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        except BaseException:
            writer.close()
            executor.shutdown()
            raise
        store = cls(reader, writer, executor)
        try:
            await store._write(_migrate)
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        """Commit the writes already queued, then close both connections."""
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            await self._committer
        await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
        self._executor.shutdown()
        await self._reader.close()

    async def _write(self, write: Callable[[sqlite3.Connection], T]) -> T:
        """write(connection)'s result once the group commit it ran in is committed; its exception
        (StoreBusy for a database locked past the busy timeout) with nothing of it stored."""
        if self._closed:
            raise RuntimeError("the store is closed")
        done = asyncio.get_running_loop().create_future()
        self._pending.append((write, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending(), name="store-group-commit")
        return await done

    async def _commit_pending(self) -> None:
        """Commit what is pending as one group, then what queued meanwhile, until nothing is left."""
        loop = asyncio.get_running_loop()
        while self._pending:
            group = [w for w in self._pending if not w[1].cancelled()]  # a cancelled caller wrote nothing
            self._pending = []
            if not group:
                continue
            try:
                outcomes = await loop.run_in_executor(self._executor, self._commit, [w for w, _ in group])
            except Exception as exc:  # never leave a caller waiting
                outcomes = [(False, exc)] * len(group)
            for (_, done), (ok, value) in zip(group, outcomes):
                if done.done():  # its caller was cancelled meanwhile; the write stands
                    continue
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(value)

    def _commit(self, writes: list[Callable[[sqlite3.Connection], object]]) -> list[tuple[bool, object]]:
        """On the writer thread: the writes in one transaction; (True, result) or (False, exception) each."""
        db = self._writer
        try:
            db.execute("BEGIN IMMEDIATE")
            outcomes = [_savepoint(db, write) for write in writes]
            db.execute("COMMIT")
        except Exception as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            return [(False, _busy_or(exc)) for _ in writes]
        self.commits += 1
        return outcomes

    async def schema_version(self) -> int:
        return (await self._one("SELECT MAX(version) FROM schema_version"))[0]

    async def _one(self, sql: str, params: Iterable = ()) -> tuple | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Iterable = ()) -> list[tuple]:
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    # --- ratings ------------------------------------------------------------------------------

    async def upsert_ratings(self, user_id: int, ratings: dict[int, float]) -> dict[int, float | None]:
        """Store ratings (re-rating replaces); returns each title's previous rating (None if new)."""
        rows = [(user_id, a, float(r), now()) for a, r in ratings.items()]

        def write(db: sqlite3.Connection) -> dict[int, float | None]:
            previous = dict(db.execute("SELECT anime_id, rating FROM ratings WHERE user_id = ?", (user_id,)))
            db.executemany(
                "INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, anime_id) DO UPDATE SET rating = excluded.rating, updated_at = excluded.updated_at",
                rows,
            )
            # A title rated now is no longer dismissed.
            db.executemany("DELETE FROM dismissals WHERE user_id = ? AND anime_id = ?", [(user_id, a) for a in ratings])
            return {a: previous.get(a) for a in ratings}

        return await self._write(write)

    async def delete_rating(self, user_id: int, anime_id: int) -> bool:
        return await self._write(
            lambda db: db.execute(
                "DELETE FROM ratings WHERE user_id = ? AND anime_id = ?", (user_id, anime_id)
            ).rowcount > 0
        )

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
        await asyncio.to_thread(_write_csv, path, INTERACTION_COLUMNS, rows)
        return len(rows)

    # --- dismissals ---------------------------------------------------------------------------

    async def dismiss(self, user_id: int, anime_ids: Iterable[int]) -> None:
        rows = [(user_id, a, now()) for a in anime_ids]
        await self._write(
            lambda db: db.executemany(
                "INSERT OR IGNORE INTO dismissals (user_id, anime_id, created_at) VALUES (?, ?, ?)", rows
            )
        )

    async def dismissals(self, user_id: int) -> set[int]:
        return {row[0] for row in await self._all("SELECT anime_id FROM dismissals WHERE user_id = ?", (user_id,))}

    async def forget(self, user_id: int) -> tuple[int, int]:
        """Delete everything stored about a member (watch-party votes and confirmations, the servers they
        were seen in, their privacy setting); returns (ratings, dismissals) deleted."""
        def write(db: sqlite3.Connection) -> tuple[int, int]:
            ratings = db.execute("DELETE FROM ratings WHERE user_id = ?", (user_id,)).rowcount
            dismissals = db.execute("DELETE FROM dismissals WHERE user_id = ?", (user_id,)).rowcount
            db.execute("DELETE FROM party_votes WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM party_watched WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM parties WHERE group_key LIKE ?", (f"%,{user_id},%",))
            db.execute("DELETE FROM guild_members WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM member_privacy WHERE user_id = ?", (user_id,))
            return ratings, dismissals

        return await self._write(write)

    # --- watch-party votes --------------------------------------------------------------------

    async def open_party(self, message_id: int, user_ids: Iterable[int]) -> None:
        """The members who may vote on a watch-party message; parties older than PARTY_DAYS close."""
        cutoff = (datetime.now(UTC) - timedelta(days=PARTY_DAYS)).isoformat(timespec="seconds")
        rows = [(message_id, u, now()) for u in user_ids]

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM party_votes WHERE created_at < ?", (cutoff,))
            db.executemany(
                "INSERT OR IGNORE INTO party_votes (message_id, user_id, rank, created_at) VALUES (?, ?, NULL, ?)", rows
            )

        await self._write(write)

    async def vote(self, message_id: int, user_id: int, rank: int) -> bool:
        """Record (or move) a member's vote; False when they are not in that party (or it closed)."""
        return await self._write(lambda db: db.execute(
            "UPDATE party_votes SET rank = ? WHERE message_id = ? AND user_id = ?", (rank, message_id, user_id)
        ).rowcount > 0)

    async def party_tally(self, message_id: int) -> dict[int, int]:
        """rank -> votes, for the ranks that have any."""
        return dict(await self._all(
            "SELECT rank, COUNT(*) FROM party_votes WHERE message_id = ? AND rank IS NOT NULL GROUP BY rank",
            (message_id,),
        ))

    async def open_party_picks(self, message_id: int, user_ids: Iterable[int], anime_ids: Iterable[int]) -> None:
        """A watch party's group and its picks, rank order, for "We watched it" (kept past the vote)."""
        row = (message_id, group_key(user_ids), ",".join(str(a) for a in anime_ids), now())
        await self._write(lambda db: db.execute(
            "INSERT INTO parties (message_id, group_key, picks, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO NOTHING", row))

    async def party(self, message_id: int) -> tuple[str, list[int]] | None:
        """(group key, picks in rank order) of a party message, or None."""
        row = await self._one("SELECT group_key, picks FROM parties WHERE message_id = ?", (message_id,))
        if row is None:
            return None
        return row[0], [int(a) for a in row[1].split(",") if a]

    async def party_members(self, message_id: int) -> set[int]:
        row = await self._one("SELECT group_key FROM parties WHERE message_id = ?", (message_id,))
        return {int(u) for u in row[0].strip(",").split(",") if u} if row else set()

    async def confirm_watched(self, message_id: int, user_id: int, anime_id: int) -> bool:
        """A party member watched the party's title: recorded once per member and party (a second
        click changes nothing), and the title is marked watched for them unless they rated it. False
        when they had confirmed already."""
        stamp = now()

        def write(db: sqlite3.Connection) -> bool:
            added = db.execute(
                "INSERT INTO party_watched (message_id, user_id, anime_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (message_id, user_id) DO NOTHING", (message_id, user_id, anime_id, stamp)).rowcount > 0
            db.execute("INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, -1, ?) "
                       "ON CONFLICT (user_id, anime_id) DO NOTHING", (user_id, anime_id, stamp))
            db.execute("DELETE FROM dismissals WHERE user_id = ? AND anime_id = ?", (user_id, anime_id))
            return added

        return await self._write(write)

    async def watched_count(self, message_id: int) -> int:
        """Members who confirmed watching a party's title."""
        return (await self._one("SELECT COUNT(*) FROM party_watched WHERE message_id = ?", (message_id,)))[0]

    async def watched_by_group(self, user_ids: Iterable[int], limit: int = 3) -> list[tuple[int, int, str]]:
        """What this exact group confirmed watching at earlier parties, latest first: (anime id, members
        who confirmed, when)."""
        rows = await self._all(
            "SELECT w.anime_id, COUNT(*), MAX(w.created_at) FROM parties p "
            "JOIN party_watched w ON w.message_id = p.message_id WHERE p.group_key = ? "
            "GROUP BY w.anime_id ORDER BY MAX(w.created_at) DESC, w.anime_id LIMIT ?",
            (group_key(user_ids), limit))
        return [(int(a), int(n), str(at)) for a, n, at in rows]

    # --- servers and privacy ------------------------------------------------------------------

    async def add_guild_member(self, guild_id: int, user_id: int) -> None:
        stamp = now()
        await self._write(lambda db: db.execute(
            "INSERT INTO guild_members (guild_id, user_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO NOTHING", (guild_id, user_id, stamp)))

    async def add_guild_members(self, guild_id: int, user_ids: Iterable[int]) -> None:
        rows = [(guild_id, u, now()) for u in user_ids]
        await self._write(lambda db: db.executemany(
            "INSERT INTO guild_members (guild_id, user_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO NOTHING", rows))

    async def remove_guild_member(self, guild_id: int, user_id: int) -> None:
        await self._write(lambda db: db.execute(
            "DELETE FROM guild_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)))

    async def guild_member_ids(self, guild_id: int) -> set[int]:
        return {r[0] for r in await self._all("SELECT user_id FROM guild_members WHERE guild_id = ?", (guild_id,))}

    async def is_guild_member(self, guild_id: int, user_id: int) -> bool:
        return await self._one("SELECT 1 FROM guild_members WHERE guild_id = ? AND user_id = ?",
                               (guild_id, user_id)) is not None

    async def guild_title_counts(self, guild_id: int, loved: float) -> tuple[list[tuple], int]:
        """Per title over the server's members: (anime_id, given, scored, score sum, scored >= loved),
        and how many of its members have any rating."""
        rows = await self._all(
            "SELECT r.anime_id, COUNT(*), SUM(CASE WHEN r.rating > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN r.rating > 0 THEN r.rating ELSE 0 END), SUM(CASE WHEN r.rating >= ? THEN 1 ELSE 0 END) "
            "FROM ratings r JOIN guild_members g ON g.user_id = r.user_id WHERE g.guild_id = ? "
            "GROUP BY r.anime_id ORDER BY r.anime_id", (loved, guild_id))
        members = await self._one(
            "SELECT COUNT(DISTINCT r.user_id) FROM ratings r JOIN guild_members g ON g.user_id = r.user_id "
            "WHERE g.guild_id = ?", (guild_id,))
        return rows, members[0]

    async def guild_title_ratings(self, guild_id: int, anime_id: int) -> list[tuple[int, float, bool]]:
        """One title's ratings by the server's members: (user_id, rating, hidden)."""
        rows = await self._all(
            "SELECT r.user_id, r.rating, COALESCE(p.hidden, 0) FROM ratings r "
            "JOIN guild_members g ON g.user_id = r.user_id AND g.guild_id = ? "
            "LEFT JOIN member_privacy p ON p.user_id = r.user_id WHERE r.anime_id = ?", (guild_id, anime_id))
        return [(int(u), float(r), bool(h)) for u, r, h in rows]

    async def set_hidden(self, user_id: int, hidden: bool) -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO member_privacy (user_id, hidden) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET hidden = excluded.hidden", (user_id, int(hidden))))

    async def is_hidden(self, user_id: int) -> bool:
        row = await self._one("SELECT hidden FROM member_privacy WHERE user_id = ?", (user_id,))
        return bool(row and row[0])

    # --- guild settings -----------------------------------------------------------------------

    async def hide_adult(self, guild_id: int) -> bool:
        row = await self._one("SELECT hide_adult FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return bool(row and row[0])

    async def set_hide_adult(self, guild_id: int, hide: bool) -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO guild_settings (guild_id, hide_adult) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET hide_adult = excluded.hide_adult",
            (guild_id, int(hide)),
        ))

    # --- model registry -----------------------------------------------------------------------

    async def training_started(self) -> int:
        stamp = now()
        return await self._write(
            lambda db: db.execute(
                "INSERT INTO model_registry (started_at, status) VALUES (?, 'training')", (stamp,)
            ).lastrowid
        )

    async def abandon_unfinished_training(self) -> None:
        """Runs still marked 'training' at start died with the previous bot process."""
        stamp = now()
        await self._write(lambda db: db.execute(
            "UPDATE model_registry SET status = 'failed', finished_at = ?, "
            "error = 'interrupted: the bot stopped while it was training' WHERE status = 'training'",
            (stamp,),
        ))

    async def training_finished(
        self, record_id: int, *, version: str | None = None, trained_at: str | None = None, error: str | None = None
    ) -> None:
        params = (now(), "failed" if error else "ready", version, trained_at, error, record_id)
        await self._write(lambda db: db.execute(
            "UPDATE model_registry SET finished_at = ?, status = ?, version = ?, trained_at = ?, error = ? "
            "WHERE id = ?",
            params,
        ))

    async def training_history(self, limit: int = 5) -> list[TrainingRecord]:
        rows = await self._all(
            "SELECT id, started_at, finished_at, status, version, trained_at, error FROM model_registry "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TrainingRecord(*row) for row in rows]


def group_key(user_ids: Iterable[int]) -> str:
    """A group of members as one key, whatever the order: ",1,5,9," (so LIKE '%,5,%' finds a member)."""
    return "," + ",".join(str(u) for u in sorted(set(user_ids))) + ","


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    # Member data: created 0600, and an existing file (from mkstemp) keeps its own mode.
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _connect_writer(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    return conn


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"database schema {current} is newer than this bot ({SCHEMA_VERSION})")
    for version in range(current, SCHEMA_VERSION):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))


def _savepoint(db: sqlite3.Connection, write: Callable[[sqlite3.Connection], object]) -> tuple[bool, object]:
    db.execute("SAVEPOINT write")
    try:
        return True, write(db)
    except Exception as exc:  # undo this write alone: the rest of its group still commits
        db.execute("ROLLBACK TO write")
        return False, _busy_or(exc)
    finally:
        db.execute("RELEASE write")


def _busy_or(exc: Exception) -> Exception:
    message = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        busy = StoreBusy(str(exc))
        busy.__cause__ = exc
        return busy
    return exc
