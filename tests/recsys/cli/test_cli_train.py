"""train: publishing a model, the figures it records, and the checks that fail before any training."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.main import main
from animerec.recsys.evaluation.report import EVALUATION_JSON
from animerec.recsys.lifecycle import artifacts
from testkit import lock_held_elsewhere


def test_train_with_community_ratings_publishes_a_model(tmp_path, capsys):
    extra = tmp_path / "community.csv"
    extra.write_text("user_id,anime_id,rating\n123456789,5114,10\n123456789,32281,-1\n987,199,7\n")
    root = tmp_path / "models"
    assert main(["train", "--config", "small", "--out", str(root), "--extra", str(extra)]) == 0
    out, err = capsys.readouterr()
    assert "published" in out
    # After the ALS bar, the log names each stage as it ends and what runs next, up to publishing.
    said = [line for line in err.splitlines() if line.startswith("... ")]
    assert said[0] == "... loading the ratings and the catalog"
    assert [line.split(" took ")[0] for line in said[1:]] == [
        "... ALS", "... the item-item models", "... the /similar embeddings", "... vectors for titles without ratings"]
    assert said[-1].endswith("; next: the /similar index, then publishing")
    assert err.index("training ALS: 100%") < err.index("... ALS took")
    model = artifacts.load_current(root)
    assert model.meta["counts"]["community_interactions"] == 3
    assert model.meta["hyperparameters"]["factors"] == 16
    assert len(model.meta["data_fingerprint"]) == 16
    assert "evaluation" not in model.meta  # the recorded figures are the default model's, not this one's
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,anime_id,rating\n1,5114,ten\n")
    assert main(["-q", "train", "--config", "small", "--out", str(root), "--extra", str(bad)]) == 2


def test_a_default_model_records_the_evaluated_figures(tmp_path, monkeypatch, capsys):
    """The package's evaluation.json (the figures of docs/evaluation.md) goes into a default model's meta."""
    recorded = {}

    def publish(out, extra, config, *, progress, evaluation, spark, catalog, stage_times):
        recorded.update(evaluation=evaluation, spark=spark, catalog=catalog, stage_times=stage_times)
        return Path(out) / "v1"

    monkeypatch.setattr("animerec.recsys.lifecycle.train.train_and_publish", publish)
    assert main(["-q", "train", "--out", str(tmp_path / "models")]) == 0
    assert "published" in capsys.readouterr().out
    assert recorded["spark"] is None and recorded["evaluation"] == json.loads(EVALUATION_JSON.read_text())
    assert recorded["stage_times"] is None  # -q: no stages said
    assert len(recorded["catalog"]) == len(Catalog.load())  # no overlay: the bundled catalog
    assert set(recorded["evaluation"]) == {"seed", "command", "p80", "cold5"}
    assert recorded["evaluation"]["command"].startswith("python -m animerec.recsys evaluate")


def test_train_exits_2_when_another_process_keeps_publishing(tmp_path, capsys, monkeypatch):
    root = tmp_path / "models"
    root.mkdir()
    with lock_held_elsewhere(root / artifacts.LOCK_FILE):
        monkeypatch.setattr(artifacts, "PUBLISH_LOCK_TIMEOUT", 0.3)
        assert main(["-q", "train", "--config", "small", "--out", str(root)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: another process is publishing into {root}; gave up after 0.3 s\n"
    assert not (root / "current").exists()


@pytest.mark.timeout(30)
def test_train_refuses_an_unusable_out_or_extra_before_training(tmp_path):
    a_file = tmp_path / "models"
    a_file.write_text("not a directory")
    (tmp_path / "root" / "current").mkdir(parents=True)
    cases = [
        (["--out", str(a_file)], f"--out {a_file}: {a_file} is a file; --out names the models directory"),
        (["--out", str(a_file / "sub")], f"--out {a_file / 'sub'}: {a_file} is a file"),
        (["--out", str(tmp_path / "root")], f"{tmp_path / 'root' / 'current'} is a directory"),
        (["--out", str(tmp_path / "new"), "--extra", str(tmp_path)], f"{tmp_path}: is a directory, not a CSV file"),
    ]
    for args, message in cases:
        # The default config trains for a minute or more: a check after training would time out.
        done = subprocess.run([sys.executable, "-m", "animerec.recsys", "-q", "train", *args], capture_output=True,
                              text=True, timeout=20)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.startswith("error: ") and message in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_master_without_the_spark_engine_is_a_usage_error(tmp_path, capsys):
    assert main(["-q", "train", "--out", str(tmp_path / "m"), "--master", "local[2]"]) == 2
    assert "--master is for --engine spark" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_spark_engine_without_pyspark_or_java_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("animerec.recsys.algorithms.spark_als.unavailable_reason", lambda: "no Java runtime found")
    assert main(["-q", "train", "--out", str(tmp_path / "m"), "--engine", "spark"]) == 2
    assert "--engine spark: no Java runtime found" in capsys.readouterr().err


def test_a_retrain_over_a_catalog_overlay_gives_its_new_titles_vectors(tmp_path):
    """The bot's retrain runs `train --catalog-overlay`: a title only the overlay has (fetched after the
    bundled catalog was built) gets a vector from its genres and score, and a new entry of a trained work
    one from that work, so /recommend, /seasonal and /similar serve it after that retrain."""
    from anilist_fixtures import NEW_FILM, NEW_TV, media

    from animerec.recsys.algorithms.coldstart import CONTENT, FRANCHISE
    from animerec.recsys.catalog.franchise import Franchises
    from animerec.recsys.data import load_catalog_table
    from animerec.recsys.lifecycle import overlay
    from animerec.recsys.lifecycle.refresh import media_rows
    from animerec.recsys.serving.served import ServedModel

    steins_gate = 9253
    rows, titles, _ = media_rows([
        media(NEW_TV, "Kage no Shinri", genres=("Mystery", "Psychological", "Thriller"), score=81),
        media(NEW_FILM, "Steins;Gate Movie 2", fmt="MOVIE", relations=(("PREQUEL", steins_gate),), score=None),
    ], load_catalog_table())
    overlay.publish(rows, titles, tmp_path / "catalog", source="test")
    root = tmp_path / "models"
    assert main(["-q", "train", "--config", "small", "--out", str(root),
                 "--catalog-overlay", str(tmp_path / "catalog")]) == 0
    model = artifacts.load_current(root)
    cold = model.cold
    thriller, film = cold.index_of(NEW_TV), cold.index_of(NEW_FILM)
    assert thriller is not None and film is not None
    assert (cold.source[thriller], bool(cold.scored[thriller])) == (CONTENT, True)
    catalog = overlay.load_catalog(tmp_path / "catalog")
    franchises = Franchises.load(catalog)
    assert cold.source[film] == FRANCHISE
    assert franchises.work_of(int(cold.anchor[film])) == franchises.work_of(steins_gate)
    served = ServedModel(model, catalog)
    assert len(served.similar(NEW_TV, 5).neighbours) == 5  # /similar answers for it
