"""The AT framer: URCs taken out before responses are assembled, in every position."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simbox.at.framer import AtStream, CommandSpec, Event, Final, Prompt, Urc, is_final
from simbox.errors import CmeError, CmsError, error_from_final


def run(cmd: str | None, data: bytes, **spec: object) -> list[Event]:
    s = AtStream()
    if cmd is not None:
        s.begin(CommandSpec(cmd, **spec))  # type: ignore[arg-type]
    return s.feed(data)


def test_plain_response() -> None:
    ev = run("AT+CSQ", b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
    assert ev == [Final("AT+CSQ", ("+CSQ: 21,99",), "OK")]


def test_echo_on_is_dropped() -> None:
    ev = run("AT+CGSN", b"AT+CGSN\r\r\n866262031234567\r\n\r\nOK\r\n")
    assert ev == [Final("AT+CGSN", ("866262031234567",), "OK")]


def test_urc_in_the_middle_of_a_listing() -> None:
    data = (
        b'\r\n+CMGL: 1,1,,23\r\n0791AA\r\n\r\n+CMTI: "SM",2\r\n'
        b"\r\n+CMGL: 3,1,,23\r\n0791BB\r\n\r\nOK\r\n"
    )
    ev = run("AT+CMGL=4", data)
    assert ev[0] == Urc('+CMTI: "SM",2')
    assert ev[1] == Final("AT+CMGL=4", ("+CMGL: 1,1,,23", "0791AA", "+CMGL: 3,1,,23", "0791BB"), "OK")


def test_body_line_that_begins_with_ok_is_text() -> None:
    data = b'\r\n+CMGR: "REC READ","+77051234567",,"26/11/22,10:00:00+12"\r\nOK\r\n\r\nOK google\r\n\r\nOK\r\n'
    ev = run("AT+CMGR=1", data)
    assert ev == [Final("AT+CMGR=1", ('+CMGR: "REC READ","+77051234567",,"26/11/22,10:00:00+12"', "OK", "OK google"), "OK")]


def test_two_line_cmt_urc_takes_its_pdu() -> None:
    ev = run(None, b"\r\n+CMT: ,24\r\n07917710000000F0040B\r\n")
    assert ev == [Urc("+CMT: ,24", "07917710000000F0040B")]


def test_context_urcs() -> None:
    # +CREG: answers AT+CREG?, but is a URC otherwise; +CPIN too
    assert run("AT+CREG?", b"\r\n+CREG: 0,1\r\n\r\nOK\r\n") == [Final("AT+CREG?", ("+CREG: 0,1",), "OK")]
    assert run("AT+CSQ", b"\r\n+CREG: 1\r\n\r\n+CSQ: 5,99\r\n\r\nOK\r\n") == [
        Urc("+CREG: 1"),
        Final("AT+CSQ", ("+CSQ: 5,99",), "OK"),
    ]
    assert run(None, b"\r\n+CPIN: NOT READY\r\n") == [Urc("+CPIN: NOT READY")]


def test_cusd_before_ok_is_routed_as_urc() -> None:
    ev = run('AT+CUSD=1,"*100#",15', b'\r\n+CUSD: 0,"Balans 5 tg",15\r\n\r\nOK\r\n')
    assert ev == [Urc('+CUSD: 0,"Balans 5 tg",15'), Final('AT+CUSD=1,"*100#",15', (), "OK")]


def test_wavecom_cpin_without_ok() -> None:
    ev = run("AT+CPIN?", b"\r\n+CPIN: READY\r\n", final_on_prefix=True)
    assert ev == [Final("AT+CPIN?", ("+CPIN: READY",), "OK")]


def test_prompt() -> None:
    s = AtStream()
    s.begin(CommandSpec("AT+CMGS=23", expects_prompt=True))
    assert s.feed(b"\r\n> ") == [Prompt()]
    assert s.feed(b"\r\n+CMGS: 12\r\n\r\nOK\r\n") == [Final("AT+CMGS=23", ("+CMGS: 12",), "OK")]


def test_partial_reads_and_invalid_utf8() -> None:
    s = AtStream()
    s.begin(CommandSpec("AT+CGMI"))
    out: list[object] = []
    for chunk in (b"\r\nSIM", b"COM_\xff\xfeLtd\r", b"\n\r\nO", b"K\r\n"):
        out += s.feed(chunk)
    assert out == [Final("AT+CGMI", ("SIMCOM_Ltd",), "OK")]


def test_errors_carry_code_and_meaning() -> None:
    ev = run("AT+CIMI", b"\r\n+CME ERROR: 10\r\n")
    assert isinstance(ev[0], Final) and ev[0].result == "+CME ERROR: 10"
    exc = error_from_final("AT+CIMI", "+CME ERROR: 10")
    assert isinstance(exc, CmeError) and exc.code == 10 and exc.meaning == "SIM not inserted"
    exc = error_from_final("AT+CMGR=9", "+CMS ERROR: 321")
    assert isinstance(exc, CmsError) and exc.code == 321 and exc.meaning == "invalid memory index"
    exc = error_from_final("AT+CPIN?", "+CME ERROR: SIM not inserted")  # verbose (CMEE=2)
    assert isinstance(exc, CmeError) and exc.code == 10


def test_stray_lines_without_a_command() -> None:
    assert run(None, b"\r\nOK\r\n") == [Urc("OK", stray=True)]
    assert is_final("+CMS ERROR: 500") and not is_final("OK google")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_never_crash(data: bytes, in_flight: bool) -> None:
    s = AtStream()
    if in_flight:
        s.begin(CommandSpec("AT+CMGL=4", expects_prompt=True))
    for i in range(0, len(data), 7):
        for ev in s.feed(data[i : i + 7]):
            assert isinstance(ev, Urc | Final | Prompt)


RESPONSE = (
    b"AT+CMGL=4\r\r\n+CMGL: 1,1,,23\r\n0791AA\r\n\r\n^RSSI:12\r\n\r\n+CMTI: \"SM\",2\r\n"
    b"\r\n+CMGL: 3,1,,23\r\nOK\r\n\r\nOK\r\n\r\n+CMT: ,3\r\n0791CC\r\n"
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(RESPONSE)), max_size=12))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    whole = AtStream()
    whole.begin(CommandSpec("AT+CMGL=4"))
    expected = whole.feed(RESPONSE)
    s = AtStream()
    s.begin(CommandSpec("AT+CMGL=4"))
    got: list[object] = []
    prev = 0
    for c in [*sorted(set(cuts)), len(RESPONSE)]:
        got += s.feed(RESPONSE[prev:c])
        prev = c
    assert got == expected
    assert Urc("^RSSI:12") in got and Urc("+CMT: ,3", "0791CC") in got
    final = next(e for e in got if isinstance(e, Final))
    assert final.lines == ("+CMGL: 1,1,,23", "0791AA", "+CMGL: 3,1,,23", "OK")
