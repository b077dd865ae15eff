"""The admin bot's Telegram handlers: one small function per command or button.

Every update first passes `gate` (handler group -1): people not on the allow-list, and chats
other than a private chat or the admin group, are refused once and audited, and the update
goes no further. Every reviewer action is audited.

A requisite's review, as the buttons drive it:

    NOTIFIED --Confirm--> CONFIRMED      (Review row, status=confirmed, card edited, Evidence stays)
    NOTIFIED --Reject---> REJECTED       (Review row, status=rejected, card edited, Evidence stays)
    NOTIFIED --Later----> NOTIFIED       (audited; stays in /pending)
    any      --Evidence-> same state     (transcript document with chain links, images)
    DECIDED  --Confirm/Reject--> DECIDED (nothing changes; the presser is told who decided)
"""

from __future__ import annotations

import asyncio
import html
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from prokai.config import Settings
from prokai.ops.jobs import JobRunner
from prokai.ops.metrics import Metrics
from prokai.readmodels.i18n import LANGS, kind_label, status_label, t
from prokai.readmodels.queries import (
    bank_of,
    campaigns,
    find_shops,
    pending_page,
    requisite_card,
    search,
    shop_history,
    shop_label,
    stats,
    transcript,
)
from prokai.review.access import (
    AllowList,
    Reviewer,
    StrangerLimiter,
    sign_callback,
    stranger_actor,
    verify_callback,
)
from prokai.review.decisions import decide
from prokai.review.notify import (
    CONFIRM,
    EVIDENCE,
    LATER,
    PAGE,
    REJECT,
    VIEW,
    card_keyboard,
    render_card,
    send_card,
)
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import RefusalAnswer, Requisite, RequisiteNotification, ReviewerPref

log = logging.getLogger("prokai.review.bot")
Ctx = ContextTypes.DEFAULT_TYPE


class LanguagePrefs:
    """Each reviewer's /lang choice, kept in `reviewer_prefs` (the change is audited, `review.lang`)."""

    def __init__(self, db: Database, default: str) -> None:
        self.db = db
        self.default = default

    def get(self, telegram_id: int) -> str:
        """The reviewer's language, or the configured default."""
        with self.db.session() as s:
            lang = s.scalar(select(ReviewerPref.lang).where(ReviewerPref.telegram_id == telegram_id))
        return lang or self.default

    def set(self, reviewer: Reviewer, lang: str) -> None:
        """Remember (and audit) a reviewer's language."""
        with self.db.session() as s:
            pref = s.get(ReviewerPref, reviewer.telegram_id)
            if pref is None:
                s.add(ReviewerPref(telegram_id=reviewer.telegram_id, lang=lang))
            else:
                pref.lang = lang
            audit(s, reviewer.actor, "review.lang", "reviewer", reviewer.telegram_id, lang=lang)


@dataclass
class BotDeps:
    """What the handlers need, kept in `application.bot_data["prokai"]`."""

    settings: Settings
    db: Database
    allow: AllowList
    langs: LanguagePrefs
    runner: JobRunner | None = None
    metrics: Metrics | None = None
    strangers: StrangerLimiter = field(default_factory=StrangerLimiter)  # refusals audited in aggregate
    secret: str = ""  # keys the buttons' signatures: the bot token (set by `install`)


def deps(context: Ctx) -> BotDeps:
    """The bot's dependencies."""
    value = context.application.bot_data["prokai"]
    assert isinstance(value, BotDeps)
    return value


def _record(d: BotDeps, actor: str, action: str, object_type: str | None = None, object_id: object | None = None, **details: Any) -> None:
    with d.db.session() as s:
        audit(s, actor, action, object_type, object_id, **details)


def flush_refusals(d: BotDeps) -> int:
    """Write the refused attempts still counted in memory as one aggregate record per person
    (called when the bot stops); returns how many records were written."""
    pending = d.strangers.drain()
    for actor, attempts in pending.items():
        uid = actor.removeprefix("telegram:")
        _record(d, actor, "review.refused", "telegram_user", int(uid) if uid.isdigit() else None,
                attempts=attempts, aggregate=True, reason="attempts counted until the bot stopped")
    return len(pending)


