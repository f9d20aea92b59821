"""/taste, /compare, /score, /server top and /privacy through the real discord.py tree (simcord), with
members of two servers for the privacy rules."""

import io
import sys

import pytest
from PIL import Image

from animerec.bot import create_bot
from animerec.recsys.catalog.catalog import LABEL_SEPARATOR
from animerec.recsys.community import affinity, liked_titles, popularity_direction
from botkit import CODE_GEASS, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE, user_errors

pytestmark = pytest.mark.timeout(120)

ALICE = {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 4.0, FMA_BROTHERHOOD: 8.0}
BOB = {STEINS_GATE: 9.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 10.0, FMA_BROTHERHOOD: 8.0}


@pytest.fixture
def town(simcord_env):
    """Server "town": alice, bob, carol. Server "elsewhere": dave and bob."""
    guild = simcord_env.create_guild("town")
    channel = guild.create_text_channel("anime")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob_user = simcord_env.create_user("bob")
    bob = guild.add_member(bob_user)
    carol = guild.add_member(simcord_env.create_user("carol"))
    elsewhere = simcord_env.create_guild("elsewhere")
    far_channel = elsewhere.create_text_channel("anime")
    dave_user = simcord_env.create_user("dave")
    dave = elsewhere.add_member(dave_user)
    bob_far = elsewhere.add_member(bob_user)
    simcord_env.bot.service.community.tally_seconds = 0  # every answer sees the latest ratings
    simcord_env.settle_timeout = 60  # a first picture on a busy 2-core machine (the benchmark times it)
    return dict(guild=guild, channel=channel, alice=alice, bob=bob, carol=carol, elsewhere=elsewhere,
                far_channel=far_channel, dave=dave, bob_far=bob_far, dave_user=dave_user)


def reply(result):
    """The message a deferred command answered with."""
    return result.followups[0] if result.followups else result.response


async def give(env, member, channel, ratings: dict[int, float]) -> None:
    """Ratings stored for a member who has used the bot in that channel's server (/ratings records them)."""
    await env.bot.service.store.upsert_ratings(member.id, ratings)
    await member.slash(channel, "ratings")


async def test_taste_posts_a_png_map_with_the_members_titles_and_a_summary(simcord_env, town, monkeypatch):
    alice, bob, channel = town["alice"], town["bob"], town["channel"]
    await give(simcord_env, alice, channel, ALICE)
    await give(simcord_env, bob, channel, BOB)
    drawn = []
    ext = sys.modules["animerec.bot.features.community.cog"]  # the bot's copy: load_extension executes the module anew
    real = ext.taste_png

    def spy(picture):
        drawn.append(picture)
        return real(picture)

    monkeypatch.setattr(ext, "taste_png", spy)
    result = await alice.slash(channel, "taste")
    assert result.ephemeral
    [message] = [result.response] if result.response and result.response.attachments else result.followups
    [attachment] = message.attachments
    png = await attachment.read()
    assert attachment.filename == "taste.png" and png.startswith(b"\x89PNG") and len(png) < 500_000
    assert Image.open(io.BytesIO(png)).size == (1100, 560)
    embed = message.embeds[0]
    assert embed.title == "Your taste" and embed.image.url == "attachment://taste.png"
    assert "top picks:" in embed.description
    [picture] = drawn
    assert {p.label: p.score for p in picture.rated} == {
        "Steins;Gate": 10.0, "Cowboy Bebop": 9.0, "Death Note": 4.0, "Fullmetal Alchemist: Brotherhood": 8.0}
    assert len(picture.picks) == 3 and picture.place is not None and picture.server_place is not None
    assert not {p.label for p in picture.picks} & {p.label for p in picture.rated}
    assert len(picture.catalog) > 1000 and picture.genres and len(picture.member_shares) == len(picture.genres)

    other = await town["carol"].slash(channel, "taste", member=bob, share=True)
    assert not other.ephemeral
    assert reply(other).embeds[0].title == "bob’s taste" and reply(other).attachments
    assert len(drawn) == 2 and drawn[1].who == "bob" and drawn[1].title == "bob's taste map"


async def test_taste_explains_privately_when_there_is_nothing_to_draw(simcord_env, town):
    result = await town["alice"].slash(town["channel"], "taste")
    assert result.ephemeral
    assert "Rate a few titles first" in reply(result).content
    other = await town["alice"].slash(town["channel"], "taste", member=town["carol"])
    text = reply(other).content
    assert text == "carol hasn't rated anything yet, so there is no taste to show."
    assert len(user_errors(simcord_env)) == 2


