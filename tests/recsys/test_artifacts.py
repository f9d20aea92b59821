import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from recsys import artifacts
from recsys.artifacts import ModelLoadError


def _same_answers(a, b):
    given = {1000: 9, 1001: 7, 1003: -1}
    assert [(r.anime_id, round(r.score, 5)) for r in a.recommend(given, 5)] == \
        [(r.anime_id, round(r.score, 5)) for r in b.recommend(given, 5)]
    np.testing.assert_allclose(a.predict(given, [1004, 1012]), b.predict(given, [1004, 1012]), rtol=1e-5)
    assert a.similar(1004, 3) == b.similar(1004, 3)


def test_publish_and_load_round_trip(board_model, tmp_path):
    path = artifacts.publish(board_model, tmp_path)
    assert (tmp_path / "current").read_text().strip() == path.name
    assert {p.name for p in path.iterdir()} == {"model.npz", "similar.ann", "meta.json"}
    meta = json.loads((path / "meta.json").read_text())
    assert meta["hyperparameters"]["factors"] == 4 and meta["version"] == path.name
    loaded = artifacts.load_current(tmp_path)
    _same_answers(board_model, loaded)
    np.load(path / "model.npz", allow_pickle=False)  # no pickled objects inside


def test_a_crash_while_publishing_leaves_the_old_model_current(board_model, tmp_path, monkeypatch):
    board_model.meta.pop("version", None)
    first = artifacts.publish(board_model, tmp_path)

    def crash(directory, n):  # dies after the npz is written, before the Annoy file
        raise KeyboardInterrupt("killed mid-publish")

    board_model.meta.pop("version", None)
    monkeypatch.setattr(type(board_model.ensure_ann()), "save", crash)
    with pytest.raises(KeyboardInterrupt):
        artifacts.publish(board_model, tmp_path)
    assert artifacts.current_dir(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [first.name]  # partial dir removed
    _same_answers(board_model, artifacts.load_current(tmp_path))


def test_missing_partial_and_corrupt_models_fail_clearly(board_model, tmp_path):
    with pytest.raises(ModelLoadError, match="no model published"):
        artifacts.load_current(tmp_path)
    board_model.meta.pop("version", None)
    path = artifacts.publish(board_model, tmp_path)
    ann = (path / "similar.ann").read_bytes()
    # A new, truncated file: the served index is memory-mapped from the old one (annoy's save
    # maps it), and truncating a mapped file in place would pull it from under the fixture.
    (path / "similar.ann").unlink()
    (path / "similar.ann").write_bytes(ann[: len(ann) // 2])
    with pytest.raises(ModelLoadError, match="corrupt: similar.ann"):
        artifacts.load_current(tmp_path)
    (path / "similar.ann").unlink()
    with pytest.raises(ModelLoadError, match="incomplete: similar.ann missing"):
        artifacts.load_current(tmp_path)
    (path / "meta.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable meta.json"):
        artifacts.load_current(tmp_path)
    (tmp_path / "current").write_text("../../etc\n")
    with pytest.raises(ModelLoadError, match="no valid version"):
        artifacts.load_current(tmp_path)


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
from recsys import artifacts

model = artifacts.load_current(sys.argv[1])
for _ in range(int(sys.argv[3])):
    model.meta.pop("version")
    artifacts.publish(model, sys.argv[2])
"""


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
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(root / artifacts.LOCK_FILE)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        board_model.meta.pop("version", None)
        started = time.monotonic()
        with pytest.raises(artifacts.PublishBusy, match=f"another process is publishing into {root}; gave up after 0.5 s"):
            artifacts.publish(board_model, root, lock_timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 5
        assert not list(root.glob(".tmp-*")) and not (root / "current").exists()
    finally:
        holder.kill()
        holder.wait()
    artifacts.publish(board_model, root, lock_timeout=5)  # the lock died with its holder
    artifacts.load_current(root)


HOLD_LOCK = """
import fcntl, sys, time

lock = open(sys.argv[1], "a")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""
