"""The fixed label sets of the two classifiers.

These lists are a public contract: the crawler's dialog engine and the sandbox shops use the
intent names, and the shipped models' `config.json` maps class indices to exactly these strings.
Adding or renaming a label means retraining (`prokai nlp train`) and updating every user.
"""

from __future__ import annotations

from typing import Final, Literal

SHOP: Final = "shop"
NOT_SHOP: Final = "not_shop"
SHOP_LABELS: Final[tuple[str, ...]] = (NOT_SHOP, SHOP)
"""Shop detection: index 1 is the positive class ("the text comes from a drug shop")."""

Intent = Literal[
    "captcha",
    "choose_city",
    "choose_district",
    "choose_product",
    "choose_amount",
    "choose_payment",
    "payment_details",
    "wait_confirm",
    "refusal_ban",
    "question",
    "other",
]

INTENT_LABELS: Final[tuple[str, ...]] = (
    "captcha",  # prove you are human: arithmetic, "press the 🍎", type the text in the picture
    "choose_city",  # pick or name a city
    "choose_district",  # pick or name a district / microdistrict / area of the city
    "choose_product",  # pick a product (substance, item, menu position)
    "choose_amount",  # pick a weight, packing, quantity
    "choose_payment",  # pick a payment method (card, Kaspi, crypto, ...)
    "payment_details",  # here is where to pay: card / IBAN / phone / wallet, sum, time limit
    "wait_confirm",  # wait, we are checking; confirm the order; send the receipt
    "refusal_ban",  # you are banned, we refuse, not available, shop closed
    "question",  # a free-text question to the buyer (how did you find us, bought before?, ...)
    "other",  # greetings, rules, ads, price lists, thanks, anything else
)
"""Message intents: what a (shop) message asks of the buyer. Order = class index."""

INTENT_DESCRIPTIONS: Final[dict[str, str]] = {
    "captcha": "prove you are human: arithmetic, press an emoji or button, type the text in a picture",
    "choose_city": "pick or name a city",
    "choose_district": "pick or name a district, microdistrict or area",
    "choose_product": "pick a product or menu position",
    "choose_amount": "pick a weight, packing or quantity",
    "choose_payment": "pick a payment method",
    "payment_details": "where to pay: card, IBAN, phone or wallet, usually with sum and time limit",
    "wait_confirm": "wait while the shop checks; confirm the order; send a receipt",
    "refusal_ban": "the buyer is banned or refused; not available; shop closed",
    "question": "a free-text question to the buyer",
    "other": "greetings, rules, ads, price lists, thanks, anything else",
}

LANGS: Final[tuple[str, ...]] = ("ru", "kk", "mixed", "en")
"""Language tags of the data: Russian, Kazakh, mixed (code-switching) text, and English or
half-English text (shops and recruiters write it too)."""

TEMPLATE_LANGS: Final[tuple[str, ...]] = ("ru", "kk", "mixed")
"""The languages the generated templates cover (English comes only from hand-written lines)."""