async def test_compare_gives_the_affinity_and_how_it_is_computed(simcord_env, town):
    alice, bob, channel = town["alice"], town["bob"], town["channel"]
    await give(simcord_env, alice, channel, ALICE)
    await give(simcord_env, bob, channel, BOB)
    result = await alice.slash(channel, "compare", member=bob)
    assert result.ephemeral
    embed = reply(result).embeds[0]
    model = simcord_env.bot.service.models.served().model
    expected = affinity(ALICE, BOB, model.fold_in(liked_titles(ALICE)), model.fold_in(liked_titles(BOB)),
                        popularity_direction(model))  # taste from what each liked: Death Note 4 is not alice's
    assert embed.title == f"You and bob: {expected.score:.0%} alike"
    # Centred on their own means (7.75 and 9), their scores of the 4 titles have cosine -0.62: 19%.
    assert "Agreement on the 4 titles you both scored (19%) counts for 44% of this" in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Shared favourites"].split("\n") == ["Steins;Gate", "Cowboy Bebop",
                                                       "Fullmetal Alchemist: Brotherhood"]
    assert fields["Biggest disagreement"] == "Death Note: you 4/10, bob 10/10"
    together = fields["You would both love (neither has seen them)"].split("\n")
    assert len(together) == 3
    assert not any(line.startswith(("Steins;Gate:", "Cowboy Bebop:", "Death Note:")) for line in together)

    myself = await alice.slash(channel, "compare", member=alice)
    assert "Pick someone else" in reply(myself).content
    assert user_errors(simcord_env) == [reply(myself).content]


async def test_score_counts_this_server_only_and_names_visible_lovers(simcord_env, town):
    alice, bob, carol, dave, channel = town["alice"], town["bob"], town["carol"], town["dave"], town["channel"]
    await give(simcord_env, alice, channel, {STEINS_GATE: 10.0})
    await give(simcord_env, bob, channel, {STEINS_GATE: 9.0})
    await give(simcord_env, carol, channel, {STEINS_GATE: -1.0, COWBOY_BEBOP: 7.0})
    await give(simcord_env, dave, town["far_channel"], {STEINS_GATE: 10.0})  # another server: never counted here
    result = await carol.slash(channel, "score", anime=str(STEINS_GATE))
    embed = reply(result).embeds[0]
    assert embed.title == "Steins;Gate"
    assert "**3** members here rated or watched it; **2** scored it, mean **9.5**." in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Scores here"].split("\n")[1:3] == [f"10 {'█' * 16} 1", f" 9 {'█' * 16} 1"]
    assert fields["Loved it (9+)"] == "alice, bob"
    assert "dave" not in str(embed.to_dict())
    assert fields["You"] == "You watched it."
    mine = await alice.slash(channel, "score", anime="Cowboy Bebop")
    fields = {f.name: f.value for f in reply(mine).embeds[0].fields}
    assert fields["For you"].startswith("Predicted **") and "/10**, " in fields["For you"]

    typo = await alice.slash(channel, "score", anime="Steins Gateway")
    assert typo.ephemeral and "Did you mean: Steins;Gate" in typo.response.content
    assert user_errors(simcord_env) == [typo.response.content]


async def test_hidden_members_count_only_anonymously_and_cannot_be_looked_at(simcord_env, town):
    alice, bob, carol, channel = town["alice"], town["bob"], town["carol"], town["channel"]
    await give(simcord_env, alice, channel, {STEINS_GATE: 10.0, COWBOY_BEBOP: 8.0})
    await give(simcord_env, bob, channel, {STEINS_GATE: 9.0, DEATH_NOTE: 8.0})
    await give(simcord_env, carol, channel, {STEINS_GATE: 7.0})
    hidden = await bob.slash(channel, "privacy", setting="hidden")
    assert hidden.ephemeral and "**hidden**" in reply(hidden).content

    score = await carol.slash(channel, "score", anime=str(STEINS_GATE))
    fields = {f.name: f.value for f in reply(score).embeds[0].fields}
    # Three raters: bob's 9 would follow from the figures and carol's own 7, so he is left out of them.
    assert fields["Loved it (9+)"] == "alice"
    assert "**2** members here rated or watched it; **2** scored it, mean **8.5**." in reply(score).embeds[0].description
    for command, options in (("compare", {"member": bob}), ("taste", {"member": bob})):
        refused = await carol.slash(channel, command, **options)
        text = reply(refused).content
        assert refused.ephemeral and text.startswith("bob keeps their taste private")
    assert len(user_errors(simcord_env)) == 2
    own = await bob.slash(channel, "taste")  # bob still sees his own
    assert reply(own).attachments
    top = await carol.slash(channel, "server top")
    assert "From the ratings of 2 members here." in reply(top).embeds[0].description
    await bob.slash(channel, "privacy", setting="visible")
    score = await carol.slash(channel, "score", anime=str(STEINS_GATE))
    fields = {f.name: f.value for f in reply(score).embeds[0].fields}
    assert fields["Loved it (9+)"] == "alice, bob"


