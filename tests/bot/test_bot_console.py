"""`python -m bot` without a token: the console REPL, driven through a pipe (stdin is not a TTY)."""

import io
import os
import subprocess
import sys

import pytest

from bot.console import Console

pytestmark = pytest.mark.timeout(60)

SCRIPT = """/help
/rate Steins;Gate 9
/rate Steins;Gate 10
/rate Naruto eleven
/rate Steins Gateway 9
/similar Steins;Gate count=2
/recommend
/ratings
/nonsense
/forget
no
/ratings
"""


def run_bot(data_dir, args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(data_dir), LOG_LEVEL="INFO")
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=data_dir, timeout=50)


def test_console_answers_piped_commands_until_eof(data_dir):
    done = run_bot(data_dir, [], SCRIPT)
    assert done.returncode == 0, done.stderr
    assert "no DISCORD_TOKEN set: running the console mode" in done.stderr
    out = done.stdout
    assert "== Steins;Gate ==\nSci-Fi, Thriller · TV · 24 eps\nYour score\n  9/10" in out
    assert "Before\n  9/10" in out  # the re-rating replaced the first
    assert "! “eleven” is not a score" in out
    assert "! I don't know a title “Steins Gateway”. Did you mean: Steins;Gate" in out
    assert "== Similar to Steins;Gate ==\n1. " in out and "\n3. " not in out.split("Similar to")[1].split("==")[0]
    # One rating: picks already, and titles to rate beside them.
    assert "== Picks for you ==\n1. " in out and "Rate a few of these too" in out
    assert out.count("== Your ratings (1) ==\nSteins;Gate — 10/10") == 2  # "no" kept everything
    assert "Unknown command /nonsense. Type /help." in out
    assert "Traceback" not in out + done.stderr


def test_healthcheck_fails_without_a_connected_bot(data_dir):
    done = run_bot(data_dir, ["--healthcheck"])
    assert done.returncode == 1 and "not connected" in done.stdout


@pytest.mark.parametrize("path", ["/dev/zero", "big.xml"])
async def test_console_import_reads_no_more_than_the_size_limit(service, tmp_path, path):
    """/dev/zero never ends: the console reads one byte past the 5 MB limit, as Discord's path refuses."""
    big = tmp_path / "big.xml"
    big.write_bytes(b"<myanimelist>" + b" " * (6 * 1024 * 1024) + b"</myanimelist>")
    console = Console(service, io.StringIO())
    answer = await console.answer(console.import_, str(tmp_path / path))  # an absolute path stays as is
    assert answer == "! I couldn't import that file: the file is larger than 5 MB. Nothing was stored."
