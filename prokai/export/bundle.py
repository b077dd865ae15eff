"""Case evidence bundles a court can check without ProkAi: `prokai export bundle`.

`export_bundle(...)` writes a folder (and a ZIP of it) holding the case's originals (messages as
Telegram sent them, photos as received), readable transcripts per conversation (HTML and PDF),
requisites with their sightings and reviews, the case's audit trail and collection contexts,
every chained record of the case with its chain link and an RFC 6962 inclusion proof,
`manifest.json` with the SHA-256 of every file and the Merkle root, the installation's Ed25519
signature of the manifest, an RFC 3161 timestamp token over it when a time-stamping authority is
configured, and `VERIFY.md` with the steps to check it all by hand. The layout and the checks
are those of `prokai.evidence.verify`.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import socket
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from prokai import __version__
from prokai.evidence import signing, tsa
from prokai.evidence.anchor import append_anchor, make_anchor
from prokai.evidence.canonical import canonical_bytes, json_default
from prokai.evidence.merkle import MerkleTree, leaf_hash
from prokai.evidence.verify import (
    ANCHOR,
    FORMAT,
    KEY_FILE,
    MANIFEST,
    PROOFS,
    RECORDS,
    SIGNATURE,
    SUMS,
    TIMESTAMP,
    TIMESTAMP_SIG,
    link_leaf,
)
from prokai.store.chain import CHAINED, derived_status, record_hash
from prokai.store.db import Database
from prokai.store.models import (
    AuditRecord,
    Campaign,
    Case,
    ChainEntry,
    ChainHead,
    CollectionContext,
    Conversation,
    Message,
    Original,
    Requisite,
    Review,
    Shop,
    ShopStatusChange,
    Sighting,
)

TSA_CA_FILE = "keys/tsa-ca.pem"
_JSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z
_CHUNK = 500


class BundleExportError(Exception):
    """A bundle that cannot be made (unknown case, tampered store, unwritable path), as one line."""


@dataclass
class BundleResult:
    """What `export_bundle` wrote."""

    folder: Path
    zip_path: Path
    case_number: str
    campaign_ids: list[int]
    records: int
    files: int
    manifest_sha256: str
    merkle_root: str
    timestamped: bool


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=_JSON, default=json_default) + b"\n"


def _photo_ext(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i : i + _CHUNK])


# --- what belongs to the case ------------------------------------------------------------------


@dataclass
class _Case:
    case: Case
    campaigns: list[Campaign]
    conversations: list[Conversation]
    shops: dict[int, Shop]
    messages: list[Message]
    originals: list[Original]
    contexts: list[CollectionContext]
    sightings: list[Sighting]
    requisites: list[Requisite]
    reviews: list[Review]
    statuses: list[ShopStatusChange]
    audits: list[AuditRecord]
    links: list[ChainEntry]
    by_key: dict[tuple[str, int], Any]


def _select_case(session: Session, campaign_id: int | None, case_number: str | None) -> tuple[Case, list[Campaign]]:
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise BundleExportError(f"campaign {campaign_id} not found")
        case = session.get(Case, campaign.case_id)
        assert case is not None
        return case, [campaign]
    found = session.scalar(select(Case).where(Case.number == case_number))
    if found is None:
        raise BundleExportError(f"case {case_number!r} not found")
    return found, list(session.scalars(select(Campaign).where(Campaign.case_id == found.id).order_by(Campaign.id)))


def _collect(session: Session, campaign_id: int | None, case_number: str | None) -> _Case:
    case, campaigns = _select_case(session, campaign_id, case_number)
    camp_ids = [c.id for c in campaigns]
    conv_q = select(Conversation.id).where(Conversation.campaign_id.in_(camp_ids))
    convs = list(session.scalars(select(Conversation).where(Conversation.id.in_(conv_q)).order_by(Conversation.id)))
    msg_q = select(Message.id).where(Message.conversation_id.in_(conv_q))
    messages = list(session.scalars(select(Message).where(Message.id.in_(msg_q)).order_by(Message.id)))
    originals = list(session.scalars(select(Original).where(Original.message_id.in_(msg_q)).order_by(Original.id)))
    contexts = list(session.scalars(
        select(CollectionContext).where(CollectionContext.conversation_id.in_(conv_q)).order_by(CollectionContext.id)
    ))
    sightings = list(session.scalars(
        select(Sighting).where(or_(Sighting.conversation_id.in_(conv_q), Sighting.message_id.in_(msg_q)))
        .order_by(Sighting.id)
    ))
    req_ids = sorted({s.requisite_id for s in sightings})
    requisites = [r for chunk in _chunks(req_ids) for r in session.scalars(select(Requisite).where(Requisite.id.in_(chunk)))]
    requisites.sort(key=lambda r: r.id)
    reviews = sorted((r for chunk in _chunks(req_ids)
                      for r in session.scalars(select(Review).where(Review.requisite_id.in_(chunk)))), key=lambda r: r.id)
    shop_ids = sorted({c.shop_id for c in convs if c.shop_id} | {s.shop_id for s in sightings if s.shop_id})
    shops = {s.id: s for chunk in _chunks(shop_ids) for s in session.scalars(select(Shop).where(Shop.id.in_(chunk)))}
    statuses = sorted((s for chunk in _chunks(shop_ids) for s in session.scalars(
        select(ShopStatusChange).where(ShopStatusChange.shop_id.in_(chunk)))), key=lambda s: s.id)
    about = [
        (AuditRecord.object_type == "case") & (AuditRecord.object_id == str(case.id)),
        (AuditRecord.object_type == "campaign") & AuditRecord.object_id.in_([str(i) for i in camp_ids]),
        (AuditRecord.object_type == "conversation") & AuditRecord.object_id.in_(select(cast(Conversation.id, String))
                                                                                .where(Conversation.campaign_id.in_(camp_ids))),
    ]
    audits = list(session.scalars(select(AuditRecord).where(or_(*about)).order_by(AuditRecord.id)))
    for chunk in _chunks(req_ids):
        audits += session.scalars(select(AuditRecord).where(
            AuditRecord.object_type == "requisite", AuditRecord.object_id.in_([str(i) for i in chunk])))
    audits = sorted({a.id: a for a in audits}.values(), key=lambda a: a.id)

    by_key: dict[tuple[str, int], Any] = {}
    for group in (messages, originals, contexts, sightings, requisites, reviews, statuses, audits):
        for rec in group:
            by_key[(CHAINED[type(rec)], rec.id)] = rec
    by_type: dict[str, list[int]] = defaultdict(list)
    for rtype, rid in by_key:
        by_type[rtype].append(rid)
    links: list[ChainEntry] = []
    for rtype, ids in by_type.items():
        for chunk in _chunks(sorted(ids)):
            links += session.scalars(select(ChainEntry).where(ChainEntry.record_type == rtype,
                                                              ChainEntry.record_id.in_(chunk)))
    links.sort(key=lambda e: e.seq)
    if len(links) != len(by_key):
        chained = {(e.record_type, e.record_id) for e in links}
        rtype, rid = min(k for k in by_key if k not in chained)
        raise BundleExportError(f"{rtype} {rid} is not in the evidence chain: run `prokai evidence verify`")
    return _Case(case, campaigns, convs, shops, messages, originals, contexts, sightings, requisites, reviews,
                 statuses, audits, links, by_key)


# --- files -------------------------------------------------------------------------------------


class _Writer:
    """Writes files under a folder and remembers each one's SHA-256 and size."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[str, int]] = {}

    def write(self, name: str, data: bytes, listed: bool = True) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if listed:
            self.files[name] = (hashlib.sha256(data).hexdigest(), len(data))


