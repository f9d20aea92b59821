"""The typed contract between trainer and bot: meta.json's fields as the bot reads them."""

import pytest

from animerec.recsys.lifecycle.meta import BadMeta, Counts, ModelMeta


def test_meta_json_reads_as_typed_fields_and_ignores_what_the_bot_does_not_read():
    meta = ModelMeta.from_json({
        "version": "v1", "hyperparameters": {"factors": 16}, "trained_at": "2026-11-25T04:00:00+00:00",
        "counts": {"users": 5000, "community_interactions": 3, "a_future_count": 1},
        "evaluation": {"p80": {"mae": 0.84}}, "format": 2, "files": {},
    })
    assert meta == ModelMeta("v1", {"factors": 16}, "2026-11-25T04:00:00+00:00",
                             Counts(users=5000, community_interactions=3), {"p80": {"mae": 0.84}})
    bare = ModelMeta.from_json({"version": "v2", "hyperparameters": {}})
    assert (bare.trained_at, bare.counts, bare.evaluation) == (None, Counts(), {})


@pytest.mark.parametrize(("meta", "message"), [
    ({"hyperparameters": {}}, "field 'version' is not a str"),
    ({"version": "v", "hyperparameters": None}, "field 'hyperparameters' is not a dict"),
    ({"version": "v", "hyperparameters": {}, "counts": [1]}, "field 'counts' is not a dict"),
    ({"version": "v", "hyperparameters": {}, "counts": {"users": "many"}}, "a count that is not a whole number"),
    ({"version": "v", "hyperparameters": {}, "trained_at": 4}, "field 'trained_at' is not a str"),
])
def test_a_wrong_field_is_named(meta, message):
    with pytest.raises(BadMeta, match=message):
        ModelMeta.from_json(meta)


def test_publishing_refuses_counts_the_bot_would_misread(board_model, tmp_path, monkeypatch):
    from animerec.recsys.lifecycle import artifacts

    monkeypatch.setitem(board_model.meta, "counts", {"users": 1, "comunity_interactions": 3})
    monkeypatch.delitem(board_model.meta, "version", raising=False)
    with pytest.raises(BadMeta, match="^counts must be exactly community_interactions, dataset_interactions, "):
        artifacts.publish(board_model, tmp_path)
    assert not (tmp_path / artifacts.CURRENT).exists()
