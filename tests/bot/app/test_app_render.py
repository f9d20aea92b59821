"""app/render.py on its own: service results in, embeds (and their console text) out."""

from dataclasses import replace
from datetime import UTC, date, datetime

import discord
import pytest

from animerec.bot import limits
from animerec.bot.app import render
from animerec.bot.service.results import (
    Because,
    Neighbour,
    PartyPick,
    RatedTitle,
    RateResult,
    RatingList,
    Recommendations,
    RecommendedTitle,
    SimilarTitles,
    Stats,
    WatchParty,
)
from animerec.recsys.catalog.catalog import Anime
from animerec.recsys.lifecycle.meta import Counts, ModelMeta

STEINS = Anime(9253, "Steins;Gate", ("Sci-Fi", "Thriller"), "TV", 24, 9.17, 673572)
MOVIE = Anime(11577, "Steins;Gate Movie", ("Sci-Fi",), "Movie", 1, 8.6, 100000)
FRIEREN = Anime(52991, "Sousou no Frieren", ("Adventure", "Drama", "Fantasy"), "TV", 28, 9.3, 1_000_000,
                english="Frieren: Beyond Journey's End")
NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)


def test_fit_clips_every_part_to_discords_limits_and_drops_fields_past_the_total():
    embed = discord.Embed(title="t" * 300, description="d" * 100)
    embed.set_footer(text="f" * 3000)
    for i in range(30):
        embed.add_field(name=f"{i}" * 300, value="v" * 1100)
    fitted = render.fit(embed)
    assert fitted.title == "t" * (limits.EMBED_TITLE - 1) + "…" and fitted.description == "d" * 100
    assert fitted.footer.text == "f" * (limits.EMBED_FOOTER - 1) + "…"
    assert all(len(f.name) == limits.FIELD_NAME and len(f.value) == limits.FIELD_VALUE for f in fitted.fields)
    # 256 + 100 + 2048 characters, then fields of 256 + 1024 while they fit under 6,000: two.
    assert [f.name[:2] for f in fitted.fields] == ["00", "11"] and len(fitted) <= limits.EMBED_TOTAL


def test_fit_shortens_the_description_when_title_and_footer_leave_it_no_room():
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    embed.set_footer(text="f" * 3000)
    fitted = render.fit(embed)
    assert len(fitted) == limits.EMBED_TOTAL and fitted.description.endswith("d…")


def test_an_embed_reads_as_plain_text_in_the_console():
    embed = discord.Embed(title="Picks for you", description="Only **2** good matches")
    embed.add_field(name="1. Steins;Gate", value="Sci-Fi · TV\nBecause you rated it")
    embed.set_footer(text="Match: how likely")
    assert render.embed_to_text(embed) == (
        "== Picks for you ==\nOnly 2 good matches\n1. Steins;Gate\n  Sci-Fi · TV\n  Because you rated it\n"
        "(Match: how likely)")


def test_a_pick_says_why_it_is_there():
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9, 0.7, True, Because(STEINS, 10.0))) == \
        "Continues Steins;Gate (you rated it 10/10)"
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9, 0.7, False, Because(STEINS, -1.0))) == \
        "Because you watched Steins;Gate"
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9, 0.7, True, Because(STEINS, -1.0))) == \
        "Continues Steins;Gate (you watched it)"
    assert render.sentence("because you rated Kimi no Na wa.") == "because you rated Kimi no Na wa."
    assert render.sentence("because you rated Steins;Gate 9/10") == "because you rated Steins;Gate 9/10."
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9)) == "Popular with members who like what you like"
    # A title without interactions names members only when members' ratings are behind its vector.
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9, source="community", this_season=True)) == \
        "Popular this season with members of similar taste"
    assert render.pick_reason(RecommendedTitle(MOVIE, 8.9, source="prior")) == "Widely watched on MyAnimeList"
    # Popularity put it there, but few have watched it (a film no MyAnimeList count knows): not "widely watched".
    unknown = replace(MOVIE, members=0)
    assert render.pick_reason(RecommendedTitle(unknown, 8.9, source="prior")) == "Little known on MyAnimeList so far"
    assert render.pick_reason(RecommendedTitle(unknown, 8.9, source="prior", this_season=True)) == \
        "New this season; little is known of it yet"
    # Among this season's shows, "most watched" compares it with the others: it holds while it has a count.
    few = replace(MOVIE, members=3_000)
    assert render.pick_reason(RecommendedTitle(few, 8.9, source="prior", this_season=True)) == \
        "One of this season's most watched"


