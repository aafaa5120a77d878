"""realtime.hub's pub/sub probe (real Redis, in-process hub): after a break in the pub/sub path (a failed
publish, or probes that stop coming back), the first probe back says the sockets must resync, once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from realtime.hub import hub

pytestmark = pytest.mark.usefixtures("hub_cleanup")


@dataclass(eq=False)
class Silent:
    role: str = "player"
    player_id: str | None = None
    token: str | None = None

    def deliver(self, text: str, close_code: int | None = None) -> None:
        pass


async def probes_back(h) -> None:
    for _ in range(100):
        if h.probe_seen >= h.probe_sent:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no probe came back")


async def test_no_socket_no_probe_and_a_working_path_asks_nothing():
    h = hub()
    assert await h.probe() is False and h.probe_sent == 0  # no channel yet: nothing to watch
    await h.attach("game.000001", Silent())
    for _ in range(3):
        assert await h.probe() is False
        await probes_back(h)


async def test_a_failed_publish_then_a_probe_back_means_resync_once(monkeypatch):
    h = hub()
    await h.attach("game.000002", Silent())
    send = h.layer.send

    async def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(h.layer, "send", unreachable)
    assert await h.probe() is False and h.broken_after is not None
    monkeypatch.setattr(h.layer, "send", send)
    assert await h.probe() is False  # sent after the break...
    await probes_back(h)
    assert await h.probe() is True  # ...and back: broadcasts of the gap may be lost
    await probes_back(h)
    assert await h.probe() is False  # once


async def test_probes_that_stop_coming_back_mean_resync_when_they_return(monkeypatch):
    h = hub()
    await h.attach("game.000003", Silent())
    send = h.layer.send

    async def lost(*args, **kwargs):  # published, but the subscription is gone: nothing comes back
        return None

    monkeypatch.setattr(h.layer, "send", lost)
    assert await h.probe(silent_after=0.05) is False
    await asyncio.sleep(0.1)
    assert await h.probe(silent_after=0.05) is False and h.broken_after is not None
    monkeypatch.setattr(h.layer, "send", send)
    assert await h.probe(silent_after=0.05) is False
    await probes_back(h)
    assert await h.probe(silent_after=0.05) is True