async def test_a_member_of_two_servers_shows_in_both_and_no_one_leaks_across(simcord_env, town):
    alice, bob, dave = town["alice"], town["bob"], town["dave"]
    await give(simcord_env, alice, town["channel"], {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 9.0})
    await give(simcord_env, bob, town["channel"], {STEINS_GATE: 9.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: 10.0})
    await give(simcord_env, dave, town["far_channel"], {DEATH_NOTE: 9.0, CODE_GEASS: 10.0})
    await town["bob_far"].slash(town["far_channel"], "ratings")  # bob uses the bot in "elsewhere" too
    here = await alice.slash(town["channel"], "score", anime=str(DEATH_NOTE))
    there = await dave.slash(town["far_channel"], "score", anime=str(DEATH_NOTE))
    here_fields = {f.name: f.value for f in reply(here).embeds[0].fields}
    there_fields = {f.name: f.value for f in reply(there).embeds[0].fields}
    assert here_fields["Loved it (9+)"] == "bob, alice"  # 10 before 9
    assert there_fields["Loved it (9+)"] == "bob, dave"  # alice is not in "elsewhere"
    top_there = await dave.slash(town["far_channel"], "server top")
    text = str(reply(top_there).embeds[0].to_dict())
    assert "From the ratings of 2 members here." in text and "Code Geass" in text
    town["elsewhere"].remove_member(town["bob_far"])
    there = await dave.slash(town["far_channel"], "score", anime=str(DEATH_NOTE))
    there_fields = {f.name: f.value for f in reply(there).embeds[0].fields}
    assert there_fields["Loved it (9+)"] == "dave"  # bob left: his name is checked, and he leaves its views
    after = await dave.slash(town["far_channel"], "score", anime=str(DEATH_NOTE))
    assert "**1** member here" in reply(after).embeds[0].description


async def test_server_top_lists_favourites_most_watched_and_rare_loves(simcord_env, town):
    alice, bob, carol, channel = town["alice"], town["bob"], town["carol"], town["channel"]
    rare = next(a.anime_id for a in reversed(list(simcord_env.bot.service.catalog))
                if simcord_env.bot.service.models.served().model.index_of(a.anime_id) is not None
                and not a.is_adult)
    for member, extra in ((alice, 10.0), (bob, 9.0), (carol, 8.0)):
        await give(simcord_env, member, channel, {STEINS_GATE: 10.0, COWBOY_BEBOP: extra, DEATH_NOTE: -1.0,
                                                  rare: 9.0 if member is not carol else 6.0})
    result = await alice.slash(channel, "server top")
    embed = reply(result).embeds[0]
    fields = {f.name: f.value.split("\n") for f in embed.fields}
    assert fields["Favourites"][0].startswith("1. Steins;Gate · **")
    assert fields["Favourites"][0].endswith("(3 scores)")
    assert fields["Most watched"][0].endswith("· 3 members")
    rare_name = simcord_env.bot.service.catalog.get(rare).name
    assert fields["Loved here, rare elsewhere"] == [f"1. {rare_name} · loved by 2 here"]
    assert "From the ratings of 3 members here." == embed.description


def pick_names(message) -> list[str]:
    """Each pick's name: its header less the rank, and less the English name shown beside it."""
    return [f.name.split(". ", 1)[1].split(LABEL_SEPARATOR)[0] for f in message.embeds[0].fields]


