"""The service as a whole (service/facade.py) under load: 200 members rating at once while others ask for
picks and a retrain runs; every acknowledged rating is committed."""

import asyncio
import random

import pytest

from animerec.bot.store import SQLITE, Store, TrainingStatus
from animerec.recsys.catalog.catalog import id_text

MEMBERS = 200


@pytest.mark.timeout(150)
async def test_concurrent_rates_recommends_and_retrain(service, database):
    titles = [a.anime_id for a in list(service.catalog)[:60] if not a.is_adult]
    rng = random.Random(0)
    plans = {1000 + m: [(rng.choice(titles), str(rng.randint(1, 10))) for _ in range(4)] for m in range(MEMBERS)}
    expected = {m: {a: float(s) for a, s in plan} for m, plan in plans.items()}  # re-rating: the last one wins

    overlapped = []  # was the retrain still running when a member's rating landed?

    async def member(member_id: int, plan) -> None:
        for anime_id, score in plan:
            await service.ratings.rate(member_id, id_text(anime_id), score)  # as autocomplete sends it
            overlapped.append(service.models.training)
            if member_id % 10 == 0:
                await service.picks.recommend(member_id, count=10)

    old = service.models.model_version
    commits = service.store.commits
    retrain = asyncio.create_task(service.models.retrain())
    results = await asyncio.gather(*(member(m, plan) for m, plan in plans.items()), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    assert any(overlapped)
    record = await retrain
    assert record.status == TrainingStatus.READY and service.models.model_version != old

    if service.store.dialect == SQLITE:  # ratings landing together shared commits (the registry's too)
        assert service.store.commits - commits < MEMBERS * 4 / 2
    else:  # PostgreSQL takes concurrent writers itself: a transaction each, and the registry's three
        assert service.store.commits - commits == MEMBERS * 4 + 3  # (stale runs closed, started, finished)

    for member_id, ratings in expected.items():
        assert await service.store.rating_map(member_id) == ratings
    assert await service.store.rating_counts() == (sum(map(len, expected.values())), MEMBERS)
    assert len((await service.picks.recommend(1000, count=10, onboard=False)).picks) == 10  # the new model answers
    # Acknowledged means committed: another connection reads every rating back, none lost.
    await service.store.close()
    other = await Store.open(database)
    try:
        stored = {(u, a): r for u, a, r in await other._all("SELECT user_id, anime_id, rating FROM ratings")}
    finally:
        await other.close()
    assert stored == {(m, a): r for m, ratings in expected.items() for a, r in ratings.items()}