def current(update: Update, context: Ctx) -> tuple[BotDeps, Reviewer, str]:
    """The dependencies, the (already gated) reviewer and their language."""
    d = deps(context)
    user = update.effective_user
    reviewer = d.allow.get(user.id if user else None)
    assert reviewer is not None, "gate lets only reviewers through"
    return d, reviewer, d.langs.get(reviewer.telegram_id)


async def reply(update: Update, text: str, **kwargs: Any) -> Any:
    """Answer in the chat the update came from."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, **kwargs)


# --- the gate ------------------------------------------------------------------------------------


async def gate(update: Update, context: Ctx) -> None:
    """Let allow-listed reviewers through in a private chat or the admin group; refuse the rest."""
    d = deps(context)
    if update.message is None and update.callback_query is None:
        raise ApplicationHandlerStop  # membership changes, edits, channel posts: nothing to do
    user, chat = update.effective_user, update.effective_chat
    reviewer = d.allow.get(user.id if user else None)
    in_place = chat is None or chat.type == ChatType.PRIVATE or chat.id == d.settings.review.admin_chat_id
    if reviewer is not None and in_place:
        return
    uid = user.id if user else None
    text = update.message.text if update.message and update.message.text else None
    actor = stranger_actor(uid) if reviewer is None else reviewer.actor
    private = chat is not None and chat.type == ChatType.PRIVATE
    attempts = d.strangers.hit(actor)  # a flood is audited in aggregate, not a record per message
    if update.callback_query is not None:  # a button is always answered (an alert), and counts as the answer
        answer = True
        if uid is not None and attempts is not None:
            _first_refusal(d, actor, uid)
    else:
        answer = private and uid is not None and attempts is not None and _first_refusal(d, actor, uid)
    if attempts is not None:
        _record(
            d,
            actor,
            "review.refused",
            "telegram_user",
            uid,
            chat_id=chat.id if chat else None,
            chat_type=chat.type if chat else None,
            username=user.username if user else None,
            text=(text or "")[:200],
            reason="not on the allow-list" if reviewer is None else "chat not allowed",
            answered=answer,
            **({"attempts": attempts} if attempts > 1 else {}),
        )
    if d.metrics:
        d.metrics.refusals.inc()
    lang = d.settings.review.language
    if update.callback_query is not None:
        await update.callback_query.answer(t(lang, "refused"), show_alert=True)
    elif answer and uid is not None:
        await reply(update, t(lang, "refused"))
    raise ApplicationHandlerStop


def _first_refusal(d: BotDeps, actor: str, uid: int) -> bool:
    """Claim this person's one refusal answer (kept in `refusal_answers`, so across restarts):
    True the first time, False ever after."""
    try:
        with d.db.session() as s:
            if s.get(RefusalAnswer, actor) is not None:
                return False
            s.add(RefusalAnswer(actor=actor, telegram_id=uid))
    except IntegrityError:  # another process answered them just now
        return False
    return True


# --- commands ------------------------------------------------------------------------------------


async def cmd_help(update: Update, context: Ctx) -> None:
    """/start and /help: what the bot can do."""
    d, reviewer, lang = current(update, context)
    _record(d, reviewer.actor, "review.help", "chat", update.effective_chat.id if update.effective_chat else None)
    await reply(update, t(lang, "help"))


def _requisite_line(req: Requisite, lang: str) -> str:
    return f"#{req.id} {kind_label(lang, req.kind)} {req.value} — {bank_of(req)} ({status_label(lang, req.status)})"


def pending_view(d: BotDeps, lang: str, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one /pending page (0-based; clamped)."""
    per = d.settings.review.page_size
    with d.db.session() as s:
        rows, total = pending_page(s, max(page, 0), per)
        pages = max(1, math.ceil(total / per))
        if page >= pages:
            page = pages - 1
            rows, total = pending_page(s, page, per)
    if total == 0:
        return t(lang, "pending_empty"), None
    lines = [t(lang, "pending_header", total=total, page=page + 1, pages=pages), ""]
    lines += [_requisite_line(r, lang) for r in rows]
    buttons = [[InlineKeyboardButton(f"#{r.id}", callback_data=sign_callback(f"{VIEW}:{r.id}", d.secret)) for r in rows]]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(t(lang, "btn_prev"), callback_data=sign_callback(f"{PAGE}:{page - 1}", d.secret)))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(t(lang, "btn_next"), callback_data=sign_callback(f"{PAGE}:{page + 1}", d.secret)))
    if nav:
        buttons.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def on_text(update: Update, context: Ctx) -> None:
    """Plain text (or an unknown command) in a private chat: show what the bot can do."""
    d, reviewer, lang = current(update, context)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    await reply(update, t(lang, "help"))


