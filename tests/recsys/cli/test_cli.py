"""The query subcommands (similar, recommend, search) and the entry point."""

import subprocess
import sys

import pytest

from animerec.recsys.cli.main import main


def test_missing_model_and_unknown_title_exit_2(small_models_root, tmp_path, capsys):
    assert main(["similar", "Steins;Gate", "--model", str(tmp_path / "nowhere")]) == 2
    assert "no model" in capsys.readouterr().err
    assert main(["similar", "zzqxwv", "--model", str(small_models_root)]) == 2
    assert "unknown title" in capsys.readouterr().err


def test_similar_and_recommend_print_titles(small_models_root, tmp_path, capsys):
    assert main(["similar", "steins gate", "-n", "3", "--model", str(small_models_root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Similar to Steins;Gate:") and out.count("similarity") == 3
    ratings = tmp_path / "mine.csv"
    ratings.write_text("anime_id,rating\n5114,10\n9253,9\n")
    assert main(["recommend", "--ratings", str(ratings), "-n", "4", "--type", "movie",
                 "--model", str(small_models_root)]) == 0
    out = capsys.readouterr().out
    assert out.count("(match ") == 4 and "Fullmetal" not in out.split("because")[0]


def test_search_and_filtered_similar_on_the_real_catalog(small_models_root, capsys):
    assert main(["search", "attack", "on", "titan", "-n", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "16498\tShingeki no Kyojin"
    assert main(["search", " "]) == 2
    # 37+ Yaoi titles are in the model: a filtered list still fills.
    assert main(["similar", "Junjou Romantica", "--genre", "Yaoi", "-n", "10", "--model", str(small_models_root)]) == 0
    assert capsys.readouterr().out.count("similarity") == 10


def test_recommend_with_a_directory_for_ratings_exits_2(tmp_path, capsys):
    assert main(["recommend", "--ratings", str(tmp_path), "--model", str(tmp_path / "no-model")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}: is a directory, not a CSV file\n"


def test_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "animerec.recsys", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for command in ("train", "evaluate", "similar", "search", "recommend", "recommend-batch", "predict-batch"):
        assert command in out


def test_recommend_aired_range_is_checked_and_applied(small_models_root, tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text("anime_id,rating\n16498,9\n38524,9\n")  # Shingeki no Kyojin, Season 3 Part 2
    assert main(["recommend", "--model", str(small_models_root), "--ratings", str(ratings), "-n", "5",
                 "--aired-from", "2019-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Shingeki no Kyojin: The Final Season  (match" in out and "continues Shingeki no Kyojin Season 3 Part 2" in out
    code = main(["recommend", "--model", str(small_models_root), "--ratings", str(ratings),
                 "--aired-from", "2024-01-01", "--aired-to", "2023-01-01"])
    assert code == 2 and "--aired-from 2024-01-01 is after --aired-to 2023-01-01" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["recommend", "--model", str(small_models_root), "--ratings", str(ratings), "--aired-from", "2024-13-01"])
    assert "'2024-13-01' is not a date YYYY-MM-DD" in capsys.readouterr().err