def test_a_reason_names_a_title_of_another_franchise_with_its_english_name_and_its_own_by_its_name():
    """Who rated Blue Box knows it by that name: a pick it brought names it so. A later season of Frieren that
    the member is behind on names their Frieren short: the pick's own heading already says it in English."""
    blue_box = Anime(57181, "Ao no Hako", ("Romance", "Sports"), "TV", 25, 8.2, 300_000, english="Blue Box",
                     franchise_id=57181)
    haikyuu = Anime(20583, "Haikyuu!!", ("Sports",), "TV", 25, 8.4, 2_000_000, franchise_id=20583)
    frieren = Anime(52991, "Sousou no Frieren", ("Fantasy",), "TV", 28, 9.3, 1_000_000,
                    english="Frieren: Beyond Journey's End", franchise_id=52991)
    third = Anime(60000, "Sousou no Frieren 3rd Season", ("Fantasy",), "TV", None, None, 0,
                  english="Frieren: Beyond Journey's End Season 3", franchise_id=52991)
    assert render.pick_reason(RecommendedTitle(haikyuu, 8.5, 0.3, False, Because(blue_box, 9.0))) == \
        "Because you rated Ao no Hako · Blue Box 9/10"
    assert render.pick_reason(RecommendedTitle(third, 8.5, 0.3, False, Because(frieren, 10.0))) == \
        "Because you rated Sousou no Frieren 10/10"


def test_a_reason_naming_another_version_of_the_picks_own_name_says_its_year():
    """The 2023 Rurouni Kenshin, named "... (2023)", because the member rated the 1996 one: the reason says which
    one they rated. A title whose name goes on with more than a version mark (Frieren's 3rd season) needs none."""
    kenshin = Anime(45, "Rurouni Kenshin: Meiji Kenkaku Romantan", ("Action",), "TV", 94, 8.3, 300_000, year=1996,
                    franchise_id=45)
    remake = Anime(50613, "Rurouni Kenshin: Meiji Kenkaku Romantan (2023)", ("Action",), "TV", 24, 7.7, 200_000,
                   year=2023, franchise_id=45)
    assert render.pick_reason(RecommendedTitle(remake, 8.5, 0.3, False, Because(kenshin, 9.0))) == \
        "Because you rated Rurouni Kenshin: Meiji Kenkaku Romantan (1996) 9/10"
    fruits = Anime(120, "Fruits Basket", ("Drama",), "TV", 26, 7.7, 200_000, year=2001, franchise_id=120)
    first_season = Anime(38680, "Fruits Basket 1st Season", ("Drama",), "TV", 25, 8.2, 900_000, year=2019,
                         franchise_id=120)
    assert render.pick_reason(RecommendedTitle(first_season, 8.5, 0.3, False, Because(fruits, -1.0))) == \
        "Because you watched Fruits Basket (2001)"
    frieren = Anime(52991, "Sousou no Frieren", ("Fantasy",), "TV", 28, 9.3, 1_000_000, year=2023, franchise_id=52991)
    third = Anime(60000, "Sousou no Frieren 3rd Season", ("Fantasy",), "TV", None, None, 0, year=2027,
                  franchise_id=52991)
    assert render.pick_reason(RecommendedTitle(third, 8.5, 0.3, False, Because(frieren, 10.0))) == \
        "Because you rated Sousou no Frieren 10/10"


def test_a_short_list_says_so_and_each_pick_shows_its_match_and_series():
    recs = Recommendations([RecommendedTitle(STEINS, 9.0, 0.83, more_in_series=2)], requested=5, filtered=True)
    embed = render.recommend_embed(recs)
    assert embed.description.startswith("Only 1 good match with these options")
    assert render.recommend_embed(replace(recs, filtered=False)).description.startswith("Only 1 good match: the rest")
    [field] = embed.fields
    assert field.name == "1. Steins;Gate"
    assert field.value == ("Match **83%** · Sci-Fi, Thriller · TV · 24 eps · +2 more in this series\n"
                           "Popular with members who like what you like")



