"""SMS TPDU codec (3GPP TS 23.040 §9.2): decode every type a modem stores, encode DELIVER/SUBMIT.

`decode_pdu(hex)` reads the PDU as a modem prints it in PDU mode (`+CMGR`, `+CMGL`, `+CMT`): an
SMSC address first, then the TPDU. Alphabets per 3GPP TS 23.038 §4 (GSM 7-bit with the extension
table, 8-bit data, UCS2/UTF-16), user data headers with concatenation (IEI 0x00 with an 8-bit
reference, IEI 0x08 with a 16-bit one), alphanumeric originators, timestamps with their zone.
Anything malformed raises `PduError` with a one-line reason; nothing else escapes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from simbox.errors import PduError
from simbox.pdu import gsm7

DELIVER = "SMS-DELIVER"
SUBMIT = "SMS-SUBMIT"
STATUS_REPORT = "SMS-STATUS-REPORT"

GSM7 = "gsm7"
EIGHT_BIT = "8bit"
UCS2 = "ucs2"


@dataclass(frozen=True)
class Concat:
    """Concatenation info from the UDH: reference, total parts, this part (1-based)."""

    ref: int
    total: int
    part: int
    ref_bits: int = 8


@dataclass
class Sms:
    """One decoded TPDU."""

    type: str
    text: str
    smsc: str | None = None
    number: str | None = None  # originator (DELIVER), destination (SUBMIT), recipient (STATUS-REPORT)
    timestamp: datetime | None = None  # service centre time stamp, zone-aware
    encoding: str = GSM7
    dcs: int = 0
    pid: int = 0
    concat: Concat | None = None
    udh: list[tuple[int, bytes]] = field(default_factory=list)
    reference: int | None = None  # TP-MR (SUBMIT, STATUS-REPORT)
    status: int | None = None  # TP-ST (STATUS-REPORT)
    discharge: datetime | None = None
    data: bytes = b""  # raw user data (without UDH), for 8-bit messages
    pdu: str = ""

    @property
    def sender(self) -> str | None:
        return self.number if self.type == DELIVER else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the `python -m simbox pdu decode` output)."""
        out: dict[str, Any] = {
            "type": self.type,
            "sender": self.sender,
            "number": self.number,
            "smsc": self.smsc,
            "text": self.text,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "encoding": self.encoding,
            "dcs": self.dcs,
            "pid": self.pid,
        }
        if self.concat:
            out.update(
                concat_ref=self.concat.ref,
                concat_part=self.concat.part,
                concat_total=self.concat.total,
                concat_ref_bits=self.concat.ref_bits,
            )
        if self.reference is not None:
            out["reference"] = self.reference
        if self.status is not None:
            out["status"] = self.status
        if self.discharge is not None:
            out["discharge"] = self.discharge.isoformat()
        if self.encoding == EIGHT_BIT:
            out["data_hex"] = self.data.hex().upper()
        return out


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise PduError(f"PDU truncated: no {what} at octet {self.pos}")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise PduError(f"PDU truncated: {what} needs {n} octets at octet {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


_SEMI = "0123456789*#abc"


def decode_semi_octets(data: bytes) -> str:
    """Swapped BCD digits; 0xF is filler."""
    out = []
    for b in data:
        for nib in (b & 0x0F, b >> 4):
            if nib == 0xF:
                continue
            out.append(_SEMI[nib])
    return "".join(out)


def encode_semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    out = bytearray()
    for i in range(0, len(digits), 2):
        lo, hi = digits[i], digits[i + 1]
        out.append(((_SEMI + "F").index(hi.lower() if hi != "F" else "F") << 4) | _SEMI.index(lo.lower()))
    return bytes(out)


def _decode_address(r: _Reader, smsc: bool = False) -> str | None:
    length = r.byte("address length")
    if length == 0:
        return None
    toa = r.byte("type of address")
    octets = length - 1 if smsc else (length + 1) // 2
    raw = r.take(octets, "address")
    ton = (toa >> 4) & 0x07
    if ton == 5 and not smsc:  # alphanumeric, GSM 7-bit packed
        return gsm7.decode_packed(raw, (length * 4) // 7)
    digits = decode_semi_octets(raw)
    if not smsc:
        digits = digits[:length]
    return ("+" + digits) if ton == 1 and digits else digits


def encode_address(number: str, smsc: bool = False) -> bytes:
    """An address field: digits (international with '+') or alphanumeric (GSM 7-bit)."""
    if not number:
        return b"\x00"
    body = number[1:] if number.startswith("+") else number
    if body and all(c in "0123456789" for c in body):
        toa = 0x91 if number.startswith("+") else 0x81
        raw = encode_semi_octets(body)
        length = len(raw) + 1 if smsc else len(body)
        return bytes([length, toa]) + raw
    if smsc:
        raise ValueError("an SMSC address must be numeric")
    septets = gsm7.to_septets(number)
    raw = gsm7.pack(septets)
    nibbles = (len(septets) * 7 + 3) // 4
    return bytes([nibbles, 0xD0]) + raw


def _decode_timestamp(raw: bytes) -> datetime:
    d = decode_semi_octets(raw[:6])
    if len(d) != 12 or not d.isdigit():
        raise PduError(f"bad timestamp {raw.hex().upper()}")
    tzb = raw[6]
    quarters = (tzb & 0x07) * 10 + (tzb >> 4)
    if (tzb >> 4) > 9:
        raise PduError(f"bad time zone {tzb:02X}")
    if tzb & 0x08:
        quarters = -quarters
    try:
        yy = int(d[0:2])
        return datetime(
            (2000 if yy < 70 else 1900) + yy,  # two-digit years: 70-99 are the 1900s
            int(d[2:4]),
            int(d[4:6]),
            int(d[6:8]),
            int(d[8:10]),
            int(d[10:12]),
            tzinfo=timezone(timedelta(minutes=15 * quarters)),
        )
    except ValueError as exc:
        raise PduError(f"bad timestamp {raw.hex().upper()}: {exc}") from None


def encode_timestamp(ts: datetime) -> bytes:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    off = ts.utcoffset() or timedelta(0)
    quarters = int(off.total_seconds() // 900)
    digits = ts.strftime("%y%m%d%H%M%S")
    out = bytearray(encode_semi_octets(digits))
    q = abs(quarters)
    tz = ((q % 10) << 4) | (q // 10)
    if quarters < 0:
        tz |= 0x08
    out.append(tz)
    return bytes(out)


def dcs_encoding(dcs: int) -> str:
    """The alphabet a data coding scheme names (3GPP TS 23.038 §4)."""
    group = dcs >> 4
    if group <= 0x7:  # general data coding (00xx) and auto-deletion (01xx)
        alphabet = (dcs >> 2) & 0x03
        return {0: GSM7, 1: EIGHT_BIT, 2: UCS2}.get(alphabet, GSM7)
    if group in (0xC, 0xD):
        return GSM7
    if group == 0xE:
        return UCS2
    if group == 0xF:
        return EIGHT_BIT if dcs & 0x04 else GSM7
    return GSM7


def _parse_udh(udh: bytes) -> tuple[list[tuple[int, bytes]], Concat | None]:
    ies: list[tuple[int, bytes]] = []
    concat: Concat | None = None
    i = 0
    while i + 1 < len(udh):
        iei, iel = udh[i], udh[i + 1]
        data = udh[i + 2 : i + 2 + iel]
        if len(data) < iel:
            raise PduError("user data header truncated")
        ies.append((iei, data))
        if iei == 0x00 and iel == 3:
            concat = Concat(ref=data[0], total=data[1], part=data[2], ref_bits=8)
        elif iei == 0x08 and iel == 4:
            concat = Concat(ref=(data[0] << 8) | data[1], total=data[2], part=data[3], ref_bits=16)
        i += 2 + iel
    if concat is not None and (concat.total == 0 or concat.part == 0 or concat.part > concat.total):
        concat = None  # invalid per 23.040 §9.2.3.24.1: ignore the element
    return ies, concat


def _decode_user_data(r: _Reader, dcs: int, udhi: bool, sms: Sms) -> None:
    udl = r.byte("user data length")
    enc = dcs_encoding(dcs)
    sms.encoding = enc
    ud = r.rest()
    header_octets = 0
    if udhi:
        if not ud:
            raise PduError("user data header indicated but no user data")
        udhl = ud[0]
        header = ud[1 : 1 + udhl]
        if len(header) < udhl:
            raise PduError("user data header truncated")
        sms.udh, sms.concat = _parse_udh(header)
        header_octets = udhl + 1
    if enc == GSM7:
        if udl > 160 or (udl * 7 + 7) // 8 > len(ud):
            raise PduError(f"user data length {udl} septets does not fit {len(ud)} octets")
        skip = (header_octets * 8 + 6) // 7
        sms.text = gsm7.from_septets(gsm7.unpack(ud, udl)[skip:])
        return
    if udl > 140:
        raise PduError(f"user data length {udl} octets is over 140")
    body = ud[header_octets:udl] if udl <= len(ud) else ud[header_octets:]
    if enc == UCS2:
        if len(body) % 2:
            body = body[:-1]
        sms.text = body.decode("utf-16-be", "replace")
    else:
        sms.data = bytes(body)
        try:
            sms.text = body.decode("ascii")
        except UnicodeDecodeError:
            sms.text = body.decode("latin-1")


def decode_pdu(hex_pdu: str, smsc: bool = True) -> Sms:
    """Decode one PDU as a modem prints it; `smsc=False` for a bare TPDU without the SMSC field."""
    text = hex_pdu.strip()
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise PduError("not a hexadecimal PDU") from None
    if not data:
        raise PduError("empty PDU")
    try:
        return _decode(data, smsc, text.upper())
    except PduError:
        raise
    except (IndexError, ValueError, KeyError) as exc:  # defensive: never let a raw error escape
        raise PduError(f"malformed PDU: {exc}") from None


def _decode(data: bytes, smsc: bool, raw_hex: str) -> Sms:
    r = _Reader(data)
    sc = _decode_address(r, smsc=True) if smsc else None
    first = r.byte("first octet")
    mti = first & 0x03
    udhi = bool(first & 0x40)
    if mti in (0, 3):
        number = _decode_address(r)
        pid = r.byte("protocol identifier")
        dcs = r.byte("data coding scheme")
        ts = _decode_timestamp(r.take(7, "time stamp"))
        sms = Sms(DELIVER, "", smsc=sc, number=number, timestamp=ts, dcs=dcs, pid=pid, pdu=raw_hex)
        _decode_user_data(r, dcs, udhi, sms)
        return sms
    if mti == 1:
        mr = r.byte("message reference")
        number = _decode_address(r)
        pid = r.byte("protocol identifier")
        dcs = r.byte("data coding scheme")
        vpf = (first >> 3) & 0x03
        if vpf == 2:
            r.take(1, "validity period")
        elif vpf in (1, 3):
            r.take(7, "validity period")
        sms = Sms(SUBMIT, "", smsc=sc, number=number, dcs=dcs, pid=pid, reference=mr, pdu=raw_hex)
        _decode_user_data(r, dcs, udhi, sms)
        return sms
    mr = r.byte("message reference")
    number = _decode_address(r)
    ts = _decode_timestamp(r.take(7, "time stamp"))
    dt = _decode_timestamp(r.take(7, "discharge time"))
    st = r.byte("status")
    return Sms(
        STATUS_REPORT, "", smsc=sc, number=number, timestamp=ts, reference=mr, status=st, discharge=dt, pdu=raw_hex
    )


# --- encoding -----------------------------------------------------------------------------------

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


def choose_encoding(text: str) -> str:
    return GSM7 if gsm7.can_encode(text) else UCS2


def split_text(text: str, encoding: str | None = None, ref_bits: int = 8) -> tuple[str, list[str]]:
    """Split `text` into the parts a phone would send: never inside an escape or surrogate pair.

    A part carries a 6-octet UDH (8-bit reference) or a 7-octet one (16-bit): 153 or 152 GSM
    septets, 67 or 66 UCS2 characters."""
    enc = encoding or choose_encoding(text)
    gsm_part = GSM7_PART if ref_bits == 8 else GSM7_PART - 1
    ucs2_part = UCS2_PART if ref_bits == 8 else UCS2_PART - 1
    if enc == GSM7:
        if gsm7.septet_len(text) <= GSM7_SINGLE:
            return enc, [text]
        parts, cur, n = [], "", 0
        for ch in text:
            w = gsm7.septet_len(ch)
            if n + w > gsm_part:
                parts.append(cur)
                cur, n = "", 0
            cur += ch
            n += w
        parts.append(cur)
        return enc, parts
    units = len(text.encode("utf-16-be")) // 2
    if units <= UCS2_SINGLE:
        return enc, [text]
    parts, cur, n = [], "", 0
    for ch in text:
        w = len(ch.encode("utf-16-be")) // 2
        if n + w > ucs2_part:
            parts.append(cur)
            cur, n = "", 0
        cur += ch
        n += w
    parts.append(cur)
    return enc, parts


def _user_data(text: str, enc: str, concat: Concat | None) -> tuple[int, bytes, bool]:
    header = b""
    if concat is not None:
        if concat.ref_bits == 16:
            ie = bytes([0x08, 4, concat.ref >> 8, concat.ref & 0xFF, concat.total, concat.part])
        else:
            ie = bytes([0x00, 3, concat.ref & 0xFF, concat.total, concat.part])
        header = bytes([len(ie)]) + ie
    if enc == GSM7:
        septets = gsm7.to_septets(text)
        if header:
            fill = (7 - (len(header) * 8) % 7) % 7
            skip = (len(header) * 8 + fill) // 7
            body = gsm7.pack(septets, fill)
            return skip + len(septets), header + body, bool(header)
        return len(septets), gsm7.pack(septets), False
    body = text.encode("utf-16-be") if enc == UCS2 else text.encode("latin-1")
    return len(header) + len(body), header + body, bool(header)


def _dcs_for(enc: str) -> int:
    return {GSM7: 0x00, EIGHT_BIT: 0x04, UCS2: 0x08}[enc]


def encode_deliver(
    sender: str,
    text: str,
    *,
    smsc: str | None = "+77010000000",
    timestamp: datetime | None = None,
    encoding: str | None = None,
    concat: Concat | None = None,
) -> str:
    """One SMS-DELIVER PDU (hex, with the SMSC field) as a modem would store it."""
    enc = encoding or choose_encoding(text)
    udl, ud, udhi = _user_data(text, enc, concat)
    first = 0x04 | (0x40 if udhi else 0)  # MTI=00, MMS=1 (no more messages waiting)
    ts = timestamp or datetime.now(UTC)
    pdu = (
        (encode_address(smsc, smsc=True) if smsc else b"\x00")
        + bytes([first])
        + encode_address(sender)
        + bytes([0x00, _dcs_for(enc)])
        + encode_timestamp(ts)
        + bytes([udl])
        + ud
    )
    return pdu.hex().upper()


def encode_deliver_parts(
    sender: str,
    text: str,
    *,
    smsc: str | None = "+77010000000",
    timestamp: datetime | None = None,
    encoding: str | None = None,
    ref: int | None = None,
    ref_bits: int = 8,
) -> list[str]:
    """SMS-DELIVER PDUs for `text`: one, or a concatenated set with a UDH in each part."""
    enc, parts = split_text(text, encoding, ref_bits)
    if len(parts) == 1:
        return [encode_deliver(sender, text, smsc=smsc, timestamp=timestamp, encoding=enc)]
    if ref is None:
        ref = random.randrange(1 << ref_bits)
    total = len(parts)
    return [
        encode_deliver(
            sender,
            part,
            smsc=smsc,
            timestamp=timestamp,
            encoding=enc,
            concat=Concat(ref=ref, total=total, part=i + 1, ref_bits=ref_bits),
        )
        for i, part in enumerate(parts)
    ]


def encode_submit(number: str, text: str, *, reference: int = 0, encoding: str | None = None,
                  concat: Concat | None = None) -> tuple[str, int]:
    """One SMS-SUBMIT PDU with an empty SMSC field (the modem's default SMSC is used).

    Returns (hex, TPDU length in octets) — the length is what `AT+CMGS=` takes."""
    enc = encoding or choose_encoding(text)
    udl, ud, udhi = _user_data(text, enc, concat)
    first = 0x01 | 0x10 | (0x40 if udhi else 0)  # SUBMIT, relative validity period
    tpdu = bytes([first, reference & 0xFF]) + encode_address(number) + bytes([0x00, _dcs_for(enc), 0xAA, udl]) + ud
    return "00" + tpdu.hex().upper(), len(tpdu)
