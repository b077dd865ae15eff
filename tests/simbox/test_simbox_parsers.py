"""Pure response parsers, table-driven with answers as vendors print them (their AT manuals'
examples and captures): SIMCom SIM800/SIM7600, Quectel M35/EC25, Huawei E-series, Wavecom."""

from __future__ import annotations

import pytest

from simbox import parsers as p


@pytest.mark.parametrize(
    ("lines", "swapped", "iccid"),
    [
        (["89860318760240034216"], False, "89860318760240034216"),  # SIM800 AT+CCID, bare
        (["89970101234567890123"], None, "89970101234567890123"),
        (["8997010123456789012F"], None, "8997010123456789012"),  # padded with F
        (["+QCCID: 89860025128306012474"], False, "89860025128306012474"),  # EC25 AT+QCCID
        (["89860025128306012474"], False, "89860025128306012474"),  # M35 AT+QCCID, bare
        (["+ICCID: 89860318760240034216"], False, "89860318760240034216"),  # SIM7600 AT+CICCID
        (['+CCID: "8933150000012345678F"'], None, "8933150000012345678"),  # Wavecom, quoted
        (["^ICCID: 98791010325476981032"], True, "89970101234567890123"),  # Huawei, nibble-swapped
        (["^ICCID: 98791010325476981032"], None, "89970101234567890123"),  # detected from the prefix
        (['+CRSM: 144,0,"98101430121181157002"'], True, "89014103211118510720"),  # EF_ICCID, swapped
        (['+CRSM: 144,0,"98101430121181157002"'], None, "89014103211118510720"),
        (['+CRSM: 106,130,""'], True, None),  # file not found
        (["ERROR"], None, None),
        ([], None, None),
    ],
)
def test_iccid(lines: list[str], swapped: bool | None, iccid: str | None) -> None:
    assert p.parse_iccid(lines, swapped) == iccid


def test_iccid_luhn() -> None:
    assert p.iccid_valid("89014103211118510720")
    assert not p.iccid_valid("89014103211118510721")


@pytest.mark.parametrize(
    ("lines", "number"),
    [
        (['+CNUM: "","+77051234567",145'], "+77051234567"),
        (['+CNUM: "","+79261234567",145,7,4'], "+79261234567"),  # SIM800: speed, service
        (['+CNUM: "Own number","77051234567",145'], "+77051234567"),  # TON 145 without '+'
        (['+CNUM: "Own number","87051234567",129'], "87051234567"),
        (['+CNUM: ,"",129'], None),  # empty entry
        ([], None),  # CNUM answered OK and nothing else (very common)
    ],
)
def test_cnum(lines: list[str], number: str | None) -> None:
    assert p.parse_cnum(lines) == number


def test_on_phonebook() -> None:
    assert p.parse_cpbr(['+CPBR: 1,"+77051234567",145,"My number"']) == "+77051234567"
    assert p.parse_cpbr([]) is None


@pytest.mark.parametrize(
    ("line", "uses"),
    [
        ('+CPMS: "SM",2,50,"SM",2,50,"SM",2,50', [("SM", 2, 50)] * 3),  # Quectel query
        ('+CPMS: "SM_P",0,30,"ME",1,50,"SM",3,30', [("SM_P", 0, 30), ("ME", 1, 50), ("SM", 3, 30)]),
        ("+CPMS: 2,50,2,50,2,50", [(None, 2, 50)] * 3),  # answer to a set
        ('+CPMS: "MT",5,80', [("MT", 5, 80)]),
        ("+CPMS: ", []),
    ],
)
def test_cpms(line: str, uses: list[tuple[str | None, int, int]]) -> None:
    assert [(u.name, u.used, u.total) for u in p.parse_cpms(line)] == uses


def test_cpms_supported() -> None:
    sim800 = '+CPMS: ("SM","ME","SM_P","ME_P","MT"),("SM","ME","SM_P","ME_P","MT"),("SM","ME","SM_P","ME_P","MT")'
    assert p.parse_cpms_supported(sim800) == ["SM", "ME", "SM_P", "ME_P", "MT"]
    assert p.parse_cpms_supported('+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")') == ["SM", "ME", "MT"]


@pytest.mark.parametrize(
    ("line", "stat", "state", "lac"),
    [
        ("+CREG: 0,1", 1, "home", None),
        ("+CREG: 2,5,\"1A2B\",\"00C3D4E5\",7", 5, "roaming", "1A2B"),
        ("+CREG: 0,2", 2, "searching", None),
        ("+CREG: 1", 1, "home", None),  # URC
        ('+CREG: 1,"1A2B","3C4D"', 1, "home", "1A2B"),  # URC with location
        ("+CEREG: 0,5", 5, "roaming", None),
        ("+CGREG: 0,3", 3, "denied", None),
    ],
)
def test_creg(line: str, stat: int, state: str, lac: str | None) -> None:
    reg = p.parse_creg(line)
    assert reg is not None and (reg.stat, reg.state, reg.lac) == (stat, state, lac)


