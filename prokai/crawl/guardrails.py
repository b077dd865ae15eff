"""Guardrails: an allow-list of what the crawler may do, checked before every action.

The crawler never pays, never sends money, media, contacts or locations, never accepts a job,
never opens a link; it only says what its dialog policy allows. It never completes an order or a
booking with anyone: a shop that asks for a transfer first delivers nothing unpaid, but a
legitimate business (pizza, flowers) takes a confirmed order or a "cash to the courier" choice as
a real order. So it never presses checkout or booking buttons, never picks a pay-on-delivery
method, and never answers yes/confirm to a screen about an order unless that screen says
payment by transfer comes first. Every action goes through `Guardrails.check`; a refusal is
recorded with its reason and the action is not performed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from prokai.intake.buttons import Button, ButtonKind


class ActionKind(StrEnum):
    START = "start"  # /start to a bot (messages.startBot or the text /start)
    SEND_TEXT = "send_text"
    PRESS = "press"
    READ = "read"
    # Never allowed; named so attempts are visible in the audit log.
    SEND_MEDIA = "send_media"
    SEND_CONTACT = "send_contact"
    SEND_LOCATION = "send_location"
    OPEN_URL = "open_url"
    PAY = "pay"
    WRITE_CHANNEL = "write_channel"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    text: str = ""  # the text to send; for a press, the text of the screen the button is on
    button: Button | None = None
    peer_is_channel: bool = False


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


# Button or message texts that would confirm a payment, accept a job, or hand over data.
FORBIDDEN_PATTERNS = [
    r"я\s*оплатил", r"\bоплатил[аи]?\b", r"подтверд\w*\s+оплат", r"оплата\s+произведена", r"проверить\s+оплату",
    r"я\s+перев[её]л", r"\bперев[её]л[аи]?\b", r"чек\s+об\s+оплате", r"отправ\w*\s+чек",
    r"төледім", r"төлем\s+жасадым", r"аудардым",
    r"\bi\s*(have\s+)?paid\b", r"\bpayment\s+(done|sent|made)\b", r"\bconfirm\s+payment\b",
    r"\bработ[аыу]\b", r"ваканси", r"стать\s+курьер", r"ищем\s+курьер", r"закладчик", r"\bкладмен",
    r"трудоустр", r"заработ",
    r"жұмыс", r"\bjob\b", r"\bvacanc", r"\bwork\b",
    r"поделиться\s+(номером|контактом)", r"отправить\s+(номер|контакт|геолокац|местоположени)",
    r"геолокац", r"местоположени", r"\blocation\b", r"\bcontact\b",
    r"пополнить\s+с\s+карты", r"оплатить\s+сейчас", r"\bpay\s+now\b",
]
# Buttons or texts that place, confirm or book an order (ru, kk, en).
ORDER_COMMIT_PATTERNS = [
    r"оформ(ить|ляю|ление|и)\b", r"подтверд\w*\s+(заказ|брон|доставк|адрес|покупк)", r"\bзаказать\b", r"\bзаказываю\b",
    r"\bзабронир\w*", r"\bбронир\w*", r"в\s+корзину\s+и\s+оформ", r"купить\s+в\s+один\s+клик",
    r"тапсырыс\w*\s+(беру|беремін|рәсімде\w*|раста\w*|жаса\w*)", r"рәсімдеу", r"брондау",
    r"\bcheck\s*out\b", r"\bplace\s+(the\s+|my\s+)?order\b", r"\bconfirm\s+(the\s+|my\s+)?(order|booking|purchase)\b",
    r"\bbook\s+(now|it|a\s+table)\b", r"\border\s+now\b",
]
# Payment chosen for later (on delivery, to the courier, at pickup): choosing it places the order.
PAY_LATER_PATTERNS = [
    r"наличн\w*", r"курьеру\b", r"при\s+получени\w*", r"при\s+доставк\w*", r"наложенн\w*", r"на\s+месте\b",
    r"қолма-қол", r"курьерге", r"алған\s+кезде", r"жеткізген\s+кезде",
    r"\bcash\b", r"\bon\s+delivery\b", r"\bto\s+the\s+courier\b", r"\bat\s+pick-?up\b",
]
FORBIDDEN_PATTERNS += ORDER_COMMIT_PATTERNS + PAY_LATER_PATTERNS
_FORBIDDEN = re.compile("|".join(FORBIDDEN_PATTERNS), re.IGNORECASE)
_PAY_LATER = re.compile("|".join(PAY_LATER_PATTERNS), re.IGNORECASE)
# A screen about an order or a booking, a yes/confirm answer to it, and "pay by transfer first".
_ORDER_SCREEN = re.compile(r"заказ|тапсырыс|брон|корзин|\border\b|\bbooking\b|\bcart\b", re.IGNORECASE)
_ANSWER = re.compile(
    r"^\W*(да|нет|ок|ok|okay|yes|no|иә|жоқ|подтвер\w*|верно|вс[её]\s+верно|готово|confirm\w*|растау|дұрыс|согласен)?\W*$",
    re.IGNORECASE)
_PREPAY = re.compile(
    r"оплата\s+только|только\s+(по\s+)?(предоплат|перевод|реквизит|kaspi|каспи|крипт)|предоплат|алдын\s+ала\s+төле"
    r"|\bprepa(y|id)\b|\bpay\s+first\b", re.IGNORECASE)
# What a business says once an order or a booking is placed: the crawler must never get here.
_ORDER_PLACED = re.compile(
    r"заказ\w*\s+(принят|оформлен|подтвержд[её]н|зарегистрирован)|брон\w*\s+подтвержд|оператор\s+перезвонит"
    r"|тапсырыс\w*\s+(қабылданды|рәсімделді|расталды)|\border\s+(accepted|placed|confirmed)\b"
    r"|\bbooking\s+confirmed\b", re.IGNORECASE)

NEVER = {
    ActionKind.SEND_MEDIA: "sending media is never allowed",
    ActionKind.SEND_CONTACT: "sending contacts is never allowed",
    ActionKind.SEND_LOCATION: "sending locations is never allowed",
    ActionKind.OPEN_URL: "links are recorded, never opened",
    ActionKind.PAY: "the crawler never pays",
}


def forbidden_reason(text: str) -> str | None:
    """Why `text` (a button label or an outgoing message) is off limits, or None."""
    match = _FORBIDDEN.search(text)
    return f"forbidden wording {match.group(0)!r}" if match else None


def order_step_reason(screen: str, label: str) -> str | None:
    """Why pressing `label` on a screen reading `screen` would complete an order, or None:
    a yes/confirm answer to a screen about an order, unless it says payment by transfer comes
    first (and not on delivery)."""
    if not _ANSWER.match(label) or not _ORDER_SCREEN.search(screen):
        return None
    if _PAY_LATER.search(screen):
        return f"{label.strip()!r} would confirm an order paid on delivery"
    if not _PREPAY.search(screen):
        return f"{label.strip()!r} would confirm an order (no payment by transfer asked first)"
    return None


def order_placed(text: str) -> bool:
    """Whether `text` is a business saying an order or a booking was placed (never to be reached)."""
    return bool(_ORDER_PLACED.search(text))


class Guardrails:
    """Checks actions against the allow-list and the dialog policy's phrases."""

    def __init__(self, allowed_phrases: set[str] | None = None) -> None:
        # Outgoing free text must be one of the policy's phrases (or a captcha answer / menu choice
        # the engine derived from the shop's own words, passed as `derived=True`).
        self.allowed_phrases = {p.casefold() for p in (allowed_phrases or set())}

    def check(self, action: Action, derived: bool = False) -> Verdict:
        """Allowed or not, with the reason."""
        if action.kind in NEVER:
            return Verdict(False, NEVER[action.kind])
        if action.peer_is_channel and action.kind != ActionKind.READ:
            return Verdict(False, "channels are read, never written to")
        if action.kind == ActionKind.READ or action.kind == ActionKind.START:
            return Verdict(True)
        if action.kind == ActionKind.PRESS:
            btn = action.button
            if btn is None:
                return Verdict(False, "no button")
            if btn.kind == ButtonKind.URL:
                return Verdict(False, "links are recorded, never opened")
            if btn.kind == ButtonKind.OTHER:
                return Verdict(False, f"unsupported button type for {btn.text!r}")
            reason = forbidden_reason(btn.text) or order_step_reason(action.text, btn.text)
            return Verdict(False, reason) if reason else Verdict(True)
        if action.kind == ActionKind.SEND_TEXT:
            text = action.text.strip()
            if not text or len(text) > 200:
                return Verdict(False, "outgoing text must be short and non-empty")
            reason = forbidden_reason(text)
            if reason:
                return Verdict(False, reason)
            if derived or text.casefold() in self.allowed_phrases:
                return Verdict(True)
            return Verdict(False, "text is not in the dialog policy")
        return Verdict(False, f"unknown action {action.kind}")
