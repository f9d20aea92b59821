"""The watch-party service (features/watchparty/service.py): one list for a group, and its votes."""

import pytest

from animerec.bot.app import render
from animerec.bot.service import UserError
from animerec.recsys.catalog.catalog import Filters, UnknownFilter
from botkit import ALICE, BOB, CAROL, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD, STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_watchparty_names_members_without_ratings_and_predicts_for_each(service):
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await service.ratings.rate(ALICE, title, "9")
    await service.ratings.rate(CAROL, "Fullmetal Alchemist: Brotherhood", "10")
    party = await service.parties.plan(service.parties.request([ALICE, BOB, CAROL, ALICE], strategy="least_misery", count=5))
    assert party.members == (ALICE, CAROL) and party.unrated == (BOB,)
    assert len(party.picks) == 5
    seen = {STEINS_GATE, COWBOY_BEBOP, DEATH_NOTE, FMA_BROTHERHOOD}
    for pick in party.picks:
        assert pick.anime.anime_id not in seen
        assert len(pick.predictions) == 2 and all(1 <= p <= 10 for p in pick.predictions)
    assert "least keen" in party.strategy_description

    nobody = await service.parties.plan(service.parties.request([BOB, BOB + 100]))
    assert (nobody.members, nobody.unrated, nobody.picks) == ((), (BOB, BOB + 100), [])
    with pytest.raises(UserError, match="Strategies: average, least_misery, fair"):
        service.parties.request([ALICE, BOB], strategy="loudest")
    with pytest.raises(UserError, match="at most 12"):
        service.parties.request(list(range(1, 14)))
    assert service.parties.request([ALICE, BOB], genre="sci fi", type="tv").filters == Filters("Sci-Fi", "TV")
    # As in /recommend: the adult genre is refused where adult titles are not shown, not an empty party.
    with pytest.raises(UnknownFilter, match="only appear where adult titles are allowed"):
        service.parties.request([ALICE, BOB], genre="hentai")
    with pytest.raises(UnknownFilter) as unknown:
        service.parties.request([ALICE, BOB], genre="bogus")
    assert "Hentai" not in str(unknown.value)
    assert service.parties.request([ALICE, BOB], genre="hentai", allow_adult=True).filters.genre == "Hentai"


async def test_a_party_of_one_says_there_is_no_one_else_to_party_with(service):
    await service.ratings.rate(ALICE, "Steins;Gate", "9")
    for alone in ([ALICE], [ALICE, ALICE]):
        with pytest.raises(UserError, match="no one else to party with"):
            service.parties.request(alone)
    # BOB has no ratings: ALICE would be partying alone, so there are no party picks for her.
    party = await service.parties.plan(service.parties.request([ALICE, BOB]))
    assert (party.members, party.unrated, party.picks) == ((ALICE,), (BOB,), [])


async def test_watch_party_votes_move_close_after_a_week_and_are_forgotten(service):
    await service.parties.open_vote(900, [ALICE, BOB])
    assert await service.parties.vote(900, ALICE, 2) == {2: 1}
    assert await service.parties.vote(900, BOB, 2) == {2: 2}
    assert await service.parties.vote(900, ALICE, 1) == {1: 1, 2: 1}  # a new vote moves the old one
    with pytest.raises(UserError, match="^Only members of this watch party can vote, within 7 days of it.$"):
        await service.parties.vote(900, CAROL, 1)

    await service.ratings.forget(BOB)
    assert await service.parties.vote(900, ALICE, 1) == {1: 1}  # bob's vote went with everything else of his
    await service.store._write(
        lambda db: db.execute("UPDATE party_votes SET created_at = '2000-01-01T00:00:00+00:00' WHERE message_id = 900")
    )
    await service.parties.open_vote(901, [CAROL])  # opening a party closes those older than a week
    with pytest.raises(UserError, match="Only members"):
        await service.parties.vote(900, ALICE, 1)


async def test_a_hidden_members_predictions_stay_private_in_the_party_they_asked_for(service):
    """The party's message is the channel's: whoever asked for it, a hidden member's scores are not by their name."""
    for member in (ALICE, CAROL):
        for title in ("Steins;Gate", "Cowboy Bebop"):
            await service.ratings.rate(member, title, "9")
    await service.community.set_privacy(ALICE, True)
    party = await service.parties.plan(service.parties.request([ALICE, CAROL], count=3, asker=ALICE))
    assert party.private == frozenset({ALICE}) and party.picks and party.withheld == ()


async def test_a_hidden_member_named_by_someone_else_is_left_out_and_changes_nothing(service):
    """What a party leaves out is what its members watched: naming a hidden member beside oneself must not
    read off their list, nor their taste from its order."""
    await service.ratings.rate(ALICE, "Death Note", "10")
    await service.ratings.rate(ALICE, "Code Geass", "10")
    for member in (BOB, CAROL):
        await service.ratings.rate(member, "Steins;Gate", "9")
        await service.ratings.rate(member, "Cowboy Bebop", "8")
    await service.community.set_privacy(ALICE, True)
    without = await service.parties.plan(service.parties.request([CAROL, BOB], count=10, asker=CAROL))
    assert DEATH_NOTE in [p.anime.anime_id for p in without.picks]  # what naming ALICE would have left out
    named = await service.parties.plan(service.parties.request([CAROL, BOB, ALICE], count=10, asker=CAROL))
    assert named.withheld == (ALICE,) and named.members == (CAROL, BOB)
    assert [p.anime.anime_id for p in named.picks] == [p.anime.anime_id for p in without.picks]
    assert "keeps their taste private, so left out" in render.watchparty_embed(
        named, {ALICE: "alice", BOB: "bob", CAROL: "carol"}).description
