"""The package as a user installs it: a wheel built from this checkout, installed into a fresh venv,
run from a directory outside the checkout. A data file missing from the package data, or code that
finds the data through the source tree, fails here and nowhere else."""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the built wheel and its dependencies (from the pip cache or the registry)."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp / "dist"),
                    str(source_copy(tmp / "source"))], check=True, cwd=tmp)
    [wheel] = (tmp / "dist").glob("animerec-*.whl")
    venv.create(tmp / "venv", with_pip=True)
    bin_dir = tmp / "venv" / "bin"
    # Without PYTHONPATH: a checkout on it (and the egg-info the wheel build leaves there) would make pip
    # take the package as installed already and skip it.
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                          capture_output=True, text=True, cwd=tmp, env=outside_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def source_copy(to: Path) -> Path:
    """The checkout's files that git does not ignore, copied to ``to``: what a clean clone builds from. A build in
    the checkout itself writes build/ and an egg-info there, and one cut short left a build/ the next build
    failed on ("File exists: build/bdist.linux-x86_64/wheel/animerec-0.1.0.dist-info")."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                                check=True, capture_output=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        return ROOT  # not a git checkout (an unpacked archive): it is clean as it is
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # a file deleted but not yet staged is listed too
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, to / name)
    return to


def outside_env() -> dict[str, str]:
    """The environment of a user outside the checkout: no token, no PYTHONPATH, no active venv."""
    return {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "PYTHONPATH", "VIRTUAL_ENV")}


def run(installed: Path, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = outside_env()
    env.update(ANIMEREC_DATA_DIR=str(tmp_path / "var"), ANIMEREC_TRAIN_CONFIG="small")
    return subprocess.run([str(installed / args[0]), *args[1:]], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


def test_the_wheel_imports_from_site_packages_not_the_checkout(installed, tmp_path):
    done = run(installed, tmp_path, "python", "-c", "import animerec.recsys.data as d; print(d.ANIME_CSV)")
    assert done.returncode == 0, done.stderr
    csv = Path(done.stdout.strip())
    assert "site-packages" in csv.parts and csv.is_file() and ROOT not in csv.parents


def test_the_cli_searches_the_bundled_catalog(installed, tmp_path):
    done = run(installed, tmp_path, "animerec-recsys", "search", "naruto")
    assert done.returncode == 0, done.stderr
    assert "Naruto" in done.stdout and "Traceback" not in done.stderr


def test_the_console_trains_on_first_start_and_recommends(installed, tmp_path):
    done = run(installed, tmp_path, "animerec", "--console", stdin="/rate Steins;Gate 9\n/recommend count=3\n")
    assert done.returncode == 0, done.stderr
    assert "Model ready after" in done.stdout and "== Picks for you ==\n1. " in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
