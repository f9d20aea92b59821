"""The two databases behind animerec.bot.store: SQLite (one machine, the default) and PostgreSQL (several
processes, several machines). Each feature's tables write their SQL once, with `?` placeholders, and their
writes as plain functions of a Tx (animerec.bot.store.tables); a backend runs them.

SQLite: writes go through a group commit. While any are pending, a committer task takes every write
queued during the previous commit and runs them, each in its own savepoint, in one transaction on a
sqlite3 connection with a thread of its own; each caller resumes once that transaction is committed,
so an acknowledged write is durable, and a failed write undoes itself alone. A member's /rate then
pays for one commit shared by everyone rating at that moment, not for a queue of commits ahead of
it. Reads go through an aiosqlite connection in autocommit mode; WAL lets them run while the writer
(or another process) writes, and they only ever see committed data.

PostgreSQL (asyncpg): the server takes concurrent writers itself, so each write is a transaction of
its own on a pooled connection, acknowledged once committed. A write function runs on a worker
thread and each of its statements on the event loop (Tx is synchronous, so one write function
serves both databases); a cancelled caller leaves its write to finish or fail whole, as with SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import aiosqlite

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE, POSTGRESQL = "sqlite", "postgresql"
POSTGRES_SCHEMES = ("postgresql", "postgres")
# Advisory lock keys (PostgreSQL's two-int form): this application's namespace, then what is locked.
LOCK_NAMESPACE = 0x616E6972  # "anir"
MEMBER_NAMESPACE = LOCK_NAMESPACE + 1
LOCK_MIGRATIONS, LOCK_TRAINING = 1, 2
CONNECT_TIMEOUT = 10.0  # seconds to reach the PostgreSQL server before giving up with one line
# A lost LISTEN connection is reopened after this many seconds, doubling up to the cap while the
# server stays out of reach.
RELISTEN_FIRST, RELISTEN_MAX = 0.5, 30.0


class StoreBusy(RuntimeError):
    """The database stayed locked by another writer for longer than the busy timeout (or, with
    PostgreSQL, the server could not take the write right now: a dropped connection, a deadlock)."""


class StoreUnavailable(RuntimeError):
    """The database cannot be opened at all; str() is one line for the operator (no password in it)."""


class BadDatabaseURL(ValueError):
    """DATABASE_URL names no database this bot can use; str() is one line."""


class Tx(Protocol):
    """One transaction, seen synchronously by a write function."""

    dialect: str

    def execute(self, sql: str, params: Sequence = ()) -> int: ...  # the rows it changed

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None: ...

    def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]: ...

    def lock(self, namespace: int, key: int) -> None: ...  # serialize with other writers of key until commit


class Backend(Protocol):
    dialect: str
    commits: int

    async def write(self, write: Callable[[Tx], T]) -> T: ...

    async def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]: ...

    async def try_lock(self, key: int) -> Callable[[], Awaitable[None]] | None: ...

    async def notify(self, channel: str, payload: str) -> None: ...

    async def listen(self, channel: str, callback: Callable[[str], None]) -> bool: ...

    async def close(self) -> None: ...


# --- DATABASE_URL --------------------------------------------------------------------------------


def parse_url(url: str) -> tuple[str, str | Path]:
    """(SQLITE, path) or (POSTGRESQL, dsn) for DATABASE_URL; BadDatabaseURL with the reason in one line."""
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise BadDatabaseURL(f"DATABASE_URL {redact(text)} has a port that is not a number") from None
        if not parts.hostname and "host=" not in parts.query:
            raise BadDatabaseURL(f"DATABASE_URL {redact(text)} names no host: postgresql://user:password@host:5432/db")
        return POSTGRESQL, text
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
        path = text[len("sqlite:///"):] if text.lower().startswith("sqlite:///") else ""
        if not path:
            raise BadDatabaseURL(f"DATABASE_URL {text} names no file: sqlite:///path/to/animerec.sqlite3")
        return SQLITE, Path(path)
    shown = redact(text) if "://" in text else repr(text[:40])
    raise BadDatabaseURL(f"DATABASE_URL {shown} is not a database URL this bot reads: "
                         "postgresql://user:password@host:5432/db, or sqlite:///path (unset: SQLite in the data directory)")


def redact(url: str) -> str:
    """url without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


