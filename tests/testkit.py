"""Helpers the bot and recsys tests share."""

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_HOLD_LOCK = """
import fcntl, sys, time

lock = open(sys.argv[1], "a")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


@contextlib.contextmanager
def lock_held_elsewhere(path: Path):
    """Another process holds an exclusive flock on path for the duration (a concurrent publisher)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        yield
    finally:
        holder.kill()
        holder.wait()


def unprivileged(cmd: list[str]) -> list[str]:
    """cmd run so that file modes bind: as root, without the capabilities that override them."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to bind")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *cmd]
