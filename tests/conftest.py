"""Session-wide test hooks."""

import os
import sys
import threading

import pytest

_status: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the process with pytest's own status even if a test leaked a non-daemon thread (an unclosed
    aiosqlite connection or executor would otherwise keep it alive after the summary, and CI with it).
    The leaked threads are named on stderr, so the leak stays visible."""
    leaked = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if leaked and _status:
        print(f"\nnote: {len(leaked)} non-daemon thread(s) still running at exit: "
              + ", ".join(t.name for t in leaked), file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_status[0])
