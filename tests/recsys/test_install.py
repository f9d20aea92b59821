"""animerec installed read-only: importing it must not fail on numba's on-disk cache."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import animerec
from testkit import unprivileged

pytestmark = pytest.mark.timeout(120)


def set_writable(path: Path, writable: bool) -> None:
    for p in [path, *path.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode | 0o200 if writable else mode & ~0o222)


def test_a_read_only_install_caches_compiled_kernels_elsewhere(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(Path(animerec.__file__).parent, site / "animerec", ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "home"  # the user cache numba would fall back to: read-only too
    home.mkdir()
    for path in (site, home):
        set_writable(path, False)
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(PYTHONPATH=str(site), HOME=str(home), TMPDIR=str(tmp_path))
    code = ("import os, animerec.recsys.algorithms.als, animerec.recsys.algorithms.itemitem, "
            "animerec.recsys.algorithms.baselines; print(os.environ['NUMBA_CACHE_DIR'])")
    try:
        done = subprocess.run(unprivileged([sys.executable, "-c", code]), capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=100)
    finally:
        for path in (site, home):
            set_writable(path, True)  # so that pytest can clean up
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tmp_path / f'animerec-numba-{os.getuid()}'}\n"
