import copy
import json

import coldkit
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


@pytest.fixture(scope="module")
def cold_plant():
    """(served model, catalog): the checkerboard trained with a catalog that has cold titles (tests/coldkit.py)."""
    return coldkit.cold_plant()


def test_the_evidence_index_is_saved_with_a_model_whose_content_guesses_it_leaves_out(cold_plant, tmp_path):
    """A model with content-guess titles publishes the index /similar searches for titles placed by evidence,
    and a load serves that one (the same neighbours a build gives) instead of building it again; its file is
    checked like the others."""
    model = copy.copy(cold_plant[0].model)
    model.meta = {k: v for k, v in model.meta.items() if k != "version"}
    evidenced = model.similar_evidenced()
    assert not evidenced.all() and evidenced.any()  # the plant has both kinds
    path = artifacts.publish(model, tmp_path)
    assert {p.name for p in path.iterdir()} == {"model.npz", "similar.ann", "similar-evidence.ann", "meta.json"}
    loaded = artifacts.load_current(tmp_path)
    assert loaded._evidence_ann is not None  # attached by the load, not left for the first /similar
    index = loaded.evidence_ann()
    assert np.array_equal(index.rows, np.flatnonzero(evidenced))
    for i in np.flatnonzero(evidenced).tolist():
        assert index.neighbours(i, 5) == model.evidence_ann().neighbours(i, 5)
    (path / "similar-evidence.ann").unlink()
    with pytest.raises(ModelLoadError, match="incomplete: similar-evidence.ann missing"):
        artifacts.load_current(tmp_path)


def test_a_model_saved_before_the_evidence_index_was_builds_it_on_first_need(cold_plant, tmp_path):
    model = copy.copy(cold_plant[0].model)
    model.meta = {k: v for k, v in model.meta.items() if k != "version"}
    path = artifacts.publish(model, tmp_path)
    (path / "similar-evidence.ann").unlink()
    meta = json.loads((path / "meta.json").read_text())
    del meta["files"]["similar-evidence.ann"]
    (path / "meta.json").write_text(json.dumps(meta))
    loaded = artifacts.load_current(tmp_path)
    assert loaded._evidence_ann is None
    some = int(np.flatnonzero(model.similar_evidenced())[0])
    assert loaded.evidence_ann().neighbours(some, 5) == model.evidence_ann().neighbours(some, 5)
