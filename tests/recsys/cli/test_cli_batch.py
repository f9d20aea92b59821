"""recommend-batch, similar-batch and predict-batch: CSV in, CSV out, bad input refused in one line
before the model loads."""

import pandas as pd
import pytest

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.main import main
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.serving.served import ServedModel

GIVEN = "user_id,anime_id,rating\nalice,5114,10\nalice,9253,9\nalice,1535,-1\nbob,32281,9\nbob,199,8\n"


@pytest.fixture
def given_csv(tmp_path):
    path = tmp_path / "given.csv"
    path.write_text(GIVEN)
    return path


def test_recommend_batch_contract(small_models_root, given_csv, tmp_path):
    out = tmp_path / "recs.csv"
    assert main(["-q", "recommend-batch", "--model", str(small_models_root), "--given", str(given_csv),
                 "--out", str(out), "-n", "15"]) == 0
    recs = pd.read_csv(out)
    assert list(recs.columns) == ["user_id", "anime_id", "rank", "score"]
    assert recs.groupby("user_id").size().to_dict() == {"alice": 15, "bob": 15}
    for user, g in recs.groupby("user_id"):
        assert list(g["rank"]) == list(range(1, 16))
        assert g["score"].is_monotonic_decreasing
        gave = {5114, 9253, 1535} if user == "alice" else {32281, 199}
        assert gave.isdisjoint(g["anime_id"])


