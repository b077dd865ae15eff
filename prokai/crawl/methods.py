"""Payment methods as a model: what a shop's button or phrase offers, as (kind, provider).

A method is a kind — `card`, `phone` (a transfer to a phone number), `iban`, `crypto`, `other` —
and a provider: the bank for cards, phone transfers and IBANs (`kaspi`, `halyk`, …; "" when the
label names none) or the asset and network for crypto (`btc`, `ltc`, `xmr`, `ton`, `eth`,
`usdt-trc20`, `usdt-erc20`, `usdt-bep20`; `usdt` when no network is named). "Kaspi перевод по
номеру" is `phone/kaspi`, "Kaspi карта" is `card/kaspi`, "USDT (TRC-20)" is `crypto/usdt-trc20`.

The crawler asks for each distinct method a shop offers once per conversation (a per-order pool
hands out a new requisite on every order; asking twice only costs an order). Labels are read in
Russian, Kazakh and English, with or without emoji.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from prokai.extract.context import BANK_NAMES
from prokai.extract.kinds import BY_NAME


@dataclass(frozen=True, order=True)
class Method:
    """One way to pay: `kind` and `provider` (bank, or crypto asset and network)."""

    kind: str
    provider: str = ""

    @property
    def key(self) -> str:
        """'card/kaspi', 'crypto/usdt-trc20', 'iban' (no provider)."""
        return f"{self.kind}/{self.provider}" if self.provider else self.kind

    def covers(self, other: Method) -> bool:
        """Whether a requisite harvested for `self` also answers `other` (same kind; a label
        without a provider is answered by any provider of its kind, and the reverse)."""
        if self.kind != other.kind:
            return False
        if not self.provider or not other.provider:
            return True
        return self.provider == other.provider or (
            {self.provider, other.provider} == {"usdt", "usdt-trc20"}
        )


# Crypto assets by the words people write; the longer, more specific patterns first.
_CRYPTO: tuple[tuple[str, str], ...] = (
    (r"usdt|tether|тезер|юсдт", "usdt"),
    (r"\bbtc\b|bitcoin|биткоин|биткойн|биток|₿", "btc"),
    (r"\bltc\b|litecoin|лайткоин", "ltc"),
    (r"\bxmr\b|monero|монеро", "xmr"),
    (r"\bton\b|toncoin|тонкоин|\bтон\b", "ton"),
    (r"\beth\b|ethereum|эфир|эфириум|ether\b", "eth"),
    (r"\btrx\b|\btron\b|\bтрон\b", "trx"),
)
_NETWORK: tuple[tuple[str, str], ...] = (
    (r"trc[\s-]?20|\btrc\b|\btrx\b|tron|трон", "trc20"),
    (r"erc[\s-]?20|\berc\b|ethereum|эфир", "erc20"),
    (r"bep[\s-]?20|\bbep\b|\bbsc\b|binance smart|bnb", "bep20"),
)
_CRYPTO_ANY = re.compile(r"крипт|crypto|криптовалют|cryptocurrency|коин|\bcoin", re.I)
_PHONE = re.compile(
    r"по номеру|на номер|номер телефон|телефон|перевод(?:ом)? (?:на )?(?:kaspi|каспи)|(?:kaspi|каспи)\s*перевод"
    r"|нөмір|телефон нөмір|аударым|phone|mobile|p2p|сбп|\bqiwi\b|киви|🤳|📱",
    re.I,
)
_CARD = re.compile(r"карт|card|visa|виза|master|мастер|\bмир\b|💳|картаға|картасы", re.I)
_IBAN = re.compile(r"iban|иban|\bсч[её]т|\bшот\b|шотқа|банковск\w* перевод|bank transfer|wire|\bиик\b|\biik\b", re.I)
_OTHER_PAY = re.compile(r"оплат|плат[её]ж|төле|pay\b|payment|способ", re.I)
_KAZ_BANKS = {
    "Kaspi Bank": "kaspi", "Halyk Bank": "halyk", "Jusan Bank": "jusan", "Freedom Bank": "freedom",
    "ForteBank": "forte", "Bank CenterCredit": "bcc", "Home Credit Bank": "homecredit",
    "Eurasian Bank": "eurasian", "Bereke Bank": "bereke", "Altyn Bank": "altyn", "Bank RBK": "rbk",
    "Nurbank": "nurbank", "Sberbank": "sber", "T-Bank": "tbank", "Alfa-Bank": "alfa", "VTB": "vtb",
    "Ozon Bank": "ozon", "QIWI": "qiwi", "Raiffeisenbank": "raiffeisen", "Gazprombank": "gazprom",
    "Sovcombank": "sovcom", "Pochta Bank": "pochta",
}
_BANK_WORDS = sorted(BANK_NAMES, key=len, reverse=True)
_EXTRA_BANK_WORDS = {"халық": "Halyk Bank", "хальк": "Halyk Bank", "каспий": "Kaspi Bank", "жусан": "Jusan Bank"}
# Words that make a label a menu item, not a way to pay ("Баланс", "Мои заказы", "Оплатил").
_NOT_METHOD = re.compile(r"оплатил|перев[её]л|төледім|paid|чек|баланс|мои заказ|истори|отмен|назад|back|артқа", re.I)


def bank_of(text: str) -> str:
    """The provider id of the first bank named in `text` ('kaspi', 'halyk', …), or ''."""
    low = text.casefold()
    for word, bank in (*_EXTRA_BANK_WORDS.items(), *((w, BANK_NAMES[w]) for w in _BANK_WORDS)):
        if word in low:
            return _KAZ_BANKS.get(bank, bank.casefold().replace(" ", ""))
    return ""


def crypto_of(text: str) -> str | None:
    """The crypto provider a label names ('usdt-trc20', 'btc', …), 'any' for "crypto", or None."""
    low = text.casefold()
    for pattern, asset in _CRYPTO:
        if re.search(pattern, low):
            if asset == "usdt":
                for npat, network in _NETWORK:
                    if re.search(npat, low):
                        return f"usdt-{network}"
            if asset == "trx" and re.search(r"usdt|tether", low):
                return "usdt-trc20"
            return asset
    for npat, network in _NETWORK[:1] + _NETWORK[2:]:  # "TRC20" / "BEP20" alone: USDT on that network
        if re.search(npat, low) and not re.search(r"tron\b|трон", low):
            return f"usdt-{network}"
    if re.search(r"erc[\s-]?20", low):
        return "usdt-erc20"
    if _CRYPTO_ANY.search(low):
        return "any"
    return None


def method_of(label: str, *, payment_screen: bool = False) -> Method | None:
    """The payment method a button label or phrase offers, or None.

    `payment_screen`: the screen asks to choose a way to pay, so a label that names no known
    method but is not a menu item ("Способ №2", "💰 Оплатить") is a method of its own.
    """
    text = label.strip()
    if not text or _NOT_METHOD.search(text):
        return None
    crypto = crypto_of(text)
    if crypto is not None:
        return Method("crypto", "" if crypto == "any" else crypto)
    bank = bank_of(text)
    if _IBAN.search(text):
        return Method("iban", bank)
    if _PHONE.search(text):
        return Method("phone", bank)
    if _CARD.search(text) or bank:
        return Method("card", bank)
    if payment_screen and (_OTHER_PAY.search(text) or len(text) <= 40):
        return Method("other", re.sub(r"\W+", "-", text.casefold()).strip("-")[:32])
    return None


def method_of_requisite(found: Any) -> Method | None:
    """The method a found requisite answers (`prokai.extract.Found`, or anything with `kind`)."""
    row = BY_NAME.get(str(getattr(found, "kind", "") or ""))
    if row is None:
        return None
    return Method(row.method_kind, row.method_provider or bank_of(str(getattr(found, "bank", "") or "")))


def answered(method: Method, found: list[Any]) -> bool:
    """Whether the requisites found answer `method` (any requisite does for an unknown kind)."""
    if method.kind == "other":
        return bool(found)
    got = [m for f in found if (m := method_of_requisite(f)) is not None]
    if method.kind == "crypto":
        return any(m.kind == "crypto" for m in got)
    return any(m.kind == method.kind for m in got) or (method.kind == "card" and any(m.kind == "phone" for m in got))


__all__ = ["Method", "answered", "bank_of", "crypto_of", "method_of", "method_of_requisite"]
