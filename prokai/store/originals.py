"""Originals at intake: every received message kept as Telegram sent it (the serialized TL object)
and every photo as downloaded, beside the parsed row; and the collection context of each
conversation (account, SIM, node, tool version, configuration hash, the collector's clock).
Both are links of the evidence chain."""

from __future__ import annotations

import hashlib
import logging
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from prokai import __version__
from prokai.evidence.canonical import canonical_bytes
from prokai.store.models import Account, CollectionContext, Message, Original, Sim
from prokai.store.types import utcnow

log = logging.getLogger(__name__)

TL = "tl"
PHOTO = "photo"
_written: set[tuple[str, int]] = set()
_config_hash: list[str | None] = []


def tl_bytes(obj: Any) -> bytes | None:
    """The TL serialization of a Telethon object (`bytes(message)`), or None if it has none."""
    try:
        return bytes(obj)
    except Exception as exc:  # noqa: BLE001 - a message we cannot serialize is still stored, parsed
        log.warning("cannot serialize %s: %s", type(obj).__name__, exc)
        return None


def config_hash() -> str | None:
    """SHA-256 of the settings this process runs with (config file and environment), computed once."""
    if not _config_hash:
        from prokai.config import ConfigError, load_settings

        try:
            settings = load_settings()
            _config_hash.append(hashlib.sha256(canonical_bytes(settings.model_dump(mode="json"))).hexdigest())
        except ConfigError:
            _config_hash.append(None)
    return _config_hash[0]


def ensure_context(session: Session, conversation_id: int, account_id: int | None, tool: str,
                   **details: Any) -> None:
    """Record who collects `conversation_id` with what, once per process and conversation."""
    key = (str(session.get_bind().engine.url), conversation_id)
    if key in _written:
        return
    phone = iccid = None
    if account_id is not None:
        row = session.execute(
            select(Account.phone, Sim.iccid).outerjoin(Sim, Sim.id == Account.sim_id).where(Account.id == account_id)
        ).first()
        if row is not None:
            phone, iccid = row
    session.add(CollectionContext(
        conversation_id=conversation_id, account_id=account_id, phone=phone, sim_iccid=iccid,
        node=socket.gethostname(), tool=tool, tool_version=__version__, config_hash=config_hash(),
        collector_clock=utcnow(), details=details,
    ))
    session.flush()
    # Remembered once it is committed: a rolled-back session records it again next time.
    event.listen(session, "after_commit", lambda _s: _written.add(key), once=True)


def add_originals(session: Session, message: Message, tl: bytes | None, photo: bytes | None,
                  telegram_date: datetime | None) -> None:
    """Keep the TL bytes and the photo of the stored (flushed) `message`, with Telegram's date and
    the collector's clock."""
    now = utcnow()
    for kind, data in ((TL, tl), (PHOTO, photo)):
        if data:
            session.add(Original(message_id=message.id, kind=kind, sha256=hashlib.sha256(data).hexdigest(),
                                 size=len(data), data=bytes(data), telegram_date=telegram_date, received_at=now))