async def cmd_pending(update: Update, context: Ctx) -> None:
    """/pending [page]: the review queue, paged, with a button per item."""
    d, reviewer, lang = current(update, context)
    page = int(context.args[0]) - 1 if context.args and context.args[0].isdigit() else 0
    # Not audited: paging through the queue is navigation, not an action on evidence.
    text, markup = pending_view(d, lang, page)
    await reply(update, text, reply_markup=markup)


async def cmd_search(update: Update, context: Ctx) -> None:
    """/search <card|iban|phone|wallet|@shop>."""
    d, reviewer, lang = current(update, context)
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, t(lang, "search_usage"))
        return
    with d.db.session() as s:
        found = search(s, query)
    _record(d, reviewer.actor, "review.search", "query", None, query=query, results=len(found))
    if not found:
        await reply(update, t(lang, "search_none", query=query))
        return
    lines = [t(lang, "search_header", query=query, count=len(found)), ""] + [_requisite_line(r, lang) for r in found]
    buttons = [[InlineKeyboardButton(f"#{r.id}", callback_data=sign_callback(f"{VIEW}:{r.id}", d.secret))
                for r in found[:8]]]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def cmd_shop(update: Update, context: Ctx) -> None:
    """/shop @name: the shop's requisites over time."""
    d, reviewer, lang = current(update, context)
    name = (context.args or [""])[0].strip()
    if not name:
        await reply(update, t(lang, "shop_usage"))
        return
    tz = d.settings.scheduler.timezone
    from prokai.readmodels.queries import day_label

    with d.db.session() as s:
        shops = find_shops(s, name)
        chunks = []
        for shop in shops:
            history = shop_history(s, shop)
            head = t(
                lang, "shop_header", name=shop_label(shop), id=shop.id, status=shop.status,
                first=day_label(shop.first_seen, tz), last=day_label(shop.last_seen, tz),
            )
            lines = [head]
            for item in history:
                lines.append(
                    f"{day_label(item.first_seen, tz)} … {day_label(item.last_seen, tz)} ×{item.sightings}: "
                    f"{_requisite_line(item.requisite, lang)}"
                )
            if not history:
                lines.append(t(lang, "shop_empty"))
            chunks.append("\n".join(lines))
    _record(d, reviewer.actor, "review.shop", "shop", shops[0].id if shops else None, query=name)
    if not shops:
        await reply(update, t(lang, "shop_none", name=name))
        return
    await reply(update, "\n\n".join(chunks)[:4000])


async def cmd_stats(update: Update, context: Ctx) -> None:
    """/stats: counts by status, day, bank and kind, and a PNG chart."""
    from prokai.review.charts import counts_by_day_and_kind, stats_png

    d, reviewer, lang = current(update, context)
    tz = d.settings.scheduler.timezone
    with d.db.session() as s:
        st = stats(s, tz)
        by_day = counts_by_day_and_kind(s, tz)
    _record(d, reviewer.actor, "review.stats", "stats", None, total=st.total)
    lines = [
        t(lang, "stats_header", total=st.total, confirmed=st.by_status["confirmed"],
          rejected=st.by_status["rejected"], pending=st.by_status["pending"]),
        "",
        t(lang, "stats_by_day") + ":",
    ]
    lines += [f"  {day}: {n}" for day, n in sorted(st.by_day.items())[-10:]]
    lines += ["", t(lang, "stats_by_bank") + ":"] + [f"  {b}: {n}" for b, n in st.by_bank.most_common(15)]
    lines += ["", t(lang, "stats_by_kind") + ":"] + [f"  {kind_label(lang, k)}: {n}" for k, n in st.by_kind.most_common()]
    await reply(update, "\n".join(lines))
    png = await asyncio.to_thread(stats_png, by_day, t(lang, "stats_chart"))
    message = update.effective_message
    assert message is not None
    await message.reply_photo(InputFile(png, filename="stats.png"), caption=t(lang, "stats_chart"))


