"""200 members rating at once while others ask for picks and a retrain runs."""

import asyncio
import random

import pytest

MEMBERS = 200


@pytest.mark.timeout(150)
async def test_concurrent_rates_recommends_and_retrain(service):
    titles = [a.anime_id for a in list(service.catalog)[:60] if not a.is_adult]
    rng = random.Random(0)
    plans = {1000 + m: [(rng.choice(titles), str(rng.randint(1, 10))) for _ in range(4)] for m in range(MEMBERS)}
    expected = {m: {a: float(s) for a, s in plan} for m, plan in plans.items()}  # re-rating: the last one wins

    overlapped = []  # was the retrain still running when a member's rating landed?

    async def member(member_id: int, plan) -> None:
        for anime_id, score in plan:
            await service.rate(member_id, str(anime_id), score)
            overlapped.append(service.training)
            if member_id % 10 == 0:
                await service.recommend(member_id, count=10)

    old = service.model_version
    retrain = asyncio.create_task(service.retrain())
    results = await asyncio.gather(*(member(m, plan) for m, plan in plans.items()), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    assert any(overlapped)
    record = await retrain
    assert record.status == "ready" and service.model_version != old

    for member_id, ratings in expected.items():
        assert await service.store.rating_map(member_id) == ratings
    assert await service.store.rating_counts() == (sum(map(len, expected.values())), MEMBERS)
    assert len((await service.recommend(1000, count=10, onboard=False)).picks) == 10  # the new model answers
