"""What prosecutors ask of the network: a shop's family with the evidence for each tie, every
shop and date a requisite was handed out, wallets for tracing. Plain dataclasses, shared by the
CLI, the admin bot and the case report.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.network.families import ShopIndex, Tie, all_ties, count_requisite_ties
from prokai.network.graph import handouts
from prokai.network.priority import Priority, priorities
from prokai.readmodels.queries import bank_of, find_shops, format_amount, search, shop_label
from prokai.store.models import (
    NetworkHolder,
    Requisite,
    Shop,
    ShopFamily,
    ShopFamilyMember,
    ShopUsername,
)

FAMILY_ID = re.compile(r"^F\d{6}(?:-\d+)?$", re.I)


@dataclass
class Member:
    """A shop of a family."""

    shop_id: int
    label: str
    kind: str
    status: str
    names: list[str]
    first_seen: datetime
    last_seen: datetime


@dataclass
class Evidence:
    """One tie of a family as a prosecutor reads it."""

    kind: str
    what: str
    shops: list[str]
    first_seen: datetime
    last_seen: datetime
    message_id: int | None
    context: str
    direct: bool = False
    requisite_kind: str | None = None  # for a shared requisite: its kind (`what` is "kind value")
    value: str = ""  # the requisite's value or the @username named

    def sentence(self) -> str:
        """One English line: what ties which shops, since when, and where it was said."""
        shops = ", ".join(self.shops)
        where = f" (message #{self.message_id})" if self.message_id else ""
        said = f": “{self.context}”" if self.context else ""
        span = f"{self.first_seen.date().isoformat()} … {self.last_seen.date().isoformat()}"
        named = self.direct
        source = self.shops[0]
        since = self.first_seen.date().isoformat()
        verbs = {
            "requisite": f"{self.what} handed out by {shops}, {span}{where}",
            "operator": (f"{source} names {self.what} as its operator, since {since}{where}{said}" if named
                         else f"operator {self.what} shared by {shops}, since {since}{where}{said}"),
            "operator_of": f"operator {source} sends buyers to {self.what}, since {since}{where}{said}",
            "backup_of": (f"{source} names {self.what} as its backup, since {since}{where}{said}" if named
                          else f"backup {self.what} named by {shops}, since {since}{where}{said}"),
            "renamed_to": (f"{source} announces {self.what} as its new name, {since}{where}{said}" if named
                           else f"new name {self.what} announced by {shops}, {since}{where}{said}"),
            "showcase": f"{source} links to {self.what} (showcase), since {since}{where}{said}",
        }
        return verbs.get(self.kind, f"{self.kind}: {self.what} — {shops}")


@dataclass
class Family:
    """A shop family: its stable id, members, the evidence tying them, and its requisites by priority."""

    id: str
    founder: str
    members: list[Member]
    evidence: list[Evidence]
    requisites: list[Priority]  # the first `top`, by freeze priority (rejected ones left out)
    merged: list[str] = field(default_factory=list)
    requisite_count: int = 0  # all of the family's requisites that are not rejected
    tie_count: int = 0  # all its ties (`evidence` may hold only the strongest, see `family_by_id`)

    @property
    def shop_ids(self) -> list[int]:
        return [m.shop_id for m in self.members]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (`--json`)."""
        def conv(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v) for v in value]
            return str(value) if not isinstance(value, (int, float, str, type(None))) else value
        out = conv(asdict(self))
        assert isinstance(out, dict)
        return out


def _evidence(tie: Tie, index: ShopIndex) -> Evidence:
    shops = [shop_label(index.shops.get(s)) for s in tie.shop_ids]
    what = tie.what if tie.kind != "requisite" else f"{tie.requisite_kind} {tie.what}"
    return Evidence(tie.kind, what, shops, tie.first_seen, tie.last_seen, tie.message_id, tie.context, tie.direct,
                    tie.requisite_kind, tie.what)