async def test_we_watched_it_marks_the_winner_survives_a_restart_and_the_group_moves_on(
        simcord_env, town, settings, catalog):
    alice, bob, carol, channel = town["alice"], town["bob"], town["carol"], town["channel"]
    await give(simcord_env, alice, channel, ALICE)
    await give(simcord_env, bob, channel, BOB)
    message = (await alice.slash(channel, "watchparty", members=bob.mention, count=3)).response
    picks = pick_names(message)
    assert len(picks) == 3
    early = await alice.click(message, label="We watched it")
    assert reply(early).content == "Vote first: the pick with the most votes is the one you watch."
    await bob.click(message, label="Vote 2")
    await alice.click(message, label="Vote 2")
    stranger = await carol.click(message, label="We watched it")
    assert reply(stranger).content == "Only members of this watch party can say they watched its pick."
    assert user_errors(simcord_env) == [reply(early).content, reply(stranger).content]

    old = simcord_env.bot
    restarted = create_bot(settings, catalog=catalog)
    try:
        await simcord_env.restart_bot(restarted)  # the vote and the party are stored
        await old.close()
        done = await alice.click(message, label="We watched it")
        [note] = done.followups
        assert note.ephemeral and note.content.startswith(f"{picks[1]}: marked as watched for you.")
        assert message.embeds[0].footer.text == f"We watched it: {picks[1]} · 1 member confirmed"
        winner = catalog.resolve_choice(picks[1]).anime.anime_id
        assert (await simcord_env.bot.service.store.rating_map(alice.id))[winner] == -1.0
        await bob.click(message, label="We watched it")
        again = await alice.click(message, label="We watched it")
        assert "already marked as watched" in again.followups[0].content
        assert message.embeds[0].footer.text == f"We watched it: {picks[1]} · 2 members confirmed"

        later = (await alice.slash(channel, "watchparty", members=bob.mention, count=3)).response
        assert f"This group watched together before: {picks[1]} (2 watched). Not offered again." in \
            later.embeds[0].description
        assert picks[1] not in pick_names(later)
        other = (await alice.slash(channel, "watchparty", members=carol.mention, count=3)).response
        assert "watched together before" not in other.embeds[0].description  # another group
    finally:
        await restarted.close()  # the simcord_bot fixture closes only the first bot


async def test_another_members_ratings_only_when_visible_and_in_this_server(simcord_env, town):
    alice, bob, dave, channel = town["alice"], town["bob"], town["dave"], town["channel"]
    await give(simcord_env, bob, channel, {STEINS_GATE: 9.0})
    await give(simcord_env, dave, town["far_channel"], {DEATH_NOTE: 9.0})
    shown = await alice.slash(channel, "ratings", member=bob)
    assert reply(shown).embeds[0].title == "bob's ratings (1)"
    elsewhere = await alice.slash(channel, "ratings", member=town["dave_user"])  # a user, not of this server
    assert reply(elsewhere).content == "I can only show the ratings of a member of this server."
    await bob.slash(channel, "privacy", setting="hidden")
    hidden = await alice.slash(channel, "ratings", member=bob)
    assert reply(hidden).content == "bob keeps their taste private, so I can't show their ratings."
    assert reply(await bob.slash(channel, "ratings")).embeds[0].title == "Your ratings (1)"
    assert user_errors(simcord_env) == [reply(elsewhere).content, reply(hidden).content]


async def test_a_hidden_members_predicted_scores_stay_private_in_a_watch_party(simcord_env, town):
    alice, bob, channel = town["alice"], town["bob"], town["channel"]
    await give(simcord_env, alice, channel, ALICE)
    await give(simcord_env, bob, channel, BOB)
    await bob.slash(channel, "privacy", setting="hidden")
    # Named by alice, bob is left out: what a party leaves out would tell what he watched.
    message = (await alice.slash(channel, "watchparty", members=bob.mention, count=3)).response
    assert "bob: keeps their taste private, so left out." in message.embeds[0].description
    assert not message.embeds[0].fields
    # The party bob asks for takes him in; it is posted to the channel, so his scores stay private in it.
    own = (await bob.slash(channel, "watchparty", members=alice.mention, count=3)).response
    lines = [f.value.split("\n")[1] for f in own.embeds[0].fields]
    assert len(lines) == 3 and all(line.startswith("Predicted: bob (private), alice ") for line in lines)
    # With alice's prediction shown, the average would tell bob's: no group figure.
    assert "No group figures: bob keeps their taste private." in own.embeds[0].description
    assert not any(f.value.startswith("Average **") for f in own.embeds[0].fields)