def _shop_label(shop: Shop | None) -> str:
    from prokai.readmodels.queries import shop_label

    return shop_label(shop)


def _buttons_text(buttons: list[Any]) -> str:
    out = []
    for row in buttons or []:
        items = row if isinstance(row, list) else [row]
        for b in items:
            if isinstance(b, dict):
                label = str(b.get("text", ""))
                out.append(f"[{label}]" + (f" → {b['url']}" if b.get("url") else ""))
    return " ".join(out)


def _transcript(data: _Case, conv: Conversation, msgs: list[Message], originals: dict[int, list[str]],
                seq_of: dict[tuple[str, int], ChainEntry]) -> tuple[str, list[tuple[str, str]], list[str]]:
    """(title, header rows, message blocks) of one conversation."""
    shop = data.shops.get(conv.shop_id) if conv.shop_id else None
    contexts = [c for c in data.contexts if c.conversation_id == conv.id]
    title = f"Conversation #{conv.id} — {_shop_label(shop)}"
    header = [
        ("Case", data.case.number),
        ("Campaign", str(conv.campaign_id)),
        ("Shop", f"{_shop_label(shop)} (Telegram id {shop.telegram_id if shop else '—'})"),
        ("Peer id", str(conv.peer_id or "—")),
        ("Started / ended (collector clock, UTC)", f"{_iso(conv.started_at)} / {_iso(conv.ended_at) or '—'}"),
        ("Outcome", str(conv.outcome or "—")),
    ]
    for c in contexts:
        link = seq_of.get(("context", c.id))
        header.append((
            f"Collected (context {c.id}, link {link.seq if link else '—'})",
            f"account {c.phone or c.account_id or '—'}, SIM ICCID {c.sim_iccid or '—'}, node {c.node}, "
            f"{c.tool} {c.tool_version}, config {str(c.config_hash or '—')[:16]}, clock {_iso(c.collector_clock)}",
        ))
    blocks = []
    for m in msgs:
        link = seq_of.get(("message", m.id))
        who = "→ crawler" if m.direction == "in" else "← crawler"
        sender = f" @{m.sender_username}" if m.sender_username else (f" {m.sender_id}" if m.sender_id else "")
        lines = [f"#{m.id} · tg {m.telegram_message_id} · Telegram {_iso(m.sent_at) or '—'} · stored {_iso(m.stored_at)}"
                 f" · {who}{sender} · link {link.seq if link else '—'}"]
        if m.edit_of_id:
            lines.append(f"(edited version of #{m.edit_of_id})")
        lines.append(m.text or "")
        if m.buttons:
            lines.append("buttons: " + _buttons_text(m.buttons))
        if m.media_hash:
            lines.append(f"media SHA-256 {m.media_hash}")
        for path in originals.get(m.id, []):
            lines.append(f"original: {path}")
        blocks.append("\n".join(lines))
    return title, header, blocks


