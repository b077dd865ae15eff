"""Notifications: each new requisite goes to the admin chat once, with Confirm/Reject/Evidence/Later.

Which requisites were notified is kept in `requisite_notifications`, a row per card sent (chat
and message ids, time), apart from the requisite itself (a chain link). Run one notifier per
database (`prokai run` is the one); two notifiers could both send the same item once.
"""

from __future__ import annotations

import asyncio
import html
import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError

from prokai.config import Settings
from prokai.readmodels.i18n import kind_label, status_label, t
from prokai.readmodels.queries import RequisiteCard, requisite_card
from prokai.review.access import AllowList
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Requisite, RequisiteNotification

log = logging.getLogger("prokai.review.notify")

EXCERPT_CHARS = 300
# Callback data: "<action>:<requisite id>"; actions c(onfirm), r(eject), e(vidence), l(ater), v(iew).
CONFIRM, REJECT, EVIDENCE, LATER, VIEW, PAGE = "c", "r", "e", "l", "v", "p"


def _local(when: datetime, timezone: str) -> str:
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def render_card(card: RequisiteCard, lang: str, timezone: str = "Asia/Almaty") -> str:
    """The notification text (HTML) for one requisite."""
    lines = []
    for direction, text in card.excerpt:
        arrow = "→" if direction == "out" else "←"
        short = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
        lines.append(f"{arrow} {html.escape(short)}")
    return t(
        lang,
        "notify_html",
        id=card.id,
        kind=html.escape(kind_label(lang, card.kind)),
        value=html.escape(card.value),
        bank=html.escape(card.bank),
        shop=html.escape(card.shop),
        when=_local(card.when, timezone),
        amount=html.escape(card.amount),
        status=html.escape(status_label(lang, card.status)),
        excerpt="\n".join(lines) or "—",
    )


def card_keyboard(requisite_id: int, lang: str, decided: bool = False, *, secret: str) -> InlineKeyboardMarkup:
    """Confirm / Reject / Evidence / Later; once decided, only Evidence. The data is signed with
    `secret` (the bot token) and names the card's requisite (`prokai.review.access.sign_callback`)."""
    from prokai.review.access import sign_callback

    def data(action: str) -> str:
        return sign_callback(f"{action}:{requisite_id}", secret)

    evidence = InlineKeyboardButton(t(lang, "btn_evidence"), callback_data=data(EVIDENCE))
    if decided:
        return InlineKeyboardMarkup([[evidence]])
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "btn_confirm"), callback_data=data(CONFIRM)),
                InlineKeyboardButton(t(lang, "btn_reject"), callback_data=data(REJECT)),
            ],
            [evidence, InlineKeyboardButton(t(lang, "btn_later"), callback_data=data(LATER))],
        ]
    )


def notification_chats(settings: Settings) -> list[int]:
    """The admin chat if configured, else every reviewer's private chat."""
    if settings.review.admin_chat_id is not None:
        return [settings.review.admin_chat_id]
    return AllowList.from_settings(settings).ids()


MAX_FLOOD_WAIT_S = 60.0


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_card(bot: Bot, chat_id: int, card: RequisiteCard, lang: str, timezone: str) -> Any:
    """Send one requisite's card with its buttons; returns the sent Message.

    Telegram's flood control (429, RetryAfter) is waited out once (up to a minute), then retried.
    """
    for attempt in (1, 2):
        try:
            return await bot.send_message(
                chat_id,
                render_card(card, lang, timezone),
                parse_mode=ParseMode.HTML,
                reply_markup=card_keyboard(card.id, lang, decided=card.status != "pending", secret=bot.token),
            )
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta; both are handled
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            if attempt == 2 or wait > MAX_FLOOD_WAIT_S:
                raise
            log.warning("flood control: waiting %.0f s before notifying chat %s", wait, chat_id)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def unnotified(limit: int) -> Select[int]:
    """The ids of pending requisites no card was sent for yet, oldest first (at most `limit`)."""
    sent = select(RequisiteNotification.id).where(RequisiteNotification.requisite_id == Requisite.id)
    return (select(Requisite.id).where(Requisite.status == "pending", ~sent.exists())
            .order_by(Requisite.id).limit(limit))


async def notify_pending(bot: Bot, db: Database, settings: Settings, limit: int = 50) -> int:
    """Send a notification for every pending requisite not notified yet; returns how many were sent.

    For the demo: `await notify_pending(app.bot, db, settings)` after a crawl stored requisites.
    Each card sent is a `requisite_notifications` row; the sending is audited (`review.notify`).
    A chat that cannot be written to (the reviewer never started the bot) is skipped and logged.
    """
    chats = notification_chats(settings)
    if not chats:
        log.warning("no admin chat and no reviewers configured: nothing to notify")
        return 0
    lang, tz = settings.review.language, settings.scheduler.timezone
    with db.session() as s:
        ids = list(s.scalars(unnotified(limit)))
    sent = 0
    for req_id in ids:
        with db.session() as s:
            card = requisite_card(s, req_id)
        if card is None:
            continue
        delivered: list[dict[str, int]] = []
        for chat_id in chats:
            try:
                msg = await send_card(bot, chat_id, card, lang, tz)
            except Forbidden as exc:
                log.warning("cannot notify chat %s: %s", chat_id, exc.message)
                continue
            except TelegramError as exc:
                log.error("notification of requisite %s to %s failed: %s", req_id, chat_id, exc)
                continue
            delivered.append({"chat_id": chat_id, "message_id": msg.message_id})
        if not delivered:
            continue
        with db.session() as s:
            if s.get(Requisite, req_id) is None:
                continue
            now = datetime.now(UTC)
            s.add_all(RequisiteNotification(requisite_id=req_id, chat_id=d["chat_id"], message_id=d["message_id"],
                                            notified_at=now) for d in delivered)
            audit(s, "bot", "review.notify", "requisite", req_id, chats=[d["chat_id"] for d in delivered])
        sent += 1
    return sent
