"""The similar service (features/similar/service.py): a title's nearest titles, filtered."""

import pytest

from animerec.bot.service import UserError
from botkit import ALICE, DEATH_NOTE, STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_similar(service):
    result = await service.similar.find("Steins;Gate", count=5, type="TV")
    assert result.source.anime_id == STEINS_GATE
    assert len(result.neighbours) == 5
    assert all(n.anime.anime_id != STEINS_GATE and n.anime.type == "TV" for n in result.neighbours)
    sims = [n.similarity for n in result.neighbours]
    assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)
    with pytest.raises(UserError, match="Did you mean"):
        await service.similar.find("Stens Gat Zeroo", count=5)  # three typos: not clearly meant


async def test_similar_leaves_out_what_the_member_gave_and_starts_new_series_at_their_start(service):
    await service.ratings.rate(ALICE, "Death Note", "9")
    for_alice = await service.similar.find("Steins;Gate", count=10, member_id=ALICE)
    assert len(for_alice.neighbours) == 10 and DEATH_NOTE not in {n.anime.anime_id for n in for_alice.neighbours}
    anyone = await service.similar.find("Steins;Gate", count=10)
    franchises = service.models.served().franchises
    for n in anyone.neighbours:  # nobody here gave anything of these: each is where its series starts
        f = franchises.franchise_of(n.anime.anime_id)
        assert f is None or n.anime.anime_id == franchises.entry_point(f) or \
            n.anime.type not in ("TV", "Movie", "OVA", "ONA")


async def test_similar_answers_for_a_title_the_training_data_never_saw(service):
    """Sousou no Frieren (MAL 52991, 2023) has no interactions: its cold-start vector is in the index."""
    served = service.models.served()
    assert served.is_cold(52991)
    result = await service.similar.find("mal:52991", count=10)
    assert result.source.anime_id == 52991 and len(result.neighbours) == 10
    assert 52991 not in {n.anime.anime_id for n in result.neighbours}
    franchise = served.franchises.franchise_of(52991)
    assert all(served.franchises.franchise_of(n.anime.anime_id) != franchise for n in result.neighbours)


async def test_a_title_fetched_since_the_last_retrain_says_when_similar_will_know_it(service, monkeypatch):
    """A catalog refresh can add a title the served model has no vector for until the next retrain."""
    served = service.models.served()
    monkeypatch.setattr(served, "index_of", lambda anime_id: None)  # as for a title the refresh just added
    with pytest.raises(UserError, match=r"^Sousou no Frieren came into the catalog after my model was trained: "
                                        r"/similar knows it after the next retrain\.$"):
        await service.similar.find("mal:52991", count=10)


async def test_a_title_with_nothing_to_place_it_by_is_declined_in_words(service):
    """Takopi's Original Sin (MAL 60489) is known from bangumi-data alone: no ratings, franchise or genres.
    Its vector is the mean of 2025 ONAs, and its 'neighbours' were chance (Bocchi the Rock!, Azumanga Daioh)."""
    served = service.models.served()
    assert served.is_cold(60489) and 60489 not in served.similar_ids()
    with pytest.raises(UserError, match=r"^I know too little about Takopi's Original Sin to say what is like it: "
                                        r".*my catalog lists no genres for it\. If you have seen it, /rate it"):
        await service.similar.find("mal:60489", count=10)
