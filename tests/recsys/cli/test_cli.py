"""The query subcommands (similar, recommend, search) and the entry point."""

import subprocess
import sys

import pytest

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.cli.main import main


def test_missing_model_unknown_title_and_a_title_placed_by_nothing_exit_2(small_models_root, tmp_path, capsys):
    assert main(["similar", "Steins;Gate", "--model", str(tmp_path / "nowhere")]) == 2
    assert "no model" in capsys.readouterr().err
    assert main(["similar", "zzqxwv", "--model", str(small_models_root)]) == 2
    assert "unknown title" in capsys.readouterr().err
    assert main(["similar", "mal:60489", "--model", str(small_models_root)]) == 2  # Takopi's Original Sin
    assert "has no ratings, franchise or genres to place it by" in capsys.readouterr().err


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


def test_search_says_no_match_and_exits_1_and_marks_adult_titles(capsys):
    assert main(["search", "zzqxwv"]) == 1
    assert capsys.readouterr() == ("", "no match for 'zzqxwv'\n")
    assert main(["search", "pico", "-n", "10"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    catalog = Catalog.load()
    assert len(rows) == 10 and {len(row) for row in rows} == {2, 3}
    for anime_id, name, *mark in rows:
        anime = catalog.get(int(anime_id))
        assert name == anime.name and mark == (["adult"] if anime.is_adult else [])


def test_similar_takes_an_unquoted_title_as_search_does(small_models_root, capsys):
    assert main(["similar", "steins", "gate", "-n", "2", "--model", str(small_models_root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Similar to Steins;Gate:") and out.count("similarity") == 2


def test_recommend_reads_a_headerless_ratings_file_as_help_allows(small_models_root, tmp_path, capsys):
    with_header, headerless = tmp_path / "with.csv", tmp_path / "without.csv"
    with_header.write_text("anime_id,rating\n5114,10\n9253,9\n")
    headerless.write_text("5114,10\n9253,9\n")
    outs = []
    for path in (with_header, headerless):
        assert main(["recommend", "--ratings", str(path), "-n", "4", "--model", str(small_models_root)]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and outs[0].count("(match ") == 4
    # A bad row is named by its line in the file, header or not.
    headerless.write_text("5114,10\n9253,eleven\n")
    assert main(["recommend", "--ratings", str(headerless), "--model", str(small_models_root)]) == 2
    assert capsys.readouterr().err == f"error: {headerless}: rating must be 1-10 or -1 (watched), got 'eleven' on row 2\n"
    with_header.write_text("anime_id,rating\n5114,10\n9253,eleven\n")
    assert main(["recommend", "--ratings", str(with_header), "--model", str(small_models_root)]) == 2
    assert capsys.readouterr().err.endswith("got 'eleven' on row 3\n")


@pytest.mark.parametrize("content, lines", [("1535,10\n5114,9\n1535,3\n", "1 and 3"),
                                            ("anime_id,rating\n1535,10\n1535,3\n", "2 and 3")])
def test_recommend_refuses_a_title_rated_twice_naming_it(tmp_path, capsys, content, lines):
    ratings = tmp_path / "mine.csv"
    ratings.write_text(content)
    assert main(["recommend", "--ratings", str(ratings), "--model", str(tmp_path / "no-model")]) == 2
    assert capsys.readouterr().err == (f"error: {ratings}: anime_id 1535 is rated twice (lines {lines}): "
                                       "keep the one that counts\n")


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


def test_recommend_aired_from_names_the_season_to_catch_up_with_before_a_started_series_new_one(
        small_models_root, tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text("anime_id,rating\n40748,9\n9253,9\n1535,8\n")  # Jujutsu Kaisen; Steins;Gate; Death Note
    assert main(["recommend", "--model", str(small_models_root), "--ratings", str(ratings), "-n", "10",
                 "--aired-from", "2026-01-01"]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if "Shimetsu Kaiyuu" in line]
    assert "because you rated Jujutsu Kaisen; catch up with Jujutsu Kaisen 2nd Season first" in line


def test_recommend_says_watched_of_a_title_given_without_a_score(small_models_root, tmp_path, capsys):
    """Titles given as watched (-1) drive the picks; a pick they explain says "because you watched"."""
    ratings = tmp_path / "watched.csv"
    ratings.write_text("anime_id,rating\n5114,-1\n9253,-1\n1575,-1\n")
    assert main(["recommend", "--ratings", str(ratings), "-n", "10", "--model", str(small_models_root)]) == 0
    out = capsys.readouterr().out
    assert "because you watched" in out and "because you rated" not in out


def test_similar_names_where_a_film_later_in_an_unstarted_series_starts(small_models_root, capsys):
    assert main(["similar", "Fullmetal Alchemist: Brotherhood", "--type", "Movie", "-n", "25",
                 "--model", str(small_models_root)]) == 0
    later = [line for line in capsys.readouterr().out.splitlines() if "comes later in its series" in line]
    assert later and all(", start with " in line for line in later)
