"""The one table of requisite kinds: name, export group, normalizer, validator, bank or chain
lookup, display form, overlap rank and payment method. Extraction, the crawler, review, exports
and the sandbox ask it (`KIND_TABLE`, `BANK_KINDS`, `CRYPTO_KINDS`, `spec`, `group_of`) instead
of keeping lists; `tests/extract/test_kind_table.py` checks that every module's view of kinds is
this table's, so adding a kind is one row here (plus the texts and recognizer it names).

- `normalize(raw)` turns a value as written (spaces, dashes, case, other base64 alphabet) into
  the canonical value of the contract, or None when it is not a valid requisite of the kind.
- `validate(value)` is True only for a canonical, valid value.
- `lookup(value)` names the issuing bank (cards, IBANs) or the chain (wallets), or None.
- `display(value)` is the form people read: cards and IBANs in groups of four, phones spaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata
from stdnum import iban as stdnum_iban

from prokai.extract import bins
from prokai.extract.cards import card_ok
from prokai.extract.wallets import CHECKERS, WalletCheck

# Kazakh IBAN bank codes (positions 5–7): compiled by hand from banks' published requisites
# (`prokai/extract/data/README.md`), not checked against the National Bank's list. The one table:
# the sandbox names its banks from it. The sandbox's old copy named 826 "Bank CenterCredit";
# the banks' requisites give 826 to ATF Bank and 856 to Bank CenterCredit, kept here. The IBAN
# registry's example code 125 (KZ86125KZT5004100100) names no bank we know and is left out.
KZ_BANK_CODES: dict[str, str] = {
    "722": "Kaspi Bank", "601": "Halyk Bank", "998": "Jusan Bank", "856": "Bank CenterCredit",
    "965": "ForteBank", "551": "Freedom Bank", "886": "Home Credit Bank", "948": "Eurasian Bank",
    "914": "Bereke Bank", "826": "ATF Bank", "821": "Bank RBK", "849": "Nurbank", "432": "VTB",
    "947": "Alfa-Bank",
}
PHONE_REGIONS = ("KZ", "RU")
_SEPARATORS_RE = re.compile(r"[\s\-.\u00a0\u202f()]")


@dataclass(frozen=True)
class KindSpec:
    """One requisite kind and everything modules need to know about it."""

    name: str
    group: str  # "bank" (card, IBAN, phone: exported by bank) or "crypto" (exported by chain)
    title: str
    normalize: Callable[[str], str | None]
    lookup: Callable[[str], str | None]
    display: Callable[[str], str]
    # Which kind wins when two results overlap (higher first): long checksums beat Luhn's one
    # digit, and a phone's ten digits lose to anything with a checksum.
    overlap_rank: int
    # The crawler's payment method a requisite of this kind answers: "card", "iban", "phone"
    # (the bank is the provider) or "crypto/<provider>" (TRON addresses take USDT-TRC20).
    method: str

    @property
    def method_kind(self) -> str:
        """The crawler's method kind: "card", "iban", "phone" or "crypto"."""
        return self.method.partition("/")[0]

    @property
    def method_provider(self) -> str:
        """The fixed provider of the method ("btc", "usdt-trc20"); "" where the bank decides."""
        return self.method.partition("/")[2]

    def validate(self, value: str) -> bool:
        """True when `value` is a valid requisite of this kind in its canonical form."""
        return self.normalize(value) == value


def _card(raw: str) -> str | None:
    digits = _SEPARATORS_RE.sub("", raw)
    return digits if digits.isdigit() and digits.isascii() and card_ok(digits) else None


def _iban(raw: str) -> str | None:
    compact = _SEPARATORS_RE.sub("", raw).upper()
    ok = len(compact) > 4 and compact[2:4].isdigit() and stdnum_iban.is_valid(compact)
    return compact if ok else None