async def cmd_export(update: Update, context: Ctx) -> None:
    """/export: confirmed requisites by bank (XLSX + CSV) and wallets by chain (CSV + JSON)."""
    from prokai.export.requisites import export_rows, to_csv, to_json, to_xlsx

    d, reviewer, lang = current(update, context)
    with d.db.session() as s:
        banks = export_rows(s, status="confirmed", wallets=False)
        wallets = export_rows(s, status="confirmed", wallets=True)
    _record(d, reviewer.actor, "review.export", "export", None, banks=len(banks), wallets=len(wallets))
    message = update.effective_message
    assert message is not None
    if not banks and not wallets:
        await reply(update, t(lang, "export_empty"))
        return
    if banks:
        caption = t(lang, "export_caption_banks", count=len(banks))
        xlsx = await asyncio.to_thread(to_xlsx, banks)
        await message.reply_document(InputFile(xlsx, filename="freeze-requests-by-bank.xlsx"), caption=caption)
        await message.reply_document(InputFile(to_csv(banks), filename="freeze-requests-by-bank.csv"), caption=caption)
    if wallets:
        caption = t(lang, "export_caption_wallets", count=len(wallets))
        await message.reply_document(InputFile(to_csv(wallets), filename="wallets-by-chain.csv"), caption=caption)
        await message.reply_document(InputFile(to_json(wallets), filename="wallets-by-chain.json"), caption=caption)


async def cmd_campaigns(update: Update, context: Ctx) -> None:
    """/campaigns: the latest campaigns with their case and counts."""
    d, reviewer, lang = current(update, context)
    with d.db.session() as s:
        items = campaigns(s)
    _record(d, reviewer.actor, "review.campaigns", "campaign", None, count=len(items))
    if not items:
        await reply(update, t(lang, "campaigns_none"))
        return
    lines = [
        t(lang, "campaign_line", id=c.id, name=c.name, case=c.case, status=c.status, targets=c.targets, requisites=c.requisites)
        for c in items
    ]
    await reply(update, "\n".join(lines))


async def cmd_sweep(update: Update, context: Ctx) -> None:
    """/sweep: start the nightly sweep now (operators and admins only)."""
    d, reviewer, lang = current(update, context)
    if not reviewer.can_sweep():
        _record(d, reviewer.actor, "review.sweep_denied", "job", "sweep", role=reviewer.role)
        await reply(update, t(lang, "role_denied"))
        return
    result = d.runner.start("sweep", trigger="manual", actor=reviewer.actor) if d.runner else "unavailable"
    _record(d, reviewer.actor, "review.sweep", "job", "sweep", result=result, role=reviewer.role)
    key = {"started": "sweep_started", "running": "sweep_running"}.get(result, "sweep_unavailable")
    await reply(update, t(lang, key, name=reviewer.name))


async def cmd_links(update: Update, context: Ctx) -> None:
    """/links <value or @shop>: the shop family with the evidence for each tie, and its picture."""
    from prokai.network.bot import links_answer

    d, reviewer, lang = current(update, context)
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, t(lang, "links_usage"))
        return
    answer = await asyncio.to_thread(links_answer, d.db, query, lang, d.settings.scheduler.timezone)
    _record(d, reviewer.actor, "review.links", "query", None, query=query, families=answer.families)
    await reply(update, answer.text[:4000])
    message = update.effective_message
    assert message is not None
    for png, caption in answer.pictures:
        await message.reply_photo(InputFile(png, filename="family.png"), caption=caption[:1024])


