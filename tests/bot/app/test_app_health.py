"""The heartbeat behind the Docker HEALTHCHECK (app/health.py)."""

import os
import time

import pytest

from animerec.bot.app import health

pytestmark = pytest.mark.timeout(60)


async def test_heartbeat_is_fresh_only_while_connected(simcord_env, settings):
    path = settings.heartbeat_path
    assert simcord_env.bot.connected and health.check(path)[0]
    await simcord_env.bot.on_disconnect()
    assert not path.exists() and not health.check(path)[0]


@pytest.mark.parametrize("event", ["on_resumed", "on_ready"])
async def test_heartbeat_is_written_as_soon_as_the_gateway_is_back(simcord_env, settings, event):
    bot, path = simcord_env.bot, settings.heartbeat_path
    await bot.on_disconnect()
    await getattr(bot, event)()  # a resume, or a fresh session after a failed resume
    ok, why = health.check(path)
    assert bot.connected and ok and why.startswith("connected"), why


def test_stale_heartbeat_is_unhealthy(tmp_path):
    path = tmp_path / "heartbeat"
    health.beat(path)
    old = time.time() - health.MAX_AGE - 1
    os.utime(path, (old, old))
    ok, why = health.check(path)
    assert not ok and "not connected" in why
