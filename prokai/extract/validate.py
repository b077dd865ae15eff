"""One validator per kind, for callers and tests: `is_valid(kind, value)`."""

from __future__ import annotations

import phonenumbers
from stdnum import iban as stdnum_iban

from prokai.extract.cards import card_ok
from prokai.extract.wallets import check_btc, check_eth, check_ltc, check_ton, check_trx, check_xmr


def _phone(value: str) -> bool:
    try:
        num = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(num) and value == phonenumbers.format_number(
        num, phonenumbers.PhoneNumberFormat.E164)


def is_valid(kind: str, value: str) -> bool:
    """True when `value` is a valid, normalized requisite of `kind`."""
    if kind == "card":
        return value.isdigit() and card_ok(value) is not None
    if kind == "iban":
        return (value == value.upper() and value[2:4].isdigit() and " " not in value
                and stdnum_iban.is_valid(value))
    if kind == "phone":
        return _phone(value)
    if kind == "btc":
        res = check_btc(value)
    elif kind == "ltc":
        res = check_ltc(value)
    elif kind == "trx":
        res = check_trx(value)
    elif kind == "eth":
        res = check_eth(value)
    elif kind == "xmr":
        res = check_xmr(value)
    elif kind == "ton":
        res = check_ton(value)
    else:
        raise ValueError(f"unknown requisite kind: {kind}")
    return res is not None and res.value == value
