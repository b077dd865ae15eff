"""Shop families: shops one organisation runs, found through what ties them together.

Two shops are joined when

- both handed out the same requisite (a dropper's card, phone, IBAN or a wallet) that no
  prosecutor rejected;
- one names the other as its backup or its new name ("Резерв: @x_reserve_bot", "Новый бот: @x");
- they share an operator: one names the other, or both name the same peer, as their operator
  (or the named peer is an operator account); two shops naming the same backup or new name are
  joined the same way;
- one is a showcase channel naming the other, or a bot naming its channel (a channel that names
  more than `DIRECTORY_LIMIT` peers is a directory of other people's shops: it joins nothing).

Peers judged not to be shops never join anything, and neither do holders' names alone (common
names are weak evidence; they stay in the graph). A family's id (`F000012`) is its founder's
shop id: the oldest member when the family was first seen. It never changes while the family
lives: renames keep the shop (its identity is the Telegram id), dead shops stay members (their
evidence stays), a family that absorbs another keeps the older id and the other is recorded as
`merged_into` it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from prokai.store.models import (
    NetworkLink,
    Requisite,
    RequisiteStatus,
    Shop,
    ShopFamily,
    ShopFamilyMember,
    ShopKind,
    ShopStatus,
    ShopUsername,
    Sighting,
)
from prokai.store.types import utcnow

DIRECTORY_LIMIT = 8
JOINING_LINKS = ("operator", "backup_of", "renamed_to")


@dataclass
class Tie:
    """One piece of evidence joining shops: what it is, which shops, when, where it was said."""

    kind: str  # requisite | operator | operator_of | backup_of | renamed_to | showcase
    what: str  # the requisite value or the @username named
    shop_ids: list[int]
    first_seen: datetime
    last_seen: datetime
    message_id: int | None = None
    context: str = ""
    requisite_id: int | None = None
    requisite_kind: str | None = None
    direct: bool = False  # the first shop named the second (else: all named the same peer)


@dataclass
class ShopIndex:
    """Shops by id and by every username they ever had (lower case)."""

    shops: dict[int, Shop]
    by_name: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, shop_ids: Iterable[int] | None = None) -> ShopIndex:
        """Every shop (or the given ones, plus whatever their names resolve to later by name)."""
        query = select(Shop)
        if shop_ids is not None:
            query = query.where(Shop.id.in_(list(shop_ids)))
        index = cls({s.id: s for s in session.scalars(query)})
        names = select(ShopUsername.shop_id, ShopUsername.username)
        for sid, name in session.execute(names):
            index.by_name.setdefault(name.lower(), sid)
        for s in index.shops.values():  # the current name wins over a past owner of it
            if s.username:
                index.by_name[s.username.lower()] = s.id
        return index

    def resolve(self, username: str) -> int | None:
        """The shop that has (or had) this username."""
        return self.by_name.get(username.lower().lstrip("@"))

    def joinable(self, shop_id: int | None) -> bool:
        """Whether the shop may be part of a family (known, and not judged a non-shop)."""
        shop = self.shops.get(shop_id) if shop_id is not None else None
        return shop is not None and shop.status != ShopStatus.NOT_SHOP.value


def _shared(shop_ids: list[int] | None) -> Select[int, int]:
    """Requisites (not rejected) and how many shops (not judged non-shops) handed each out; only
    those two or more did, optionally only among what `shop_ids` handed out."""
    query = (
        select(Sighting.requisite_id, func.count(func.distinct(Sighting.shop_id)).label("shops"))
        .join(Requisite, Requisite.id == Sighting.requisite_id)
        .join(Shop, Shop.id == Sighting.shop_id)
        .where(Requisite.status != RequisiteStatus.REJECTED.value, Shop.status != ShopStatus.NOT_SHOP.value)
        .group_by(Sighting.requisite_id)
        .having(func.count(func.distinct(Sighting.shop_id)) > 1)
    )
    if shop_ids is not None:
        query = query.where(Sighting.requisite_id.in_(select(Sighting.requisite_id).where(Sighting.shop_id.in_(shop_ids))))
    return query


def count_requisite_ties(session: Session, shop_ids: Iterable[int] | None = None) -> int:
    """How many requisites tie shops together (see `requisite_ties`)."""
    sub = _shared(list(shop_ids) if shop_ids is not None else None).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


def requisite_ties(session: Session, index: ShopIndex, shop_ids: Iterable[int] | None = None,
                   limit: int | None = None) -> list[Tie]:
    """Requisites handed out by two or more shops (rejected ones excluded); with `limit`, only
    the ones handed out by the most shops."""
    wanted = list(shop_ids) if shop_ids is not None else None
    pairs = (
        select(Sighting.requisite_id, Sighting.shop_id, func.min(Sighting.message_id))
        .join(Requisite, Requisite.id == Sighting.requisite_id)
        .where(Sighting.shop_id.is_not(None), Requisite.status != RequisiteStatus.REJECTED.value)
        .group_by(Sighting.requisite_id, Sighting.shop_id)
    )
    inner = select(Sighting.requisite_id).where(Sighting.shop_id.in_(wanted or []))
    if limit is not None:
        top = _shared(wanted).order_by(func.count(func.distinct(Sighting.shop_id)).desc(), Sighting.requisite_id)
        chosen = [rid for rid, _ in session.execute(top.limit(limit))]
        if not chosen:
            return []
        pairs = pairs.where(Sighting.requisite_id.in_(chosen))
    elif wanted is not None:
        pairs = pairs.where(Sighting.requisite_id.in_(inner))
    ok = {sid for sid in index.shops if index.joinable(sid)}
    per_req: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for rid, sid, mid in session.execute(pairs):
        if sid in ok:
            per_req[rid].append((sid, mid))
    shared = {rid: rows for rid, rows in per_req.items() if len(rows) > 1}
    if not shared:
        return []
    ids = list(shared)
    span_query = (
        select(Sighting.requisite_id, Requisite.kind, Requisite.value, func.min(Sighting.seen_at),
               func.max(Sighting.seen_at))
        .join(Requisite, Requisite.id == Sighting.requisite_id)
        .group_by(Sighting.requisite_id, Requisite.kind, Requisite.value)
    )
    if len(ids) < 500:
        span_query = span_query.where(Sighting.requisite_id.in_(ids))
    elif wanted is not None:
        span_query = span_query.where(Sighting.requisite_id.in_(inner))
    spans = {rid: (kind, value, first, last) for rid, kind, value, first, last in session.execute(span_query)
             if rid in shared}
    out = []
    for rid, rows in shared.items():
        kind, value, first, last = spans[rid]
        rows.sort(key=lambda r: (r[1] is None, r[1] or 0))  # shops in the order they first handed it out
        out.append(Tie("requisite", value, [r[0] for r in rows], first, last, rows[0][1], requisite_id=rid,
                       requisite_kind=kind))
    return out


def link_ties(session: Session, index: ShopIndex, shop_ids: Iterable[int] | None = None) -> list[Tie]:
    """Backups, new names, shared operators and showcase links between shops."""
    query = select(NetworkLink)
    links = list(session.scalars(query.order_by(NetworkLink.id)))
    wanted = set(shop_ids) if shop_ids is not None else None
    fanout: dict[int, set[str]] = defaultdict(set)
    for link in links:
        fanout[link.shop_id].add(link.target)
    out: list[Tie] = []
    by_name: dict[tuple[str, str], list[NetworkLink]] = defaultdict(list)
    for link in links:
        if not index.joinable(link.shop_id):
            continue
        source = index.shops[link.shop_id]
        target_id = index.resolve(link.target)
        if target_id == link.shop_id:
            continue
        target = index.shops.get(target_id) if target_id is not None else None
        if target is not None and not index.joinable(target_id):
            continue
        kind = link.kind
        if kind in ("links_to", "operator") and target is not None:
            if target.kind == ShopKind.OPERATOR.value:
                kind = "operator"
            elif source.kind == ShopKind.OPERATOR.value:
                kind = "operator_of"  # an operator sends buyers to its bot or channel
        if kind == "links_to":
            channel = ShopKind.CHANNEL.value in (source.kind, target.kind if target else None)
            if target is None or not channel or len(fanout[link.shop_id]) > DIRECTORY_LIMIT:
                continue
            kind = "showcase"
        if kind in JOINING_LINKS and target is None:
            by_name[(link.target, kind)].append(link)  # a peer not crawled (yet): shared by its name
            continue
        if target_id is None:
            continue
        tie = Tie(kind, f"@{link.target}", [link.shop_id, target_id], link.first_seen, link.last_seen,
                  link.first_message_id, link.context, direct=True)
        if wanted is None or wanted & set(tie.shop_ids):
            out.append(tie)
    for (name, kind), items in by_name.items():
        sources = sorted({x.shop_id for x in items})
        if len(sources) < 2:
            continue
        first = min(items, key=lambda x: (x.first_seen, x.id))
        tie = Tie(kind, f"@{name}", sources, first.first_seen, max(x.last_seen for x in items),
                  first.first_message_id, first.context)
        if wanted is None or wanted & set(tie.shop_ids):
            out.append(tie)
    return out


def all_ties(session: Session, index: ShopIndex, shop_ids: Iterable[int] | None = None,
             limit: int | None = None) -> list[Tie]:
    """Every tie (or those touching `shop_ids`), requisites first (with `limit`: only the
    requisites handed out by the most shops)."""
    ids = list(shop_ids) if shop_ids is not None else None
    return requisite_ties(session, index, ids, limit) + link_ties(session, index, ids)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def family_id_for(shop_id: int) -> str:
    """The id a family founded by `shop_id` gets."""
    return f"F{shop_id:06d}"


@dataclass
class FamilyChanges:
    """What a recomputation did."""

    families: int = 0
    created: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)  # absorbed id -> surviving id
    moved: int = 0


def recompute_families(session: Session) -> FamilyChanges:
    """Find the families from every tie and persist them, keeping the ids they already have."""
    index = ShopIndex.load(session)
    uf = _UnionFind()
    for sid in index.shops:
        if index.joinable(sid):
            uf.find(sid)
    for tie in all_ties(session, index):
        first = tie.shop_ids[0]
        for other in tie.shop_ids[1:]:
            uf.union(first, other)
    groups: dict[int, list[int]] = defaultdict(list)
    for sid in list(uf.parent):
        groups[uf.find(sid)].append(sid)

    def age(sid: int) -> tuple[datetime, int]:
        return (index.shops[sid].first_seen, sid)

    comps = sorted((sorted(g, key=age) for g in groups.values()), key=lambda g: age(g[0]))
    existing = {m.shop_id: m for m in session.scalars(select(ShopFamilyMember))}
    families = {f.id: f for f in session.scalars(select(ShopFamily))}
    chosen: dict[int, str] = {}  # component number -> family id
    taken: set[str] = set()
    priors = [sorted({existing[s].family_id for s in comp if s in existing}) for comp in comps]
    # 1. a family stays with the part that holds its founder (the oldest founder's id on a merge)
    for n, comp in enumerate(comps):
        members = set(comp)
        own = [f for f in priors[n] if families[f].founder_shop_id in members and f not in taken]
        if own:
            pick = min(own, key=lambda f: age(families[f].founder_shop_id) if families[f].founder_shop_id in index.shops
                       else (datetime.max, 0))
            chosen[n] = pick
            taken.add(pick)
    # 2. a part without its founder keeps the oldest family id it had
    for n in range(len(comps)):
        if n in chosen:
            continue
        left = [f for f in priors[n] if f not in taken]
        if left:
            pick = min(left, key=lambda f: (families[f].created_at, f))
            chosen[n] = pick
            taken.add(pick)
    # 3. new families take their oldest member's id
    changes = FamilyChanges(families=len(comps))
    now = utcnow()
    for n, comp in enumerate(comps):
        if n in chosen:
            continue
        base = family_id_for(comp[0])
        fid, suffix = base, 1
        while fid in taken:
            suffix += 1
            fid = f"{base}-{suffix}"
        chosen[n] = fid
        taken.add(fid)
        if fid not in families:
            families[fid] = ShopFamily(id=fid, founder_shop_id=comp[0], created_at=now, updated_at=now, members=0)
            session.add(families[fid])
            changes.created.append(fid)
    session.flush()
    sizes: dict[str, int] = {}
    for n, comp in enumerate(comps):
        fid = chosen[n]
        sizes[fid] = len(comp)
        for sid in comp:
            member = existing.get(sid)
            if member is None:
                session.add(ShopFamilyMember(shop_id=sid, family_id=fid, joined_at=now))
                changes.moved += 1
            elif member.family_id != fid:
                member.family_id = fid
                member.joined_at = now
                changes.moved += 1
    gone = [sid for sid in existing if sid not in uf.parent]
    if gone:
        session.execute(delete(ShopFamilyMember).where(ShopFamilyMember.shop_id.in_(gone)))
    for n in range(len(comps)):  # where the ids no longer used went
        for old in priors[n]:
            if old not in taken and old in families:
                families[old].merged_into = chosen[n]
                changes.merged[old] = chosen[n]
    for fid, fam in families.items():
        count = sizes.get(fid, 0)
        if count:
            fam.merged_into = None
        if fam.members != count:
            fam.members = count
            fam.updated_at = now
    session.flush()
    return changes
