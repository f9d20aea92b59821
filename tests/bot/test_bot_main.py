"""`python -m animerec.bot` (__main__.py): faults in the data directory at startup end in "logged, rebuilt,
served" or in a one-line error and exit code 2, never a traceback and a process that does not exit; and
--healthcheck fails without a connected bot."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from animerec.recsys.lifecycle import artifacts
from testkit import unprivileged

pytestmark = pytest.mark.timeout(60)


def bot_env(data_dir, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(data_dir), ANIMEREC_TRAIN_CONFIG="small", LOG_LEVEL="INFO")
    if token:
        env["DISCORD_TOKEN"] = token
    return env


def rewrite_meta(models, change) -> None:
    path = artifacts.current_dir(models) / artifacts.META_FILE
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


# One fault of the pointer, one of meta.json: every other one is the same ModelLoadError
# (tests/recsys/lifecycle/test_artifacts_faults.py), taking the same path from there.
REBUILT = {
    "current-not-utf8": lambda models: (models / "current").write_bytes(b"\xff\xfe\n"),
    "hyperparameters-null": lambda models: rewrite_meta(models, lambda meta: {**meta, "hyperparameters": None}),
}


def training_recorded(db) -> bool:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM model_registry WHERE status = 'ready'").fetchone()[0] == 1


@pytest.mark.parametrize("fault", REBUILT)
def test_a_broken_model_is_logged_rebuilt_and_served(data_dir, fault):
    models = data_dir / "models"
    old = artifacts.current_dir(models).name
    REBUILT[fault](models)
    bot = subprocess.Popen([sys.executable, "-m", "animerec.bot", "--console"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=bot_env(data_dir), cwd=data_dir)
    try:
        log = []
        for line in bot.stderr:  # until the rebuilt model is served (the test's timeout bounds the wait)
            log.append(line)
            if "now serving model" in line:
                break
        while not training_recorded(data_dir / "animerec.sqlite3"):  # quitting sooner would cut the run short
            time.sleep(0.05)
        out, err = bot.communicate("/similar Steins;Gate count=2\n", timeout=30)
    finally:
        bot.kill()
    log = "".join(log) + err
    assert bot.returncode == 0, log
    assert "WARNING animerec.bot.models.holder: no usable model (" in log and "Traceback" not in log
    assert artifacts.current_dir(models).name != old
    assert "== Similar to Steins;Gate ==\n1. " in out


# Startup failing after the store opened, with an error no check foresaw.
FAILING_STARTUP = """
import asyncio, sys
from animerec.bot.service import Service, open_service
from animerec.bot.settings import Settings

async def broken(self):
    raise RuntimeError("disk on fire")

Service.start = broken
asyncio.run(open_service(Settings(data_dir=sys.argv[1], _env_file=None)))
"""

def test_a_failed_startup_closes_the_store_and_the_process_exits(data_dir):
    # aiosqlite's thread is not a daemon: a store left open kept the process from ever exiting.
    done = subprocess.run([sys.executable, "-c", FAILING_STARTUP, str(data_dir)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 1 and done.stderr.rstrip().endswith("RuntimeError: disk on fire")


def replace_with_file(path) -> None:
    shutil.rmtree(path)
    path.write_text("not a directory")


def replace_with_directory(path) -> None:
    path.unlink()
    path.mkdir()


REFUSED = {
    "models-is-a-file": (replace_with_file, "models is not a directory"),
    "current-is-a-directory": (lambda models: replace_with_directory(models / "current"),
                               "current is a directory, not the name of a model version"),
}


@pytest.mark.parametrize("mode", [["--console"], []], ids=["console", "discord"])
@pytest.mark.parametrize("fault", REFUSED)
def test_an_unusable_models_directory_is_one_line_and_exit_2(data_dir, fault, mode):
    make, message = REFUSED[fault]
    make(data_dir / "models")
    # With a token the Discord mode would log in next: the check must come before any network.
    done = subprocess.run([sys.executable, "-m", "animerec.bot", *mode], input="", capture_output=True, text=True,
                          env=bot_env(data_dir, token="not-a-real-token"), cwd=data_dir, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("mode", [["--console"], []], ids=["console", "discord"])
@pytest.mark.parametrize("target", ["data directory", "database"])
def test_a_read_only_data_directory_is_one_line_and_exit_2(data_dir, target, mode):
    db = data_dir / "animerec.sqlite3"
    sqlite3.connect(db).close()
    path = data_dir if target == "data directory" else db
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = subprocess.run(unprivileged([sys.executable, "-m", "animerec.bot", *mode]), input="", capture_output=True,
                              text=True, env=bot_env(data_dir, token="not-a-real-token"), cwd=data_dir, timeout=30)
    finally:
        path.chmod(0o755 if path.is_dir() else 0o644)
    expected = {"data directory": f"the data directory {data_dir} is not writable (Permission denied)",
                "database": f"the database {db} cannot be opened for writing (Permission denied)"}[target]
    assert (done.returncode, done.stderr) == (2, f"error: {expected}\n")


def test_healthcheck_fails_without_a_connected_bot(data_dir):
    done = subprocess.run([sys.executable, "-m", "animerec.bot", "--healthcheck"], capture_output=True, text=True,
                          env=bot_env(data_dir), cwd=data_dir, timeout=50)
    assert done.returncode == 1 and "not connected" in done.stdout


@pytest.mark.parametrize("mode", [["--console"], []], ids=["console", "discord"])
def test_a_corrupt_sqlite_file_is_one_line_and_exit_2(data_dir, mode):
    db = data_dir / "animerec.sqlite3"
    db.write_bytes(b"this is no SQLite database, just text in its place\n" * 100)
    done = subprocess.run([sys.executable, "-m", "animerec.bot", *mode], input="", capture_output=True, text=True,
                          env=bot_env(data_dir, token="not-a-real-token"), cwd=data_dir, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "cannot be opened as a SQLite database" in done.stderr
    assert done.stderr.count("\n") == 1
    assert db.read_bytes().startswith(b"this is no SQLite database")  # left as it was, for the operator