def family_by_id(session: Session, family_id: str, top: int = 15, max_ties: int | None = None) -> Family | None:
    """The family with this id (following merges to the family that absorbed it); `top`
    requisites by freeze priority; with `max_ties`, only that many shared requisites as evidence
    (those handed out by the most shops; every link tie is kept)."""
    fam = session.get(ShopFamily, family_id.upper())
    seen = set()
    while fam is not None and fam.merged_into and fam.id not in seen:
        seen.add(fam.id)
        fam = session.get(ShopFamily, fam.merged_into)
    if fam is None or fam.members == 0:
        return None
    index = ShopIndex.load(session)
    ids = list(session.scalars(select(ShopFamilyMember.shop_id).where(ShopFamilyMember.family_id == fam.id)))
    members = []
    names: dict[int, list[str]] = {}
    for sid, name in session.execute(select(ShopUsername.shop_id, ShopUsername.username)
                                     .where(ShopUsername.shop_id.in_(ids)).order_by(ShopUsername.first_seen, ShopUsername.id)):
        names.setdefault(sid, []).append(f"@{name}")
    for sid in sorted(ids, key=lambda s: (index.shops[s].first_seen, s)):
        shop = index.shops[sid]
        members.append(Member(sid, shop_label(shop), shop.kind, shop.status, names.get(sid, []), shop.first_seen,
                              shop.last_seen))
    member_set = set(ids)
    ties = [t for t in all_ties(session, index, ids, max_ties) if set(t.shop_ids) <= member_set]
    tie_count = len(ties) if max_ties is None else count_requisite_ties(session, ids) + sum(
        1 for t in ties if t.kind != "requisite")
    ties.sort(key=lambda t: (t.kind != "requisite", -len(t.shop_ids), t.first_seen))
    merged = sorted(session.scalars(select(ShopFamily.id).where(ShopFamily.merged_into == fam.id)))
    founder = index.shops.get(fam.founder_shop_id)
    ranked = [p for p in priorities(session, shop_ids=ids) if p.status != "rejected"]
    for i, p in enumerate(ranked, start=1):
        p.rank = i
    return Family(fam.id, shop_label(founder), members, [_evidence(t, index) for t in ties], ranked[:top], merged,
                  len(ranked), tie_count)


def family_of_shop(session: Session, shop: Shop, top: int = 15, max_ties: int | None = None) -> Family | None:
    """The family `shop` belongs to."""
    fid = session.scalar(select(ShopFamilyMember.family_id).where(ShopFamilyMember.shop_id == shop.id))
    return family_by_id(session, fid, top, max_ties) if fid else None


@dataclass
class Handed:
    """One shop that handed out a requisite: on which dates, how often, the largest amount asked."""

    shop: str
    shop_id: int
    family: str
    dates: list[str]
    first_seen: datetime
    last_seen: datetime
    times: int
    max_amount: str
    message_id: int | None


@dataclass
class RequisiteView:
    """A requisite with every shop and date it was handed out, its holders' names and families."""

    id: int
    kind: str
    value: str
    bank: str
    status: str
    handed: list[Handed]
    holders: list[str]
    families: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (`--json`)."""
        out = asdict(self)
        for h in out["handed"]:
            h["first_seen"] = h["first_seen"].isoformat()
            h["last_seen"] = h["last_seen"].isoformat()
        return out


def requisites_matching(session: Session, query: str) -> list[RequisiteView]:
    """Requisites matching what a prosecutor typed (as /search matches them), with their handouts."""
    found = [r for r in search(session, query) if not query.strip().startswith("@")]
    return [requisite_view(session, r) for r in found]


def requisite_view(session: Session, req: Requisite) -> RequisiteView:
    """One requisite's handouts, holders and families."""
    index = ShopIndex.load(session)
    folded = handouts(session, requisite_ids=[req.id])
    fams = dict(session.execute(select(ShopFamilyMember.shop_id, ShopFamilyMember.family_id)
                                .where(ShopFamilyMember.shop_id.in_([sid for _, sid in folded]))).all())
    handed = []
    for (_, sid), h in sorted(folded.items(), key=lambda kv: (kv[1].first or datetime.min, kv[0][1])):
        assert h.first is not None and h.last is not None
        handed.append(Handed(shop_label(index.shops.get(sid)), sid, fams.get(sid, ""), sorted(h.dates), h.first,
                             h.last, h.times, format_amount(h.max_amount, h.currency) if h.max_amount is not None else "",
                             h.message_id))
    holders = sorted(set(session.scalars(select(NetworkHolder.name).where(NetworkHolder.requisite_id == req.id))))
    return RequisiteView(req.id, req.kind, req.value, bank_of(req), req.status, handed, holders,
                         sorted({h.family for h in handed if h.family}))


