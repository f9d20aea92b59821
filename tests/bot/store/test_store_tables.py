"""What every feature's tables build on (animerec.bot.store.tables)."""

import pytest

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


async def test_a_closed_store_refuses_writes(store):
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.upsert_ratings(ALICE, {1: 8.0})
