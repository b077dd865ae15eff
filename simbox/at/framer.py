"""Pure AT stream framing: bytes in, events out. No I/O, so it is tested with tables and hypothesis.

Like ModemManager, unsolicited result codes (URCs) are taken out of the stream before a command's
response is assembled, so a `+CMTI` in the middle of a `+CMGL` listing never corrupts it. What is a
URC depends on context: `+CREG: 1` is a URC unless `AT+CREG?` is in flight; `+CPIN: READY` is the
answer to `AT+CPIN?` and a URC after a SIM swap. The rules:

1. Lines that are always URCs (`+CMTI:`, `+CMT:`, `+CUSD:`, `^RSSI:`, `RDY`, …) are routed as URCs.
   `+CMT:`/`+CDS:` take the next line (the PDU) with them.
2. With a command in flight, a line starting with one of its response prefixes is response.
3. Other URC-looking lines (`+CREG:`, `+CPIN:`, `+QIND:` …) are URCs.
4. With a command in flight: an exact echo is dropped, an exact final result code (`OK`,
   `ERROR`, `+CME ERROR: n` …) ends it, anything else is a body line. "OK google" is a body line.
   The line after a `+CMGR:`/`+CMGL:` header is always body, whatever it says.
5. Without a command in flight, anything else is a stray line (late answer to a timed-out
   command, noise) and reported as such.

Bytes that are not UTF-8, NULs and other control characters are removed from lines; a line with
nothing left is dropped. The reader never raises on input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FINAL_EXACT = frozenset(
    {"OK", "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "ABORTED", "COMMAND NOT SUPPORT"}
)
FINAL_SUCCESS = frozenset({"OK"})
_FINAL_PREFIX = ("+CME ERROR:", "+CMS ERROR:")

# Always URCs, whatever is in flight.
ALWAYS_URC = (
    "+CMTI:",
    "+CMT:",
    "+CDSI:",
    "+CDS:",
    "+CBM:",
    "+CUSD:",
    "RING",
    "+CRING:",
    "+CLIP:",
    "^RSSI:",
    "^BOOT:",
    "^MODE:",
    "^SRVST:",
    "^SIMST:",
    "^HCSQ:",
    "^DSFLOWRPT:",
    "^RFSWITCH:",
    "^STIN:",
    "RDY",
    "SMS Ready",
    "Call Ready",
    "+QIND:",
    "+QUSIM:",
    "*PSUTTZ:",
    "+PSUTTZ:",
    "+CTZV:",
    "+CTZE:",
    "DST:",
    "+CIEV:",
    "+STIN:",
    "PB DONE",
    "NORMAL POWER DOWN",
    "UNDER-VOLTAGE POWER DOWN",
    "UNDER-VOLTAGE WARNNING",
    "OVER-VOLTAGE POWER DOWN",
)
# URCs unless they answer the command in flight.
CONTEXT_URC = ("+CREG:", "+CGREG:", "+CEREG:", "+CPIN:", "+CFUN:", "+CSQ:", "^SYSSTART", "+WIND:")
# URCs that carry one more line (the PDU).
TWO_LINE_URC = ("+CMT:", "+CDS:", "+CBM:")
# Response headers whose next line is a body line taken verbatim.
BODY_FOLLOWS = ("+CMGR:", "+CMGL:")

_CMD_PREFIX = re.compile(r"^AT([+^$%*#][A-Z0-9]+)", re.IGNORECASE)
_CLEAN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class Urc:
    """An unsolicited result code: its first line, and the PDU line for two-line URCs."""

    line: str
    extra: str | None = None
    stray: bool = False  # a line that matched nothing (late answer, noise)

    @property
    def name(self) -> str:
        head = self.line.split(":", 1)[0] if ":" in self.line else self.line
        return head.strip()

    @property
    def value(self) -> str:
        return self.line.split(":", 1)[1].strip() if ":" in self.line else ""


@dataclass(frozen=True)
class Final:
    """The end of a command: its body lines and its final result code line."""

    command: str
    lines: tuple[str, ...]
    result: str

    @property
    def ok(self) -> bool:
        return self.result in FINAL_SUCCESS


@dataclass(frozen=True)
class Prompt:
    """The `> ` prompt: the command in flight may now send its data (PDU + Ctrl-Z)."""


Event = Urc | Final | Prompt


@dataclass
class CommandSpec:
    """What the framer must know about the command in flight."""

    text: str
    prefixes: tuple[str, ...] = ()
    final_on_prefix: bool = False  # Wavecom: `+CPIN: READY` with no OK after it
    expects_prompt: bool = False
    lines: list[str] = field(default_factory=list)
    require_prefix: bool = False  # a final without a prefixed line is someone else's late answer

    def __post_init__(self) -> None:
        if not self.prefixes:
            m = _CMD_PREFIX.match(self.text.strip())
            if m:
                self.prefixes = (m.group(1).upper() + ":",)


def is_final(line: str) -> bool:
    """True for an exact final result code line."""
    return line in FINAL_EXACT or line.upper().startswith(_FINAL_PREFIX)


def clean_line(raw: bytes) -> str:
    """Decode a raw line, dropping invalid UTF-8, control characters and surrounding blanks."""
    return _CLEAN.sub("", raw.decode("utf-8", "replace")).strip()


class LineFramer:
    """Splits a byte stream into cleaned lines; keeps partial lines between reads."""

    MAX_LINE = 8192

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buf += data
        out: list[str] = []
        while True:
            idx = -1
            for i, b in enumerate(self._buf):
                if b in (0x0D, 0x0A):
                    idx = i
                    break
            if idx < 0:
                break
            raw = bytes(self._buf[:idx])
            del self._buf[: idx + 1]
            line = clean_line(raw)
            if line:
                out.append(line)
        if len(self._buf) > self.MAX_LINE:  # runaway garbage without line breaks
            self._buf.clear()
        return out

    def take_prompt(self) -> bool:
        """If the unterminated rest of the stream is the `> ` prompt, consume it and say so."""
        rest = clean_line(bytes(self._buf))
        if rest == ">":
            self._buf.clear()
            return True
        return False

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)

    def clear(self) -> None:
        self._buf.clear()


class AtStream:
    """Bytes in, `Urc` / `Final` / `Prompt` events out, given the command in flight (if any)."""

    def __init__(self) -> None:
        self.framer = LineFramer()
        self.current: CommandSpec | None = None
        self._urc_head: str | None = None  # waiting for the PDU line of a two-line URC
        self._body_next = False

    def begin(self, spec: CommandSpec) -> None:
        """A command was written; its response starts now."""
        self.current = spec
        self._body_next = False

    def abort(self) -> None:
        """The command in flight timed out or was cancelled; late lines become stray."""
        self.current = None
        self._body_next = False

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for line in self.framer.feed(data):
            ev = self._line(line)
            if ev is not None:
                events.append(ev)
        if self.current is not None and self.current.expects_prompt and self.framer.take_prompt():
            self.current.expects_prompt = False
            events.append(Prompt())
        return events

    def _line(self, line: str) -> Event | None:
        cur = self.current
        if self._urc_head is not None:
            head, self._urc_head = self._urc_head, None
            return Urc(head, line)
        if self._body_next and cur is not None:
            self._body_next = False
            cur.lines.append(line)
            return None
        if line.startswith(ALWAYS_URC):
            if line.startswith(TWO_LINE_URC):
                self._urc_head = line
                return None
            return Urc(line)
        if cur is not None and cur.prefixes and line.upper().startswith(tuple(p.upper() for p in cur.prefixes)):
            cur.lines.append(line)
            if line.startswith(BODY_FOLLOWS):
                self._body_next = True
            if cur.final_on_prefix:
                return self._finish(cur, "OK")
            return None
        if line.startswith(CONTEXT_URC):
            return Urc(line)
        if cur is None:
            return Urc(line, stray=True)
        if line == cur.text.strip() or (line.upper() == cur.text.strip().upper() and line.upper().startswith("AT")):
            return None  # echo
        if is_final(line):
            return self._finish(cur, line)
        cur.lines.append(line)
        return None

    def _finish(self, cur: CommandSpec, result: str) -> Final | None:
        if cur.require_prefix and not any(
            line.upper().startswith(tuple(p.upper() for p in cur.prefixes)) for line in cur.lines
        ):
            cur.lines.clear()  # a late answer to an earlier command: keep waiting for ours
            return None
        self.current = None
        self._body_next = False
        return Final(cur.text, tuple(cur.lines), result)
