"""The community replies' wording, on planted results."""

from animerec.bot.features.community import render as rc
from animerec.bot.features.community.pictures import TastePicture
from animerec.bot.features.community.service import ServerFavourites, Taste, TitleScore
from animerec.bot.service.results import Because
from animerec.recsys.catalog.catalog import Anime
from animerec.recsys.community import GenreProfile, ServerTop, TitleTally

SG = Anime(9253, "Steins;Gate", ("Sci-Fi", "Thriller"), "TV", 24, 9.2, 100)
MONSTER = Anime(19, "Monster", ("Mystery", "Psychological"), "TV", 74, 8.7, 100)


def taste(leans=("Psychological", "Thriller"), offset=(1.23, 14), picks=(SG, MONSTER)) -> Taste:
    picture = TastePicture("t", "s", [], [], [], [], None, None)
    genres = (*leans, "Drama")
    return Taste(1, picture, GenreProfile(genres, (0.5,) * len(genres), (0.2,) * len(genres), leans), offset, 20,
                 picks)


def test_the_taste_summary_says_what_the_member_leans_to_and_how_they_score():
    assert rc.taste_summary(taste(), "alice", own=True) == (
        "You lean to Psychological and Thriller more than the server does; you rate 1.2 above the server on "
        "the 14 titles others here scored too.\nYour top picks: Steins;Gate; Monster.")
    assert rc.taste_summary(taste(leans=(), offset=(-0.5, 3), picks=()), "bob", own=False) == (
        "bob’s genres follow the server's; they rate 0.5 below the server on the 3 titles others here scored too.")
    assert rc.taste_summary(taste(leans=("Mecha",), offset=None, picks=()), "bob", own=False) == (
        "bob leans to Mecha more than the server does.")


def test_the_histogram_runs_from_10_down_to_the_lowest_score_given():
    counts = (0, 0, 0, 0, 1, 0, 2, 0, 4, 8)
    assert rc.histogram(counts) == ("```\n"
                                    f"10 {'█' * 16} 8\n"
                                    f" 9 {'█' * 8}{' ' * 8} 4\n"
                                    f" 8 {' ' * 16} 0\n"
                                    f" 7 {'█' * 4}{' ' * 12} 2\n"
                                    f" 6 {' ' * 16} 0\n"
                                    f" 5 {'█' * 2}{' ' * 14} 1\n"
                                    "```")


def test_a_predicted_score_names_a_watched_title_as_watched_and_ends_in_one_full_stop():
    kimi = Anime(32281, "Kimi no Na wa.", ("Drama", "Romance"), "Movie", 1, 9.2, 100)
    nobody = TitleTally(0, 0, None, (0,) * 10, ())

    def why(because: Because) -> str:
        return rc.score_embed(TitleScore(SG, nobody, None, 8.4, because, 0), {}).fields[-1].value

    assert why(Because(kimi, 9.0)) == "Predicted **8.4/10**, because you rated Kimi no Na wa. 9/10."
    assert why(Because(kimi, -1.0)) == "Predicted **8.4/10**, because you watched Kimi no Na wa."
    assert why(Because(MONSTER, -1.0)) == "Predicted **8.4/10**, because you watched Monster."


def test_the_taste_summary_names_only_genres_the_chart_shows():
    shown = taste(leans=("Psychological", "Thriller"))
    profile = shown.profile
    chart = GenreProfile(("Psychological", "Drama"), (0.5, 0.4), (0.2, 0.3), profile.leans)
    summary = rc.taste_summary(Taste(1, shown.picture, chart, None, 20, ()), "alice", own=True)
    assert summary == "You lean to Psychological more than the server does."


def test_a_prediction_that_names_no_title_says_what_it_is_made_from():
    nobody = TitleTally(0, 0, None, (0,) * 10, ())

    def why(source: str | None, scored: bool = False) -> str:
        return rc.score_embed(TitleScore(SG, nobody, None, 8.4, None, 0, source, scored), {}).fields[-1].value

    assert why(None) == "Predicted **8.4/10**, from members whose taste is like yours."
    assert why("content", scored=True) == ("Predicted **8.4/10**, from its genres, themes, studio and average "
                                           "score, beside how you rate.")
    assert why("content") == "Predicted **8.4/10**, from its genres, themes and studio, beside how you rate."
    watched = rc.score_embed(TitleScore(SG, nobody, -1.0, None, None, 0), {}).fields[-1].value
    assert watched == "You watched it."
    bare = Anime(60000, "劇場版メイドインアビス深き魂の黎明", (), "Movie", 1, None, 0, year=2020)  # bangumi-data alone
    assert rc.score_embed(TitleScore(bare, nobody, None, 6.6, None, 0, "content"), {}).fields[-1].value == (
        "Predicted **6.6/10**, from little more than its type and year, beside how you rate.")
    assert why("franchise") == ("Predicted **8.4/10**, from the other entries of its series and titles like it, "
                                "beside how you rate.")
    assert why("community") == "Predicted **8.4/10**, from the members who rated it, beside your taste."
    assert why("prior") == "Predicted **8.4/10**, your usual score: nothing more is known of it yet."
    assert "members" not in why("content") + why("prior") + why("franchise")  # none of them learnt from members


def test_a_member_alone_in_the_server_is_told_so_and_not_set_beside_themselves():
    alone = Taste(**{**taste(leans=(), offset=None).__dict__, "alone": True})
    assert rc.taste_summary(alone, "alice", own=True) == (
        "You are the only member here with ratings so far: the server's genres come beside yours once others "
        "rate.\nYour top picks: Steins;Gate; Monster.")
    assert rc.taste_summary(alone, "bob", own=False).startswith(
        "bob is the only member here with ratings so far: the server's genres come beside theirs once")
    assert "ring" not in rc.taste_embed(alone, "alice", own=True).footer.text
    assert "ring: the server's" in rc.taste_embed(taste(), "alice", own=True).footer.text


def test_a_member_who_liked_nothing_they_gave_is_not_said_to_follow_the_server():
    sour = Taste(1, taste().picture, GenreProfile((), (), (), ()), (-2.5, 3), 3, (SG,))
    assert rc.taste_summary(sour, "alice", own=True) == (
        "You have scored no title above 4 yet, so there are no genres you like to show; you rate 2.5 below the "
        "server on the 3 titles others here scored too.\nYour top picks: Steins;Gate.")
    assert rc.taste_summary(sour, "bob", own=False).startswith(
        "bob has scored no title above 4 yet, so there are no genres they like to show")


def test_a_member_whose_liked_titles_have_no_genres_listed_is_not_told_they_liked_nothing():
    # Films known from bangumi-data alone (Suzume, Weathering With You) have no genres in the catalog.
    bare = Taste(1, taste().picture, GenreProfile((), (), (), ()), None, 5, (SG,), liked_without_genres=True)
    assert rc.taste_summary(bare, "alice", own=True).startswith(
        "The titles you liked have no genres listed in my catalog yet, so there are none to show")


def test_an_empty_server_top_tells_a_hidden_member_why_their_ratings_are_not_in_it():
    empty = ServerTop([], [], [])
    assert rc.server_top_embed(ServerFavourites(empty, {}, 0)).description.startswith("Nobody here has rated")
    hidden = rc.server_top_embed(ServerFavourites(empty, {}, 0, caller_hidden=True)).description
    assert hidden.startswith("Your taste is hidden, and a server's figures take in hidden members only once 5")