# Payments go to mobile numbers: the mobile national-number patterns of phonenumbers' own
# metadata for the +7 regions, compiled once (phonenumbers.number_type costs ~20 µs a call).
_MOBILE_RE = re.compile("|".join(
    f"(?:{PhoneMetadata.metadata_for_region(r).mobile.national_number_pattern})"  # type: ignore[union-attr]
    for r in PHONE_REGIONS))


def phone_e164(national: str) -> str | None:
    """E.164 of a ten-digit KZ/RU national number when it is a mobile one, else None."""
    if len(national) != 10 or not national.isdigit() or not national.isascii():
        return None
    return "+7" + national if _MOBILE_RE.fullmatch(national) else None


def _phone(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits[0] in "78":
        return phone_e164(digits[1:])
    if len(digits) == 10:
        return phone_e164(digits)
    return None


def _wallet(kind: str) -> Callable[[str], str | None]:
    check: Callable[[str], WalletCheck | None] = CHECKERS[kind]

    def normalize(raw: str) -> str | None:
        res = check(raw.strip())
        return res.value if res is not None and res.network == "main" else None

    return normalize


def _card_bank(value: str) -> str | None:
    info = bins.lookup(value)
    return (info.bank or info.issuer or None) if info else None


def _iban_bank(value: str) -> str | None:
    return KZ_BANK_CODES.get(value[4:7]) if value.startswith("KZ") else None


def _phone_region(value: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return None


def _groups_of_four(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def _phone_display(value: str) -> str:
    n = value[2:]
    return f"+7 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}" if len(n) == 10 else value


def _chain(name: str) -> Callable[[str], str | None]:
    return lambda _value: name


def _as_is(value: str) -> str:
    return value


KIND_TABLE: tuple[KindSpec, ...] = (
    KindSpec("card", "bank", "Card", _card, _card_bank, _groups_of_four, 7, "card"),
    KindSpec("iban", "bank", "IBAN", _iban, _iban_bank, _groups_of_four, 9, "iban"),
    KindSpec("phone", "bank", "Payment phone", _phone, _phone_region, _phone_display, 3, "phone"),
    KindSpec("btc", "crypto", "Bitcoin", _wallet("btc"), _chain("Bitcoin"), _as_is, 8, "crypto/btc"),
    KindSpec("eth", "crypto", "Ethereum", _wallet("eth"), _chain("Ethereum"), _as_is, 8, "crypto/eth"),
    KindSpec("trx", "crypto", "TRON", _wallet("trx"), _chain("TRON"), _as_is, 8, "crypto/usdt-trc20"),
    KindSpec("ltc", "crypto", "Litecoin", _wallet("ltc"), _chain("Litecoin"), _as_is, 8, "crypto/ltc"),
    KindSpec("xmr", "crypto", "Monero", _wallet("xmr"), _chain("Monero"), _as_is, 8, "crypto/xmr"),
    KindSpec("ton", "crypto", "TON", _wallet("ton"), _chain("TON"), _as_is, 8, "crypto/ton"),
)
BY_NAME: dict[str, KindSpec] = {k.name: k for k in KIND_TABLE}
KIND_NAMES: tuple[str, ...] = tuple(BY_NAME)
BANK_KINDS: frozenset[str] = frozenset(k.name for k in KIND_TABLE if k.group == "bank")
CRYPTO_KINDS: frozenset[str] = frozenset(k.name for k in KIND_TABLE if k.group == "crypto")
# The crawler's payment-method kinds, in table order: "card", "iban", "phone", "crypto".
METHOD_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k.method_kind for k in KIND_TABLE))


def spec(kind: str) -> KindSpec:
    """The table row of `kind`; ValueError naming the known kinds for an unknown one."""
    try:
        return BY_NAME[kind]
    except KeyError:
        raise ValueError(f"unknown requisite kind: {kind} (known: {', '.join(KIND_NAMES)})") from None


def group_of(kind: str) -> str | None:
    """"bank" or "crypto" for a known kind, None otherwise."""
    row = BY_NAME.get(kind)
    return row.group if row else None