def families_for(session: Session, query: str, top: int = 15, max_ties: int | None = None) -> list[Family]:
    """The families a query points at: `@shop` (also a past name), a family id, or a requisite value
    (`top`, `max_ties`: as `family_by_id`)."""
    q = query.strip()
    if FAMILY_ID.match(q):
        fam = family_by_id(session, q, top, max_ties)
        return [fam] if fam else []
    out: dict[str, Family] = {}
    if q.startswith("@") or re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", q) and not q.isdigit():
        for shop in find_shops(session, q):
            fam = family_of_shop(session, shop, top, max_ties)
            if fam:
                out.setdefault(fam.id, fam)
        if out or q.startswith("@"):
            return list(out.values())
    for view in requisites_matching(session, q):
        for fid in view.families:
            if fid not in out:
                fam = family_by_id(session, fid, top, max_ties)
                if fam:
                    out[fid] = fam
    return list(out.values())


def family_text(fam: Family) -> str:
    """A family as plain English text (the CLI's output)."""
    lines = [f"family {fam.id} (founded by {fam.founder}): {len(fam.members)} shop(s)"]
    if fam.merged:
        lines.append(f"  absorbed: {', '.join(fam.merged)}")
    lines.append("members:")
    for m in fam.members:
        past = [n for n in m.names if n != m.label]
        was = f", formerly {', '.join(past)}" if past else ""
        lines.append(f"  {m.label} #{m.shop_id} {m.kind}, {m.status}{was}; first seen {m.first_seen.date()}, "
                     f"last seen {m.last_seen.date()}")
    lines.append("evidence:")
    lines += [f"  {e.sentence()}" for e in fam.evidence] or ["  (a single shop: nothing ties it to another)"]
    if fam.requisites:
        lines.append("requisites by freeze priority:")
        for p in fam.requisites:
            amount = f", up to {p.max_amount}" if p.max_amount else ""
            lines.append(f"  {p.rank}. {p.kind} {p.value} ({p.bank}, {p.status}): {p.shops} shop(s), "
                         f"{p.sightings} sighting(s), last {p.last_seen.date()}{amount}")
    return "\n".join(lines)


def requisite_text(view: RequisiteView) -> str:
    """A requisite's handouts as plain English text (the CLI's output)."""
    lines = [f"{view.kind} {view.value} ({view.bank}, {view.status}): handed out by {len(view.handed)} shop(s)"]
    if view.holders:
        lines.append(f"holder as written: {' | '.join(view.holders)}")
    if view.families:
        lines.append(f"family: {', '.join(view.families)}")
    for h in view.handed:
        amount = f", up to {h.max_amount}" if h.max_amount else ""
        fam = f" [{h.family}]" if h.family else ""
        lines.append(f"  {h.shop}{fam}: {h.times} time(s){amount} on {', '.join(h.dates)}")
    return "\n".join(lines)


def families_of_shops(session: Session, shop_ids: list[int], top: int = 10) -> list[Family]:
    """The families the given shops belong to (as last updated), largest first."""
    fids = set(session.scalars(select(ShopFamilyMember.family_id).where(ShopFamilyMember.shop_id.in_(shop_ids))))
    fams = [f for f in (family_by_id(session, fid, top) for fid in sorted(fids)) if f is not None]
    return sorted(fams, key=lambda f: (-len(f.members), f.id))
