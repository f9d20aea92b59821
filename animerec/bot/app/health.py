"""The Docker HEALTHCHECK: the bot touches a heartbeat file while connected to Discord, and
`python -m animerec.bot --healthcheck` fails when the file is missing or stale."""

from __future__ import annotations

import time
from pathlib import Path

INTERVAL = 30  # seconds between beats
MAX_AGE = 3 * INTERVAL  # a beat or two may be late (event loop busy, reconnect) before we call it down


def beat(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def clear(path: Path) -> None:
    path.unlink(missing_ok=True)


def check(path: Path, now: float | None = None) -> tuple[bool, str]:
    """(healthy, why) from the heartbeat file's age."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: the bot is not connected to Discord"
    if age > MAX_AGE:
        return False, f"last heartbeat {age:.0f}s ago (limit {MAX_AGE}s): the bot is not connected"
    return True, f"connected (heartbeat {age:.0f}s ago)"
