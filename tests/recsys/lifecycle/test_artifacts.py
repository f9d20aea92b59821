import json

import numpy as np
import pytest

from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.artifacts import ModelLoadError


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


def test_the_saved_model_holds_no_per_user_array(board, board_model, tmp_path):
    """Members' data may shape the title weights, but no array has a row (or column) per user."""
    n_users, n_items = board["user_id"].nunique(), board_model.n_items
    assert n_users != n_items  # otherwise the shapes below could not tell them apart
    path = artifacts.publish(board_model, tmp_path)
    with np.load(path / "model.npz", allow_pickle=False) as z:
        assert not [k for k in z.files if "user" in k]
        shapes = {k: z[k].shape for k in z.files if not k.endswith(("_data", "_indices", "_indptr", "_shape"))}
        sparse = {k: tuple(z[k]) for k in z.files if k.endswith("_shape")}
    dim = board_model.similar_vectors.shape[1]
    assert dim != n_users
    assert shapes == {"item_ids": (n_items,), "item_factors": (n_items, 4), "item_bias": (n_items,),
                      "item_popularity": (n_items,), "global_mean": (), "similar_vectors": (n_items, dim)}
    assert sparse == {f"{m}_shape": (n_items, n_items) for m in ("ease", "cooc", "cosine")}
