"""Case evidence bundle benchmark: write and verify the bundle of a 10,000-message case.

    .venv/bin/python bench/bundle.py [--messages 10000] [--per-conversation 100] [--photos 0.05]
                                     [--tsa URL --tsa-ca PEM] [--keep DIR]

Fills a fresh SQLite store through the application's evidence session (every message with its
TL original as Telethon serializes a message, a share of them with a ~40 kB photo, a requisite
sighting every tenth message, reviews, collection contexts, audit records: all chained), then
times `export_bundle` (folder + ZIP) and `verify_bundle` on the folder and on the ZIP, in this
process, and prints the figures. Goals: written in < 60 s, verified in < 30 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prokai.evidence.signing import key_from_vault_key  # noqa: E402
from prokai.evidence.verify import verify_bundle  # noqa: E402
from prokai.export.bundle import export_bundle  # noqa: E402
from prokai.store.audit import audit  # noqa: E402
from prokai.store.db import Database  # noqa: E402
from prokai.store.migrate import upgrade  # noqa: E402
from prokai.store.models import (  # noqa: E402
    Campaign,
    Case,
    CollectionContext,
    Conversation,
    Message,
    Original,
    Requisite,
    Review,
    Shop,
    Sighting,
)

TEXTS = [
    "Добро пожаловать в магазин! Выберите город:",
    "Выберите район: Алмалинский, Бостандыкский, Медеуский",
    "Шишки 1г — 15 000 ₸, 2г — 28 000 ₸. Выберите вес:",
    "Способ оплаты: 💳 Kaspi, ₿ Bitcoin, USDT TRC-20",
    "Сәлеметсіз бе! Тапсырыс беру үшін төлем жасаңыз.",
]


def _tl(text: str, mid: int, peer: int, when: datetime) -> bytes:
    from telethon.tl import types

    msg = types.Message(id=mid, peer_id=types.PeerUser(peer), date=when, message=text, out=False,
                        from_id=types.PeerUser(peer))
    return bytes(msg)


def fill(db: Database, messages: int, per_conv: int, photo_share: float) -> int:
    """A case with one campaign holding `messages` messages; returns the campaign id."""
    rnd = random.Random(17)
    photo = os.urandom(40_000)
    with db.session() as s:
        case = Case(number="BENCH-1", legal_basis="benchmark")
        s.add(case)
        s.flush()
        campaign = Campaign(case_id=case.id, name="bench")
        s.add(campaign)
        s.flush()
        audit(s, "bench", "campaign.create", "campaign", campaign.id)
        campaign_id = campaign.id
    start = datetime(2026, 12, 1, tzinfo=UTC)
    made = 0
    conv_no = 0
    while made < messages:
        conv_no += 1
        n = min(per_conv, messages - made)
        with db.session() as s:
            shop = Shop(telegram_id=10_000 + conv_no, username=f"shop_{conv_no}_bot", kind="bot")
            s.add(shop)
            s.flush()
            conv = Conversation(campaign_id=campaign_id, shop_id=shop.id, peer_id=shop.telegram_id, account_id=None)
            s.add(conv)
            s.flush()
            s.add(CollectionContext(conversation_id=conv.id, phone="+77010000000", sim_iccid="8997103118123456789",
                                    node="bench", tool="prokai crawl", tool_version="0.1.0", config_hash="c" * 64))
            msgs = []
            for i in range(n):
                when = start + timedelta(seconds=made + i)
                card = f"4400430{conv_no:05d}{i:04d}"
                text = rnd.choice(TEXTS) if i % 10 else f"Оплатите 15 000 ₸ на карту {card}, 30 минут."
                m = Message(conversation_id=conv.id, direction="in" if i % 3 else "out", telegram_message_id=i + 1,
                            peer_id=shop.telegram_id, sender_id=shop.telegram_id, text=text, sent_at=when)
                msgs.append((m, card if i % 10 == 0 else None, when))
                s.add(m)
            s.flush()
            for m, _card, when in msgs:
                tl = _tl(m.text, m.telegram_message_id or 0, shop.telegram_id or 0, when)
                s.add(Original(message_id=m.id, kind="tl", sha256=hashlib.sha256(tl).hexdigest(), size=len(tl),
                               data=tl, telegram_date=when))
                if rnd.random() < photo_share:
                    p = photo[:30_000] + m.id.to_bytes(8, "big")
                    s.add(Original(message_id=m.id, kind="photo", sha256=hashlib.sha256(p).hexdigest(), size=len(p),
                                   data=p, telegram_date=when))
            s.flush()
            for m, card, when in msgs:
                if card:
                    req = Requisite(kind="card", value=card, status="confirmed" if m.id % 20 == 1 else "pending")
                    s.add(req)
                    s.flush()
                    s.add(Sighting(requisite_id=req.id, message_id=m.id, conversation_id=conv.id, shop_id=shop.id,
                                   amount=15000, currency="KZT", method="text", seen_at=when))
                    if req.status == "confirmed":
                        s.add(Review(requisite_id=req.id, reviewer_id=1001, reviewer_name="bench", decision="confirmed"))
                        audit(s, "reviewer:1001", "review.confirm", "requisite", req.id)
        made += n
    return campaign_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--per-conversation", type=int, default=100)
    parser.add_argument("--photos", type=float, default=0.05, help="share of messages with a photo")
    parser.add_argument("--tsa", default=None, help="RFC 3161 TSA URL (default: none)")
    parser.add_argument("--tsa-ca", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the store and bundle in")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="prokai-bench-bundle-"))
    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root}/bench.db"
    upgrade(url)
    db = Database(url)
    t0 = time.perf_counter()
    campaign_id = fill(db, args.messages, args.per_conversation, args.photos)
    t_fill = time.perf_counter() - t0
    key = key_from_vault_key(b"\x05" * 32)
    out = root / "bundle"
    t0 = time.perf_counter()
    result = export_bundle(db, out, key, campaign_id=campaign_id, actor="bench", tsa_url=args.tsa,
                           tsa_ca_pem=args.tsa_ca.read_bytes() if args.tsa_ca else None)
    t_write = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = verify_bundle(out)
    t_verify = time.perf_counter() - t0
    t0 = time.perf_counter()
    verify_bundle(result.zip_path)
    t_verify_zip = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"case: {args.messages} messages in {args.messages // args.per_conversation} conversations "
          f"(filled in {t_fill:.1f} s)")
    print(f"bundle: {result.records} records, {result.files} files, {size / 1e6:.1f} MB folder, "
          f"{result.zip_path.stat().st_size / 1e6:.1f} MB ZIP, timestamp: {'yes' if result.timestamped else 'none'}")
    print(f"write (folder + ZIP): {t_write:.1f} s   (goal < 60 s)")
    print(f"verify folder:        {t_verify:.1f} s   (goal < 30 s)")
    print(f"verify ZIP:           {t_verify_zip:.1f} s   (goal < 30 s)")
    print(f"peak RSS: {rss:.0f} MB; {report.lines()[0]}")
    if args.keep is None:
        import shutil

        db.dispose()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