def test_predict_batch_gives_a_row_for_every_pair(small_models_root, given_csv, tmp_path):
    pairs = tmp_path / "pairs.csv"
    # 11061 is a known title; 32281 is bob's own; carol gave nothing; 34519 is in anime.csv but unrated.
    pairs.write_text("user_id,anime_id\nalice,11061\nbob,32281\ncarol,11061\nalice,34519\n")
    out = tmp_path / "pred.csv"
    assert main(["-q", "predict-batch", "--model", str(small_models_root), "--given", str(given_csv),
                 "--pairs", str(pairs), "--out", str(out)]) == 0
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["user_id", "anime_id", "prediction"]
    assert list(zip(pred.user_id, pred.anime_id)) == [("alice", 11061), ("bob", 32281), ("carol", 11061), ("alice", 34519)]
    assert pred["prediction"].between(1, 10).all()


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty file"),
        ("user,anime,score\na,1,5\n", "missing column"),
        ("user_id,anime_id,rating\na,99999999,5\n", "unknown anime_id"),
        ("user_id,anime_id,rating\na,5114,11\n", "rating must be"),
        ("user_id,anime_id,rating\n", "no rows"),
    ],
)
def test_batch_input_errors_are_one_line_and_exit_2(small_models_root, tmp_path, capsys, content, message):
    given = tmp_path / "bad.csv"
    given.write_text(content)
    code = main(["-q", "recommend-batch", "--model", str(small_models_root), "--given", str(given),
                 "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and "\n" not in err and "Traceback" not in err


def test_similar_batch_writes_the_served_neighbours(small_models_root, tmp_path, capsys):
    ids = tmp_path / "ids.csv"
    ids.write_text("anime_id\n9253\n1535\n")
    out = tmp_path / "similar.csv"
    assert main(["similar-batch", "--model", str(small_models_root), "--ids", str(ids), "--out", str(out), "-n", "4"]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["anime_id", "similar_id", "rank", "similarity"]
    assert rows.groupby("anime_id")["rank"].apply(list).to_dict() == {1535: [1, 2, 3, 4], 9253: [1, 2, 3, 4]}
    engine = ServedModel(artifacts.load_current(small_models_root), Catalog.load())
    assert rows[rows.anime_id == 9253]["similar_id"].tolist() == [a for a, _ in engine.similar(9253, 4).neighbours]


@pytest.mark.parametrize("content, message", [
    ("anime_id\n9253\n99999999\n", "unknown anime_id(s) (not in the model): 99999999"),
    ("anime_id\n9253.5\n", "anime_id is not an integer on row 2"),
    ("title\nSteins;Gate\n", "expected a column anime_id"),
])
def test_similar_batch_rejects_bad_ids_with_one_line(small_models_root, tmp_path, capsys, content, message):
    ids = tmp_path / "ids.csv"
    ids.write_text(content)
    code = main(["similar-batch", "--model", str(small_models_root), "--ids", str(ids), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "\n" not in err
    assert not (tmp_path / "o.csv").exists()


def _batch(command, tmp_path, given=GIVEN, pairs="user_id,anime_id\nalice,11061\n", out="out.csv"):
    """The arguments of a batch command; each input's content (str or bytes) is written under tmp_path,
    and "." stands for tmp_path itself: a directory."""
    def place(name, content):
        if content == ".":
            return tmp_path
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    # No model there: an input error reported instead of "no model" was found before loading one.
    args = [command, "--model", str(tmp_path / "no-model"), "--given", str(place("given.csv", given))]
    if command == "predict-batch":
        args += ["--pairs", str(place("pairs.csv", pairs))]
    return args + ["--out", str(tmp_path if out == "." else tmp_path / out)]


@pytest.mark.parametrize("command, files, message", [
    ("recommend-batch", dict(out="missing/recs.csv"), "missing/recs.csv: directory {tmp}/missing does not exist"),
    ("predict-batch", dict(out="."), "is a directory; give the CSV file to write"),
    ("predict-batch", dict(given="."), "{tmp}: is a directory, not a CSV file"),
    ("predict-batch", dict(pairs=b"user_id,anime_id\n\xff\xfe,1\n"), "cannot read pairs ('utf-8' codec can't decode"),
    ("predict-batch", dict(pairs="user_id,anime_id\nalice,11061\n,11061\n"), "pairs.csv: user_id is empty on row 3"),
    ("recommend-batch", dict(given="user_id,anime_id,rating\n ,5114,9\n"), "given.csv: user_id is empty on row 2"),
    ("predict-batch", dict(pairs="user_id,anime_id\nalice,1e30\n"), "anime_id is not an integer on row 2 ('1e30')"),
    ("predict-batch", dict(pairs="user_id,anime_id\nalice,11061\nbob,9253.7\n"),
     "anime_id is not an integer on row 3 ('9253.7')"),
    ("predict-batch", dict(pairs="user_id,anime_id\nalice,99999999\n"), "pairs.csv: unknown anime_id(s): 99999999"),
], ids=["out-in-missing-dir", "out-is-a-dir", "given-is-a-dir", "pairs-not-utf8", "pairs-empty-user",
        "given-blank-user", "id-1e30", "id-9253.7", "unknown-id"])
def test_bad_paths_and_rows_are_one_line_exit_2_before_the_model_loads(tmp_path, capsys, command, files, message):
    assert main(["-q", *_batch(command, tmp_path, **files)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert message.format(tmp=tmp_path) in err


@pytest.mark.parametrize("ids, out, message", [
    ("anime_id\n9253\n1e30\n", "o.csv", "ids.csv: anime_id is not an integer on row 3 ('1e30')"),
    ("anime_id\n9253\n", "missing/o.csv", "directory {tmp}/missing does not exist"),
    (".", "o.csv", "{tmp}: is a directory, not a CSV file"),
])
def test_similar_batch_checks_paths_and_ids_before_the_model_loads(tmp_path, capsys, ids, out, message):
    path = tmp_path if ids == "." else tmp_path / "ids.csv"
    if ids != ".":
        path.write_text(ids)
    assert main(["similar-batch", "--model", str(tmp_path / "no-model"), "--ids", str(path),
                 "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message.format(tmp=tmp_path) in err


def test_recommend_batch_keeps_titles_first_aired_in_the_range(small_models_root, given_csv, tmp_path):
    out = tmp_path / "recs.csv"
    assert main(["-q", "recommend-batch", "--model", str(small_models_root), "--given", str(given_csv),
                 "--out", str(out), "-n", "8", "--aired-from", "2020-01-01", "--aired-to", "2024-12-31"]) == 0
    recs = pd.read_csv(out)
    catalog = Catalog.load()
    starts = [catalog.get(a).start_date for a in recs["anime_id"]]
    assert len(recs) == 16 and all("2020-01-01" <= s <= "2024-12-31" for s in starts)


def test_recommend_batch_lists_what_recommend_does_a_new_season_to_catch_up_to_included(small_models_root, tmp_path):
    """Jujutsu Kaisen (40748) given, its 2nd season not: from 2026 on, The Culling Game (57658) is on the list, as
    `recommend --aired-from` has it (naming the season to catch up with first)."""
    given, out = tmp_path / "given.csv", tmp_path / "recs.csv"
    given.write_text("user_id,anime_id,rating\nfan,40748,9\nfan,9253,9\nfan,1535,8\n")
    assert main(["-q", "recommend-batch", "--model", str(small_models_root), "--given", str(given), "--out", str(out),
                 "-n", "10", "--aired-from", "2026-01-01"]) == 0
    assert 57658 in pd.read_csv(out)["anime_id"].tolist()


def test_similar_batch_takes_titles_the_training_data_never_saw(small_models_root, tmp_path, capsys):
    """Sousou no Frieren (2023) and Jujutsu Kaisen (2020) are placed by their content; Takopi's Original Sin
    (60489, bangumi-data alone) by nothing: it gets no rows, and is named."""
    ids, out = tmp_path / "ids.csv", tmp_path / "sim.csv"
    ids.write_text("anime_id\n52991\n40748\n60489\n")
    assert main(["-q", "similar-batch", "--model", str(small_models_root), "--ids", str(ids), "--out", str(out),
                 "-n", "5"]) == 0
    sims = pd.read_csv(out)
    assert sims.groupby("anime_id").size().to_dict() == {40748: 5, 52991: 5}
    assert not (sims["anime_id"] == sims["similar_id"]).any()
    assert "no rows for 1 title(s) with no ratings, franchise or genres to place them by: 60489" in capsys.readouterr().err
