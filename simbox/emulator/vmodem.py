"""A virtual GSM modem: answers AT commands like the vendor profile it plays, stores SMS on its SIM.

It knows nothing about pseudo-terminals: `handle(line)` returns a `Reply` and URCs go out through
the `emit` callback that the port gives it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from simbox.emulator.profiles import EmuProfile
from simbox.emulator.sim import OPERATORS, StoredSms, VirtualSim
from simbox.errors import CME_ERRORS
from simbox.pdu import gsm7
from simbox.pdu.codec import Sms, decode_pdu

STAT_NAMES = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT"}


@dataclass
class Reply:
    lines: list[str] = field(default_factory=list)
    final: str | None = "OK"  # None: no final line (Wavecom CPIN, hanging CMGL)
    prompt: bool = False
    after: list[str] = field(default_factory=list)  # URCs right after the final line
    restart: bool = False


def swap_nibbles(digits: str) -> str:
    """'8997…' → '9879…' (how ^ICCID and EF_ICCID print it)."""
    if len(digits) % 2:
        digits += "F"
    return "".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def _args(line: str) -> list[str]:
    """Split `=a,"b,c",d` arguments, quotes removed."""
    body = line.split("=", 1)[1] if "=" in line else ""
    out, cur, quoted = [], "", False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if body:
        out.append(cur.strip())
    return out


class VirtualModem:
    """One modem. `sim` may be None (empty slot)."""

    def __init__(
        self,
        profile: EmuProfile,
        imei: str,
        sim: VirtualSim | None,
        emit: Callable[[str], None],
        *,
        network: Callable[[str, str, Sms], None] | None = None,
        reg_delay: float = 0.0,
        signal: int = 21,
    ) -> None:
        self.profile = profile
        self.imei = imei
        self.sim = sim
        self.emit = emit
        self.network = network  # (sender number, destination, decoded SUBMIT) for SMS the modem sends
        self.reg_delay = reg_delay
        self.signal = signal
        self.me_storage: list[StoredSms | None] = [None] * 50
        self.cnma_expected = 0
        self.unacked_cmt = 0
        self.sent: list[tuple[str, str]] = []
        self.ussd_cancels = 0
        self.pending_sim: VirtualSim | None = None  # a SIM bank switch, seen at the next restart
        self.has_pending_sim = False
        self.reset()

    # --- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Power-on defaults: echo on, no SMS indications, PDU mode, SM storage."""
        self.echo = True
        self.cmee = 0
        self.cmgf = 0
        self.cnmi = (0, 0, 0, 0, 0)
        self.cpms = ["SM", "SM", "SM"]
        self.cfun = 1
        self.cops_format = 0
        self.creg_n = 0
        self.curc = True
        self.cpbs = "SM"
        self.registered_at = time.monotonic() + self.reg_delay
        if self.has_pending_sim:
            self.sim, self.pending_sim, self.has_pending_sim = self.pending_sim, None, False
        if self.sim is not None and self.sim.pin is not None:
            self.sim.unlocked = False

    @property
    def sim_ready(self) -> bool:
        return self.sim is not None and self.sim.pin_state == "READY"

    @property
    def reg_stat(self) -> int:
        if not self.sim_ready or self.cfun != 1:
            return 0
        if time.monotonic() < self.registered_at:
            return 2
        return 5 if self.sim and self.sim.roaming else 1

    def storage(self, mem: str) -> list[StoredSms | None]:
        if mem == "ME" or mem == "ME_P":
            return self.me_storage
        if self.sim is None:
            return []
        if mem == "MT":
            return self.sim.storage + self.me_storage
        return self.sim.storage

    def _cme(self, code: int) -> Reply:
        if self.cmee == 0:
            return Reply(final="ERROR")
        if self.cmee == 2:
            return Reply(final=f"+CME ERROR: {CME_ERRORS.get(code, 'unknown')}")
        return Reply(final=f"+CME ERROR: {code}")

    def _cms(self, code: int) -> Reply:
        return Reply(final=f"+CMS ERROR: {code}") if self.cmee else Reply(final="ERROR")

    def _sim_error(self, sms: bool = False) -> Reply | None:
        if self.sim is None:
            return self._cms(310) if sms else self._cme(10)
        state = self.sim.pin_state
        if state == "SIM PIN":
            return self._cms(311) if sms else self._cme(11)
        if state in ("SIM PUK", "SIM BLOCKED"):
            return self._cms(316) if sms else self._cme(12)
        return None

    # --- SMS arrival ---------------------------------------------------------------------------

    def receive(self, pdu: str) -> int | None:
        """An SMS arrives from the network: store (or route directly) and announce it."""
        if self.sim is None or not self.sim_ready:
            if self.sim is not None:
                self.sim.network_queue.append(pdu)
            return None
        mode, mt = self.cnmi[0], self.cnmi[1]
        if mt in (2, 3) and self.cmgf == 0:
            self.unacked_cmt += 1
            self.emit(f"+CMT: ,{len(bytes.fromhex(pdu)) - (bytes.fromhex(pdu)[0] + 1)}\r\n{pdu}")
            return 0
        mem = self.cpms[2]
        store = self.sim.storage if mem in ("SM", "MT", "SM_P") else self.me_storage
        idx = None
        for i, slot in enumerate(store):
            if slot is None:
                store[i] = StoredSms(pdu)
                idx = i + 1
                break
        if idx is None:
            self.sim.network_queue.append(pdu)  # the network retries later
            return None
        if mode != 0 and mt == 1:
            self.emit(f'+CMTI: "{"ME" if store is self.me_storage else "SM"}",{idx}')
        return idx

    def flush_network_queue(self) -> None:
        """Deliver what the network held back (storage was full, SIM was locked)."""
        if self.sim is None:
            return
        pending, self.sim.network_queue = list(self.sim.network_queue), type(self.sim.network_queue)()
        for pdu in pending:
            self.receive(pdu)

    # --- commands -----------------------------------------------------------------------------

    def handle(self, line: str) -> Reply:
        cmd = line.strip()
        up = cmd.upper()
        if not up.startswith("AT"):
            return Reply(final="ERROR")
        if up == "AT":
            return Reply()
        if up in ("ATE0", "ATE1", "ATE"):
            self.echo = up == "ATE1"
            return Reply()
        if up in ("ATZ", "AT&F", "ATV1", "ATQ0", "AT&W"):
            return Reply()
        if up == "ATI":
            return Reply(self.profile.ati.replace("{imei}", self.imei).split("\n"))
        if up in ("AT+CGMI", "AT+GMI"):
            return Reply([self.profile.manufacturer])
        if up in ("AT+CGMM", "AT+GMM"):
            return Reply([self.profile.model])
        if up in ("AT+CGMR", "AT+GMR"):
            return Reply([self.profile.revision])
        if up in ("AT+CGSN", "AT+GSN", "AT+CGSN=1"):
            return Reply([self.imei] if up != "AT+CGSN=1" else [f'+CGSN: "{self.imei}"'])
        if up.startswith("AT+CMEE="):
            self.cmee = int(_args(cmd)[0] or 0)
            return Reply()
        if up.startswith("AT^CURC="):
            self.curc = _args(cmd)[0] != "0"
            return Reply()
        if up.startswith("AT+CFUN"):
            return self._cfun(cmd, up)
        if up in self.profile.iccid:
            if self.sim is None:
                return self._cme(10)
            fmt = self.profile.iccid[up]
            return Reply([fmt.format(iccid=self.sim.iccid, swapped=swap_nibbles(self.sim.iccid))])
        if up.startswith("AT+CRSM=176,12258"):
            if self.sim is None:
                return self._cme(10)
            return Reply([f'+CRSM: 144,0,"{swap_nibbles(self.sim.iccid)}"'])
        if up.startswith("AT+CPIN"):
            return self._cpin(cmd, up)
        if up in ("AT+CPINR", 'AT+CPINR="SIM PIN"', "AT+QPINC?", 'AT+QPINC="SC"', "AT^CPIN?", "AT+SPIC"):
            return self._pin_counter(up)
        if up == "AT+CIMI":
            err = self._sim_error()
            return err or Reply([self.sim.imsi if self.sim else ""])
        if up.startswith(("AT+CREG", "AT+CGREG", "AT+CEREG")):
            return self._creg(cmd, up)
        if up.startswith("AT+COPS"):
            return self._cops(cmd, up)
        if up == "AT+CSQ":
            return Reply([f"+CSQ: {self.signal if self.cfun == 1 else 99},99"])
        if up == "AT+CNUM":
            err = self._sim_error()
            if err:
                return err
            assert self.sim is not None
            if self.sim.cnum_empty:
                return Reply()
            ton = 145 if self.sim.msisdn.startswith("+") else 129
            return Reply([f'+CNUM: "","{self.sim.msisdn}",{ton}'])
        if up.startswith("AT+CPBS"):
            if up.endswith("?"):
                return Reply([f'+CPBS: "{self.cpbs}",1,10'])
            self.cpbs = _args(cmd)[0].upper()
            return Reply()
        if up.startswith("AT+CPBR="):
            err = self._sim_error()
            if err:
                return err
            assert self.sim is not None
            if self.cpbs == "ON" and self.sim.on_phonebook and _args(cmd)[0] == "1":
                ton = 145 if self.sim.msisdn.startswith("+") else 129
                return Reply([f'+CPBR: 1,"{self.sim.msisdn}",{ton},"My number"'])
            return Reply()
        if up.startswith("AT+CSCA"):
            return Reply(['+CSCA: "+77010000000",145']) if up.endswith("?") else Reply()
        if up.startswith(("AT+CSCS", "AT+CSMP", "AT+CSDH", "AT+QINDCFG", "AT+CNMA")):
            if up.startswith("AT+CNMA"):
                if self.unacked_cmt == 0:
                    return self._cms(340)
                self.unacked_cmt -= 1
            if up.endswith("?") and up.startswith("AT+CSCS"):
                return Reply(['+CSCS: "GSM"'])
            return Reply()
        if up.startswith("AT+CMGF"):
            if up.endswith("?"):
                return Reply([f"+CMGF: {self.cmgf}"])
            self.cmgf = int(_args(cmd)[0] or 0)
            return Reply()
        if up.startswith("AT+CNMI"):
            if up.endswith("?"):
                return Reply(["+CNMI: " + ",".join(str(x) for x in self.cnmi)])
            vals = [int(a) if a.isdigit() else 0 for a in _args(cmd)] + [0] * 5
            self.cnmi = tuple(vals[:5])  # type: ignore[assignment]
            return Reply()
        if up.startswith("AT+CPMS"):
            return self._cpms(cmd, up)
        if up.startswith("AT+CMGL"):
            return self._cmgl(cmd)
        if up.startswith("AT+CMGR="):
            return self._cmgr(cmd)
        if up.startswith("AT+CMGD="):
            return self._cmgd(cmd)
        if up.startswith("AT+CMGS="):
            err = self._sim_error(sms=True)
            return err or Reply(final=None, prompt=True)
        if up.startswith("AT+CUSD"):
            return self._cusd(cmd, up)
        return Reply(final="ERROR")

    def _cfun(self, cmd: str, up: str) -> Reply:
        if up.endswith("?"):
            return Reply([f"+CFUN: {self.cfun}"])
        args = _args(cmd)
        fun = int(args[0]) if args and args[0].isdigit() else 1
        if len(args) > 1 and args[1] == "1":
            return Reply(restart=True)
        self.cfun = fun
        if fun == 1 and self.has_pending_sim:  # the SIM is read again at power-up
            self.sim, self.pending_sim, self.has_pending_sim = self.pending_sim, None, False
            if self.sim is not None and self.sim.pin is not None:
                self.sim.unlocked = False
        if fun == 1:
            self.registered_at = time.monotonic() + self.reg_delay
            return Reply(after=["+CPIN: READY"] if self.sim_ready else [])
        return Reply()

    def _cpin(self, cmd: str, up: str) -> Reply:
        if up.endswith("?"):
            if self.sim is None:
                return self._cme(10)
            state = self.sim.pin_state
            if state == "SIM BLOCKED":
                return self._cme(13)
            return Reply([f"+CPIN: {state}"], final=None if self.profile.cpin_no_ok else "OK")
        if self.sim is None:
            return self._cme(10)
        args = _args(cmd)
        sim = self.sim
        state = sim.pin_state
        if state == "READY":
            return self._cme(3)
        if state == "SIM PIN":
            if args and args[0] == sim.pin:
                sim.unlocked = True
                sim.pin_attempts = 3
                self.registered_at = time.monotonic() + self.reg_delay
                return Reply(after=["+CPIN: READY", *self.profile.ready_urcs[-1:]])
            sim.pin_attempts -= 1
            return self._cme(16)
        if state == "SIM PUK":
            if len(args) >= 2 and args[0] == sim.puk:
                sim.pin = args[1]
                sim.unlocked = True
                sim.pin_attempts = 3
                return Reply(after=["+CPIN: READY"])
            sim.puk_attempts -= 1
            return self._cme(16)
        return self._cme(13)

    def _pin_counter(self, up: str) -> Reply:
        if self.sim is None:
            return self._cme(10)
        p, k = self.sim.pin_attempts, self.sim.puk_attempts
        if up.startswith("AT+CPINR") and self.profile.pin_counter == "CPINR":
            return Reply([f"+CPINR: SIM PIN,{p},3", f"+CPINR: SIM PUK,{k},10"])
        if up.startswith("AT+QPINC") and self.profile.pin_counter == "QPINC":
            return Reply([f'+QPINC: "SC",{p},{k}'])
        if up == "AT^CPIN?" and self.profile.pin_counter == "^CPIN":
            return Reply([f"^CPIN: {self.sim.pin_state},{p if self.sim.pin_state == 'SIM PIN' else ''},{k},{p},3,10"])
        if up == "AT+SPIC" and self.profile.pin_counter == "SPIC":
            return Reply([f"+SPIC: {p},{k},3,10"])
        return Reply(final="ERROR")

    def _creg(self, cmd: str, up: str) -> Reply:
        name = up[2:].split("?")[0].split("=")[0]
        if up.endswith("?"):
            stat = self.reg_stat
            extra = ',"1A2B","00C3D4E5"' if self.creg_n >= 2 and stat in (1, 5) else ""
            return Reply([f"{name}: {self.creg_n},{stat}{extra}"])
        if "=" in up:
            args = _args(cmd)
            self.creg_n = int(args[0]) if args and args[0].isdigit() else 0
        return Reply()

    def _cops(self, cmd: str, up: str) -> Reply:
        if up == "AT+COPS?":
            if self.reg_stat not in (1, 5) or self.sim is None:
                return Reply(["+COPS: 0"])
            act = 7 if self.profile.lte else 0
            if self.cops_format == 2:
                return Reply([f'+COPS: 0,2,"{self.sim.mcc_mnc}",{act}'])
            name = self.sim.operator if self.cops_format == 0 else OPERATORS.get(self.sim.mcc_mnc, ("", "X"))[1]
            return Reply([f'+COPS: 0,{self.cops_format},"{name}",{act}'])
        if up.startswith("AT+COPS=3,"):
            self.cops_format = int(_args(cmd)[1])
            return Reply()
        if up == "AT+COPS=?":
            return Reply(['+COPS: (2,"Beeline KZ","Beeline","40101",0),(1,"Kcell","Kcell","40102",0),,(0-4),(0-2)'])
        return Reply()

    def _cpms(self, cmd: str, up: str) -> Reply:
        if up == "AT+CPMS=?":
            s = ",".join(f'"{m}"' for m in self.profile.storages)
            return Reply([f"+CPMS: ({s}),({s}),({s})"])
        if up == "AT+CPMS?":
            err = self._sim_error(sms=True)
            if err:
                return err
            parts = [f'"{m}",{self._used(m)},{len(self.storage(m))}' for m in self.cpms]
            return Reply(["+CPMS: " + ",".join(parts)])
        err = self._sim_error(sms=True)
        if err:
            return err
        args = [a.upper() for a in _args(cmd)]
        for a in args:
            if a not in self.profile.storages:
                return self._cms(302)
        for i, a in enumerate(args[:3]):
            self.cpms[i] = a
        return Reply(["+CPMS: " + ",".join(f"{self._used(m)},{len(self.storage(m))}" for m in self.cpms)])

    def _used(self, mem: str) -> int:
        return sum(1 for s in self.storage(mem) if s is not None)

    def _cmgl(self, cmd: str) -> Reply:
        err = self._sim_error(sms=True)
        if err:
            return err
        if self.profile.cmgl_hangs:
            return Reply(final=None)
        args = _args(cmd)
        want = args[0].upper() if args else ("4" if self.cmgf == 0 else "ALL")
        names = {"REC UNREAD": "0", "REC READ": "1", "STO UNSENT": "2", "STO SENT": "3", "ALL": "4"}
        want = names.get(want, want)
        lines: list[str] = []
        for i, msg in enumerate(self.storage(self.cpms[0])):
            if msg is None or (want != "4" and str(msg.stat) != want):
                continue
            lines += self._listing("+CMGL", i + 1, msg)
            if msg.stat == 0:
                msg.stat = 1
        return Reply(lines)

    def _listing(self, head: str, idx: int | None, msg: StoredSms) -> list[str]:
        raw = bytes.fromhex(msg.pdu)
        tpdu_len = len(raw) - raw[0] - 1
        pre = f"{head}: {idx}," if idx is not None else f"{head}: "
        if self.cmgf == 0:
            return [f"{pre}{msg.stat},,{tpdu_len}", msg.pdu]
        sms = decode_pdu(msg.pdu)
        ts = sms.timestamp.strftime("%y/%m/%d,%H:%M:%S+00") if sms.timestamp else ""
        return [f'{pre}"{STAT_NAMES[msg.stat]}","{sms.number or ""}","","{ts}"', sms.text]

    def _cmgr(self, cmd: str) -> Reply:
        err = self._sim_error(sms=True)
        if err:
            return err
        args = _args(cmd)
        store = self.storage(self.cpms[0])
        try:
            idx = int(args[0])
        except (ValueError, IndexError):
            return self._cms(321)
        if not 1 <= idx <= len(store):
            return self._cms(321)
        msg = store[idx - 1]
        if msg is None:
            return Reply() if self.profile.empty_read == "OK" else self._cms(321)
        out = self._listing("+CMGR", None, msg)
        if msg.stat == 0:
            msg.stat = 1
        return Reply(out)

    def _cmgd(self, cmd: str) -> Reply:
        err = self._sim_error(sms=True)
        if err:
            return err
        args = _args(cmd)
        store = self.storage(self.cpms[0])
        try:
            idx = int(args[0])
            flag = int(args[1]) if len(args) > 1 and args[1] else 0
        except ValueError:
            return self._cms(321)
        if flag == 4:
            for i in range(len(store)):
                store[i] = None
        elif 1 <= idx <= len(store):
            if self.cpms[0] == "MT":  # MT is SM then ME
                if idx <= len(self.sim.storage if self.sim else []):
                    assert self.sim is not None
                    self.sim.storage[idx - 1] = None
                else:
                    self.me_storage[idx - 1 - len(self.sim.storage if self.sim else [])] = None
            else:
                store[idx - 1] = None
        else:
            return self._cms(321)
        self.flush_network_queue()
        return Reply()

    def submit(self, pdu_hex: str) -> Reply:
        """The data after the CMGS prompt: decode and hand to the network."""
        try:
            sms = decode_pdu(pdu_hex)
        except ValueError:
            return self._cms(304)
        self.sent.append((sms.number or "", sms.text))
        if self.network is not None and sms.number:
            self.network(self.sim.msisdn if self.sim else "", sms.number, sms)
        return Reply([f"+CMGS: {len(self.sent) % 256}"])

    def _cusd(self, cmd: str, up: str) -> Reply:
        args = _args(cmd)
        if args and args[0] == "2":
            self.ussd_cancels += 1
            return Reply()
        if not args:
            return Reply()
        if args[0] in ("0", "1") and len(args) < 2:
            return Reply()
        err = self._sim_error()
        if err:
            return err
        assert self.sim is not None
        request = args[1]
        if self.profile.ussd_encoding == "packed":
            try:
                request = gsm7.decode_packed(bytes.fromhex(request))
            except ValueError:
                return Reply(final="ERROR")
        answer = self.sim.ussd.get(request)
        status = 1 if request in self.sim.ussd_menus else 0
        if answer == "":
            return Reply()  # accepted, and the network never answers
        if answer is None:
            urc = "+CUSD: 4"
        else:
            enc = self.profile.ussd_encoding
            if enc == "packed" and not gsm7.can_encode(answer):
                enc = "ucs2"  # the network switches to UCS2 for Cyrillic
            if enc == "ucs2":
                urc = f'+CUSD: {status},"{answer.encode("utf-16-be").hex().upper()}",72'
            elif enc == "packed":
                urc = f'+CUSD: {status},"{gsm7.encode_packed(answer).hex().upper()}",15'
            else:
                urc = f'+CUSD: {status},"{answer}",15'
        if self.profile.cusd_before_ok:
            return Reply([urc])
        return Reply(after=[urc])


def ready_imei(index: int, seed: int = 0) -> str:
    """A valid 15-digit IMEI (Luhn) for port `index`."""
    from simbox.emulator.sim import luhn_digit

    body = f"86{(seed * 7919 + 1) % 10000:04d}{index:08d}"
    return body + luhn_digit(body)


_ = re
