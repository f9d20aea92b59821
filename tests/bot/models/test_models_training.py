"""models/training.py on its own: the training child's command line, its log, and how its end reads."""

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from animerec.bot.models.training import NICENESS, TrainingFailed, run_training, train_command


def child(code: str) -> list[str]:
    """A stand-in training process running code."""
    return [sys.executable, "-c", code]


def test_the_command_trains_into_the_models_directory_with_the_config_and_the_export():
    python = sys.executable
    assert train_command(Path("/data/models"), None, "small") == [
        python, "-m", "animerec.recsys", "train", "--out", "/data/models", "--config", "small"]
    assert train_command(Path("/data/models"), Path("/data/x.csv"), "default") == [
        python, "-m", "animerec.recsys", "train", "--out", "/data/models", "--config", "default", "--extra", "/data/x.csv"]


async def test_progress_is_logged_line_by_line_and_exit_0_is_success(caplog):
    started = []
    # tqdm redraws its bar with \r: each redraw is a line of its own in the log.
    code = "import sys; sys.stdout.write('10%\\r50%\\r100%\\ndone'); sys.stdout.flush()"
    with caplog.at_level(logging.INFO, logger="animerec.bot.models.training"):
        await run_training(child(code), on_start=started.append)
    assert len(started) == 1 and started[0] > 0
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("training: ")] == [
        "training: 10%", "training: 50%", "training: 100%", "training: done"]


async def test_a_failure_names_the_exit_code_and_the_last_error_line():
    code = "print('error: unknown --config'); print('cleaning up'); raise SystemExit(2)"
    with pytest.raises(TrainingFailed, match=r"^the training process exited with code 2: error: unknown --config$"):
        await run_training(child(code))
    with pytest.raises(TrainingFailed, match=r"^the training process exited with code 3: the last line$"):
        await run_training(child("print('the last line'); raise SystemExit(3)"))  # no error: line, the last one
    with pytest.raises(TrainingFailed, match=r"^the training process exited with code 1$"):
        await run_training(child("raise SystemExit(1)"))  # silent


async def test_a_killed_child_names_the_signal():
    with pytest.raises(TrainingFailed, match="^the training process was killed by SIGTERM$"):
        await run_training(child("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"))


async def test_cancelling_kills_the_child():
    pids = []
    task = asyncio.create_task(run_training(child("import time; time.sleep(60)"), on_start=pids.append))
    while not pids:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # reaped, not left behind


async def test_the_child_runs_at_the_lowest_priority_off_one_core_with_a_thread_per_core_it_has(caplog):
    base = os.getpriority(os.PRIO_PROCESS, 0)
    cpus = os.sched_getaffinity(0)
    # The child waits (up to 10 s) for its priority to change (set after its CPUs), then reports both
    # and its thread limits.
    report = ("import os, time\n"
              f"end = time.monotonic() + 10\n"
              f"while os.getpriority(os.PRIO_PROCESS, 0) == {base} and time.monotonic() < end: time.sleep(0.01)\n"
              "print('nice', os.getpriority(os.PRIO_PROCESS, 0), 'cpus', *sorted(os.sched_getaffinity(0)), "
              "'threads', *(os.environ[v] for v in ("
              "'NUMBA_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')))")
    with caplog.at_level(logging.INFO, logger="animerec.bot.models.training"):
        await run_training([sys.executable, "-c", report])
    # With two CPUs or more, the lowest is left to the bot; with one, the child shares it.
    left = sorted(cpus - {min(cpus)}) if len(cpus) >= 2 else sorted(cpus)
    threads = len(left)
    assert (f"training: nice {max(NICENESS, base)} cpus {' '.join(map(str, left))} "
            f"threads {threads} {threads} {threads} {threads}") in caplog.messages
    assert os.getpriority(os.PRIO_PROCESS, 0) == base and os.sched_getaffinity(0) == cpus  # the bot's own: untouched
