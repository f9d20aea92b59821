"""`python -m animerec.bot` runs the Discord bot; `--console` (or no DISCORD_TOKEN) the terminal REPL;
`--healthcheck` exits 0 only while a running bot is connected."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sqlite3
import sys
import tempfile

from pydantic import ValidationError

from animerec.bot.app import health
from animerec.bot.settings import Settings
from animerec.bot.store.backends import SQLITE, BadDatabaseURL, StoreUnavailable, parse_url, probe

log = logging.getLogger("animerec.bot")


def _data_dir_problem(settings: Settings) -> str | None:
    """Why the data directory cannot hold the database and the models, in one line; None if it can.

    Checked before anything opens: a fault found later would surface as a traceback from sqlite or
    from the training child, after the bot had started.
    """
    from animerec.recsys.lifecycle.artifacts import CURRENT  # here, not at the top: --healthcheck need not import numba

    for directory in (settings.data_dir, settings.models_dir):
        if directory.exists() and not directory.is_dir():
            return f"{directory} is not a directory"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create the data directory {directory} ({exc.strerror})"
        try:
            tempfile.TemporaryFile(dir=directory).close()  # a real write: catches read-only mounts too
        except OSError as exc:
            return f"the data directory {directory} is not writable ({exc.strerror})"
    db = settings.db_path if settings.database_url is None else None
    if db is not None and db.exists():
        try:
            open(db, "r+b").close()
        except OSError as exc:
            return f"the database {db} cannot be opened for writing ({exc.strerror})"
        if problem := _sqlite_problem(db):
            return problem
    if (settings.models_dir / CURRENT).is_dir():
        return f"{settings.models_dir / CURRENT} is a directory, not the name of a model version: move it away"
    return None


def _sqlite_problem(db) -> str | None:
    """Why SQLite cannot read the database file, in one line (a corrupt or foreign file); None if it can.
    Read-only: a damaged file is left as it is for the operator."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        return (f"the database {db} cannot be opened as a SQLite database ({exc}): move it aside to start "
                "afresh, or restore a backup")
    return None


def _database_problem(settings: Settings) -> str | None:
    """Why DATABASE_URL cannot be used, in one line (a bad URL, a server that cannot be reached); None if it can."""
    if settings.database_url is None:
        return None
    try:
        kind, _ = parse_url(settings.database_url)
        if kind != SQLITE:
            asyncio.run(probe(settings.database_url))
    except (BadDatabaseURL, StoreUnavailable) as exc:
        return str(exc)
    return None


async def _console(settings: Settings) -> None:
    from animerec.bot.console.console import run_console
    from animerec.bot.service import open_service

    service = await open_service(settings)
    try:
        await run_console(service, settings=settings)
    finally:
        await service.close()


async def _copy_database(settings: Settings, source: str) -> str:
    from animerec.bot.store import Store
    from animerec.bot.store.backends import sqlite_file

    if (path := sqlite_file(source)) is not None and not path.is_file():
        raise ValueError(f"{path} is not a SQLite database file")  # Store.open would create an empty one
    target = await Store.open(settings.database)
    try:
        origin = await Store.open(source)
        try:
            copied = await target.copy_from(origin)
        finally:
            await origin.close()
    finally:
        await target.close()
    return "copied " + ", ".join(f"{n} {table}" for table, n in copied.items())


async def _export_ratings(settings: Settings, path: str) -> str:
    from pathlib import Path

    from animerec.bot.store import Store

    store = await Store.open(settings.database)
    try:
        rows = await store.export_ratings(Path(path))
    finally:
        await store.close()
    return f"wrote {rows} ratings to {path} (user_id,anime_id,rating; readable by this user only)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m animerec.bot", description="animerec, the anime recommendation bot")
    parser.add_argument("--console", action="store_true", help="the commands in a terminal, as one local member")
    parser.add_argument("--healthcheck", action="store_true", help="exit 0 if the running bot is connected")
    parser.add_argument("--copy-database", metavar="SOURCE",
                        help="copy every row of SOURCE (a SQLite file or a database URL) into the bot's empty "
                             "database (DATABASE_URL), then exit")
    parser.add_argument("--export-ratings", metavar="PATH",
                        help="write the community's ratings as CSV (for python -m animerec.recsys train --extra), then exit")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"invalid settings:\n{exc}", file=sys.stderr)
        return 2
    if args.healthcheck:
        ok, why = health.check(settings.heartbeat_path)
        print(why)
        return 0 if ok else 1
    if problem := _data_dir_problem(settings) or _database_problem(settings):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.copy_database or args.export_ratings:
        try:
            if args.copy_database:
                print(asyncio.run(_copy_database(settings, args.copy_database)))
            else:
                print(asyncio.run(_export_ratings(settings, args.export_ratings)))
        except (BadDatabaseURL, StoreUnavailable, ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    token = None if args.console else settings.discord_token  # without one, the console runs
    # In a terminal the console's prompt stays clean: the log (training progress included) goes to a file.
    log_file = settings.data_dir / "animerec.log" if not token and sys.stdin.isatty() else None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        filename=log_file)
    # This process only serves (training runs in a child process): small solves, one BLAS thread.
    from animerec.recsys.model import single_threaded_blas

    single_threaded_blas()
    try:
        if not token:
            if log_file is not None:
                print(f"(the log goes to {log_file})", file=sys.stderr)
            if not args.console:
                log.info("no DISCORD_TOKEN set: running the console mode (the same commands, in this terminal)")
            asyncio.run(_console(settings))
            return 0
        from animerec.bot import create_bot

        create_bot(settings).run(token, log_handler=None)
    except StoreUnavailable as exc:  # the server went away between the check above and the start
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # anything else at start: one line for the operator, the traceback at DEBUG
        log.debug("the bot stopped", exc_info=True)
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
