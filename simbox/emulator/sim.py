"""Virtual SIM cards: identity, PIN/PUK, SMS storage (SM) and USSD answers."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

OPERATORS = {
    # MCC-MNC: (long name, short name, own-number USSD)
    "40101": ("Beeline KZ", "Beeline", "*160#"),
    "40102": ("Kcell", "Kcell", "*114#"),
    "40177": ("Tele2 KZ", "Tele2", "*201#"),
    "40107": ("ALTEL", "ALTEL", "*201#"),
}
_NDC = {"40101": "705", "40102": "701", "40177": "747", "40107": "700"}


def luhn_digit(body: str) -> str:
    """The Luhn check digit for `body` (ICCIDs end with one, ITU-T E.118)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


@dataclass
class StoredSms:
    pdu: str
    stat: int = 0  # 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT


@dataclass
class VirtualSim:
    """A SIM card. Anything left empty is generated from `seed` (stable per seed)."""

    msisdn: str = ""
    iccid: str = ""
    imsi: str = ""
    mcc_mnc: str = ""
    operator: str = ""
    pin: str | None = None  # set: the SIM asks for it at power-on
    puk: str = "12345678"
    pin_attempts: int = 3
    puk_attempts: int = 10
    cnum_empty: bool = False  # CNUM answers nothing (common); the ON phonebook may still know
    on_phonebook: bool = True
    roaming: bool = False
    capacity: int = 30
    ussd: dict[str, str] = field(default_factory=dict)  # code → reply; "" = the network never answers
    ussd_menus: set[str] = field(default_factory=set)  # codes whose reply opens a session (status 1)
    seed: int | None = None
    storage: list[StoredSms | None] = field(default_factory=list)
    network_queue: deque[str] = field(default_factory=deque)  # PDUs held while storage is full
    unlocked: bool = False

    def __post_init__(self) -> None:
        rnd = random.Random(self.seed if self.seed is not None else self.msisdn or None)
        if not self.mcc_mnc:
            self.mcc_mnc = rnd.choice(sorted(OPERATORS))
        if not self.operator:
            self.operator = OPERATORS.get(self.mcc_mnc, ("Operator",))[0]
        if not self.msisdn:
            self.msisdn = "+7" + _NDC.get(self.mcc_mnc, "700") + "".join(rnd.choice("0123456789") for _ in range(7))
        if not self.imsi:
            self.imsi = self.mcc_mnc + "".join(rnd.choice("0123456789") for _ in range(15 - len(self.mcc_mnc)))
        if not self.iccid:
            body = "89997" + self.mcc_mnc[-2:] + "".join(rnd.choice("0123456789") for _ in range(11))
            self.iccid = body + luhn_digit(body)
        if not self.storage:
            self.storage = [None] * self.capacity
        own = OPERATORS.get(self.mcc_mnc, ("", "", "*160#"))[2]
        self.ussd.setdefault("*100#", "Balans: 1540.25 tg. Bonus: 0 tg")
        self.ussd.setdefault(own, f"Vash nomer: {self.msisdn}")
        self.unlocked = self.pin is None

    @property
    def pin_state(self) -> str:
        if self.unlocked:
            return "READY"
        if self.pin_attempts <= 0:
            return "SIM PUK" if self.puk_attempts > 0 else "SIM BLOCKED"
        return "SIM PIN"

    def store(self, pdu: str) -> int | None:
        """Store a received PDU; returns its 1-based index, or None if storage is full."""
        for i, slot in enumerate(self.storage):
            if slot is None:
                self.storage[i] = StoredSms(pdu)
                return i + 1
        return None

    @property
    def used(self) -> int:
        return sum(1 for s in self.storage if s is not None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VirtualSim:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("storage",)}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "iccid": self.iccid,
            "imsi": self.imsi,
            "msisdn": self.msisdn,
            "operator": self.operator,
            "mcc_mnc": self.mcc_mnc,
            "pin": self.pin,
            "stored": self.used,
        }
