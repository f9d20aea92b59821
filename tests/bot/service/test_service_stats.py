"""/stats' figures (service/stats.py): the community's counts, and a training running in another process."""

import pytest

from animerec.bot.store import Store
from botkit import ALICE, BOB

pytestmark = pytest.mark.timeout(60)


async def test_stats_counts_the_community(service):
    await service.ratings.rate(ALICE, "Steins;Gate", "9")
    await service.ratings.rate(BOB, "Steins;Gate", "8")
    stats = await service.stats()
    assert (stats.community_ratings, stats.community_members) == (2, 2)
    assert stats.meta == service.models.meta and stats.meta.counts.users == 5000
    assert stats.training_since is None and stats.last_failure is None


@pytest.mark.timeout(240)
async def test_stats_show_a_training_running_in_another_process(service, database):
    other = await Store.open(database)  # another shard's store, on the same database
    try:
        assert (await service.stats()).training_since is None
        await other.training_started()
        [(started,)] = await other._all("SELECT started_at FROM model_registry WHERE status = 'training'")
        assert (await service.stats()).training_since == started
    finally:
        await other.close()
