"""`python -m bot` runs the Discord bot; `--console` (or no DISCORD_TOKEN) the terminal REPL;
`--healthcheck` exits 0 only while a running bot is connected."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from pydantic import ValidationError

from bot import health
from bot.settings import Settings

log = logging.getLogger("bot")


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
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # This process only serves (training runs in a child process): small solves, one BLAS thread.
    from recsys.model import single_threaded_blas

    single_threaded_blas()
    if args.console or not settings.discord_token:
        if not args.console:
            log.info("no DISCORD_TOKEN set: running the console mode (the same commands, in this terminal)")
        asyncio.run(_console(settings))
        return 0
    from bot import create_bot

    create_bot(settings).run(settings.discord_token, log_handler=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