async def probe(url: str) -> None:
    """StoreUnavailable (one line) unless the database DATABASE_URL names can be reached now."""
    kind, where = parse_url(url)
    if kind == SQLITE:
        return
    asyncpg = _asyncpg()
    try:
        conn = await asyncpg.connect(str(where), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise _connect_error(str(where), exc) from exc
    await conn.close()


async def open_backend(target: Path | str, busy_timeout: float) -> Backend:
    """A Path or sqlite URL opens SQLite; a postgresql:// URL opens PostgreSQL."""
    if isinstance(target, Path):
        return await SqliteBackend.open(target, busy_timeout)
    kind, where = parse_url(target) if "://" in target else (SQLITE, Path(target))
    if kind == SQLITE:
        return await SqliteBackend.open(Path(where), busy_timeout)
    return await PostgresBackend.open(str(where), busy_timeout)


# --- SQLite --------------------------------------------------------------------------------------


class _SqliteTx:
    dialect = SQLITE

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        self._db.executemany(sql, rows)

    def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def lock(self, namespace: int, key: int) -> None:
        pass  # one writer connection and BEGIN IMMEDIATE: writes are serialized already


class SqliteBackend:
    dialect = SQLITE

    def __init__(self, path: Path, reader: aiosqlite.Connection, writer: sqlite3.Connection,
                 executor: ThreadPoolExecutor) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer  # used on the executor's one thread only
        self._executor = executor
        self._pending: list[tuple[Callable[[Tx], object], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None  # runs while writes are pending, none when idle
        self.commits = 0  # write transactions committed: fewer than writes when concurrent ones are grouped

    @classmethod
    async def open(cls, path: Path, busy_timeout: float) -> SqliteBackend:
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
        return cls(Path(path), reader, writer, executor)

    async def close(self) -> None:
        """Commit the writes already queued, then close both connections."""
        if self._committer is not None:
            await self._committer
        await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
        self._executor.shutdown()
        await self._reader.close()

    async def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(row) for row in await self._reader.execute_fetchall(sql, tuple(params))]

    async def write(self, write: Callable[[Tx], T]) -> T:
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
                    done.set_exception(cast(BaseException, value))

    def _commit(self, writes: list[Callable[[Tx], object]]) -> list[tuple[bool, object]]:
        """On the writer thread: the writes in one transaction; (True, result) or (False, exception) each."""
        db = self._writer
        try:
            db.execute("BEGIN IMMEDIATE")
            outcomes = [_savepoint(db, write) for write in writes]
            db.execute("COMMIT")
        except Exception as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            return [(False, _sqlite_busy_or(exc)) for _ in writes]
        self.commits += 1
        return outcomes

    async def try_lock(self, key: int) -> Callable[[], Awaitable[None]] | None:
        """An exclusive lock shared by every process on this database file (flock on a file beside it);
        its (async) release function, or None when another holds it."""
        lock = open(self.path.with_name(f"{self.path.name}.lock-{key}"), "a")  # never deleted: one inode
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        except BaseException:
            lock.close()
            raise

        async def release() -> None:
            lock.close()  # closing the file releases the flock

        return release

    async def notify(self, channel: str, payload: str) -> None:
        pass  # processes on one SQLite file share the models directory: they watch `current` instead

    async def listen(self, channel: str, callback: Callable[[str], None]) -> bool:
        return False


def _connect_writer(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    # Switching a new database to WAL needs it to itself, and SQLite answers "database is locked" at
    # once, without its busy handler, while another process or store is opening it too: look again
    # until the busy timeout, as any other write would wait.
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                conn.close()
                raise
            time.sleep(0.01)


def _savepoint(db: sqlite3.Connection, write: Callable[[Tx], object]) -> tuple[bool, object]:
    db.execute("SAVEPOINT write")
    try:
        return True, write(_SqliteTx(db))
    except Exception as exc:  # undo this write alone: the rest of its group still commits
        db.execute("ROLLBACK TO write")
        return False, _sqlite_busy_or(exc)
    finally:
        db.execute("RELEASE write")


def _sqlite_busy_or(exc: Exception) -> Exception:
    message = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        busy = StoreBusy(str(exc))
        busy.__cause__ = exc
        return busy
    return exc


# --- PostgreSQL ----------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\?")


@functools.lru_cache(maxsize=256)
def postgres_sql(sql: str) -> str:
    """The store's `?` placeholders as PostgreSQL's $1, $2, ... (no `?` appears in its literals)."""
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    """asyncpg's command tag ("DELETE 3", "INSERT 0 1") -> rows changed."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PostgresTx:
    dialect = POSTGRESQL

    def __init__(self, conn, loop: asyncio.AbstractEventLoop) -> None:
        self._conn = conn
        self._loop = loop

    def _run(self, coro):  # on the write's worker thread: the statement itself runs on the event loop
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def execute(self, sql: str, params: Sequence = ()) -> int:
        return _rowcount(self._run(self._conn.execute(postgres_sql(sql), *params)))

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            self._run(self._conn.executemany(postgres_sql(sql), rows))

    def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(r) for r in self._run(self._conn.fetch(postgres_sql(sql), *params))]

    def lock(self, namespace: int, key: int) -> None:
        self._run(self._conn.execute("SELECT pg_advisory_xact_lock($1, $2)", namespace, key % 2**31))


def _asyncpg():
    try:
        import asyncpg
    except ImportError:
        raise StoreUnavailable("DATABASE_URL is a PostgreSQL URL but asyncpg is not installed: "
                               "pip install 'animerec[postgres]'") from None
    return asyncpg


def _postgres_busy_or(exc: BaseException) -> BaseException:
    asyncpg = _asyncpg()
    transient = (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError, asyncpg.SerializationError,
                 asyncpg.QueryCanceledError, asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError,
                 asyncpg.PostgresConnectionError, asyncpg.ConnectionDoesNotExistError, ConnectionError)
    if isinstance(exc, transient):
        busy = StoreBusy(str(exc) or type(exc).__name__)
        busy.__cause__ = exc
        return busy
    return exc


def _connect_error(url: str, exc: BaseException) -> StoreUnavailable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {CONNECT_TIMEOUT:g} s"
    return StoreUnavailable(f"cannot connect to the PostgreSQL server at {redact(url)}: {reason}")


class PostgresBackend:
    dialect = POSTGRESQL

    def __init__(self, url: str, pool, max_size: int, server_settings: dict[str, str]) -> None:
        self.url = url
        self._pool = pool
        self._server_settings = server_settings
        self._executor = ThreadPoolExecutor(max_size, thread_name_prefix="store-pg-write")
        self._writes: set[asyncio.Task] = set()
        self._listener: Any = None  # an asyncpg connection of its own, opened by the first listen()
        self._listeners: dict[str, Callable[[str], None]] = {}  # channel -> callback, re-listened on a new connection
        self._relisten: asyncio.Task[None] | None = None
        self._closing = False
        self.commits = 0

    @classmethod
    async def open(cls, url: str, busy_timeout: float, max_size: int = 10) -> PostgresBackend:
        asyncpg = _asyncpg()
        # lock_timeout: a write waits for another's row or advisory lock this long, then StoreBusy.
        settings = {"lock_timeout": str(int(busy_timeout * 1000)), "application_name": "animerec"}
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size, timeout=CONNECT_TIMEOUT,
                                             server_settings=settings)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise _connect_error(url, exc) from exc
        return cls(url, pool, max_size, settings)

    async def _connect(self):
        return await _asyncpg().connect(self.url, timeout=CONNECT_TIMEOUT, server_settings=self._server_settings)

    async def close(self) -> None:
        self._closing = True
        if self._relisten is not None:
            self._relisten.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relisten
        if self._writes:  # writes already running finish (committed or not) before the pool closes
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        await self._pool.close()
        self._executor.shutdown()

    async def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]:
        try:
            return [tuple(r) for r in await self._pool.fetch(postgres_sql(sql), *params)]
        except Exception as exc:
            error = _postgres_busy_or(exc)
            if error is exc:
                raise
            raise error from exc

    async def write(self, write: Callable[[Tx], T]) -> T:
        task = asyncio.create_task(self._transaction(write), name="store-write")
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        # Shielded: a cancelled caller does not cut its transaction short midway (the write stands or fails whole).
        return await asyncio.shield(task)

    async def _transaction(self, write: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                result = await loop.run_in_executor(self._executor, write, _PostgresTx(conn, loop))
        except Exception as exc:
            error = _postgres_busy_or(exc)
            if error is exc:
                raise
            raise error from exc
        self.commits += 1
        return result

    async def try_lock(self, key: int) -> Callable[[], Awaitable[None]] | None:
        """A session-level advisory lock on a connection of its own, shared by every process on this
        database; its (async) release function, or None when another session holds it. A process that dies
        loses its connection, and the lock with it."""
        conn = await self._connect()
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_NAMESPACE, key):
                await conn.close()
                return None
        except BaseException:
            conn.terminate()
            raise
        return conn.close

    async def notify(self, channel: str, payload: str) -> None:
        await self._pool.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> bool:
        """callback(payload) on every NOTIFY on channel (from any process), on a connection of its own.
        Should the server drop that connection, it is reopened (with backoff) and every callback is
        called once with an empty payload: what was sent meanwhile is lost, so listeners look again."""
        self._listeners[channel] = callback
        if self._listener is None:
            self._listener = await self._open_listener()
        else:
            await self._listener.add_listener(channel, self._notified)
        return True

    def _notified(self, _conn, _pid, channel: str, payload: str) -> None:
        if (callback := self._listeners.get(channel)) is not None:
            callback(payload)

    async def _open_listener(self):
        conn = await self._connect()
        try:
            for channel in self._listeners:
                await conn.add_listener(channel, self._notified)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._listener_lost)
        return conn

    def _listener_lost(self, conn) -> None:
        if self._closing or conn is not self._listener:
            return
        log.warning("the PostgreSQL LISTEN connection was lost: reopening it")
        self._listener = None
        self._relisten = asyncio.get_running_loop().create_task(self._reopen_listener(), name="store-relisten")

    async def _reopen_listener(self) -> None:
        delay = RELISTEN_FIRST
        while True:
            try:
                self._listener = await self._open_listener()
                break
            except Exception as exc:  # the server restarting, the network down: try again later
                log.warning("reopening the PostgreSQL LISTEN connection failed (%s); next try in %.1f s",
                            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RELISTEN_MAX)
        log.info("the PostgreSQL LISTEN connection is open again")
        for callback in list(self._listeners.values()):
            callback("")


def sqlite_file(target: Path | str) -> Path | None:
    """The SQLite file a Store target names; None for PostgreSQL."""
    if isinstance(target, Path):
        return target
    if "://" not in target:
        return Path(target)
    kind, where = parse_url(target)
    return Path(where) if kind == SQLITE else None

