"""Model directories broken in every way the loader must refuse, and publishers racing for one root."""

import json
import os
import subprocess
import sys
import time

import pytest

from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.artifacts import ModelLoadError
from testkit import lock_held_elsewhere


def _rewrite_meta(path, change):
    meta = json.loads((path / "meta.json").read_text())
    (path / "meta.json").write_text(json.dumps(change(meta)))


@pytest.mark.parametrize("fault, message", [
    (lambda root, path: _rewrite_meta(path, lambda m: [m]), "meta.json is not an object"),
    (lambda root, path: _rewrite_meta(path, lambda m: {**m, "hyperparameters": None}),
     "'hyperparameters' is not a dict"),
    (lambda root, path: _rewrite_meta(path, lambda m: {k: v for k, v in m.items() if k != "files"}),
     "lacks the checksums"),
    (lambda root, path: _rewrite_meta(path, lambda m: {**m, "files": {"model.npz": m["files"]["model.npz"]}}),
     "lacks the checksums"),
    (lambda root, path: _rewrite_meta(path, lambda m: {**m, "counts": [1, 2]}), "'counts' is not a dict"),
    (lambda root, path: (path / "meta.json").write_bytes(b'{"format": "\xff"}'), "unreadable meta.json"),
    (lambda root, path: ((root / "current").unlink(), (root / "current").mkdir()), "cannot read"),
    (lambda root, path: (root / "current").write_bytes(b"\xff\xfe\n"), "cannot read"),
], ids=["meta-list", "hyperparameters-null", "no-files", "one-checksum", "counts-list", "meta-not-utf8",
        "current-dir", "current-not-utf8"])
def test_every_malformed_model_directory_is_a_model_load_error(board_model, tmp_path, fault, message):
    root = tmp_path / "models"
    board_model.meta.pop("version", None)
    path = artifacts.publish(board_model, root)
    fault(root, path)
    with pytest.raises(ModelLoadError, match=message):
        artifacts.load_current(root)


def test_a_models_root_that_is_a_file_is_a_model_load_error(tmp_path):
    (tmp_path / "models").write_text("not a directory")
    with pytest.raises(ModelLoadError, match="cannot read"):
        artifacts.load_current(tmp_path / "models")


# Publishes one model again and again, each as a new version, into a models root.
PUBLISHER = """
import sys
from animerec.recsys.lifecycle import artifacts

model = artifacts.load_current(sys.argv[1])
for _ in range(int(sys.argv[3])):
    model.meta.pop("version")
    artifacts.publish(model, sys.argv[2])
"""


# Holds the publish lock of a models root, as another publisher would, until killed.
@pytest.mark.timeout(120)
def test_two_processes_publishing_into_one_root_take_turns(small_models_root, tmp_path):
    root = tmp_path / "models"
    publishers = [subprocess.Popen([sys.executable, "-c", PUBLISHER, str(small_models_root), str(root), "8"],
                                   stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=100)[1] for p in publishers]
    assert [p.returncode for p in publishers] == [0, 0], errors
    versions = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(versions) == artifacts.KEEP_VERSIONS and not list(root.glob(".tmp-*"))
    assert artifacts.current_dir(root).name in versions
    artifacts.load_current(root)


def test_prune_keeps_a_live_publisher_temp_dir_and_drops_dead_or_old_ones(board_model, tmp_path):
    root = tmp_path / "models"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = root / f".tmp-20260101T000000000000Z-{os.getpid()}-abc"
    gone = root / f".tmp-20260101T000000000000Z-{int(dead.stdout)}-abc"
    old = root / f".tmp-20260101T000000000000Z-{os.getpid()}-old"
    for path in (live, gone, old):
        path.mkdir(parents=True)
    stale = time.time() - artifacts.STALE_TMP_SECONDS - 1
    os.utime(old, (stale, stale))
    board_model.meta.pop("version", None)
    artifacts.publish(board_model, root)
    assert sorted(root.glob(".tmp-*")) == [live]


def test_a_publisher_waits_a_bounded_time_for_the_lock(board_model, tmp_path):
    root = tmp_path / "models"
    root.mkdir()
    with lock_held_elsewhere(root / artifacts.LOCK_FILE):
        board_model.meta.pop("version", None)
        started = time.monotonic()
        with pytest.raises(artifacts.PublishBusy, match=f"another process is publishing into {root}; gave up after 0.5 s"):
            artifacts.publish(board_model, root, lock_timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 5
        assert not list(root.glob(".tmp-*")) and not (root / "current").exists()
    artifacts.publish(board_model, root, lock_timeout=5)  # the lock died with its holder
    artifacts.load_current(root)

