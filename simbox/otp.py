"""Login-code extraction from messenger SMS in Russian, Kazakh and English.

`extract_code("Telegram code: 12345")` → "12345". Codes are 4–8 digits, possibly written with a
dash or space in the middle ("123-456"). A number right after a code keyword wins; otherwise a
lone 5–6 digit number in a message that mentions a code keyword. Phone numbers, amounts and
dates are not codes.
"""

from __future__ import annotations

import re

KEYWORDS = (
    # English
    r"code",
    r"login",
    r"verification",
    r"passcode",
    r"otp",
    r"kod",
    # Russian
    r"код",
    r"пароль",
    r"подтверждени",
    # Kazakh
    r"кодыңыз",
    r"коды",
    r"растау",
    r"құпия",
)
_KW = "(?:" + "|".join(KEYWORDS) + ")"
_CODE = r"(?<![\d+])(\d{3}[- ]\d{3}|\d{4,8})(?![\d.,]\d)"
# "code: 12345", "код подтверждения Telegram: 12345", "Telegram кодыңыз: 12345", "12345 is your code"
_AFTER_KW = re.compile(_KW + r"[^\d\n]{0,40}?" + _CODE, re.IGNORECASE)
_BEFORE_KW = re.compile(_CODE + r"\s*(?:[-–—:]\s*)?(?:is\s+your|это\s+ваш|сіздің)?[^\d\n]{0,20}?" + _KW, re.IGNORECASE)
_ANY_KW = re.compile(_KW, re.IGNORECASE)
_LONE = re.compile(r"(?<![\d+])(\d{5,6})(?!\d)")


def extract_code(text: str) -> str | None:
    """The login code in `text`, digits only, or None."""
    if not text:
        return None
    for rx in (_AFTER_KW, _BEFORE_KW):
        m = rx.search(text)
        if m:
            return re.sub(r"\D", "", m.group(1))
    if _ANY_KW.search(text):
        lone = _LONE.findall(text)
        if len(lone) == 1:
            return str(lone[0])
    return None


def is_from(sender: str | None, text: str, service: str = "telegram") -> bool:
    """True if the SMS names `service` as its sender or in its text."""
    s = service.lower()
    return s in (sender or "").lower() or s in text.lower()
