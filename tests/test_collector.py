"""The worker's garbage-collection policy (realtime/collector.py): paused sections, frozen survivors, and
the reclaim that collects frozen objects that died in a cycle."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from realtime import collector


@pytest.fixture
def fresh_collector():
    was_enabled = gc.isenabled()
    gc.enable()
    collector._full_collected = False
    collector._closed_since_reclaim = 0
    yield
    gc.unfreeze()
    collector._full_collected = False
    collector._closed_since_reclaim = 0
    (gc.enable if was_enabled else gc.disable)()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_paused_sections_nest_and_interleave(fresh_collector):
    outer = collector.collection_paused()
    inner = collector.collection_paused()
    outer.__enter__()
    assert not gc.isenabled()
    inner.__enter__()
    outer.__exit__(None, None, None)  # coroutines of two rooms end in any order
    assert not gc.isenabled()
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_paused_section_leaves_a_disabled_collector_disabled(fresh_collector):
    gc.disable()
    with collector.collection_paused():
        pass
    assert not gc.isenabled()


def test_a_paused_section_ends_on_an_exception(fresh_collector):
    with pytest.raises(RuntimeError), collector.collection_paused():
        raise RuntimeError("redis went away")
    assert gc.isenabled()


def test_survivors_of_a_full_collection_are_frozen(fresh_collector):
    collector._observe_pauses()
    assert asyncio.run(collector.survivors_freeze(open_sockets=10)) == "idle"
    gc.collect()  # a full collection, as Python's own schedule would run it
    before = gc.get_freeze_count()
    assert asyncio.run(collector.survivors_freeze(open_sockets=10)) == "froze"
    assert gc.get_freeze_count() > before
    assert asyncio.run(collector.survivors_freeze(open_sockets=10)) == "idle"


def test_frozen_cycles_are_reclaimed_once_the_sockets_turned_over(fresh_collector):
    node = Node()
    dead = weakref.ref(node)
    gc.freeze()
    del node
    gc.collect()
    assert dead() is not None  # frozen: no collection sees it
    for _ in range(collector.RECLAIM_MIN_CLOSED - 1):
        collector.socket_closed()
    assert asyncio.run(collector.survivors_freeze(open_sockets=100)) != "reclaimed"
    collector.socket_closed()
    assert asyncio.run(collector.survivors_freeze(open_sockets=100)) == "reclaimed"
    assert dead() is None
    assert collector._closed_since_reclaim == 0


def test_no_reclaim_while_more_sockets_are_open_than_have_closed(fresh_collector):
    for _ in range(collector.RECLAIM_MIN_CLOSED + 10):
        collector.socket_closed()
    assert asyncio.run(collector.survivors_freeze(open_sockets=5000)) != "reclaimed"