def _html(title: str, header: list[tuple[str, str]], blocks: list[str]) -> bytes:
    esc = html.escape
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in header)
    msgs = "".join(f"<pre>{esc(b)}</pre>" for b in blocks)
    doc = (f"<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
           "<style>body{font-family:'DejaVu Sans',sans-serif}pre{white-space:pre-wrap;border-bottom:1px solid #ccc;"
           "padding:4px}th{text-align:left;padding-right:1em}</style></head><body>"
           f"<h1>{esc(title)}</h1><table>{rows}</table>{msgs}</body></html>\n")
    return doc.encode("utf-8")


def _pdf(path: Path, title: str, header: list[tuple[str, str]], blocks: list[str]) -> None:
    """A plain PDF transcript: DejaVu Sans (Cyrillic and Kazakh letters), wrapped lines, A4."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    from prokai.export.report import _register_font

    font = _register_font()
    width, height = A4
    margin, size, lead = 40.0, 8.5, 11.0
    usable = width - 2 * margin
    pdf = Canvas(str(path), pagesize=A4, invariant=1, initialFontName=font, initialFontSize=size)
    pdf.setTitle(title)
    pdf.setCreator(f"ProkAi {__version__}")
    y = height - margin

    def emit(text: str, fsize: float = size) -> None:
        nonlocal y
        for raw in text.split("\n"):
            for line in simpleSplit(raw, font, fsize, usable) or [""]:
                if y < margin:
                    pdf.showPage()
                    y = height - margin
                pdf.setFont(font, fsize)
                pdf.drawString(margin, y, line)
                y -= lead * fsize / size

    emit(title, 12)
    for k, v in header:
        emit(f"{k}: {v}")
    for b in blocks:
        y -= lead / 2
        emit(b)
    pdf.save()


def _requisites_doc(data: _Case, seq_of: dict[tuple[str, int], ChainEntry], status: dict[int, str]) -> bytes:
    sightings: dict[int, list[Sighting]] = defaultdict(list)
    for s in data.sightings:
        sightings[s.requisite_id].append(s)
    reviews: dict[int, list[Review]] = defaultdict(list)
    for r in data.reviews:
        reviews[r.requisite_id].append(r)
    out = []
    for req in data.requisites:
        link = seq_of[("requisite", req.id)]
        out.append({
            "id": req.id, "kind": req.kind, "value": req.value, "issuer": req.issuer, "country": req.country,
            "network": req.network, "first_seen": req.first_seen, "link": link.seq,
            "status": status.get(req.id, "pending"),
            "sightings": [{
                "id": s.id, "link": seq_of[("sighting", s.id)].seq, "message_id": s.message_id,
                "conversation_id": s.conversation_id, "shop": _shop_label(data.shops.get(s.shop_id)) if s.shop_id else None,
                "seen_at": s.seen_at, "amount": s.amount, "currency": s.currency, "method": s.method,
            } for s in sightings[req.id]],
            "reviews": [{
                "id": r.id, "link": seq_of[("review", r.id)].seq, "decision": r.decision, "reviewer_id": r.reviewer_id,
                "reviewer_name": r.reviewer_name, "comment": r.comment, "at": r.created_at,
            } for r in reviews[req.id]],
        })
    return _dumps({"note": "status is the decision of the latest chained review (pending without one)",
                   "requisites": out})


def _verify_md(data: _Case, timestamped: bool, fingerprint: str, has_ca: bool) -> bytes:
    ts = (
        "openssl ts -verify -data manifest.json -in manifest.tsr -token_in -CAfile "
        + (TSA_CA_FILE if has_ca else "TSA-CA.pem") + "\n"
        f"openssl pkeyutl -verify -pubin -inkey {KEY_FILE} -rawin -in manifest.tsr -sigfile manifest.tsr.sig\n"
        if timestamped
        else "# This bundle carries NO trusted timestamp (no time-stamping authority was configured):\n"
        "# its time rests on the signer's clock only.\n"
    )
    text = f"""# Verifying this evidence bundle

