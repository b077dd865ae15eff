"""Pure parsers for AT responses: text lines in, values out. No I/O, table-tested per vendor.

Every parser takes the body lines of one response (or one line) and returns None (or an empty
list) when the answer does not contain what it asks for; none of them raise on odd input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simbox.pdu import gsm7

_ICCID_RX = re.compile(r"([0-9A-Fa-f]{18,22})")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def unswap_nibbles(s: str) -> str:
    """'98791010…' → '89970101…' (EF_ICCID byte order as `^ICCID` and `+CRSM` print it)."""
    if len(s) % 2:
        s += "F"
    return "".join(s[i + 1] + s[i] for i in range(0, len(s), 2))


def parse_iccid(lines: tuple[str, ...] | list[str] | str, swapped: bool | None = None) -> str | None:
    """ICCID from any vendor format: bare, `+CCID: "…"`, `+QCCID:`, `+ICCID:`, `^ICCID:` (swapped),
    `+CRSM: 144,0,"…"` (swapped). `swapped=None` detects it: ICCIDs start with 89 (ITU-T E.118)."""
    if isinstance(lines, str):
        lines = [lines]
    for line in lines:
        text = line
        if text.upper().startswith("+CRSM:"):
            parts = text.split(",")
            if len(parts) < 3 or parts[0].split(":")[1].strip() not in ("144", "145"):
                continue
            text = parts[2]
            if swapped is None:
                swapped = True
        elif text.startswith("^ICCID:") and swapped is None:
            swapped = True
        m = _ICCID_RX.search(text.replace('"', " "))
        if not m:
            continue
        raw = m.group(1).upper()
        candidates = []
        if swapped is True:
            candidates.append(unswap_nibbles(raw))
        elif swapped is False:
            candidates.append(raw)
        else:
            candidates += [raw, unswap_nibbles(raw)] if not raw.startswith("89") else [raw]
        for cand in candidates:
            digits = cand.rstrip("F")
            if digits.isdigit() and digits.startswith("89") and 18 <= len(digits) <= 20:
                return digits
        # a number that is not shaped like an ICCID: still report it, unswapped if asked
        digits = candidates[0].rstrip("F")
        if digits.isdigit() and 18 <= len(digits) <= 20:
            return digits
    return None


def iccid_valid(iccid: str) -> bool:
    """Luhn check of an ICCID (19-20 digits, the last is the check digit)."""
    return iccid.isdigit() and 18 <= len(iccid) <= 20 and _luhn_ok(iccid)


def parse_imei(lines: tuple[str, ...] | list[str]) -> str | None:
    """IMEI from `AT+CGSN` (bare 15 digits, `+CGSN: "…"`, or a Huawei ATI `IMEI: …` line)."""
    for line in lines:
        m = re.search(r"(?<!\d)(\d{15})(?!\d)", line)
        if m:
            return m.group(1)
    return None


def parse_imsi(lines: tuple[str, ...] | list[str]) -> str | None:
    for line in lines:
        m = re.fullmatch(r"\s*(?:\+CIMI:\s*)?\"?(\d{14,15})\"?\s*", line)
        if m:
            return m.group(1)
    return None


def _fields(value: str) -> list[str]:
    """Comma-separated fields with quoted strings kept whole, quotes removed."""
    out, cur, quoted = [], "", False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def _after(line: str, prefix: str) -> str | None:
    if not line.upper().startswith(prefix.upper()):
        return None
    return line[len(prefix) :].strip()


def format_number(number: str, ton: int | None) -> str:
    number = number.strip()
    if ton == 145 and number and not number.startswith("+"):
        return "+" + number
    return number


def parse_cnum(lines: tuple[str, ...] | list[str]) -> str | None:
    """Own number from `+CNUM: "alpha","number",type[,speed,service]`; None when CNUM is empty."""
    for line in lines:
        v = _after(line, "+CNUM:")
        if v is None:
            continue
        f = _fields(v)
        if len(f) >= 2 and re.fullmatch(r"\+?\d{5,15}", f[1] or ""):
            ton = int(f[2]) if len(f) > 2 and f[2].isdigit() else None
            return format_number(f[1], ton)
    return None


def parse_cpbr(lines: tuple[str, ...] | list[str]) -> str | None:
    """A number from `+CPBR: index,"number",type,"text"` (the ON phonebook)."""
    for line in lines:
        v = _after(line, "+CPBR:")
        if v is None:
            continue
        f = _fields(v)
        if len(f) >= 3 and re.fullmatch(r"\+?\d{5,15}", f[1]):
            return format_number(f[1], int(f[2]) if f[2].isdigit() else None)
    return None


_REG = {0: "not_registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming",
        6: "home_sms_only", 7: "roaming_sms_only", 8: "emergency", 10: "roaming"}


@dataclass(frozen=True)
class Registration:
    stat: int
    lac: str | None = None
    cell: str | None = None

    @property
    def state(self) -> str:
        return _REG.get(self.stat, "unknown")

    @property
    def registered(self) -> bool:
        return self.stat in (1, 5, 6, 7, 9, 10)


def parse_creg(line: str) -> Registration | None:
    """`+CREG: n,stat[,lac,ci[,act]]` (answer to `?`) or `+CREG: stat[,lac,ci]` (URC); also CGREG/CEREG.

    The answer form has n first; a URC has stat first. With two or more numeric fields and the
    second a valid stat, the first is n (an answer); quoted LAC tells a URC with location."""
    m = re.match(r"^\+C(?:G|E)?REG:\s*(.*)$", line.strip(), re.IGNORECASE)
    if not m:
        return None
    f = _fields(m.group(1))
    try:
        nums = [int(x) for x in f[:2] if x.isdigit()]
    except ValueError:
        return None
    if not nums:
        return None
    quoted_second = '"' in m.group(1).split(",")[1] if "," in m.group(1) else False
    if len(f) >= 2 and f[1].isdigit() and not quoted_second:
        stat = int(f[1])
        rest = f[2:]
    else:
        stat = nums[0]
        rest = f[1:]
    lac = rest[0] if len(rest) > 0 and rest[0] else None
    cell = rest[1] if len(rest) > 1 and rest[1] else None
    return Registration(stat, lac, cell)


@dataclass(frozen=True)
class Operator:
    name: str | None
    numeric: str | None = None
    act: int | None = None


def parse_cops(line: str) -> Operator | None:
    """`+COPS: mode[,format,"oper"[,act]]`: format 0/1 gives a name, 2 gives MCC-MNC."""
    v = _after(line, "+COPS:")
    if v is None:
        return None
    f = _fields(v)
    if len(f) < 3 or not f[2]:
        return None
    act = int(f[3]) if len(f) > 3 and f[3].isdigit() else None
    if f[1] == "2":
        return Operator(None, f[2], act)
    return Operator(f[2], None, act)


def parse_csq(line: str) -> tuple[int | None, int | None]:
    """`+CSQ: rssi,ber` → (dBm, ber); rssi 99 means unknown (None). dBm = -113 + 2·rssi."""
    v = _after(line, "+CSQ:")
    if v is None:
        v = _after(line, "^RSSI:")
        if v is None:
            return None, None
    f = _fields(v)
    try:
        rssi = int(f[0])
    except (ValueError, IndexError):
        return None, None
    ber = int(f[1]) if len(f) > 1 and f[1].isdigit() else None
    if rssi == 99 or rssi < 0 or rssi > 31:
        return None, ber if ber != 99 else None
    return -113 + 2 * rssi, ber if ber != 99 else None


def csq_to_dbm(rssi: int) -> int | None:
    return None if rssi == 99 else -113 + 2 * rssi


def parse_cpin(lines: tuple[str, ...] | list[str]) -> str | None:
    """`+CPIN: READY` / `SIM PIN` / `SIM PUK` / … → the state text."""
    for line in lines:
        v = _after(line, "+CPIN:")
        if v is not None:
            return v.strip().strip('"').upper()
    return None


def parse_pin_counter(lines: tuple[str, ...] | list[str]) -> tuple[int | None, int | None]:
    """Remaining (PIN, PUK) attempts from `+CPINR:`, `+QPINC:`, `^CPIN:` or `+SPIC:`."""
    pin = puk = None
    for line in lines:
        if (v := _after(line, "+CPINR:")) is not None:
            f = _fields(v)
            if len(f) >= 2 and f[1].isdigit():
                if f[0].upper() == "SIM PIN":
                    pin = int(f[1])
                elif f[0].upper() == "SIM PUK":
                    puk = int(f[1])
        elif (v := _after(line, "+QPINC:")) is not None:
            f = _fields(v)
            if len(f) >= 3 and f[0].upper() == "SC":
                pin, puk = int(f[1]), int(f[2])
        elif (v := _after(line, "^CPIN:")) is not None:
            f = _fields(v)  # ^CPIN: code,[times],puk_times,pin_times,puk2_times,pin2_times
            if len(f) >= 4 and f[2].isdigit() and f[3].isdigit():
                puk, pin = int(f[2]), int(f[3])
        elif (v := _after(line, "+SPIC:")) is not None:
            f = _fields(v)
            if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():
                pin, puk = int(f[0]), int(f[1])
    return pin, puk


@dataclass(frozen=True)
class StorageUse:
    name: str | None
    used: int
    total: int


def parse_cpms(line: str) -> list[StorageUse]:
    """`+CPMS: "SM",3,30,"SM",3,30,"SM",3,30` (query) or `+CPMS: 3,30,3,30,3,30` (set)."""
    v = _after(line, "+CPMS:")
    if v is None:
        return []
    f = _fields(v)
    out: list[StorageUse] = []
    i = 0
    while i < len(f):
        name = None
        if f[i] and not f[i].isdigit():
            name = f[i]
            i += 1
        if i + 1 < len(f) and f[i].isdigit() and f[i + 1].isdigit():
            out.append(StorageUse(name, int(f[i]), int(f[i + 1])))
            i += 2
        else:
            break
    return out


def parse_cpms_supported(line: str) -> list[str]:
    """Read-storage names from `+CPMS: ("SM","ME","MT"),(…),(…)`."""
    v = _after(line, "+CPMS:")
    if v is None:
        return []
    m = re.match(r"\(([^)]*)\)", v)
    if not m:
        return []
    return [x.strip().strip('"') for x in m.group(1).split(",") if x.strip()]


@dataclass(frozen=True)
class ListedPdu:
    index: int | None
    stat: int | None
    length: int | None
    pdu: str


def parse_cmgl(lines: tuple[str, ...] | list[str]) -> list[ListedPdu]:
    """PDU-mode `+CMGL: index,stat,[alpha],length` + PDU line pairs. Skips damaged pairs."""
    out: list[ListedPdu] = []
    head: list[str] | None = None
    for line in lines:
        v = _after(line, "+CMGL:")
        if v is not None:
            head = _fields(v)
            continue
        if head is not None:
            if re.fullmatch(r"[0-9A-Fa-f]+", line) and len(line) % 2 == 0:
                try:
                    idx = int(head[0])
                    stat = int(head[1]) if len(head) > 1 and head[1].isdigit() else None
                    length = int(head[-1]) if head[-1].isdigit() else None
                    out.append(ListedPdu(idx, stat, length, line.upper()))
                except (ValueError, IndexError):
                    pass
            head = None
    return out


def parse_cmgr(lines: tuple[str, ...] | list[str]) -> ListedPdu | None:
    """PDU-mode `+CMGR: stat,[alpha],length` + PDU line; None for an empty slot."""
    head: list[str] | None = None
    for line in lines:
        v = _after(line, "+CMGR:")
        if v is not None:
            head = _fields(v)
            continue
        if head is not None and re.fullmatch(r"[0-9A-Fa-f]+", line) and len(line) % 2 == 0:
            stat = int(head[0]) if head and head[0].isdigit() else None
            length = int(head[-1]) if head and head[-1].isdigit() else None
            return ListedPdu(None, stat, length, line.upper())
    return None


def parse_cmti(value: str) -> tuple[str, int] | None:
    """`+CMTI: "SM",3` → ("SM", 3)."""
    v = _after(value, "+CMTI:")
    f = _fields(v if v is not None else value)
    if len(f) >= 2 and f[1].strip().isdigit():
        return f[0].upper(), int(f[1])
    return None


@dataclass(frozen=True)
class Ussd:
    status: int
    text: str | None
    dcs: int | None

    @property
    def final(self) -> bool:
        return self.status != 1

    @property
    def meaning(self) -> str:
        return {0: "done", 1: "reply expected", 2: "terminated by network", 3: "other client",
                4: "not supported", 5: "network timeout"}.get(self.status, "unknown")


def _hexish(s: str) -> bool:
    return bool(s) and len(s) % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", s) is not None


def decode_ussd_text(raw: str, dcs: int | None, packed: bool | None = None) -> str:
    """USSD string by DCS (3GPP TS 23.038 §5): UCS2 hex (DCS 72 / 0x48, 0x11 with language),
    GSM 7-bit packed hex (Huawei), or plain text. `packed=None` guesses from the string."""
    if dcs is not None:
        group = dcs >> 4
        ucs2 = dcs == 0x11 or (group in (0x4, 0x5, 0x6, 0x7, 0x9) and (dcs >> 2) & 3 == 2) or (
            group in (0x0, 0x1, 0x2, 0x3) and False
        ) or dcs == 72
        if ucs2 and _hexish(raw) and len(raw) % 4 == 0:
            try:
                return bytes.fromhex(raw).decode("utf-16-be")
            except UnicodeDecodeError:
                pass
    if packed or (packed is None and _hexish(raw) and len(raw) >= 4):
        try:
            text = gsm7.decode_packed(bytes.fromhex(raw))
            text = text.rstrip("\r@")  # padding septets
            if packed or sum(ch.isprintable() or ch in "\n\r" for ch in text) == len(text):
                return text
        except ValueError:
            pass
    return raw


def parse_cusd(line: str, packed: bool | None = None) -> Ussd | None:
    """`+CUSD: m[,"str",dcs]` → status, decoded text, DCS."""
    v = _after(line, "+CUSD:")
    if v is None:
        return None
    f = _fields(v)
    try:
        status = int(f[0])
    except (ValueError, IndexError):
        return None
    raw = f[1] if len(f) > 1 else None
    dcs = int(f[2]) if len(f) > 2 and f[2].isdigit() else None
    text = decode_ussd_text(raw, dcs, packed) if raw is not None else None
    return Ussd(status, text, dcs)


_NUMBER_IN_TEXT = re.compile(r"(?<![\d])(\+?\d[\d\s\-()]{8,16}\d)(?![\d])")


def number_from_text(text: str) -> str | None:
    """A phone number in a USSD answer ("Vash nomer: +7 705 123 45 67")."""
    m = _NUMBER_IN_TEXT.search(text or "")
    if not m:
        return None
    digits = re.sub(r"[^\d+]", "", m.group(1))
    if not digits.startswith("+") and len(digits) == 11 and digits[0] in "78":
        digits = "+7" + digits[1:]
    return digits


def parse_identity(lines: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`ATI` lines such as `Manufacturer: huawei` / `Model: E173` / `Revision: …` / `IMEI: …`."""
    out: dict[str, str] = {}
    for line in lines:
        if ":" in line:
            k, v = line.split(":", 1)
            key = k.strip().lower()
            if key in ("manufacturer", "model", "revision", "imei"):
                out[key] = v.strip()
    return out
