"""The fast-forwardable clock: sleepers wake on advance(), real time still counts."""

from __future__ import annotations

import asyncio
import time

import pytest

from prokai.sandbox.clock import Clock
from prokai.sandbox.faults import Faults, RpcFault


def test_advance_wakes_sleepers_without_waiting() -> None:
    async def body() -> None:
        clock = Clock()
        start = time.monotonic()
        sleeper = asyncio.ensure_future(clock.sleep(3600))
        await asyncio.sleep(0.01)
        assert not sleeper.done()
        clock.advance(3599)
        await asyncio.sleep(0.01)
        assert not sleeper.done()
        clock.advance(1)
        await asyncio.wait_for(sleeper, 1)
        assert time.monotonic() - start < 2
        assert clock.offset == 3600

    asyncio.run(body())


def test_real_time_also_moves_the_clock() -> None:
    async def body() -> None:
        clock = Clock()
        before = clock.now()
        await asyncio.wait_for(clock.sleep(0.05), 2)
        assert clock.now() - before >= 0.05

    asyncio.run(body())


def test_clock_never_goes_back() -> None:
    with pytest.raises(ValueError):
        Clock().advance(-1)


def test_flood_wait_rule_counts_down_in_sandbox_time() -> None:
    class SendMessageRequest:
        pass

    clock = Clock()
    faults = Faults(clock)
    faults.inject("FLOOD_WAIT_60", method="SendMessage")
    with pytest.raises(RpcFault) as first:
        faults.check(SendMessageRequest(), None)
    assert first.value.code == 420 and first.value.message == "FLOOD_WAIT_60"
    clock.advance(45)
    with pytest.raises(RpcFault) as second:
        faults.check(SendMessageRequest(), None)
    assert second.value.message == "FLOOD_WAIT_15"
    clock.advance(15)
    faults.check(SendMessageRequest(), None)
    assert not faults.rules
    with pytest.raises(ValueError):
        faults.inject("NOT_AN_ERROR")
