"""The driver against the emulator over real pseudo-terminals: the behaviours the issue names."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simbox_testutil import arun, until

from simbox.at.port import AtPort
from simbox.emulator import PROFILES, Emulator, VirtualSim
from simbox.emulator.control import adeliver_sms, arequest
from simbox.errors import AtTimeout, SimboxError
from simbox.modem import Modem
from simbox.pdu.codec import encode_deliver_parts
from simbox.pool import Pool, PoolOptions, scan
from simbox.sms import IncomingSms

FAST = dict(probe_timeout=1.5, command_timeout=3.0, sweep_interval=None, watchdog_interval=None)


def test_sixteen_ports_one_silent_all_sms_arrive() -> None:
    async def body() -> None:
        async with Emulator(ports=16, profiles=list(PROFILES)) as emu:
            emu.set_silent(7)
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            reports = await pool.start()
            try:
                assert reports[7].status == "silent"
                assert [r.status for i, r in enumerate(reports) if i != 7] == ["ok"] * 15
                for i, r in enumerate(reports):
                    if i != 7:
                        assert r.sim is not None and r.sim.iccid == emu.ports[i].modem.sim.iccid  # type: ignore[union-attr]
                t0 = time.time()
                want = {}
                for i, port in enumerate(emu.ports):
                    if i == 7:
                        continue
                    assert port.modem.sim is not None
                    want[port.modem.sim.msisdn] = f"{10000 + i}"
                    emu.deliver_sms(port.modem.sim.msisdn, f"Telegram code: {10000 + i}")
                got = await asyncio.gather(*(pool.wait_code(n, timeout=10, since=t0) for n in want))
                assert {m.msisdn: m.login_code for m in got} == want
                for m in got:
                    await m.ack()
                assert all(p.modem.sim is not None and p.modem.sim.used == 0 for p in emu.ports)
            finally:
                await pool.stop()

    arun(body(), 60)


def test_burst_of_two_cmti_plus_one_stored_before_start_each_exactly_once() -> None:
    async def body() -> None:
        async with Emulator(ports=1, profiles="ec25") as emu:
            num = emu.ports[0].modem.sim.msisdn  # type: ignore[union-attr]
            emu.deliver_sms(num, "before start", sender="+77010000001")  # stored; no indications yet
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            seen: list[IncomingSms] = []
            pool.subscribe(seen.append)
            await pool.start()
            try:
                await until(lambda: len(seen) == 1, what="the stored message")
                with emu.burst(0):
                    emu.deliver_sms(num, "burst one", sender="+77010000002")
                    emu.deliver_sms(num, "burst two", sender="+77010000003")
                await until(lambda: len(seen) == 3, what="the burst")
                inbox = pool.channels[0].inbox
                assert inbox is not None
                assert await inbox.sweep() == 0  # a sweep finds them all held: no second copy
                await asyncio.sleep(0.1)
                assert sorted(m.text for m in seen) == ["before start", "burst one", "burst two"]
                assert seen[0].from_sweep
                for m in seen:
                    await m.ack()
                    await m.ack()  # idempotent
                assert emu.ports[0].modem.sim.used == 0  # type: ignore[union-attr]
            finally:
                await pool.stop()

    arun(body())


def test_port_vanishes_and_returns_renamed_is_rebound_by_usb_path() -> None:
    async def body() -> None:
        async with Emulator(ports=3, profiles=["sim800", "ec25", "m35"]) as emu:
            opts = PoolOptions(**FAST, rebind_interval=0.05, rebind_patterns=())  # type: ignore[arg-type]
            pool = Pool.discover(emu.by_path_dir, options=opts)
            assert len(pool.channels) == 3  # one per modem: the EC25's AT interface among its four
            assert [ch.spec.interface for ch in pool.channels] == [0, 2, 0]
            await pool.start()
            try:
                ch = pool.channels[1]
                old_tty = os.path.realpath(ch.path)
                emu.vanish(1)
                await until(lambda: ch.status == "lost", what="loss detected")
                num = emu.ports[1].modem.sim.msisdn  # type: ignore[union-attr]
                t_gone = time.time()
                emu.deliver_sms(num, "Telegram code: 11111")  # arrives while the port is away
                new_tty = await emu.reappear(1)
                assert new_tty != old_tty
                await asyncio.wait_for(ch.rebound.wait(), 10)
                assert ch.status == "ok" and os.path.realpath(ch.path) == new_tty and ch.rebinds == 1
                away = await pool.wait_code(num, timeout=5, since=t_gone)  # found by the sweep after re-binding
                assert away.login_code == "11111"
                await away.ack()
                t0 = time.time()
                emu.deliver_sms(num, "Telegram code: 31337")  # settings were re-applied after the reboot
                msg = await pool.wait_code(num, timeout=5, since=t0)
                assert msg.login_code == "31337"
                await msg.ack()
                assert [c.status for c in pool.channels] == ["ok", "ok", "ok"]
            finally:
                await pool.stop()

    arun(body())


def test_port_without_usb_path_is_rebound_by_imei() -> None:
    async def body() -> None:
        async with Emulator(ports=2) as emu:
            assert emu.workdir is not None
            aliases = lambda: sorted(str(p) for p in emu.workdir.glob("ttyUSB*"))  # noqa: E731
            opts = PoolOptions(**FAST, rebind_interval=0.05, rebind_patterns=())  # type: ignore[arg-type]
            pool = Pool(aliases(), opts, candidate_paths=aliases)
            await pool.start()
            try:
                ch = pool.channels[0]
                emu.vanish(0)
                await until(lambda: ch.status == "lost", what="loss detected")
                await emu.reappear(0)
                await asyncio.wait_for(ch.rebound.wait(), 10)
                assert ch.path.endswith("ttyUSB2")  # the kernel gave it a new name
                assert ch.imei == emu.ports[0].modem.imei
            finally:
                await pool.stop()

    arun(body())


def test_multipart_out_of_order_and_16bit_reference() -> None:
    async def body() -> None:
        async with Emulator(ports=1, profiles="sim7600") as emu:
            num = emu.ports[0].modem.sim.msisdn  # type: ignore[union-attr]
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                text = "Код подтверждения Telegram: 24680. Никому не сообщайте его! " * 3
                t0 = time.time()
                assert len(emu.deliver_sms(num, text, order=[2, 0, 1])) == 3
                msg = await pool.wait_sms(num, timeout=5, since=t0)
                assert msg.text == text and msg.complete and msg.login_code == "24680"
                assert len(msg.locations) == 3
                await msg.ack()
                pdus = encode_deliver_parts("Telegram", "x" * 300, ref=0xABCD, ref_bits=16)
                emu.deliver_pdus(num, list(reversed(pdus)))
                msg2 = await pool.wait_sms(num, timeout=5, since=t0)
                assert msg2.text == "x" * 300 and msg2.concat_ref == 0xABCD
                await msg2.ack()
                assert emu.ports[0].modem.sim.used == 0  # type: ignore[union-attr]
            finally:
                await pool.stop()

    arun(body())


def test_garbage_burst_mid_response_is_survived() -> None:
    async def body() -> None:
        async with Emulator(ports=2, profiles=["sim800", "m35"]) as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                for i in (0, 1):
                    ch = pool.channels[i]
                    assert ch.modem is not None
                    emu.garbage(i)
                    assert await ch.modem.read_iccid() == emu.ports[i].modem.sim.iccid  # type: ignore[union-attr]
                    emu.garbage(i)  # now inside the +CMGR answer of the next SMS
                    num = emu.ports[i].modem.sim.msisdn  # type: ignore[union-attr]
                    t0 = time.time()
                    emu.deliver_sms(num, "Telegram code: 55555")
                    msg = await pool.wait_code(num, timeout=5, since=t0)
                    assert msg.text == "Telegram code: 55555"
                    await msg.ack()
                    assert (await ch.modem.at("AT")).lines == ()
            finally:
                await pool.stop()

    arun(body())


def test_urc_in_the_middle_of_a_response() -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                sim = emu.ports[0].modem.sim
                assert sim is not None
                idx = sim.store(encode_deliver_parts("Telegram", "Telegram code: 86420")[0])
                emu.urc_mid_response(0, f'+CMTI: "SM",{idx}')
                ch = pool.channels[0]
                assert ch.modem is not None
                resp = await ch.modem.at("AT+CPMS?")  # the URC lands between its lines
                assert len(resp.lines) == 1 and '"SM",1,30' in resp.lines[0]
                msg = await pool.wait_code(sim.msisdn, timeout=5)
                assert msg.login_code == "86420"
            finally:
                await pool.stop()

    arun(body())


def test_modem_reset_reapplies_sms_settings() -> None:
    async def body() -> None:
        async with Emulator(ports=1, profiles="ec25") as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                modem = emu.ports[0].modem
                assert modem.cnmi[1] == 1
                await emu.restart_modem(0)  # forgets CNMI, then says RDY ... +QIND: SMS DONE
                await until(lambda: modem.cnmi[1] == 1, what="CNMI re-applied")
                t0 = time.time()
                emu.deliver_sms(modem.sim.msisdn, "Telegram code: 99999")  # type: ignore[union-attr]
                msg = await pool.wait_code(modem.sim.msisdn, timeout=5, since=t0)  # type: ignore[union-attr]
                assert msg.login_code == "99999"
            finally:
                await pool.stop()

    arun(body())


def test_every_vendor_profile_scans_right() -> None:
    async def body() -> None:
        names = list(PROFILES)
        sims = [VirtualSim(seed=i, cnum_empty=(i % 2 == 1)) for i in range(len(names))]
        async with Emulator(ports=len(names), profiles=names, sims=sims) as emu:
            reports = await scan(emu.paths, probe_timeout=2.0)
            for name, rep, port in zip(names, reports, emu.ports, strict=True):
                sim = port.modem.sim
                assert rep.status == "ok", (name, rep.error)
                assert rep.identity is not None and rep.identity.imei == port.modem.imei
                assert rep.sim is not None and sim is not None
                assert (rep.sim.iccid, rep.sim.imsi, rep.sim.msisdn) == (sim.iccid, sim.imsi, sim.msisdn), name
                assert rep.sim.mcc_mnc == sim.mcc_mnc and rep.sim.operator == sim.operator
                assert rep.sim.msisdn_source == ("phonebook" if sim.cnum_empty else "cnum")
                assert rep.sim.signal_dbm is not None
            assert [r.identity.profile for r in reports if r.identity] == [
                "simcom-sim800", "simcom-sim7600", "quectel-m35", "quectel-ec25", "huawei", "wavecom"
            ]

    arun(body())


def test_number_from_ussd_when_cnum_and_phonebook_are_empty() -> None:
    async def body() -> None:
        sim = VirtualSim(mcc_mnc="40101", cnum_empty=True, on_phonebook=False, seed=3)
        async with Emulator(ports=1, sims=[sim]) as emu:
            (rep,) = await scan(emu.paths, probe_timeout=2.0)
            assert rep.sim is not None and rep.sim.msisdn == sim.msisdn and rep.sim.msisdn_source == "ussd"

    arun(body())


def test_ussd_in_every_encoding() -> None:
    async def body() -> None:
        async with Emulator(ports=3, profiles=["sim800", "m35", "huawei"]) as emu:
            emu.set_ussd(None, "*100#", "Баланс: 150 тг")
            for path in emu.paths:
                async with AtPort(path, timeout=2) as port:
                    modem = Modem(port)
                    await modem.init()
                    answer = await modem.ussd("*100#", timeout=3)
                    if modem.profile.name == "huawei":  # GSM 7-bit cannot carry Cyrillic
                        assert answer.text is not None
                    else:
                        assert answer.text == "Баланс: 150 тг", modem.profile.name
            emu.set_ussd(None, "*102#", "Bonus: 5")
            async with AtPort(emu.paths[2], timeout=2) as port:
                modem = Modem(port)
                await modem.init()
                assert (await modem.ussd("*102#", timeout=3)).text == "Bonus: 5"  # packed both ways

    arun(body())


def test_control_socket_delivers_from_another_client(tmp_path: os.PathLike[str]) -> None:
    sock = os.path.join(str(tmp_path), "emu.sock")

    async def body() -> None:
        async with Emulator(ports=2, control=sock) as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                num = emu.ports[1].modem.sim.msisdn  # type: ignore[union-attr]
                t0 = time.time()
                resp = await adeliver_sms(sock, num, "Telegram code: 42424")
                assert resp["parts"] == 1
                msg = await pool.wait_code(num, timeout=5, since=t0)
                assert msg.login_code == "42424"
                manifest = await arequest(sock, {"op": "manifest"})
                assert [p["path"] for p in manifest["ports"]] == emu.paths
                bad = await asyncio.to_thread(_bad_request, sock)
                assert "no SIM with number" in bad
            finally:
                await pool.stop()

    arun(body())


def _bad_request(sock: str) -> str:
    from simbox.emulator.control import ControlError, deliver_sms

    try:
        deliver_sms(sock, "+70000000000", "x")
    except ControlError as exc:
        return str(exc)
    return ""


def test_full_storage_holds_the_message_until_space_is_freed() -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu:
            emu.fill_storage(0)
            num = emu.ports[0].modem.sim.msisdn  # type: ignore[union-attr]
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            old: list[IncomingSms] = []
            pool.subscribe(old.append)
            await pool.start()
            try:
                await until(lambda: len(old) == 30, what="the 30 old messages")
                t0 = time.time()
                assert emu.deliver_sms(num, "Telegram code: 10101") == [None]  # held by the network
                await old[0].ack()  # the application stored it: deleted, space for the new one
                msg = await pool.wait_code(num, timeout=5, since=t0)
                assert msg.login_code == "10101"
            finally:
                await pool.stop()

    arun(body())


def test_direct_cmt_routing_is_acknowledged() -> None:
    async def body() -> None:
        from simbox.sms import Inbox

        async with Emulator(ports=1) as emu, AtPort(emu.paths[0], timeout=2) as port:
            modem = Modem(port)
            await modem.init()
            got: asyncio.Queue[IncomingSms] = asyncio.Queue()
            inbox = Inbox(modem, got.put_nowait, direct=True, sweep_interval=None)
            await inbox.start()
            emu.deliver_sms(emu.ports[0].modem.sim.msisdn, "Telegram code: 20202")  # type: ignore[union-attr]
            msg = await asyncio.wait_for(got.get(), 5)
            assert msg.login_code == "20202" and msg.locations == []
            await until(lambda: emu.ports[0].modem.unacked_cmt == 0, what="+CNMA")
            await inbox.stop()

    arun(body())


def test_missing_and_locked_sims_are_reported_not_fatal() -> None:
    async def body() -> None:
        sims = [VirtualSim(seed=1), None, VirtualSim(seed=2, pin="1234")]
        async with Emulator(ports=3, sims=sims) as emu:
            reports = await scan(emu.paths, probe_timeout=2.0)
            assert [r.status for r in reports] == ["ok", "no_sim", "locked"]
            assert reports[2].sim is not None and reports[2].sim.iccid == sims[2].iccid  # type: ignore[union-attr]

    arun(body())


def test_watchdog_revives_a_hung_modem_and_a_silent_one_that_wakes_up() -> None:
    async def body() -> None:
        async with Emulator(ports=2) as emu:
            opts = {**FAST, "probe_timeout": 0.8, "command_timeout": 1.0, "restart_timeout": 0.5}
            pool = Pool(emu.paths, PoolOptions(**opts))  # type: ignore[arg-type]
            emu.set_silent(1)
            await pool.start()
            try:
                ch0, ch1 = pool.channels
                assert (ch0.status, ch1.status) == ("ok", "silent")
                emu.set_silent(0)  # hangs for good: AT, CFUN=0/1 and CFUN=1,1 all unanswered
                assert await ch0.check() == "silent"
                assert ch0.inbox is None
                emu.set_silent(1, False)  # the other one wakes up
                assert await ch1.check() == "ok"
                assert ch1.sim is not None and ch1.sim.iccid == emu.ports[1].modem.sim.iccid  # type: ignore[union-attr]
                t0 = time.time()
                emu.deliver_sms(ch1.sim.msisdn or "", "Telegram code: 12121")
                assert (await pool.wait_code(ch1.sim.msisdn or "", timeout=5, since=t0)).login_code == "12121"
                assert await ch1.check() == "ok"  # a healthy modem just answers the ping
                emu.set_silent(0, False)
                assert await ch0.check() == "ok"
            finally:
                await pool.stop()

    arun(body())


def test_a_late_answer_after_a_timeout_is_not_taken_for_the_next_command() -> None:
    async def body() -> None:
        async with Emulator(ports=1, latency=0.3) as emu, AtPort(emu.paths[0], timeout=2) as port:
            modem = Modem(port)
            await modem.at("ATE0")
            with pytest.raises(AtTimeout):
                await modem.at("AT+CGMI", timeout=0.1)  # its answer comes 0.2 s too late
            resp = await modem.at("AT+CGSN")
            assert resp.lines == (emu.ports[0].modem.imei,)

    arun(body())


def test_sim_swapped_in_a_running_pool_is_inventoried_again() -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                ch = pool.channels[0]
                old = emu.remove_sim(0)
                await until(lambda: ch.status == "no_sim", what="removal noticed")
                assert ch.inbox is None
                new = VirtualSim(msisdn="+77470005566")
                emu.insert_sim(0, new)
                await until(lambda: ch.status == "ok" and ch.sim is not None and ch.sim.iccid == new.iccid,
                            what="the new SIM inventoried")
                assert old is not None and old.iccid != new.iccid and ch.msisdn == "+77470005566"
                t0 = time.time()
                emu.deliver_sms("+77470005566", "Telegram code: 88888")
                msg = await pool.wait_code("+77470005566", timeout=5, since=t0)
                assert msg.sim == new.iccid
            finally:
                await pool.stop()

    arun(body())


def test_a_cmgl_that_never_answers_falls_back_to_cmgr() -> None:
    async def body() -> None:
        from simbox.discovery import PortSpec

        async with Emulator(ports=1, profiles="huawei") as emu:  # its CMGL hangs
            sim = emu.ports[0].modem.sim
            assert sim is not None
            emu.deliver_sms(sim.msisdn, "Telegram code: 45454")  # stored before the pool starts
            opts = PoolOptions(**{**FAST, "cmgl_timeout": 0.3})  # type: ignore[arg-type]
            pool = Pool([PortSpec(emu.paths[0], profile="generic")], opts)  # a profile that trusts CMGL
            await pool.start()
            try:
                assert pool.channels[0].status == "ok"
                msg = await pool.wait_code(sim.msisdn, timeout=5)
                assert msg.login_code == "45454" and msg.from_sweep
                inbox = pool.channels[0].inbox
                assert inbox is not None and inbox.cmgl_hangs
            finally:
                await pool.stop()

    arun(body())


def test_ussd_session_is_cancelled_and_silence_times_out() -> None:
    async def body() -> None:
        async with Emulator(ports=1, profiles="m35") as emu:
            sim = emu.ports[0].modem.sim
            assert sim is not None
            sim.ussd["*111#"] = "1. Balans 2. Internet"
            sim.ussd_menus.add("*111#")
            sim.ussd["*555#"] = ""  # the network never answers
            async with AtPort(emu.paths[0], timeout=2) as port:
                modem = Modem(port)
                await modem.init()
                menu = await modem.ussd("*111#", timeout=2)
                assert menu.status == 1 and menu.text == "1. Balans 2. Internet"
                assert emu.ports[0].modem.ussd_cancels == 1  # the session was closed
                with pytest.raises(AtTimeout):
                    await modem.ussd("*555#", timeout=0.3)
                assert emu.ports[0].modem.ussd_cancels == 2
                with pytest.raises(SimboxError, match="not supported"):
                    await modem.ussd("*999#", timeout=2)
                assert (await modem.ussd("*100#", timeout=2)).text.startswith("Balans")  # type: ignore[union-attr]

    arun(body())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=300))
def test_random_bytes_on_a_real_tty_never_break_the_port(noise: bytes) -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu, AtPort(emu.paths[0], timeout=1) as port:
            seen: list[object] = []
            port.add_urc_handler(seen.append)
            emu.ports[0].write(noise + b"\r\n")  # line noise straight from the "modem"
            await asyncio.sleep(0.02)
            resp = await port.command("AT+CGSN")
            assert resp.lines[-1] == emu.ports[0].modem.imei

    arun(body(), 10)


def test_an_incomplete_multipart_set_is_delivered_after_the_timeout() -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu:
            sim = emu.ports[0].modem.sim
            assert sim is not None
            pool = Pool(emu.paths, PoolOptions(**{**FAST, "reassembly_timeout": 0.3}))  # type: ignore[arg-type]
            await pool.start()
            try:
                pdus = encode_deliver_parts("Telegram", "Telegram code: 64646. " + "y" * 200, ref=77)
                t0 = time.time()
                emu.deliver_pdus(sim.msisdn, pdus[:1])  # the second part never comes
                msg = await pool.wait_sms(sim.msisdn, timeout=5, since=t0)
                assert not msg.complete and msg.login_code == "64646" and len(msg.locations) == 1
                await msg.ack()
                assert sim.used == 0
            finally:
                await pool.stop()

    arun(body())


def test_send_sms_through_the_prompt_reaches_another_sim() -> None:
    async def body() -> None:
        async with Emulator(ports=2) as emu:
            pool = Pool(emu.paths, PoolOptions(**FAST))  # type: ignore[arg-type]
            await pool.start()
            try:
                sender = pool.channels[0].modem
                to = emu.ports[1].modem.sim.msisdn  # type: ignore[union-attr]
                assert sender is not None
                t0 = time.time()
                text = "Проверка связи: код 73737. " * 4  # two UCS2 parts through the > prompt
                refs = await sender.send_sms(to, text, timeout=3)
                assert len(refs) == 2
                msg = await pool.wait_sms(to, timeout=5, since=t0)
                assert msg.text == text
            finally:
                await pool.stop()

    arun(body())


def test_init_leaves_a_prompt_that_a_crashed_client_left_open() -> None:
    async def body() -> None:
        async with Emulator(ports=1) as emu:
            async with AtPort(emu.paths[0], timeout=1) as crashed:
                await crashed.raw_write(b"AT+CMGS=23\r")  # and then it died
                await until(lambda: emu.ports[0].prompt_mode, what="the prompt")
            async with AtPort(emu.paths[0], timeout=1) as port:
                ident = await Modem(port).init(probe_timeout=1)
                assert ident.imei == emu.ports[0].modem.imei
                assert not emu.ports[0].prompt_mode

    arun(body())
