"""The archive of seized accounts: what they already hold is evidence, and it names more shops.

For each dialog of a seized account (private chats with buyers, couriers, operators, bots;
channels; groups) the messages not archived yet are stored as `Message` evidence in a
`Conversation` of kind "archive" (one per account and peer), with media downloaded and hashed
(SHA-256; the file kept under `<data_dir>/media/`). The conversation's `state["max_id"]` moves
in the same transaction as the messages, so a run stopped anywhere resumes without gaps or
duplicates, and a second run adds only what is new.

Each page goes through the intake pipeline (`prokai.intake`), as the crawler's messages do:
requisites (text, split across messages, images) give `Requisite` rows and `Sighting`s; the shop
classifier (`prokai.nlp`; the keyword baseline when no trained model is installed) scores each
peer on what it sent, and the peers that are shops become `Shop` rows (identity: Telegram id, a
new username recorded as a rename) that campaigns take as targets. Usernames and t.me links named
in shop dialogs become `Shop` rows too (status unknown, `meta.source = "link"`), to be resolved
and crawled later; invite links are recorded as targets of their own, never resolved. What the
seized account itself sent is evidence too. Contacts and the dialog list are kept in
`Account.meta["archive"]`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prokai.accounts.pool import AccountPool, Lease, LeaseRefused
from prokai.accounts.state import READ_STATES, find_account, utcnow
from prokai.intake import IncomingMessage, Intake, PeerInfo, Source, default_intake
from prokai.intake.buttons import buttons_of, message_entities
from prokai.intake.model import ShopScorer
from prokai.intake.steps import image_requisites
from prokai.store.audit import audit
from prokai.store.models import Account, Conversation, Shop, ShopKind, ShopStatus
from prokai.store.originals import tl_bytes

if TYPE_CHECKING:
    from prokai.store.db import Database

log = logging.getLogger(__name__)
ACTOR = "accounts.archive"
KIND = "archive"
TOOL = "prokai archive"



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
    intake = Intake.from_settings(pool.settings)
    contacts = await client(functions.contacts.GetContactsRequest(hash=0))
    contact_rows = [_user_row(u) for u in getattr(contacts, "users", [])]
    dialog_rows: list[dict[str, Any]] = []
    async for dialog in client.iter_dialogs():
        entity = dialog.entity
        peer = _peer_row(entity)
        dialog_rows.append(peer)
        report.dialogs += 1
        conv_id, max_id = _conversation(pool.db, account_id, peer)
        page_size = pool.settings.accounts.archive_page_size
        async for page in history_after(client, entity, max_id, page_size):
            rows = [await _message_row(pool, client, msg, media, report) for msg in page]
            before = dataclasses.replace(report, shops=list(report.shops), links=list(report.links))
            try:
                added = store_page(pool.db, conv_id, account_id, peer, rows, scorer, report, intake)
            except IntegrityError:  # a shop or requisite stored by another process at the same moment
                report.__dict__.update(before.__dict__)
                added = store_page(pool.db, conv_id, account_id, peer, rows, scorer, report, intake)
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


def _conversation(db: Database, account_id: int | None, peer: dict[str, Any]) -> tuple[int, int]:
    """The archive conversation of `account_id` with `peer` (created if new) and its last stored id."""
    with db.session() as s:
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


async def _message_row(pool: AccountPool, client: Any, msg: Any, media: bool, report: ArchiveReport) -> IncomingMessage:
    sender = getattr(msg, "sender", None)
    row = IncomingMessage(
        telegram_id=msg.id,
        direction="out" if msg.out else "in",
        text=getattr(msg, "message", None) or "",
        sent_at=msg.date,
        sender_id=msg.sender_id,
        sender_username=getattr(sender, "username", None),
        entities=message_entities(msg),
        buttons=[b.to_json() for b in buttons_of(getattr(msg, "reply_markup", None))],
        raw=tl_bytes(msg),
        image_found=[],
    )
    if media and getattr(msg, "media", None) is not None and (msg.photo or msg.document):
        data = await client.download_media(msg, file=bytes)
        if isinstance(data, bytes):
            digest = hashlib.sha256(data).hexdigest()
            folder = Path(pool.settings.data_dir) / "media" / digest[:2]
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / digest
            if not path.exists():
                path.write_bytes(data)
            row.media_hash = digest
            row.media_path = str(path)
            row.photo = data if msg.photo else None
            report.media += 1
            if pool.settings.accounts.archive_ocr and msg.photo and not msg.out:
                row.image_found = await asyncio.to_thread(image_requisites, data)
    return row


def store_page(
    db: Database, conv_id: int, account_id: int | None, peer: dict[str, Any], messages: list[IncomingMessage],
    scorer: ShopScorer, report: ArchiveReport, intake: Intake | None = None,
) -> int:
    """Hand a page of a dialog to the intake pipeline (evidence, requisites, the shop, the shops it
    names) and move the conversation's max_id, in one transaction; returns how many were new."""
    with db.session() as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None
        state = dict(conv.state or {})
        done = int(state.get("max_id", 0))
        new = [m for m in messages if (m.telegram_id or 0) > done]  # another run got here first
        if not new:
            return 0
        state["max_id"] = max(m.telegram_id or 0 for m in new)
        state["archived_at"] = utcnow().isoformat(timespec="seconds")
        conv.state = state
        s.flush()
        source = Source(
            conv_id, account_id, peer["peer_id"], TOOL, KIND, ACTOR,
            peer=PeerInfo(peer["id"], peer["kind"], peer.get("username"), peer.get("title")),
            shop_scorer=scorer, label=report.phone, extract_outgoing=True,
        )
        batch = (intake or default_intake()).feed(s, source, new)
        report.requisites += len(batch.sighted)
        report.new_requisites += len(batch.new_requisite_ids)
        if batch.shop_found:
            label = f"@{peer['username']}" if peer.get("username") else str(peer["id"])
            if label not in report.shops:
                report.shops.append(label)
        report.links.extend(name for name in batch.linked if name not in report.links)
        return len(batch.stored)


def _links(texts: list[str]) -> list[str]:
    """The usernames named in `texts` (@name, t.me links; never an invite hash)."""
    from prokai.intake.targets import TargetKind, find_target_mentions

    out: list[str] = []
    for text in texts:
        out += [t.value for t in find_target_mentions(text) if t.kind == TargetKind.USERNAME and t.value not in out]
    return out


def shops_to_campaign(db: Any, campaign_id: int, actor: str = ACTOR) -> int:
    """Add the shops the archive found (and the ones they named) to a campaign as targets, with
    the invite links and phone numbers the shops named (recorded, never resolved as usernames);
    returns how many were new. Shops without a username (known by id only) cannot be targets yet."""
    from prokai.intake.discovery import discovered_targets
    from prokai.intake.targets import TargetKind, add_targets, parse_target
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
        named = []
        for conv_id, username in s.execute(
            select(Conversation.id, Shop.username).join(Shop, Shop.id == Conversation.shop_id)
            .where(Conversation.kind == KIND, Shop.status.not_in((ShopStatus.NOT_SHOP.value, ShopStatus.DEAD.value)))
            .order_by(Conversation.id)
        ):
            named += [t for t in discovered_targets(s, conv_id, own=[username]) if t.kind != TargetKind.USERNAME]
        added = add_targets(s, campaign_id, specs + named, depth=0)
        audit(s, actor, "campaign.targets_from_archive", "campaign", campaign_id, shops=len(specs),
              named=len(named), added=added)
        return added