@pytest.mark.parametrize(
    ("line", "name", "numeric", "act"),
    [
        ('+COPS: 0,0,"Beeline KZ",0', "Beeline KZ", None, 0),
        ('+COPS: 0,2,"40101",7', None, "40101", 7),
        ('+COPS: 0,0,"KZ KCELL",2', "KZ KCELL", None, 2),
        ('+COPS: 1,1,"Tele2"', "Tele2", None, None),
    ],
)
def test_cops(line: str, name: str | None, numeric: str | None, act: int | None) -> None:
    op = p.parse_cops(line)
    assert op is not None and (op.name, op.numeric, op.act) == (name, numeric, act)


def test_cops_unregistered() -> None:
    assert p.parse_cops("+COPS: 0") is None


@pytest.mark.parametrize(
    ("line", "dbm"),
    [("+CSQ: 21,99", -71), ("+CSQ: 0,0", -113), ("+CSQ: 31,0", -51), ("+CSQ: 99,99", None), ("^RSSI:12", -89)],
)
def test_csq(line: str, dbm: int | None) -> None:
    assert p.parse_csq(line)[0] == dbm


@pytest.mark.parametrize(
    ("lines", "pin", "puk"),
    [
        (["+CPINR: SIM PIN,3,3", "+CPINR: SIM PUK,10,10"], 3, 10),  # 3GPP TS 27.007 +CPINR
        (['+QPINC: "SC",2,10', '+QPINC: "P2",3,10'], 2, 10),  # Quectel
        (["^CPIN: SIM PIN,3,10,3,10,3"], 3, 10),  # Huawei: code,times,puk,pin,puk2,pin2
        (["+SPIC: 1,10,3,10"], 1, 10),  # SIMCom
        ([], None, None),
    ],
)
def test_pin_counters(lines: list[str], pin: int | None, puk: int | None) -> None:
    assert p.parse_pin_counter(lines) == (pin, puk)


def test_cpin_states() -> None:
    assert p.parse_cpin(["+CPIN: READY"]) == "READY"
    assert p.parse_cpin(["+CPIN: SIM PIN"]) == "SIM PIN"
    assert p.parse_cpin(['+CPIN: "SIM PUK"']) == "SIM PUK"


def test_cmgl_pdu_mode_skips_damaged_pairs() -> None:
    lines = [
        "+CMGL: 1,0,,24",
        "07917710000000F0040B",
        "+CMGL: 2,1,,24",
        "XX-garbage",  # damaged PDU line
        "+CMGL: 5,1,\"\",24",
        "07917710000000F0040C",
    ]
    got = p.parse_cmgl(lines)
    assert [(x.index, x.stat, x.length, x.pdu) for x in got] == [
        (1, 0, 24, "07917710000000F0040B"),
        (5, 1, 24, "07917710000000F0040C"),
    ]


def test_cmgr() -> None:
    item = p.parse_cmgr(["+CMGR: 0,,24", "07917710000000F0040B"])
    assert item is not None and (item.stat, item.length) == (0, 24)
    assert p.parse_cmgr([]) is None  # empty slot answered with OK


def test_cmti() -> None:
    assert p.parse_cmti('+CMTI: "SM",3') == ("SM", 3)
    assert p.parse_cmti('+CMTI: "ME",12') == ("ME", 12)
    assert p.parse_cmti("+CMTI: broken") is None


@pytest.mark.parametrize(
    ("line", "packed", "status", "text"),
    [
        ('+CUSD: 0,"Balans: 100 tg",15', None, 0, "Balans: 100 tg"),  # SIMCom, GSM text
        ('+CUSD: 0,"04110430043B0430043D0441",72', None, 0, "Баланс"),  # Quectel, UCS2 hex, DCS 72
        ('+CUSD: 1,"04110430043B0430043D0441",72', None, 1, "Баланс"),
        ('+CUSD: 0,"AA180C3602",15', True, 0, "*100#"),  # Huawei packed GSM 7-bit hex
        ("+CUSD: 2", None, 2, None),
        ("+CUSD: 4", None, 4, None),
    ],
)
def test_cusd(line: str, packed: bool | None, status: int, text: str | None) -> None:
    u = p.parse_cusd(line, packed)
    assert u is not None and (u.status, u.text) == (status, text)


def test_number_in_ussd_text() -> None:
    assert p.number_from_text("Vash nomer: +7 705 123 45 67") == "+77051234567"
    assert p.number_from_text("Ваш номер 87051234567.") == "+77051234567"
    assert p.number_from_text("Balans 100 tg") is None


def test_identity_and_imei() -> None:
    ati = ["Manufacturer: huawei", "Model: E173", "Revision: 11.126.85.00.209", "IMEI: 353142031234567"]
    assert p.parse_identity(ati)["model"] == "E173"
    assert p.parse_imei(ati) == "353142031234567"
    assert p.parse_imei(['+CGSN: "866262031234567"']) == "866262031234567"
    assert p.parse_imsi(["401011234567890"]) == "401011234567890"
