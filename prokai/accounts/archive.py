"""The archive of seized accounts: what they already hold is evidence, and it names more shops.

For each dialog of a seized account (private chats with buyers, couriers, operators, bots;
channels; groups) the messages not archived yet are stored as `Message` evidence in a
`Conversation` of kind "archive" (one per account and peer), with media downloaded and hashed
(SHA-256; the file kept under `<data_dir>/media/`). The conversation's `state["max_id"]` moves
in the same transaction as the messages, so a run stopped anywhere resumes without gaps or
duplicates, and a second run adds only what is new.

The new messages are then analysed: requisite extraction (`prokai.extract`) gives `Requisite`
rows and `Sighting`s; the shop classifier (`prokai.nlp`; the keyword baseline when no trained
model is installed) scores each peer on what it sent, and the peers that are shops become `Shop`
rows (identity: Telegram id) that campaigns take as targets. Usernames and t.me links named in
shop dialogs become `Shop` rows too (status unknown, `meta.source = "link"`), to be resolved and
crawled later. Contacts and the dialog list are kept in `Account.meta["archive"]`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prokai.accounts.pool import AccountPool, Lease, LeaseRefused
from prokai.accounts.state import READ_STATES, find_account, utcnow
from prokai.store.audit import audit
from prokai.store.models import (
    Account,
    Conversation,
    Message,
    Shop,
    ShopKind,
    ShopStatus,
    ShopUsername,
)
from prokai.store.originals import add_originals, ensure_context, tl_bytes
from prokai.store.requisites import add_sighting, upsert_requisite

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
ACTOR = "accounts.archive"
KIND = "archive"
ShopScorer = Callable[[Sequence[str]], list[float]]

# Invite links (t.me/+HASH, t.me/joinchat/HASH) name no username: they stay in the stored text only.
_LINK = re.compile(r"(?:https?://)?(?:t\.me|telegram\.me)/(?!joinchat/|\+)([A-Za-z][A-Za-z0-9_]{3,63})", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")


@dataclass
class ArchiveReport:
    """What one run did for one account."""

    phone: str
    ok: bool = True
    dialogs: int = 0
    new_messages: int = 0
    media: int = 0
    requisites: int = 0
    new_requisites: int = 0
    shops: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    classifier: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone, "ok": self.ok, "dialogs": self.dialogs, "new_messages": self.new_messages,
            "media": self.media, "requisites": self.requisites, "new_requisites": self.new_requisites,
            "shops": self.shops, "links": self.links, "classifier": self.classifier, "detail": self.detail,
        }


def default_scorer(settings: Any) -> tuple[ShopScorer, str]:
    """The trained shop classifier, or the keyword baseline when no model is installed."""
    try:
        from prokai.nlp.infer import ModelNotFoundError, get_classifier

        try:
            clf = get_classifier(settings.nlp.model_dir, settings.nlp.batch_size, settings.nlp.shop_threshold)
            return clf.shop_scores, "transformer"
        except ModelNotFoundError as exc:
            log.warning("shop classifier: %s; using the keyword baseline", exc)
    except ImportError as exc:  # torch/transformers missing
        log.warning("shop classifier unavailable (%s); using the keyword baseline", exc)
    from prokai.nlp.baselines import keyword_shop

    return keyword_shop, "keywords"


async def archive_accounts(
    pool: AccountPool,
    refs: list[str] | None = None,
    *,
    media: bool = True,
    scorer: ShopScorer | None = None,
) -> list[ArchiveReport]:
    """Archive the named accounts (default: every seized account whose session can read)."""
    with pool.db.session() as s:
        if refs:
            phones = []
            for ref in refs:
                acc = find_account(s, ref)
                if acc is None:
                    raise KeyError(f"no account {ref}")
                phones.append(acc.phone)
        else:
            phones = list(s.scalars(
                select(Account.phone)
                .where(Account.seized.is_(True), Account.session_enc.is_not(None),
                       Account.state.in_([st.value for st in READ_STATES]))
                .order_by(Account.id)
            ))
    label = "custom"
    if scorer is None:
        scorer, label = default_scorer(pool.settings)
    reports = []
    for phone in phones:
        report = ArchiveReport(phone, classifier=label)
        try:
            async with pool.lease(kind=KIND, account=phone, receive_updates=False) as lease:
                await archive_account(pool, lease, report, media=media, scorer=scorer)
        except LeaseRefused as exc:
            report.ok, report.detail = False, str(exc)
        except Exception as exc:  # noqa: BLE001 - one account's failure never stops the others
            from telethon import errors

            if not isinstance(exc, errors.RPCError | OSError | ConnectionError):
                raise
            report.ok, report.detail = False, f"{type(exc).__name__}: {exc}"
        reports.append(report)
    return reports


async def archive_account(
    pool: AccountPool, lease: Lease, report: ArchiveReport, *, media: bool, scorer: ShopScorer
) -> None:
    """Archive one leased account (see the module docstring)."""
    from telethon.tl import functions

    client = lease.client
    account_id = lease.account.id
    contacts = await client(functions.contacts.GetContactsRequest(hash=0))
    contact_rows = [_user_row(u) for u in getattr(contacts, "users", [])]
    dialog_rows: list[dict[str, Any]] = []
    async for dialog in client.iter_dialogs():
        entity = dialog.entity
        peer = _peer_row(entity)
        dialog_rows.append(peer)
        report.dialogs += 1
        conv_id, max_id = _conversation(pool, account_id, peer)
        page_size = pool.settings.accounts.archive_page_size
        async for page in history_after(client, entity, max_id, page_size):
            rows = [await _message_row(pool, client, msg, media, report) for msg in page]
            before = dataclasses.replace(report, shops=list(report.shops), links=list(report.links))
            try:
                added = _store(pool, conv_id, account_id, peer, [dict(r) for r in rows], scorer, report)
            except IntegrityError:  # a shop or requisite stored by another process at the same moment
                report.__dict__.update(before.__dict__)
                added = _store(pool, conv_id, account_id, peer, rows, scorer, report)
            report.new_messages += added
    with pool.db.session() as s:
        acc = s.get(Account, account_id)
        if acc is not None:
            meta = dict(acc.meta or {})
            meta["archive"] = {
                "at": utcnow().isoformat(timespec="seconds"), "contacts": contact_rows, "dialogs": dialog_rows,
            }
            acc.meta = meta
        audit(s, ACTOR, "account.archive", "account", account_id, phone=report.phone, dialogs=report.dialogs,
              new_messages=report.new_messages, new_requisites=report.new_requisites, shops=report.shops)


async def history_after(client: Any, entity: Any, after_id: int, page: int) -> AsyncIterator[list[Any]]:
    """Messages with id > `after_id`, oldest first, one page at a time (each page can be committed
    before the next is fetched: a stopped run resumes from the last stored id).

    Uses `messages.getHistory` with `offset_id = after_id + 1, add_offset = -page` (the usual way to
    page forward) and no offset date, so messages sharing one timestamp are never skipped.
    """
    from telethon import utils
    from telethon.tl import functions, types

    peer = await client.get_input_entity(entity)
    last = after_id
    while True:
        r = await client(functions.messages.GetHistoryRequest(
            peer=peer, offset_id=last + 1, offset_date=None, add_offset=-page, limit=page,
            max_id=0, min_id=last, hash=0,
        ))
        entities = {utils.get_peer_id(x): x for x in [*r.users, *r.chats]}
        batch = sorted(
            (m for m in r.messages if isinstance(m, types.Message | types.MessageService) and m.id > last),
            key=lambda m: m.id,
        )
        if not batch:
            return
        for m in batch:
            m._finish_init(client, entities, peer)
        yield batch
        last = batch[-1].id


# --- peers and conversations ------------------------------------------------------------------


def _user_row(user: Any) -> dict[str, Any]:
    return {"id": user.id, "username": getattr(user, "username", None), "phone": getattr(user, "phone", None),
            "name": " ".join(p for p in (getattr(user, "first_name", None), getattr(user, "last_name", None)) if p),
            "bot": bool(getattr(user, "bot", False))}


def _peer_row(entity: Any) -> dict[str, Any]:
    from telethon import utils
    from telethon.tl import types

    if isinstance(entity, types.User):
        kind = ShopKind.BOT.value if entity.bot else ShopKind.OPERATOR.value
        title = " ".join(p for p in (entity.first_name, entity.last_name) if p)
    elif isinstance(entity, types.Channel):
        kind = ShopKind.GROUP.value if entity.megagroup else ShopKind.CHANNEL.value
        title = entity.title
    else:
        kind, title = ShopKind.GROUP.value, getattr(entity, "title", "")
    return {"peer_id": utils.get_peer_id(entity), "id": entity.id, "kind": kind, "title": title,
            "username": getattr(entity, "username", None)}


def _conversation(pool: AccountPool, account_id: int, peer: dict[str, Any]) -> tuple[int, int]:
    with pool.db.session() as s:
        conv = s.scalars(select(Conversation).where(
            Conversation.account_id == account_id, Conversation.peer_id == peer["peer_id"], Conversation.kind == KIND
        )).one_or_none()
        if conv is None:
            conv = Conversation(account_id=account_id, peer_id=peer["peer_id"], kind=KIND,
                                state={"max_id": 0, **peer})
            s.add(conv)
            s.flush()
        return conv.id, int((conv.state or {}).get("max_id", 0))


# --- messages ---------------------------------------------------------------------------------


def _buttons(msg: Any) -> list[Any]:
    """Our own button model: rows of {text, kind, data|url}; URLs are recorded, never opened."""
    markup = getattr(msg, "reply_markup", None)
    rows_out: list[Any] = []
    for row in getattr(markup, "rows", None) or []:
        out = []
        for b in getattr(row, "buttons", []):
            kind_obj = getattr(b, "type", None)
            data = getattr(b, "data", None) or getattr(kind_obj, "data", None)
            url = getattr(b, "url", None) or getattr(kind_obj, "url", None)
            item: dict[str, Any] = {"text": getattr(b, "text", ""), "kind": type(kind_obj or b).__name__}
            if isinstance(data, bytes):
                item["data"] = data.hex()
            if url:
                item["url"] = url
            out.append(item)
        rows_out.append(out)
    return rows_out


def _entities(msg: Any) -> list[Any]:
    out = []
    for e in getattr(msg, "entities", None) or []:
        d = {k: v for k, v in e.to_dict().items() if isinstance(v, str | int | bool) or v is None}
        out.append(d)
    return out


async def _message_row(pool: AccountPool, client: Any, msg: Any, media: bool, report: ArchiveReport) -> dict[str, Any]:
    sender = getattr(msg, "sender", None)
    row: dict[str, Any] = {
        "telegram_message_id": msg.id,
        "direction": "out" if msg.out else "in",
        "sender_id": msg.sender_id,
        "sender_username": getattr(sender, "username", None),
        "text": getattr(msg, "message", None) or "",
        "entities": _entities(msg),
        "buttons": _buttons(msg),
        "sent_at": msg.date,
        "media_hash": None,
        "media_path": None,
        "_raw": tl_bytes(msg),
        "_photo": None,
    }
    if media and getattr(msg, "media", None) is not None and (msg.photo or msg.document):
        data = await client.download_media(msg, file=bytes)
        if isinstance(data, bytes):
            digest = hashlib.sha256(data).hexdigest()
            folder = Path(pool.settings.data_dir) / "media" / digest[:2]
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / digest
            if not path.exists():
                path.write_bytes(data)
            row["media_hash"] = digest
            row["media_path"] = str(path)
            row["_photo"] = data if msg.photo else None
            report.media += 1
            if pool.settings.accounts.archive_ocr and msg.photo and not msg.out:
                row["_ocr"] = await asyncio.to_thread(_image_requisites, data)
    return row


def _image_requisites(data: bytes) -> list[Any]:
    """Requisites in an image (QR and OCR); an unreadable image gives none."""
    from prokai.extract import extract_image

    try:
        return list(extract_image(data).found)
    except Exception as exc:  # noqa: BLE001 - a broken image must not stop the archive
        log.warning("image not readable: %s", exc)
        return []


def _store(
    pool: AccountPool, conv_id: int, account_id: int, peer: dict[str, Any], rows: list[dict[str, Any]],
    scorer: ShopScorer, report: ArchiveReport,
) -> int:
    """Store new messages, analyse them and move the conversation's max_id, in one transaction."""
    with pool.db.session() as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None
        state = dict(conv.state or {})
        done = int(state.get("max_id", 0))
        stored: list[Message] = []
        originals: list[tuple[bytes | None, bytes | None]] = []
        from_images: list[tuple[int, Any]] = []
        for row in rows:
            ocr = row.pop("_ocr", [])
            raw, photo = row.pop("_raw", None), row.pop("_photo", None)
            if row["telegram_message_id"] <= done:
                continue  # another run got here first
            m = Message(conversation_id=conv_id, account_id=account_id, peer_id=peer["peer_id"], **row)
            s.add(m)
            from_images += [(len(stored), f) for f in ocr]
            stored.append(m)
            originals.append((raw, photo))
        if stored:
            state["max_id"] = max(m.telegram_message_id or 0 for m in stored)
            state["archived_at"] = utcnow().isoformat(timespec="seconds")
            conv.state = state
        s.flush()
        if stored:
            ensure_context(s, conv_id, account_id, "prokai archive")
            for m, (raw, photo) in zip(stored, originals, strict=True):
                add_originals(s, m, raw, photo, m.sent_at)
            _analyse(s, pool, conv, peer, stored, scorer, report, from_images)
        return len(stored)


