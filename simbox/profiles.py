"""Vendor profiles: how to talk to SIMCom, Quectel, Huawei and Wavecom modems (driver side).

A profile is chosen from `AT+CGMI`/`AT+CGMM`; GENERIC tries every known way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (command, nibble-swapped answer?) — None: detect from the answer
ICCID_ALL: tuple[tuple[str, bool | None], ...] = (
    ("AT+CCID", None),
    ("AT+QCCID", None),
    ("AT+CICCID", None),
    ("AT^ICCID?", True),
    ("AT+CRSM=176,12258,0,0,10", True),
)


@dataclass(frozen=True)
class VendorProfile:
    name: str
    match: str  # regex over "manufacturer model"
    iccid: tuple[tuple[str, bool | None], ...] = ICCID_ALL
    cpin_no_ok: bool = False  # +CPIN: READY with no OK (Wavecom)
    init: tuple[str, ...] = ()  # extra commands after ATE0/CMEE
    pin_counter: str | None = "AT+CPINR"
    cmgl_hangs: bool = False  # read by CMGR index by index instead of CMGL
    ussd_packed: bool = False  # USSD strings sent and received as packed GSM 7-bit hex
    lte: bool = False

    def matches(self, manufacturer: str, model: str) -> bool:
        return re.search(self.match, f"{manufacturer} {model}", re.IGNORECASE) is not None


SIM800 = VendorProfile(
    "simcom-sim800",
    r"SIMCOM.*SIM8\d\d",
    iccid=(("AT+CCID", False), ("AT+CRSM=176,12258,0,0,10", True)),
    pin_counter="AT+SPIC",
)
SIM7600 = VendorProfile(
    "simcom-sim7600",
    r"SIMCOM.*SIM7\d\d\d",
    iccid=(("AT+CICCID", False), ("AT+CCID", None), ("AT+CRSM=176,12258,0,0,10", True)),
    pin_counter="AT+SPIC",
    lte=True,
)
M35 = VendorProfile(
    "quectel-m35",
    r"Quectel.*M\d\d\b",
    iccid=(("AT+QCCID", False), ("AT+CCID", None), ("AT+CRSM=176,12258,0,0,10", True)),
    pin_counter='AT+QPINC="SC"',
)
EC25 = VendorProfile(
    "quectel-ec25",
    r"Quectel.*\b(EC2\d|EG\d\d|EP06|EM\d\d|BG\d\d)",
    iccid=(("AT+QCCID", False), ("AT+CCID", None), ("AT+CRSM=176,12258,0,0,10", True)),
    pin_counter='AT+QPINC="SC"',
    init=('AT+QINDCFG="smsincoming",1',),
    lte=True,
)
HUAWEI = VendorProfile(
    "huawei",
    r"huawei",
    iccid=(("AT^ICCID?", True), ("AT+CRSM=176,12258,0,0,10", True)),
    init=("AT^CURC=0",),  # stop the ^RSSI/^MODE/^BOOT flood
    pin_counter="AT^CPIN?",
    cmgl_hangs=True,
    ussd_packed=True,
)
WAVECOM = VendorProfile(
    "wavecom",
    r"WAVECOM",
    iccid=(("AT+CCID", None), ("AT+CRSM=176,12258,0,0,10", True)),
    cpin_no_ok=True,
    pin_counter=None,
)
GENERIC = VendorProfile("generic", r".*")

PROFILES: tuple[VendorProfile, ...] = (SIM800, SIM7600, M35, EC25, HUAWEI, WAVECOM)


def detect(manufacturer: str | None, model: str | None) -> VendorProfile:
    """The profile for this manufacturer/model, GENERIC if none matches."""
    for p in PROFILES:
        if p.matches(manufacturer or "", model or ""):
            return p
    return GENERIC


def by_name(name: str) -> VendorProfile:
    for p in (*PROFILES, GENERIC):
        if p.name == name or p.name.split("-")[-1] == name.lower():
            return p
    raise ValueError(f"unknown vendor profile {name!r}")


# URCs that mean the modem (re)started or its SMS subsystem became ready: re-apply settings.
READY_URCS = ("RDY", "SMS Ready", "+QIND: SMS DONE", "SMS DONE", "^SIMST:1", "^SIMST: 1", "+WIND: 4",
              "+CPIN: READY")
