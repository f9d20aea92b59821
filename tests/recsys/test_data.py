import pandas as pd
import pytest

from animerec.recsys.data import (
    DATA_CREDIT,
    DATA_DIR,
    WATCHED,
    DataError,
    fingerprint,
    load_anime_table,
    load_interactions,
    normalize_interactions,
    sample_id_map,
)


@pytest.fixture(scope="module")
def interactions():
    return load_interactions()


def test_sample_ids_map_one_to_one_onto_mal_ids():
    id_map = sample_id_map()
    mal_ids = set(load_anime_table()["anime_id"])
    assert len(id_map) == 7390
    assert len(set(id_map.values())) == len(id_map)
    assert set(id_map.values()) <= mal_ids
    assert id_map[1723] == 32281  # "Kimi no Na wa." in both files
    assert id_map[82] == 5114  # Fullmetal Alchemist: Brotherhood


def test_ratings_and_watched_without_score_are_both_kept(interactions):
    assert len(interactions) == 520_609  # every history event; ratings are a subset of it
    assert (interactions["rating"] > 0).sum() == 419_943
    assert (interactions["rating"] == WATCHED).sum() == 100_666
    assert interactions["user_id"].nunique() == 5000
    assert not interactions.duplicated(["user_id", "anime_id"]).any()


def test_names_are_html_unescaped():
    names = load_anime_table().set_index("anime_id")["name"]
    assert names[9969] == "Gintama'"
    assert not names.str.contains("&#039;").any()


def test_fingerprint_tracks_content(interactions):
    head = interactions.head(100)
    changed = head.copy()
    changed.loc[0, "rating"] = 3.0
    assert fingerprint(head) == fingerprint(head.copy())
    assert fingerprint(head) != fingerprint(changed)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["1"]}), "missing column"),
        (pd.DataFrame({"user_id": [], "anime_id": [], "rating": []}), "no rows"),
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["x"], "rating": ["5"]}), "not an integer"),
        (pd.DataFrame({"user_id": ["a", "a"], "anime_id": ["1", "1.5"], "rating": ["5", "5"]}),
         r"not an integer on row 3 \('1.5'\)"),
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["1e30"], "rating": ["5"]}), "not an integer on row 2"),
        (pd.DataFrame({"user_id": ["a", None], "anime_id": ["1", "2"], "rating": ["5", "5"]}), "user_id is empty on row 3"),
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["1"], "rating": ["11"]}), "rating must be"),
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["1"], "rating": ["0"]}), "rating must be"),
        (pd.DataFrame({"user_id": ["a"], "anime_id": ["999999"], "rating": ["5"]}), "unknown anime_id"),
    ],
)
def test_bad_interaction_tables_are_refused_with_a_reason(frame, message):
    with pytest.raises(DataError, match=message):
        normalize_interactions(frame, known_ids={1, 2})


def test_later_duplicates_win_and_watched_is_accepted():
    df = pd.DataFrame({"user_id": ["a", "a", "a"], "anime_id": ["1", "1", "2"], "rating": ["5", "9", "-1"]})
    out = normalize_interactions(df, known_ids={1, 2})
    assert out.set_index("anime_id")["rating"].to_dict() == {1: 9.0, 2: WATCHED}


def test_the_credit_line_the_bot_shows_is_the_one_the_data_readme_records():
    readme = " ".join((DATA_DIR / "README.md").read_text().split())
    assert f"*{DATA_CREDIT}*" in readme
