"""How each emulated modem family answers: identity strings and the quirks the driver must handle."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmuProfile:
    name: str
    manufacturer: str
    model: str
    revision: str
    ati: str
    # ICCID commands this firmware knows, and how it prints the answer ({iccid}, {swapped}).
    iccid: dict[str, str] = field(default_factory=dict)
    lte: bool = False  # 4-5 USB interfaces, AT on interface 2
    interfaces: int = 1
    at_interface: int = 0
    cpin_no_ok: bool = False  # Wavecom: "+CPIN: READY" and no OK
    rssi_flood: bool = False  # Huawei: ^RSSI / ^MODE / ^BOOT until AT^CURC=0
    cusd_before_ok: bool = False
    ussd_encoding: str = "gsm7"  # gsm7 (plain text, DCS 15) | ucs2 (hex, DCS 72) | packed (hex, DCS 15)
    cmgl_hangs: bool = False
    empty_read: str = "OK"  # what CMGR of an empty index answers: "OK" or "+CMS ERROR: 321"
    ready_urcs: tuple[str, ...] = ("RDY",)
    storages: tuple[str, ...] = ("SM", "ME", "MT")
    pin_counter: str = "CPINR"  # CPINR | QPINC | ^CPIN | SPIC | none
    vid_pid: str = "1a86:7523"


PROFILES: dict[str, EmuProfile] = {
    "sim800": EmuProfile(
        "sim800",
        "SIMCOM_Ltd",
        "SIMCOM_SIM800C",
        "Revision:1418B04SIM800C24",
        "SIM800 R14.18",
        iccid={"AT+CCID": "{iccid}"},
        ready_urcs=("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"),
        storages=("SM", "ME", "SM_P", "ME_P", "MT"),
        pin_counter="SPIC",
        vid_pid="1a86:7523",
    ),
    "sim7600": EmuProfile(
        "sim7600",
        "SIMCOM INCORPORATED",
        "SIMCOM_SIM7600E-H",
        "+CGMR: LE20B04SIM7600M22",
        "Manufacturer: SIMCOM INCORPORATED\nModel: SIMCOM_SIM7600E-H\nRevision: SIM7600M22_V2.0",
        iccid={"AT+CICCID": "+ICCID: {iccid}", "AT+CCID": "+CCID: {iccid}"},
        lte=True,
        interfaces=5,
        at_interface=2,
        ready_urcs=("RDY", "+CPIN: READY", "SMS DONE", "PB DONE"),
        pin_counter="SPIC",
        vid_pid="1e0e:9001",
    ),
    "m35": EmuProfile(
        "m35",
        "Quectel_Ltd",
        "Quectel_M35",
        "Revision: M35FAR02A01",
        "Quectel_Ltd\nQuectel_M35\nRevision: M35FAR02A01",
        iccid={"AT+QCCID": "{iccid}", "AT+CCID": '+CCID: "{iccid}"'},
        cusd_before_ok=True,
        ussd_encoding="ucs2",
        empty_read="+CMS ERROR: 321",
        ready_urcs=("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"),
        pin_counter="QPINC",
        vid_pid="10c4:ea60",
    ),
    "ec25": EmuProfile(
        "ec25",
        "Quectel",
        "EC25",
        "Revision: EC25EFAR06A06M4G",
        "Quectel\nEC25\nRevision: EC25EFAR06A06M4G",
        iccid={"AT+QCCID": "+QCCID: {iccid}", "AT+CCID": "+CCID: {iccid}"},
        lte=True,
        interfaces=4,
        at_interface=2,
        ussd_encoding="ucs2",
        ready_urcs=("RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"),
        pin_counter="QPINC",
        vid_pid="2c7c:0125",
    ),
    "huawei": EmuProfile(
        "huawei",
        "huawei",
        "E173",
        "11.126.85.00.209",
        "Manufacturer: huawei\nModel: E173\nRevision: 11.126.85.00.209\nIMEI: {imei}\n+GCAP: +CGSM,+DS,+ES",
        iccid={"AT^ICCID?": "^ICCID: {swapped}"},
        rssi_flood=True,
        ussd_encoding="packed",
        cmgl_hangs=True,
        ready_urcs=("^BOOT:20952050,0,0,0,75", "^SIMST:1", "^SRVST:2"),
        pin_counter="^CPIN",
        vid_pid="12d1:1436",
    ),
    "wavecom": EmuProfile(
        "wavecom",
        "WAVECOM MODEM",
        "MULTIBAND  900E  1800",
        "R7.46.0.201108091301.FXT009 2132584 080911 13:01",
        "WAVECOM MODEM\nMULTIBAND  900E  1800",
        iccid={"AT+CCID": '+CCID: "{iccid}"'},
        cpin_no_ok=True,
        ready_urcs=("+WIND: 3", "+WIND: 1", "+WIND: 4"),
        pin_counter="none",
        vid_pid="067b:2303",
    ),
}


def get_profile(name: str) -> EmuProfile:
    try:
        return PROFILES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None