async def cmd_lang(update: Update, context: Ctx) -> None:
    """/lang ru|kk|en."""
    d, reviewer, lang = current(update, context)
    choice = (context.args or [""])[0].lower()
    if choice not in LANGS:
        await reply(update, t(lang, "lang_usage"))
        return
    d.langs.set(reviewer, choice)
    await reply(update, t(choice, "lang_set"))


# --- buttons -------------------------------------------------------------------------------------


async def on_button(update: Update, context: Ctx) -> None:
    """Confirm / Reject / Evidence / Later / view / page buttons."""
    d, reviewer, lang = current(update, context)
    query = update.callback_query
    assert query is not None
    data = verify_callback(query.data, d.secret)
    if data is None:
        # Forged or altered (e.g. another requisite's id): decides nothing, audited in aggregate.
        if d.strangers.hit(f"{reviewer.actor}:forged") is not None:
            _record(d, reviewer.actor, "review.forged_callback", "telegram_user", reviewer.telegram_id,
                    data=(query.data or "")[:64])
        await query.answer()
        return
    action, _, arg = data.partition(":")
    if not arg.lstrip("-").isdigit() or len(arg) > 18:
        await query.answer()
        return
    number = int(arg)
    if action == PAGE:  # a page turn: navigation, not audited
        text, markup = pending_view(d, lang, number)
        await query.answer()
        await _edit(query, text, markup, html_mode=False)
    elif action in (CONFIRM, REJECT):
        await _decide(update, d, reviewer, lang, number, "confirmed" if action == CONFIRM else "rejected")
    elif action == EVIDENCE:
        await _evidence(update, context, d, reviewer, lang, number)
    elif action == LATER:
        _record(d, reviewer.actor, "review.later", "requisite", number)
        await query.answer(t(lang, "ack_later", id=number))
    elif action == VIEW:
        with d.db.session() as s:
            card = requisite_card(s, number)
        _record(d, reviewer.actor, "review.view", "requisite", number)
        await query.answer()
        chat = update.effective_chat
        if card is None or chat is None:
            await context.bot.send_message(chat.id if chat else reviewer.telegram_id, t(lang, "not_found", id=number))
            return
        await send_card(context.bot, chat.id, card, lang, d.settings.scheduler.timezone)
    else:
        await query.answer()


async def _edit(query: Any, text: str, markup: InlineKeyboardMarkup | None, html_mode: bool = True) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML if html_mode else None, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" when nothing changed
        log.debug("edit skipped: %s", exc.message)


async def _decide(update: Update, d: BotDeps, reviewer: Reviewer, lang: str, req_id: int, decision: Any) -> None:
    query = update.callback_query
    assert query is not None
    result = await asyncio.to_thread(decide, d.db, req_id, reviewer, decision)
    if d.metrics:
        d.metrics.decisions.labels(result.outcome).inc()
    if result.outcome == "not_found":
        await query.answer(t(lang, "not_found", id=req_id), show_alert=True)
        return
    status = status_label(lang, result.status or "")
    who = result.decided_by or "—"
    if result.outcome == "decided":
        await query.answer(t(lang, "ack_decided", id=req_id, decision=status))
    elif result.outcome == "same":
        await query.answer(t(lang, "ack_same", id=req_id, decision=status, name=who))
    else:
        await query.answer(t(lang, "ack_lost", id=req_id, decision=status, name=who), show_alert=True)
    with d.db.session() as s:
        card = requisite_card(s, req_id)
        copies = [(n.chat_id, n.message_id) for n in s.scalars(
            select(RequisiteNotification).where(RequisiteNotification.requisite_id == req_id,
                                                RequisiteNotification.chat_id.is_not(None)))]
    if card is None:
        return
    text = render_card(card, lang, d.settings.scheduler.timezone)
    text += t(lang, "decided_html", decision=html.escape(status), name=html.escape(who))
    await _edit(query, text, card_keyboard(req_id, lang, decided=True, secret=d.secret))
    if result.outcome != "decided":
        return
    # The other copies of the card (each reviewer's private chat): show the decision there too.
    here = (query.message.chat.id, query.message.message_id) if query.message else None
    group_lang = d.settings.review.language
    other_text = render_card(card, group_lang, d.settings.scheduler.timezone) + t(
        group_lang, "decided_html", decision=html.escape(status_label(group_lang, result.status or "")), name=html.escape(who)
    )
    for where in copies:
        if where == here or None in where:
            continue
        try:
            await query.get_bot().edit_message_text(
                other_text, chat_id=where[0], message_id=where[1], parse_mode=ParseMode.HTML,
                reply_markup=card_keyboard(req_id, group_lang, decided=True, secret=d.secret),
            )
        except TelegramError as exc:
            log.info("could not update the card in chat %s: %s", where[0], exc)