Case **{data.case.number}**, exported by ProkAi {__version__}. Everything below runs offline with
OpenSSL 3 and GNU coreutils; `prokai evidence verify-bundle <this folder or its ZIP>` does the same
checks (and also each record's hash, chain link and Merkle inclusion proof) and names the first
file or record that does not match.

Signing key (Ed25519) fingerprint, SHA-256 of the raw public key — compare it with the one the
prosecutor's office published:

    {fingerprint}

## Steps

Run these in the bundle folder (unzip the ZIP first). Each command prints an error and exits
non-zero when something does not match; `set -e` stops at the first.

```sh
set -e
# 0. The key in the bundle is the published one (prints its fingerprint).
openssl pkey -pubin -in {KEY_FILE} -outform DER | tail -c 32 | sha256sum
# 1. The manifest is signed by that key.
openssl pkeyutl -verify -pubin -inkey {KEY_FILE} -rawin -in manifest.json -sigfile manifest.sig
# 2. The trusted timestamp covers the manifest (and the token is the one the signer received).
{ts.rstrip()}
# 3. SHA256SUMS is the list the signed manifest names.
grep -q "\\"sha256sums\\": \\"$(sha256sum SHA256SUMS | cut -c1-64)\\"" manifest.json
# 4. Every listed file is present and unchanged.
sha256sum --strict --quiet -c SHA256SUMS
# 5. No file was added.
find . -type f ! -name manifest.json ! -name manifest.sig ! -name 'manifest.tsr*' ! -name SHA256SUMS \\
  | sed 's|^\\./||' | LC_ALL=C sort | diff - <(cut -c67- SHA256SUMS | LC_ALL=C sort)
echo "bundle verified"
```

## What is where

- `manifest.json`: case, campaigns, who exported it when with which tool, the chain head, the
  Merkle root over the records, the SHA-256 of every file; `manifest.sig` its Ed25519 signature;
  `manifest.tsr` the RFC 3161 timestamp token over it (when present), `manifest.tsr.sig` the
  signature of that token.
- `records/records.jsonl`: every chained record of the case in chain order, with its content
  (canonical JSON: sorted keys, no spaces, UTF-8) and its chain link:
  `record_hash = SHA-256(content)`, `entry_hash = SHA-256(prev_hash|type|id|record_hash)`.
  `records/proofs.jsonl`: for each record, its RFC 6962 inclusion proof; the leaf is the canonical
  JSON of the link (`seq, type, id, record_hash, prev_hash, entry_hash`).
- `chain/anchor.json`: the chain head at export, signed by the same key.
- `originals/`: messages exactly as Telegram sent them (TL serialization, `.tl`) and photos as
  received; each one's SHA-256 is in its `original` record.
- `transcripts/`: each conversation readable, HTML and PDF, with the collection context
  (account, SIM ICCID, node, tool version, configuration hash, clocks).
- `requisites.json`, `audit.json`, `contexts.json`, `conversations.json`: working copies of the
  records, for reading.
"""
    return text.encode("utf-8")


def export_bundle(
    db: Database, out: Path, key: Ed25519PrivateKey, *, campaign_id: int | None = None,
    case_number: str | None = None, actor: str = "cli", tsa_url: str | None = None,
    tsa_ca_pem: bytes | None = None, tsa_timeout: float = 30.0, anchor_file: Path | None = None,
) -> BundleResult:
    """Write the bundle of a campaign (or of every campaign of a case) to folder `out` and
    `out`.zip; BundleExportError on a bad request or a store whose records fail their chain."""
    if (campaign_id is None) == (case_number is None):
        raise BundleExportError("give exactly one of --campaign or --case")
    out = Path(out)
    zip_path = out.with_name(out.name + ".zip")
    for p in (out, zip_path):
        if p.exists():
            raise BundleExportError(f"{p} already exists (a bundle is never overwritten)")
    if not out.parent.is_dir():
        raise BundleExportError(f"{out.parent} is not a folder")
    with db.session() as session:
        data = _collect(session, campaign_id, case_number)
        head = session.get(ChainHead, 1)
        assert head is not None
        head_seq, head_hash = int(head.seq), head.head_hash
        status = derived_status(session)
        for link in data.links:
            rec = data.by_key[(link.record_type, link.record_id)]
            if record_hash(rec) != link.record_hash:
                raise BundleExportError(f"{link.record_type} {link.record_id} does not match its chain link: "
                                        "run `prokai evidence verify`")
        forged = [r.id for r in data.requisites if r.status != status.get(r.id, "pending")]
        if forged:
            raise BundleExportError(f"requisite {forged[0]}: status is not what its reviews decided: "
                                    "run `prokai evidence verify`")
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            result = _write(data, tmp, key, head_seq, head_hash, status, actor, tsa_url, tsa_ca_pem, tsa_timeout,
                            anchor_file)
            os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    _zip(out, zip_path)
    result.folder, result.zip_path = out, zip_path
    return result


def _zip(folder: Path, zip_path: Path) -> None:
    """`folder` as a ZIP (one top folder of its name), written atomically."""
    from prokai.output import write_output

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    rel = path.relative_to(folder).as_posix()
                    stored = rel.startswith("originals/") or rel.endswith(".pdf")
                    zf.write(path, f"{folder.name}/{rel}", compress_type=zipfile.ZIP_STORED if stored else None)

    write_output(zip_path, write)


def _write(data: _Case, root: Path, key: Ed25519PrivateKey, head_seq: int, head_hash: str, status: dict[int, str],
           actor: str, tsa_url: str | None, tsa_ca_pem: bytes | None, tsa_timeout: float,
           anchor_file: Path | None) -> BundleResult:
    w = _Writer(root)
    seq_of = {(e.record_type, e.record_id): e for e in data.links}

    # originals
    original_files: dict[str, str] = {}
    by_message: dict[int, list[str]] = defaultdict(list)
    for o in data.originals:
        name = (f"originals/message-{o.message_id}.tl" if o.kind == "tl"
                else f"originals/message-{o.message_id}-{o.kind}.{_photo_ext(o.data)}")
        w.write(name, o.data)
        original_files[str(o.id)] = name
        by_message[o.message_id].append(name)

    # records and proofs
    lines, leaves = [], []
    for n, link in enumerate(data.links):
        rec = data.by_key[(link.record_type, link.record_id)]
        fields = {"seq": link.seq, "type": link.record_type, "id": link.record_id, "record_hash": link.record_hash,
                  "prev_hash": link.prev_hash, "entry_hash": link.entry_hash}
        leaves.append(leaf_hash(link_leaf(fields)))
        head = orjson.dumps({**fields, "n": n}, option=orjson.OPT_SORT_KEYS)
        lines.append(b'{"content":' + canonical_bytes(rec.canonical()) + b"," + head[1:])
    tree = MerkleTree(leaves)
    w.write(RECORDS, b"\n".join(lines) + (b"\n" if lines else b""))
    w.write(PROOFS, b"".join(
        orjson.dumps({"n": n, "leaf": leaves[n].hex(), "path": [p.hex() for p in tree.proof(n)]}) + b"\n"
        for n in range(tree.size)
    ))

    # transcripts
    msgs_of: dict[int | None, list[Message]] = defaultdict(list)
    for m in data.messages:
        msgs_of[m.conversation_id].append(m)
    for conv in data.conversations:
        title, header, blocks = _transcript(data, conv, msgs_of[conv.id], by_message, seq_of)
        w.write(f"transcripts/conversation-{conv.id}.html", _html(title, header, blocks))
        pdf_path = root / f"transcripts/conversation-{conv.id}.pdf"
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        _pdf(pdf_path, title, header, blocks)
        pdf = pdf_path.read_bytes()
        w.files[f"transcripts/conversation-{conv.id}.pdf"] = (hashlib.sha256(pdf).hexdigest(), len(pdf))

    # working copies
    w.write("requisites.json", _requisites_doc(data, seq_of, status))
    w.write("audit.json", _dumps([{"id": a.id, "link": seq_of[("audit", a.id)].seq, "at": a.at, "actor": a.actor,
                                   "action": a.action, "object_type": a.object_type, "object_id": a.object_id,
                                   "details": a.details} for a in data.audits]))
    w.write("contexts.json", _dumps([{"id": c.id, "link": seq_of[("context", c.id)].seq, **c.canonical()}
                                     for c in data.contexts]))
    w.write("conversations.json", _dumps([{
        "id": c.id, "campaign_id": c.campaign_id, "shop": _shop_label(data.shops.get(c.shop_id)) if c.shop_id else None,
        "shop_telegram_id": data.shops[c.shop_id].telegram_id if c.shop_id in data.shops else None,
        "account_id": c.account_id, "peer_id": c.peer_id, "kind": c.kind, "started_at": c.started_at,
        "ended_at": c.ended_at, "outcome": c.outcome,
        "messages": len(msgs_of[c.id]),
    } for c in data.conversations]))

    # chain anchor, keys, VERIFY.md
    anchor = make_anchor(key, head_seq, head_hash, tsa_url, tsa_timeout)
    if anchor_file is not None:
        append_anchor(anchor_file, anchor)
    w.write(ANCHOR, _dumps(anchor))
    w.write(KEY_FILE, signing.public_pem(key))
    if tsa_url and tsa_ca_pem:
        w.write(TSA_CA_FILE, tsa_ca_pem)
    fp = signing.fingerprint(key)
    w.write("VERIFY.md", _verify_md(data, bool(tsa_url), fp, bool(tsa_url and tsa_ca_pem)))

    sums = "".join(f"{digest}  {name}\n" for name, (digest, _) in sorted(w.files.items())).encode("utf-8")
    w.write(SUMS, sums, listed=False)
    now = datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "case": {"number": data.case.number, "legal_basis": data.case.legal_basis, "region": data.case.region},
        "campaigns": [{"id": c.id, "name": c.name, "status": c.status, "created_at": c.created_at,
                       "started_at": c.started_at, "finished_at": c.finished_at} for c in data.campaigns],
        "exported": {"at": now, "by": actor, "node": socket.gethostname(), "tool": "prokai", "tool_version": __version__},
        "chain": {"head_seq": head_seq, "head_hash": head_hash, "anchor": ANCHOR},
        "records": {"file": RECORDS, "proofs": PROOFS, "count": tree.size, "merkle_root": tree.root.hex(),
                    "tree": "RFC 6962 (SHA-256); leaf = canonical JSON of the record's chain link"},
        "signing_key": {"file": KEY_FILE, "algorithm": "Ed25519", "fingerprint": fp},
        "signature": SIGNATURE,
        "timestamp": ({"file": TIMESTAMP, "tsa": tsa_url, "hash": "sha256", "ca": TSA_CA_FILE if tsa_ca_pem else None}
                      if tsa_url else
                      {"file": None, "note": "no time-stamping authority was configured"}),
        "originals": original_files,
        "sha256sums": hashlib.sha256(sums).hexdigest(),
        "files": [{"path": name, "sha256": digest, "size": size} for name, (digest, size) in sorted(w.files.items())],
    }
    manifest_bytes = _dumps(manifest)
    w.write(MANIFEST, manifest_bytes, listed=False)
    w.write(SIGNATURE, key.sign(manifest_bytes), listed=False)
    if tsa_url:
        token = tsa.fetch_token(tsa_url, manifest_bytes, tsa_timeout)
        if tsa_ca_pem is not None:
            tsa.check_token(token, manifest_bytes, tsa_ca_pem)
        w.write(TIMESTAMP, token, listed=False)
        w.write(TIMESTAMP_SIG, key.sign(token), listed=False)
    return BundleResult(root, root, data.case.number, [c.id for c in data.campaigns], tree.size, len(w.files),
                        hashlib.sha256(manifest_bytes).hexdigest(), tree.root.hex(), bool(tsa_url))
