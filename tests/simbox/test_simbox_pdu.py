"""PDU codec against published vectors and round trips.

Sources of the vectors:
- [DF] dreamfabric.com, "SMS and the PDU format" (Lars Pettersson), the SMS-DELIVER example.
- [DH] developershome.com SMS tutorial, "Decoding SMS-DELIVER PDU" example (also in [PG]).
- [PG] faucamp/python-gsmmodem, test/test_pdu.py (MIT), decode and address-field tables, which
  include real PDUs captured from modems (ZTE status report, 8-bit, UCS2, concatenated).
- 3GPP TS 23.040 §9.2.3.24.1/§9.2.3.24.8 for the concatenation IEs (0x00 8-bit, 0x08 16-bit
  references) and TS 23.038 §6.2.1 for the alphabet, used for the hand-assembled vectors below.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simbox.errors import PduError
from simbox.pdu import gsm7
from simbox.pdu.codec import (
    Concat,
    decode_pdu,
    encode_address,
    encode_deliver,
    encode_deliver_parts,
    encode_submit,
    split_text,
)


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


DECODE_VECTORS = [
    # [DF] SMS-DELIVER, national-type originator, "hellohello"
    (
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
        {"type": "SMS-DELIVER", "smsc": "+27381000015", "number": "27838890001", "text": "hellohello",
         "timestamp": datetime(1999, 3, 29, 15, 16, 59, tzinfo=tz(2))},
    ),
    # [DH]/[PG] SMS-DELIVER from +85291234567, zone +8
    (
        "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
        {"type": "SMS-DELIVER", "smsc": "+85290000000", "number": "+85291234567",
         "text": "It is easy to read text messages via AT commands.",
         "timestamp": datetime(2007, 4, 12, 23, 25, 42, tzinfo=tz(8))},
    ),
    # [PG] short DELIVER, zone +2
    (
        "06917228195339040B917228214365F700003130805120618005D4F29C2E03",
        {"type": "SMS-DELIVER", "smsc": "+2782913593", "number": "+27821234567", "text": "Test2",
         "timestamp": datetime(2013, 3, 8, 15, 2, 16, tzinfo=tz(2))},
    ),
    # [PG] extension table characters { } and é
    ("06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
     {"type": "SMS-DELIVER", "number": "+27821234567", "text": "@{tést}!"}),
    # [PG] SMS-SUBMIT with relative validity period (a modem stores sent items)
    ("07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
     {"type": "SMS-SUBMIT", "smsc": "+31624000000", "number": "+31628870634", "text": "www.diafaan.com"}),
    # [PG] SMS-STATUS-REPORT, empty SMSC
    ("0006D60B911326880736F4111011719551401110117195714000",
     {"type": "SMS-STATUS-REPORT", "number": "+31628870634", "reference": 214, "status": 0}),
    # [PG] DELIVER with UDH concatenation IE (ref 0xC3, part 1 of 1), alphanumeric-free short code
    (
        "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
        {"type": "SMS-DELIVER", "number": "2781188", "smsc": "+2781191",
         "text": "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. ",
         "concat": Concat(ref=0xC3, total=1, part=1)},
    ),
    # [PG] UCS2 SUBMIT
    ("07914346466554F601000B914316565811F9000806304253F68449",
     {"type": "SMS-SUBMIT", "number": "+34616585119", "smsc": "+34646456456", "text": "あ叶葉", "encoding": "ucs2"}),
    # [PG] 8-bit data coding
    ("0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",
     {"type": "SMS-SUBMIT", "number": "+27821234567", "text": "Hello world!", "encoding": "8bit"}),
    # Hand-assembled per TS 23.040 §9.2.2.1 / TS 23.038: Cyrillic UCS2 from an alphanumeric sender.
    # 07 91 7710000000F0  SMSC +77010000000 | 04 first octet (DELIVER, MMS) |
    # 0E D0 D432BB7C9687DB  originator "Telegram" (14 semi-octets, TON 5 alphanumeric, GSM 7-bit) |
    # 00 PID | 08 DCS UCS2 | 62112211401021 SCTS 2026-11-22 11:04:01 +03:00 (zone 0x21 → 12 quarters)|
    # 0C UDL 12 octets | 041A043E0434 "Код" 003A 0020 ": " 0031 "1"
    (
        "07917710000000F0040ED0D432BB7C9687DB000862112211401021" + "0C" + "041A043E0434003A00200031",
        {"type": "SMS-DELIVER", "number": "Telegram", "text": "Код: 1", "encoding": "ucs2",
         "timestamp": datetime(2026, 11, 22, 11, 4, 1, tzinfo=tz(3))},
    ),
    # Hand-assembled: 16-bit reference concatenation (IEI 0x08, TS 23.040 §9.2.3.24.8), UCS2 part 2/3
    # first octet 0x44 (UDHI + MMS) | UDH 06 08 04 1234 03 02 | "Да" 0414 0430
    (
        "07917710000000F0440ED0D432BB7C9687DB000862112211401021" + "0B" + "060804123403020414" + "0430",
        {"type": "SMS-DELIVER", "number": "Telegram", "text": "Да", "concat": Concat(0x1234, 3, 2, 16)},
    ),
]


@pytest.mark.parametrize(("pdu", "expected"), DECODE_VECTORS)
def test_decode_published_vectors(pdu: str, expected: dict[str, object]) -> None:
    sms = decode_pdu(pdu)
    for key, value in expected.items():
        assert getattr(sms, key) == value, key


def test_alphanumeric_address_vectors() -> None:
    # [PG] address-field table: 'FRANCOIS' and extension characters in an alphanumeric address
    assert encode_address("FRANCOIS").hex().upper() == "0ED04669D0397C26A7"
    assert encode_address("a[]{}€").hex().upper() == "14D0E10D6FE3DBA036A94D19"
    assert encode_address("+27829135934").hex().upper() == "0B917228195339F4"


def test_gsm7_packing_vectors() -> None:
    # [DF] "hellohello"; [PG] 'Hello World!' and extension-table strings
    assert gsm7.encode_packed("hellohello").hex().upper() == "E8329BFD4697D9EC37"
    assert gsm7.encode_packed("Hello World!") == bytes([200, 50, 155, 253, 6, 93, 223, 114, 54, 57, 4])
    assert gsm7.encode_packed("[{abc}]~") == bytes([27, 222, 6, 21, 22, 143, 55, 169, 141, 111, 211, 3])
    assert gsm7.decode_packed(bytes([225, 13, 111, 227, 219, 160, 54, 169, 77, 25]), 11) == "a[]{}€"


def test_submit_vector() -> None:
    # [PG] encodeSmsSubmitPdu('+27820001111', 'Hello World!') with relative validity omitted there;
    # ours always sets TP-VP (0xAA = 4 days), so compare the TPDU around it.
    hexpdu, length = encode_submit("+27820001111", "Hello World!")
    assert hexpdu.startswith("00")
    assert hexpdu[2:].startswith("11000B917228001011F10000AA0C")
    assert hexpdu.endswith("C8329BFD065DDF72363904")
    assert length == len(bytes.fromhex(hexpdu)) - 1


@pytest.mark.parametrize(
    ("text", "parts", "enc"),
    [
        ("x" * 160, 1, "gsm7"),
        ("x" * 161, 2, "gsm7"),
        ("€" * 80, 1, "gsm7"),  # 160 septets: two each
        ("€" * 81, 2, "gsm7"),
        ("я" * 70, 1, "ucs2"),
        ("я" * 71, 2, "ucs2"),
        ("я" * 134, 2, "ucs2"),
        ("я" * 135, 3, "ucs2"),
    ],
)
def test_split_sizes(text: str, parts: int, enc: str) -> None:
    got_enc, chunks = split_text(text)
    assert (got_enc, len(chunks)) == (enc, parts)
    assert "".join(chunks) == text


def test_multipart_round_trip_keeps_escapes_and_surrogates_whole() -> None:
    text = ("a" * 152) + "€" + "b" * 10  # the € must not be split across parts
    pdus = encode_deliver_parts("+77051234567", text, ref=7)
    decoded = [decode_pdu(p) for p in pdus]
    assert "".join(d.text for d in decoded) == text
    assert [d.concat.part for d in decoded if d.concat] == [1, 2]
    emoji = "😀" * 40  # surrogate pairs in UCS2/UTF-16
    pdus = encode_deliver_parts("Telegram", emoji, ref_bits=16, ref=0xBEEF)
    decoded = [decode_pdu(p) for p in pdus]
    assert "".join(d.text for d in decoded) == emoji
    assert all(d.concat and d.concat.ref == 0xBEEF and d.concat.ref_bits == 16 for d in decoded)


def test_negative_zone_and_timestamp_round_trip() -> None:
    ts = datetime(2007, 4, 12, 23, 25, 42, tzinfo=tz(-8))
    pdu = encode_deliver("+123", "x", timestamp=ts)
    assert "7040213252242B" in pdu  # [PG] timestamp table: -8h is 0x2B
    assert decode_pdu(pdu).timestamp == ts


@pytest.mark.parametrize("bad", ["", "zz", "0", "07917283010010F5", "0791728301001", "00" * 3, "07917283010010F5040BC87238880900F1000099309251619580FF"])
def test_bad_pdus_raise_pdu_error(bad: str) -> None:
    with pytest.raises(PduError):
        decode_pdu(bad)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_hex_never_crashes(data: bytes) -> None:
    for smsc in (True, False):
        try:
            sms = decode_pdu(data.hex(), smsc=smsc)
        except PduError:
            continue
        assert isinstance(sms.text, str)
        sms.to_json()


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=400),
    st.one_of(st.just("Telegram"), st.just("+77051234567"), st.just("WhatsApp")),
)
def test_deliver_round_trip(text: str, sender: str) -> None:
    pdus = encode_deliver_parts(sender, text)
    decoded = [decode_pdu(p) for p in pdus]
    assert "".join(d.text for d in decoded) == text
    assert all(d.number == sender for d in decoded)
    assert all(len(bytes.fromhex(p)) - 8 <= 176 for p in pdus)  # TPDU ≤ 176 octets incl. header
