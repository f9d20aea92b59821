"""A server's settings (animerec.bot.store.guild_settings), on SQLite and PostgreSQL alike."""

import pytest

pytestmark = pytest.mark.timeout(60)


async def test_hide_adult_is_off_until_set_and_can_be_unset(store):
    assert await store.hide_adult(2**61) is False
    await store.set_hide_adult(2**61, True)
    assert await store.hide_adult(2**61) is True
    await store.set_hide_adult(2**61, False)
    assert await store.hide_adult(2**61) is False