def test_new_titles_to_discover_say_the_rest_are_ones_the_members_ratings_say_nothing_of():
    """Discovering new titles keeps only those the member's taste speaks for: a short or empty list says that,
    not only that the rest are predicted below their usual score."""
    recs = Recommendations([RecommendedTitle(STEINS, 9.0, 0.83)], requested=5, filtered=True, discover=True,
                           new_since=date(2025, 12, 1))
    assert render.recommend_embed(recs).description == (
        "Only 1 good match with these options: the other new titles are ones your ratings say nothing of, or I "
        "predict below your usual score.")
    assert render.recommend_embed(replace(recs, picks=[])).description.startswith(
        "No discoveries with these options: the other new titles are ones your ratings say nothing of")
    assert render.recommend_embed(replace(recs, new_since=None)).description.endswith(
        "the rest would be predicted below your usual score.")


def test_a_list_of_new_titles_mostly_picked_for_being_widely_watched_points_to_discover():
    widely = RecommendedTitle(STEINS, 7.0, 0.17, source="prior")
    close = RecommendedTitle(STEINS, 7.0, 0.17, source="content")
    recs = Recommendations([widely, widely, close], requested=3, filtered=True, new_since=date(2025, 12, 1))
    hint = [f for f in render.recommend_embed(recs).fields if f.name == "Mostly picked for being widely watched"]
    assert [f.value for f in hint] == [render.WIDELY_WATCHED_NEW]
    for quiet in (replace(recs, picks=[widely, close, close]), replace(recs, discover=True),
                  replace(recs, new_since=None), replace(recs, onboarding=[STEINS])):
        assert all(f.name != "Mostly picked for being widely watched" for f in render.recommend_embed(quiet).fields)


@pytest.mark.parametrize("filtered, later, says", [
    (False, False, "No good matches: I predict every title you haven't rated below your usual score"),
    (True, False, "No good matches with these options: what fits them you have rated, or I predict it below"),
    (False, True, "No more good matches. Rate a few more titles and ask again."),
    (True, True, "No more good matches with these options."),
])
def test_an_empty_list_says_why_as_the_request_tells(filtered, later, says):
    recs = Recommendations([], requested=5, filtered=filtered, later=later)
    assert render.recommend_embed(recs).description.startswith(says)


def test_ratings_page_by_fifteen_and_count_hidden_adult_titles():
    items = [RatedTitle(STEINS, 9.0, "")] * 16
    ratings = RatingList(items, hidden=2)
    assert render.ratings_pages(ratings) == 2 and render.ratings_pages(RatingList([], 0)) == 1
    second = render.ratings_embed(ratings, "Your ratings", 1)
    assert second.title == "Your ratings (16)" and second.description == "**Steins;Gate** — 9/10"
    assert second.footer.text == "Page 2/2 · 2 age-restricted titles not shown in this channel"
    one = render.ratings_embed(RatingList(items, hidden=1, pending=(999_001,)), "Your ratings", 0)
    assert one.footer.text == "Page 1/2 · 1 age-restricted title not shown in this channel"
    assert [(f.name, f.value) for f in one.fields] == [
        ("1 imported title kept; it counts once the catalog knows it", "mal:999001. /unrate mal:<id> removes one.")]


def test_ratings_of_only_titles_the_catalog_does_not_know_yet_name_them_by_id():
    pending = tuple(range(999_000, 999_025))
    page = render.ratings_embed(RatingList([], 0, pending), "Your ratings", 0)
    assert page.description == "No ratings of titles the catalog knows yet."
    assert page.fields[0].value.startswith("mal:999000, mal:999001") and "and 5 more." in page.fields[0].value


def test_an_import_says_how_many_of_its_titles_wait_for_the_catalog_in_words_that_agree_with_the_count():
    from animerec.bot.service.results import ImportReport

    one = render.import_embed(ImportReport(6, 0, 0, {}, 1)).description
    assert one == ("Added **6**, updated **0**, unchanged 0.\n1 imported title kept; it counts once the "
                   "catalog knows it (it fetches new titles every week).")
    assert "3 imported titles kept; they count once the catalog knows them" in \
        render.import_embed(ImportReport(6, 0, 0, {}, 3)).description


def test_an_import_that_stored_nothing_says_so_beside_why():
    from animerec.bot.service.results import ImportReport

    embed = render.import_embed(ImportReport(0, 0, 0, {"malformed (no usable id or score)": 1}))
    assert embed.description == "Nothing was stored: no entry of that file could be imported."
    assert embed.fields[0].value == "1 malformed (no usable id or score)"


