"""Running `python -m animerec.recsys train` as a child process: training never runs on the event loop,
and a crash or kill of the child cannot take the bot (or the model it serves) down with it."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
# The child shares the machine with the bot that serves. With two cores or more it is kept off one of
# them, which training then never takes from the bot, and its BLAS and numba pools (which read these
# variables when they load, in the child) are as large as the cores it may use. It runs at the lowest
# priority a process can be given without privileges (nice 19): a member's interaction that wakes the
# bot takes a core from it at once. Not SCHED_IDLE: that starves the child whenever anything else runs
# (a bot's first model, with members waiting for it, on a busy host).
NICENESS = 19
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_LINE_BREAK = re.compile(rb"[\r\n]+")  # tqdm redraws its bar with \r


class TrainingFailed(RuntimeError):
    """The training process did not publish a model; the message says why."""


def train_command(models_dir: Path, extra_csv: Path | None, config: str, catalog_overlay: Path | None = None
                  ) -> list[str]:
    cmd = [sys.executable, "-m", "animerec.recsys", "train", "--out", str(models_dir), "--config", config]
    if catalog_overlay is not None:
        cmd += ["--catalog-overlay", str(catalog_overlay)]
    return cmd + ["--extra", str(extra_csv)] if extra_csv is not None else cmd


def training_cpus() -> set[int]:
    """The CPUs the training child may use: all this process may, but one (left to the bot), when that
    leaves any."""
    cpus = os.sched_getaffinity(0)
    return cpus - {min(cpus)} if len(cpus) >= 2 else cpus


def training_threads() -> int:
    """Threads for the training child: one per CPU it may use."""
    return len(training_cpus())


def training_env() -> dict[str, str]:
    return {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(training_threads()))}


async def run_training(cmd: list[str], on_start: Callable[[int], None] = lambda pid: None) -> None:
    """Run the training command, logging its progress; TrainingFailed unless it exits 0."""
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=training_env(),
    )
    # Set from here rather than in the child before exec (preexec_fn is unsafe in a threaded process):
    # the child is still starting its interpreter, long before its first training step or thread.
    try:
        os.sched_setaffinity(proc.pid, training_cpus())
        os.setpriority(os.PRIO_PROCESS, proc.pid, max(NICENESS, os.getpriority(os.PRIO_PROCESS, 0)))
    except OSError:  # the child already exited: its exit code says what happened
        log.debug("could not lower the training process's priority", exc_info=True)
    on_start(proc.pid)
    log.info("training started (pid %d): %s", proc.pid, " ".join(cmd[1:]))
    tail: deque[str] = deque(maxlen=20)
    assert proc.stdout is not None  # stdout=PIPE
    try:
        pending = b""
        while chunk := await proc.stdout.read(4096):
            *lines, pending = _LINE_BREAK.split(pending + chunk)
            for raw in lines:
                if line := raw.decode(errors="replace").strip().removeprefix("... "):
                    tail.append(line)
                    log.info("training: %s", line)
        if line := pending.decode(errors="replace").strip():
            tail.append(line)
            log.info("training: %s", line)
        code = await proc.wait()
    finally:
        if proc.returncode is None:  # cancelled (bot shutting down): do not leave an orphan
            proc.kill()
            await proc.wait()
    if code == 0:
        return
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        raise TrainingFailed(f"the training process was killed by {name}")
    reason = next((line for line in reversed(tail) if line.startswith("error:")), tail[-1] if tail else "")
    raise TrainingFailed(f"the training process exited with code {code}" + (f": {reason[:300]}" if reason else ""))
