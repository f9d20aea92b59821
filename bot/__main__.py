"""`python -m bot` runs the Discord bot; `--console` (or no DISCORD_TOKEN) the terminal REPL;
`--healthcheck` exits 0 only while a running bot is connected."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile

from pydantic import ValidationError

from bot import health
from bot.settings import Settings

log = logging.getLogger("bot")


def _data_dir_problem(settings: Settings) -> str | None:
    """Why the data directory cannot hold the database and the models, in one line; None if it can.

    Checked before anything opens: a fault found later would surface as a traceback from sqlite or
    from the training child, after the bot had started.
    """
    from recsys.artifacts import CURRENT  # here, not at the top: --healthcheck need not import numba

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
    db = settings.db_path
    if db.exists():
        try:
            open(db, "r+b").close()
        except OSError as exc:
            return f"the database {db} cannot be opened for writing ({exc.strerror})"
    if (settings.models_dir / CURRENT).is_dir():
        return f"{settings.models_dir / CURRENT} is a directory, not the name of a model version: move it away"
    return None


async def _console(settings: Settings) -> None:
    from bot.console import run_console
    from bot.service import open_service

    service = await open_service(settings)
    try:
        await run_console(service)
    finally:
        await service.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="animerec, the anime recommendation bot")
    parser.add_argument("--console", action="store_true", help="the commands in a terminal, as one local member")
    parser.add_argument("--healthcheck", action="store_true", help="exit 0 if the running bot is connected")
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
    if problem := _data_dir_problem(settings):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    token = settings.discord_token
    console = args.console or not token
    # In a terminal the console's prompt stays clean: the log (training progress included) goes to a file.
    log_file = settings.data_dir / "animerec.log" if console and sys.stdin.isatty() else None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        filename=log_file)
    # This process only serves (training runs in a child process): small solves, one BLAS thread.
    from recsys.model import single_threaded_blas

    single_threaded_blas()
    if console or not token:
        if log_file is not None:
            print(f"(the log goes to {log_file})", file=sys.stderr)
        if not args.console:
            log.info("no DISCORD_TOKEN set: running the console mode (the same commands, in this terminal)")
        asyncio.run(_console(settings))
        return 0
    from bot import create_bot

    create_bot(settings).run(token, log_handler=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