def test_a_watch_party_names_everyone_and_starts_each_pick_at_zero_votes():
    party = WatchParty("least_misery", (1, 2), (3,), [PartyPick(STEINS, (9.1, 8.66), 1)])
    embed = render.watchparty_embed(party, {1: "alice", 2: "bob", 3: "carol"}, skipped=[4])
    assert embed.title == "Watch party: least misery"
    assert "no one else" not in embed.description
    assert "Skipped, not members of this server: <@4>." in embed.description
    assert "carol: no ratings yet, so left out." in embed.description
    assert embed.fields[0].value == "Sci-Fi, Thriller · TV · 24 eps · +1 more in this series\n" \
                                    "Predicted: alice 9.1, bob 8.7\nVotes: 0"


def test_a_party_shows_the_figure_its_list_follows_and_says_when_one_member_is_left():
    party = WatchParty("least_misery", (1, 2), (), [PartyPick(STEINS, (9.1, 8.66), 0, 8.66)])
    embed = render.watchparty_embed(party, {1: "alice", 2: "bob"})
    assert "In order of the least keen member's predicted score." in embed.description
    assert embed.fields[0].value.startswith("Lowest **8.7** · Sci-Fi, Thriller")
    fair = render.watchparty_embed(WatchParty("fair", (1, 2), (), [PartyPick(STEINS, (9.1, 8.66), 0, 8.7)]),
                                   {1: "alice", 2: "bob"})
    assert "In order of the fair score (the average predicted score less the members' disagreement)." \
        in fair.description
    alone = render.watchparty_embed(WatchParty("average", (1,), (2,), []), {1: "alice", 2: "bob"})
    assert "That leaves only alice: there is no one else to party with." in alone.description
    empty = render.watchparty_embed(WatchParty("average", (1, 2), (), []), {1: "alice", 2: "bob"}).description
    assert empty.startswith("Strategy: best for the group on average.\nNo good matches for this group:")


def test_a_party_with_a_private_member_shows_no_group_figure_from_which_their_prediction_follows():
    party = WatchParty("average", (1, 2), (), [PartyPick(STEINS, (7.3, 8.7), 0, 8.0)], private=frozenset({2}))
    embed = render.watchparty_embed(party, {1: "bob", 2: "alice"})
    assert "No group figures: alice keeps their taste private." in embed.description
    two = WatchParty("average", (1, 2, 3), (), [PartyPick(STEINS, (7.3, 8.7, 8.1), 0, 8.0)], private=frozenset({2, 3}))
    assert "No group figures: alice and carol keep their taste private." in \
        render.watchparty_embed(two, {1: "bob", 2: "alice", 3: "carol"}).description
    assert embed.fields[0].value == "Sci-Fi, Thriller · TV · 24 eps\nPredicted: bob 7.3, alice (private)\nVotes: 0"
    assert "8.0" not in str(embed.to_dict())


def test_tallies_go_on_each_picks_last_line_even_when_clipped():
    embed = discord.Embed(title="Watch party: average")
    embed.add_field(name="1. Steins;Gate", value="Sci-Fi · TV\nPredicted: alice 9.1\nVotes: 0")
    embed.add_field(name="2. Cowboy Bebop", value="Action · TV\nPredicted: alice 8.7, bob 8.…")  # cut by fit()
    fields = render.with_votes(embed, {2: 3}).fields
    assert [f.value for f in fields] == ["Sci-Fi · TV\nPredicted: alice 9.1\nVotes: 0",
                                         "Action · TV\nPredicted: alice 8.7, bob 8.…\nVotes: 3"]


def test_stats_in_words_give_the_age_the_data_and_the_quality_of_the_served_model():
    meta = ModelMeta("v1", {}, "2026-11-25T04:00:00+00:00", Counts(dataset_interactions=520609, community_interactions=12),
                     {"p80": {"recall20": 0.3017, "mae": 0.8396}})
    text = render.stats_embed(Stats(meta, 40, 3, None, None, None), now=NOW).description
    assert text.startswith("My model is 3 hours old. It learned from 520,609 ratings and watches")
    assert "30% of the titles they went on to watch were among its 20 picks" in text and "within 0.8 points" in text
    small = Stats(ModelMeta("v2", {}, "2026-11-23T04:00:00+00:00"), 0, 0, None, None, None)
    text = render.stats_embed(small, now=NOW).description
    assert text.startswith("My model is 2 days old") and "was not evaluated" in text
    unknown_age = Stats(ModelMeta("v3", {}), 0, 0, None, None, None)
    assert render.stats_embed(unknown_age, now=NOW).description.startswith("My model is of unknown age, so some hours old")
    running = Stats(meta, 40, 3, "2026-11-25T07:18:04+00:00", None, None)
    assert "A retrain is running (started 11 minutes ago); I keep answering meanwhile." in \
        render.stats_embed(running, now=NOW).description
    training = Stats(None, 0, 0, None, None, None)
    assert render.stats_embed(training).description.startswith("I have no model yet: the first one is training.")


