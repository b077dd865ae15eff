"""The login code travels as an SMS PDU through the emulated SimBox, read by the simbox driver.

Chain: stock Telethon -> auth.sendCode -> sandbox -> SimBoxGateway -> SimBox emulator (PDU on
the virtual SIM, +CMTI on a pseudo-terminal) -> simbox Pool (AT commands over the pty) ->
the code -> auth.signIn.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mtsandbox import new_client, run, serving

from prokai.sandbox.sms import SimBoxControlGateway, SimBoxGateway
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)

emulator = pytest.importorskip("simbox.emulator")
pool_mod = pytest.importorskip("simbox.pool")

NUMBER = "+77051234567"


def test_stock_telethon_logs_in_with_a_code_that_arrived_as_sms_over_the_simbox() -> None:
    async def body() -> None:
        sims = [emulator.VirtualSim(msisdn=NUMBER), emulator.VirtualSim(msisdn="+77051230000")]
        async with emulator.Emulator(ports=2, sims=sims) as emu:
            world = World(sms=SimBoxGateway(emu))
            world.add_account(NUMBER, "Seized SIM")
            pool = pool_mod.Pool(emu.paths, pool_mod.PoolOptions(probe_timeout=2.0, watchdog_interval=None))
            await pool.start()
            try:
                async with serving(world) as server:
                    client = new_client(server)
                    await client.connect()
                    t0 = time.time()
                    sent = await client.send_code_request(NUMBER)
                    assert type(sent.type).__name__ == "SentCodeTypeSms"
                    sms = await pool.wait_code(NUMBER, timeout=30, since=t0)
                    assert sms.login_code == world.code_log[-1].code
                    me = await client.sign_in(NUMBER, sms.login_code)
                    await sms.ack()
                    assert me.first_name == "Seized SIM"
                    assert await client.is_user_authorized()
                    await client.disconnect()
            finally:
                await pool.stop()

    run(body)


def test_code_through_the_emulator_control_socket(tmp_path: Path) -> None:
    """What `prokai sandbox up --simbox-control PATH` does when the emulator is another process."""

    async def body() -> None:
        control = str(tmp_path / "simbox.sock")
        sims = [emulator.VirtualSim(msisdn=NUMBER)]
        async with emulator.Emulator(ports=1, sims=sims, control=control) as emu:
            world = World(sms=SimBoxControlGateway(control))
            world.add_account(NUMBER, "Seized SIM")
            pool = pool_mod.Pool(emu.paths, pool_mod.PoolOptions(probe_timeout=2.0, watchdog_interval=None))
            await pool.start()
            try:
                async with serving(world) as server:
                    client = new_client(server)
                    await client.connect()
                    t0 = time.time()
                    await client.send_code_request(NUMBER)
                    sms = await pool.wait_code(NUMBER, timeout=30, since=t0)
                    await client.sign_in(NUMBER, sms.login_code)
                    await sms.ack()
                    assert await client.is_user_authorized()
                    await client.disconnect()
            finally:
                await pool.stop()

    run(body)
