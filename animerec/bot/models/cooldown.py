"""How often a member (or the whole bot) may start something costly."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable


class Cooldown:
    """At most one use per `seconds` for each key. The clock is monotonic; tests may replace it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._used: dict[Hashable, float] = {}

    def remaining(self, key: Hashable) -> float:
        """Seconds until the key may be used again (0: now)."""
        used = self._used.get(key)
        return 0.0 if used is None else max(0.0, used + self.seconds - self.clock())

    def take(self, key: Hashable) -> float:
        """Use the key now and return 0, or return the seconds left without using it."""
        if left := self.remaining(key):
            return left
        now = self.clock()
        # Only keys still cooling down are kept, so the map stays as small as the recent users.
        self._used = {k: t for k, t in self._used.items() if t + self.seconds > now}
        self._used[key] = now
        return 0.0

    def give_back(self, key: Hashable) -> None:
        """Undo a take whose work came to nothing: the key may be used again at once."""
        self._used.pop(key, None)


def wait_text(seconds: float) -> str:
    """A wait as members read it: "42 s", "10 min", "9 min 5 s" (whole seconds, rounded up)."""
    minutes, secs = divmod(math.ceil(seconds), 60)
    if not minutes:
        return f"{secs} s"
    return f"{minutes} min" + (f" {secs} s" if secs else "")