def test_the_figures_page_lists_the_model_its_data_and_its_evaluation():
    meta = ModelMeta("v1", {}, "2026-11-25T04:00:00+00:00", Counts(1000, 990, 10, 50, 300),
                     {"seed": 0, "p80": {"ndcg10": 0.31767, "users": 682, "mae": 0.84}})
    fields = {f.name: f.value for f in render.stats_figures_embed(Stats(meta, 10, 2, None, None, None)).fields}
    assert fields["Model"] == "v1\ntrained 2026-11-25T04:00:00+00:00"
    assert fields["Trained on"] == "990 dataset + 10 community interactions\n50 users · 300 titles"
    assert fields["Evaluation, protocol p80 (docs/evaluation.md)"] == "NDCG@10 0.318, MAE 0.840"
    none = {f.name: f.value for f in render.stats_figures_embed(Stats(None, 0, 0, None, None, None)).fields}
    assert none == {"Evaluation": "none recorded for this model"}


def test_a_title_is_headed_by_its_name_and_its_english_one_where_they_differ():
    """A member who typed "Frieren" sees the title they meant under its MyAnimeList name, with the English
    name they know beside it: the /rate reply, a pick, a /similar list, their ratings, and a pick's reason."""
    both = "Sousou no Frieren · Frieren: Beyond Journey's End"
    assert render.rate_embed(RateResult(FRIEREN, 10.0, None, 9.1)).title == both
    pick = RecommendedTitle(FRIEREN, 9.0, 0.8, False, Because(STEINS, 9.0))
    picks = render.recommend_embed(Recommendations([pick], requested=1))
    assert picks.fields[0].name == f"1. {both}" and picks.fields[0].value.endswith("Because you rated Steins;Gate 9/10")
    similar = render.similar_embed(SimilarTitles(STEINS, [Neighbour(FRIEREN, 0.61)]))
    assert similar.title == "Similar to Steins;Gate" and similar.fields[0].name == f"1. {both}"
    rated = render.ratings_embed(RatingList([RatedTitle(FRIEREN, 10.0, "")], 0), "Yours", 0)
    assert rated.description == f"**{both}** — 10/10"
    because = RecommendedTitle(STEINS, 9.0, 0.8, False, Because(FRIEREN, 10.0))
    assert render.pick_reason(because) == f"Because you rated {both} 10/10"


def test_a_kept_score_is_said_and_other_entries_the_name_fits_are_still_offered():
    """Marked watched over a score: the score stands, how to drop it is said, and where the typed name fits
    other entries they are offered as on any /rate (the member may have meant the one not yet marked)."""
    kept = RateResult(FRIEREN, 8.0, 8.0, 9.1, ("Sousou no Frieren 2nd Season (2026)",), score_kept=True)
    fields = {f.name: f.value for f in render.rate_embed(kept).fields}
    assert fields["Your score"].startswith("8/10, kept: a score already says you watched it.")
    assert "Sousou no Frieren 2nd Season (2026)" in fields["Not this one?"]
    assert "I had predicted" not in fields and "Before" not in fields


def test_a_similar_title_that_comes_later_in_its_series_says_where_the_series_starts():
    similar = render.similar_embed(SimilarTitles(FRIEREN, [Neighbour(MOVIE, 0.5, STEINS), Neighbour(STEINS, 0.4)]))
    assert similar.fields[0].value.endswith("\nComes later in its series: start with Steins;Gate")
    assert "start with" not in similar.fields[1].value


def test_a_same_series_title_named_in_japanese_script_alone_says_what_it_is():
    recap = Anime(60000, "劇場総集編ぼっち・ざ・ろっく！ Re:", ("Music",), "Movie", 1, None, 20_000, year=2024)
    undated = Anime(60001, "ぼっち・ざ・ろっく！ 特別編", ("Music",), None, None, None, 0)
    similar = render.similar_embed(SimilarTitles(FRIEREN, [], [MOVIE, recap, undated]))
    assert similar.fields[-1].name == "Same series"
    assert similar.fields[-1].value == ("Steins;Gate Movie; 劇場総集編ぼっち・ざ・ろっく！ Re: (Movie, 2024); "
                                        "ぼっち・ざ・ろっく！ 特別編")