# --- analysis ---------------------------------------------------------------------------------


TELEGRAM_SERVICE_ID = 777000  # Telegram's own notifications account (login codes): never a shop
WINDOW_TAIL = 5  # earlier messages of the dialog read with each page, for requisites split across pages


def _find_requisites(texts: list[str], tail: Sequence[str] = ()) -> list[tuple[int, Any]]:
    """(message index, Found) for each requisite: per message, plus those split across messages,
    including a split whose first part is among `tail` (the dialog's messages stored before)."""
    from prokai.extract import extract, extract_window

    out: list[tuple[int, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, text in enumerate(texts):
        for f in extract(text):
            out.append((i, f))
            seen.add((f.kind, f.value))
    window = [*tail, *texts]
    if len(window) > 1:
        base = len(tail)
        for f in extract_window(window):
            if (f.kind, f.value) in seen or f.message is None:
                continue
            touched = sorted({p[0] for p in (f.parts or [(f.message, f.start, f.end)])})
            new = [m for m in touched if m >= base]
            if not new or len(touched) < 2 and touched[0] < base:
                continue  # wholly among the earlier messages: found by an earlier page
            out.append((new[0] - base if touched[0] < base else f.message - base, f))
            seen.add((f.kind, f.value))
    return out


def _analyse(
    s: Session, pool: AccountPool, conv: Conversation, peer: dict[str, Any], stored: list[Message],
    scorer: ShopScorer, report: ArchiveReport, from_images: list[tuple[int, Any]],
) -> None:
    conv_id = conv.id
    texts = [m.text for m in stored]
    stored_ids = [m.id for m in stored]
    tail = list(reversed(s.scalars(
        select(Message.text)
        .where(Message.conversation_id == conv_id, Message.id.not_in(stored_ids))
        .order_by(Message.telegram_message_id.desc())
        .limit(WINDOW_TAIL)
    ).all()))
    found = _find_requisites(texts, tail)
    seen = {(f.kind, f.value, i) for i, f in found}
    found += [(i, f) for i, f in from_images if (f.kind, f.value, i) not in seen]
    incoming = [m.text for m in stored if m.direction == "in" and m.text.strip()]
    score = max(scorer(incoming), default=0.0) if incoming else 0.0
    threshold = pool.settings.nlp.shop_threshold
    sent_requisites = any(stored[i].direction == "in" for i, _ in found)
    is_shop = (
        score >= threshold
        and peer["id"] != TELEGRAM_SERVICE_ID
        and peer["kind"] in (ShopKind.BOT.value, ShopKind.OPERATOR.value, ShopKind.CHANNEL.value)
    )
    shop_id = conv.shop_id
    if is_shop:
        shop = _upsert_shop(s, peer, score, report.phone, sent_requisites)
        shop_id = shop.id
        conv.shop_id = shop.id
        label = f"@{peer['username']}" if peer.get("username") else str(peer["id"])
        if label not in report.shops:
            report.shops.append(label)
        for link in _links(incoming):
            if _link_shop(s, link, peer):
                report.links.append(link)
    state = dict(conv.state or {})
    state["shop_score"] = max(score, float(state.get("shop_score", 0.0)))
    conv.state = state
    for i, f in found:
        msg = stored[i]
        req, created = upsert_requisite(s, f, source="archive")
        s.flush()
        report.new_requisites += created
        report.requisites += 1
        add_sighting(s, req, msg.id, conv_id, f, shop_id if msg.direction == "in" else None,
                     seen_at=msg.sent_at, details={"source": "archive", "direction": msg.direction, "parts": f.parts})


def _upsert_shop(s: Session, peer: dict[str, Any], score: float, phone: str, sent_requisites: bool) -> Shop:
    shop = s.scalars(select(Shop).where(Shop.telegram_id == peer["id"])).one_or_none()
    if shop is None and peer.get("username"):
        shop = s.scalars(select(Shop).where(Shop.username == peer["username"], Shop.telegram_id.is_(None))).first()
    now = utcnow()
    if shop is None:
        shop = Shop(telegram_id=peer["id"], kind=peer["kind"], status=ShopStatus.ALIVE.value, meta={})
        s.add(shop)
    shop.telegram_id = peer["id"]
    shop.username = peer.get("username") or shop.username
    shop.title = peer.get("title") or shop.title
    shop.kind = peer["kind"]
    shop.shop_score = max(score, shop.shop_score or 0.0)
    shop.last_seen = now
    meta = dict(shop.meta or {})
    meta.update({"source": meta.get("source", "archive"), "archived_from": sorted({*meta.get("archived_from", []), phone}),
                 "sent_requisites": bool(meta.get("sent_requisites")) or sent_requisites})
    shop.meta = meta
    s.flush()
    if shop.username:
        _username(s, shop, shop.username)
    audit(s, ACTOR, "shop.found", "shop", shop.id, telegram_id=shop.telegram_id, username=shop.username,
          kind=shop.kind, score=round(shop.shop_score or 0.0, 4), account=phone)
    return shop


def _username(s: Session, shop: Shop, username: str) -> None:
    row = s.scalars(select(ShopUsername).where(ShopUsername.shop_id == shop.id, ShopUsername.username == username)).first()
    if row is None:
        s.add(ShopUsername(shop_id=shop.id, username=username))
    else:
        row.last_seen = utcnow()


def _links(texts: list[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        for rx in (_LINK, _MENTION):
            for name in rx.findall(text):
                if name.lower() not in (o.lower() for o in out):
                    out.append(name)
    return out


def _link_shop(s: Session, username: str, source: dict[str, Any]) -> bool:
    """A shop named in a shop dialog (by @username or t.me link): a Shop to resolve and crawl later."""
    if source.get("username") and username.lower() == str(source["username"]).lower():
        return False
    existing = s.scalars(select(Shop).where(Shop.username.ilike(username))).first()
    if existing is not None:
        return False
    kind = ShopKind.BOT.value if username.lower().endswith("bot") else ShopKind.UNKNOWN.value
    shop = Shop(username=username, kind=kind, status=ShopStatus.UNKNOWN.value,
                meta={"source": "link", "named_by": source.get("username") or source["id"]})
    s.add(shop)
    s.flush()
    _username(s, shop, username)
    return True


def shops_to_campaign(db: Any, campaign_id: int, actor: str = ACTOR) -> int:
    """Add the shops the archive found (and the ones they named) to a campaign as targets; returns
    how many were new. Shops without a username (known by id only) cannot be targets yet."""
    from prokai.crawl.campaigns import add_targets
    from prokai.crawl.targets import parse_target
    from prokai.store.models import Campaign

    with db.session() as s:
        if s.get(Campaign, campaign_id) is None:
            raise KeyError(f"no campaign {campaign_id}")
        specs = []
        for shop in s.scalars(select(Shop).where(Shop.username.is_not(None)).order_by(Shop.id)):
            if (shop.meta or {}).get("source") not in ("archive", "link"):
                continue
            if shop.status in (ShopStatus.NOT_SHOP.value, ShopStatus.DEAD.value):
                continue
            try:
                specs.append(parse_target("@" + str(shop.username)))
            except ValueError:
                continue
        added = add_targets(s, campaign_id, specs, depth=0)
        audit(s, actor, "campaign.targets_from_archive", "campaign", campaign_id, shops=len(specs), added=added)
        return added