def _media_file(settings: Settings, path: str) -> Path | None:
    p = Path(path)
    if not p.is_absolute():
        p = settings.data_dir / p
    return p if p.is_file() else None


async def _evidence(update: Update, context: Ctx, d: BotDeps, reviewer: Reviewer, lang: str, req_id: int) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    with d.db.session() as s:
        card = requisite_card(s, req_id)
        doc = transcript(s, card.conversation_id) if card and card.conversation_id is not None else None
    _record(
        d, reviewer.actor, "review.evidence", "requisite", req_id,
        conversation_id=doc.conversation_id if doc else None, intact=doc.intact if doc else None,
    )
    if card is None:
        await query.answer(t(lang, "not_found", id=req_id), show_alert=True)
        return
    if doc is None:
        await query.answer(t(lang, "evidence_none", id=req_id), show_alert=True)
        return
    await query.answer(t(lang, "evidence_sent"))
    caption = t(
        lang, "evidence_caption", id=req_id, conversation=doc.conversation_id, messages=doc.messages,
        first=doc.first_seq or "—", last=doc.last_seq or "—", hash=(doc.last_hash or "—")[:16],
    )
    await context.bot.send_document(
        chat.id,
        InputFile(doc.text.encode("utf-8"), filename=f"evidence-requisite-{req_id}-conversation-{doc.conversation_id}.txt"),
        caption=caption[:1024],
    )
    for message_id, path, digest in doc.images:
        file = _media_file(d.settings, path)
        if file is None:
            continue
        data, image_caption = file.read_bytes(), t(lang, "evidence_image", message=message_id, hash=digest[:16] or "—")
        try:
            await context.bot.send_photo(chat.id, InputFile(data, filename=file.name), caption=image_caption)
        except BadRequest:  # not an image Telegram can show: send the stored bytes as a file
            await context.bot.send_document(chat.id, InputFile(data, filename=file.name), caption=image_caption)


async def on_error(update: object, context: Ctx) -> None:
    """Log handler errors, count them, and tell the reviewer something went wrong."""
    log.error("admin bot handler failed", exc_info=context.error)
    d = context.application.bot_data.get("prokai")
    if isinstance(d, BotDeps) and d.metrics:
        d.metrics.errors.labels("bot").inc()
    if isinstance(update, Update) and update.effective_message is not None and isinstance(d, BotDeps):
        try:
            await update.effective_message.reply_text(t(d.settings.review.language, "error"))
        except Exception:  # the error report must not fail in turn
            log.debug("could not report the error to the chat", exc_info=True)


COMMANDS: list[tuple[str, Any]] = [
    ("start", cmd_help),
    ("help", cmd_help),
    ("pending", cmd_pending),
    ("search", cmd_search),
    ("shop", cmd_shop),
    ("stats", cmd_stats),
    ("export", cmd_export),
    ("campaigns", cmd_campaigns),
    ("sweep", cmd_sweep),
    ("links", cmd_links),
    ("lang", cmd_lang),
]


def install(app: Application[Any, Any, Any, Any, Any, Any], bot_deps: BotDeps) -> None:
    """Put the dependencies and every handler on a python-telegram-bot Application."""
    bot_deps.secret = bot_deps.secret or app.bot.token
    app.bot_data["prokai"] = bot_deps
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, fn in COMMANDS:
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.add_error_handler(on_error)
