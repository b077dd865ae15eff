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


def test_a_fast_clock_wakes_its_sleepers_when_their_sandbox_time_is_due() -> None:
    """At speed 1000, ten sandbox minutes pass in well under a wall second; a sleeper wakes with the
    sandbox clock at or past its deadline, and time only moves forward."""
    clock = Clock(speed=1000.0)

    async def nap() -> tuple[float, float]:
        start = clock.now()
        await clock.sleep(600)
        return start, clock.now()

    start, woke = asyncio.run(asyncio.wait_for(nap(), 30))
    assert woke >= start + 600
    with pytest.raises(ValueError):
        Clock(speed=0)
