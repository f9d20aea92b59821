"""Session-wide test hooks."""

import os
import sys
import threading
from pathlib import Path

import pytest

from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_model
from animerec.recsys.model import ModelConfig

# The session fixture several evaluation modules share, a minute's work: their tests go to one worker.
SHARED_BY_MODULES = "results"

_status: list[int] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (addopts: --dist loadgroup), each worker takes a file's tests together, so a
    module-scoped fixture is built once, and every test of SHARED_BY_MODULES' fixture on one worker."""
    for item in items:
        group = SHARED_BY_MODULES if SHARED_BY_MODULES in getattr(item, "fixturenames", ()) else item.path.name
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def small_models_root(tmp_path_factory) -> Path:
    """A small model trained on the bundled data, published once for the session (each worker's).
    Read it only: a test that changes models copies it (tests/bot/conftest.py's data_dir)."""
    root = tmp_path_factory.mktemp("models")
    artifacts.publish(train_model(config=ModelConfig.small()), root)
    return root


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
