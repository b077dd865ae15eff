"""`python -m simbox scan | inbox | ussd | pdu decode HEX | emulate | emuctl`.

Plain argparse (no dependency on the application). Every command exits 0 on success and 1 with
a one-line `error: …` on bad input; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from simbox.discovery import PortSpec, discover
from simbox.errors import PduError, SimboxError


def _fail(msg: str, code: int = 1) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def _specs(args: argparse.Namespace) -> list[PortSpec]:
    if args.port:
        return [PortSpec(p) for p in args.port]
    found = discover(args.by_path)
    if not found:
        raise SystemExit(_fail(f"no ports given and none found under {args.by_path}", 2))
    return found


def _pool_options(args: argparse.Namespace) -> Any:
    from simbox.pool import PoolOptions

    return PoolOptions(
        command_timeout=args.timeout,
        probe_timeout=args.probe_timeout,
        watchdog_interval=None,
        sweep_interval=None,
        use_ussd_for_number=not getattr(args, "no_ussd", False),
    )


def cmd_scan(args: argparse.Namespace) -> int:
    from simbox.pool import scan

    t0 = time.perf_counter()
    reports = asyncio.run(scan(_specs(args), _pool_options(args)))
    for rep in reports:
        print(json.dumps(rep.to_json(), ensure_ascii=False))
    ok = sum(r.status == "ok" for r in reports)
    print(f"{ok}/{len(reports)} ports ready in {time.perf_counter() - t0:.2f}s", file=sys.stderr)
    if not any(r.status in ("ok", "no_sim", "locked") for r in reports):
        return _fail(f"no modem answered on any of the {len(reports)} ports ({reports[0].error if reports else 'none'})")
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    from simbox.pool import Pool

    async def run() -> int:
        pool = Pool(_specs(args), _pool_options(args))
        queue: asyncio.Queue[Any] = asyncio.Queue()
        pool.subscribe(queue.put_nowait)
        await pool.start()
        n = 0
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + args.wait
            while True:
                try:
                    msg = await asyncio.wait_for(queue.get(), max(0.05, deadline - loop.time()))
                except TimeoutError:
                    if loop.time() >= deadline:
                        break
                    continue
                print(json.dumps(msg.to_json(), ensure_ascii=False), flush=True)
                n += 1
                if args.delete:
                    await msg.ack()
        finally:
            await pool.stop()
        print(f"{n} messages", file=sys.stderr)
        return 0

    return asyncio.run(run())


def cmd_ussd(args: argparse.Namespace) -> int:
    from simbox.at.port import AtPort
    from simbox.modem import Modem

    async def run() -> int:
        async with AtPort(args.port[0], timeout=args.timeout) as port:
            modem = Modem(port, timeout=args.timeout)
            await modem.init(args.probe_timeout)
            answer = await modem.ussd(args.code, timeout=args.ussd_timeout)
        print(json.dumps({"status": answer.status, "meaning": answer.meaning, "text": answer.text,
                          "dcs": answer.dcs}, ensure_ascii=False))
        return 0

    if not args.port:
        return _fail("give the modem's tty with --port", 2)
    return asyncio.run(run())


def cmd_bank(args: argparse.Namespace) -> int:
    from simbox.at.port import AtPort
    from simbox.bank import SimBank, switch_sim
    from simbox.modem import Modem

    async def run() -> int:
        async with AtPort(args.bank, timeout=args.timeout) as bank_port:
            bank = SimBank(bank_port, interval=args.interval)
            if args.action == "status":
                print(json.dumps({"ready": await bank.ready()}))
                return 0
            if args.action == "disconnect":
                await bank.disconnect_all()
                print(json.dumps({"ok": True}))
                return 0
            if args.action == "next":
                await bank.next(args.column)
                print(json.dumps({"ok": True}))
                return 0
            if args.column is None or args.row is None or not args.modem:
                return _fail("switch needs --column, --row and --modem TTY", 2)
            async with AtPort(args.modem, timeout=args.timeout) as port:
                modem = Modem(port, timeout=args.timeout)
                await modem.init(args.probe_timeout)
                iccid = await switch_sim(bank, modem, args.column, args.row, retries=args.retries,
                                         reg_timeout=args.reg_timeout)
            print(json.dumps({"column": args.column, "row": args.row, "iccid": iccid}))
            return 0

    return asyncio.run(run())


def cmd_pdu_decode(args: argparse.Namespace) -> int:
    from simbox.pdu import decode_pdu

    try:
        sms = decode_pdu(args.hex, smsc=not args.no_smsc)
    except PduError as first:
        if args.no_smsc:
            return _fail(f"cannot decode PDU: {first}")
        try:  # a bare TPDU without the SMSC field
            sms = decode_pdu(args.hex, smsc=False)
        except PduError:
            return _fail(f"cannot decode PDU: {first}")
    print(json.dumps(sms.to_json(), ensure_ascii=False))
    return 0


def cmd_emulate(args: argparse.Namespace) -> int:
    from simbox.emulator import Emulator, VirtualSim

    sims: list[Any] | None = None
    if args.sims:
        try:
            with open(args.sims, encoding="utf-8") as fh:
                raw = json.load(fh) if args.sims.endswith(".json") else _yaml(fh.read())
        except (OSError, ValueError) as exc:
            return _fail(f"cannot read {args.sims}: {exc}")
        if not isinstance(raw, list):
            return _fail(f"{args.sims}: expected a list of SIMs")
        sims = [VirtualSim.from_dict(x) if isinstance(x, dict) else None for x in raw]
    profiles = args.profile.split(",")

    async def run() -> int:
        try:
            emu = Emulator(
                ports=args.ports,
                sims=sims,
                profiles=profiles,
                workdir=args.workdir,
                control=args.control,
                bank_rows=args.bank_rows,
                seed=args.seed,
                latency=args.latency,
            )
        except ValueError as exc:
            return _fail(str(exc))
        await emu.start()
        for i in args.silent or []:
            emu.set_silent(i)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if args.manifest:
            with open(args.manifest, "w", encoding="utf-8") as fh:
                json.dump(emu.manifest(), fh, indent=2)
        print(json.dumps(emu.manifest(), ensure_ascii=False), flush=True)
        try:
            await stop.wait()
        finally:
            await emu.stop()
        return 0

    return asyncio.run(run())


def _yaml(text: str) -> Any:
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - yaml is a project dependency
        raise ValueError("YAML needs PyYAML; use a .json file") from exc
    return yaml.safe_load(text)


def cmd_emuctl(args: argparse.Namespace) -> int:
    from simbox.emulator import control

    try:
        if args.action == "deliver":
            if not args.to or args.text is None:
                return _fail("deliver needs --to NUMBER and --text TEXT", 2)
            resp = control.deliver_sms(args.control, args.to, args.text, sender=args.sender)
        elif args.action == "manifest":
            resp = control.manifest(args.control)
        else:
            if args.port_index is None:
                return _fail(f"{args.action} needs --port-index N", 2)
            resp = control.request(args.control, {"op": "fault", "port": args.port_index, "kind": args.action})
    except (OSError, control.ControlError) as exc:
        return _fail(str(exc))
    print(json.dumps(resp, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simbox", description="SimBox modem pool tools.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)

    def port_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--port", "-p", action="append", help="a modem tty (repeatable)")
        sp.add_argument("--by-path", default="/dev/serial/by-path", help="discover ports here")
        sp.add_argument("--timeout", type=float, default=5.0, help="seconds per command")
        sp.add_argument("--probe-timeout", type=float, default=2.0, help="seconds for the first AT")

    sp = sub.add_parser("scan", help="inventory every port: IMEI, ICCID, IMSI, number, operator, signal")
    port_args(sp)
    sp.add_argument("--no-ussd", action="store_true", help="do not ask the network for the own number")
    sp.set_defaults(fn=cmd_scan)

    sp = sub.add_parser("inbox", help="print every SMS on the SIMs (and new ones for --wait seconds)")
    port_args(sp)
    sp.add_argument("--wait", type=float, default=0.0)
    sp.add_argument("--delete", action="store_true", help="delete each message from the SIM after printing")
    sp.set_defaults(fn=cmd_inbox)

    sp = sub.add_parser("ussd", help="send a USSD code and print the answer")
    port_args(sp)
    sp.add_argument("code", help='e.g. "*100#"')
    sp.add_argument("--ussd-timeout", type=float, default=20.0)
    sp.set_defaults(fn=cmd_ussd)

    sp = sub.add_parser("bank", help="SIM bank: switch a column to a row (confirmed by ICCID), next, disconnect, status")
    sp.add_argument("action", choices=["switch", "next", "disconnect", "status"])
    sp.add_argument("--bank", required=True, help="the bank's control port")
    sp.add_argument("--modem", help="the modem tty fed by that column (switch)")
    sp.add_argument("--column", type=int)
    sp.add_argument("--row", type=int)
    sp.add_argument("--interval", type=float, default=1.0, help="seconds between switches")
    sp.add_argument("--retries", type=int, default=3)
    sp.add_argument("--reg-timeout", type=float, default=60.0)
    sp.add_argument("--timeout", type=float, default=5.0)
    sp.add_argument("--probe-timeout", type=float, default=2.0)
    sp.set_defaults(fn=cmd_bank)

    sp = sub.add_parser("pdu", help="PDU tools")
    psub = sp.add_subparsers(dest="pdu_command", required=True)
    dp = psub.add_parser("decode", help="decode a PDU (hex, as +CMGR prints it) to JSON")
    dp.add_argument("hex")
    dp.add_argument("--no-smsc", action="store_true", help="the PDU has no SMSC field")
    dp.set_defaults(fn=cmd_pdu_decode)

    sp = sub.add_parser("emulate", help="serve a virtual modem pool on pseudo-terminals until Ctrl-C")
    sp.add_argument("--ports", type=int, default=4)
    sp.add_argument("--profile", default="sim800",
                    help="vendor profile(s), comma-separated, cycled over ports: sim800, sim7600, m35, ec25, huawei, wavecom")
    sp.add_argument("--sims", help="JSON or YAML list of SIMs (msisdn, iccid, imsi, mcc_mnc, pin, ...); null = empty slot")
    sp.add_argument("--control", help="control socket path (deliver SMS from other processes)")
    sp.add_argument("--workdir", help="folder for ttyUSB aliases, by-path links and manifest.json")
    sp.add_argument("--manifest", help="also write the manifest JSON here")
    sp.add_argument("--bank-rows", type=int, default=0, help="add a SIM bank with this many rows per column")
    sp.add_argument("--silent", type=int, action="append", help="port index that never answers (repeatable)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--latency", type=float, default=0.0, help="seconds each modem takes to answer a command")
    sp.set_defaults(fn=cmd_emulate)

    sp = sub.add_parser("emuctl", help="talk to a running emulator's control socket")
    sp.add_argument("action", choices=["deliver", "manifest", "silent", "unsilent", "garbage", "vanish",
                                       "reappear", "remove_sim", "require_pin", "fill_storage", "restart"])
    sp.add_argument("--control", required=True)
    sp.add_argument("--to")
    sp.add_argument("--text")
    sp.add_argument("--sender", default="Telegram")
    sp.add_argument("--port-index", type=int)
    sp.set_defaults(fn=cmd_emuctl)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.fn(args))
    except SimboxError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
