"""The graph of the evidence (networkx `MultiDiGraph`), built from the store and the network tables.

Nodes (id: type):
- `shop:ID` shop: a bot, operator, channel or group (`kind`), with its family, status, names;
- `req:KIND:VALUE` requisite: card, IBAN, phone or wallet, with bank/chain, status, shops,
  sightings, first/last seen, largest amount asked and its freeze priority;
- `holder:KEY` holder: a holder's name as the shops wrote it (every spelling in `written`);
- `bank:NAME` bank (cards, IBANs, phones) or chain (wallets);
- `name:@USERNAME` a username: a shop's past names, or a peer named but never crawled;
- `account:ID` a crawler account that talked to shops.

Edges (`relation`): requisite → shop `handed_out_by` (dates, first/last, times, largest amount,
first message id); requisite → holder `same_holder` (requisites of one holder meet at it);
requisite → bank `issued_by`; shop → peer `links_to` / `operator` (named as its operator);
backup → shop `backup_of`; old name → new name `renamed_to` (history, or a shop's notice);
shop → name `named`; account → shop `talked_to`.

Every attribute is a string, integer or float, so GraphML, GEXF and CSV carry them unchanged.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prokai.network.families import ShopIndex
from prokai.network.priority import BankNames, priority_score
from prokai.readmodels.queries import format_amount, is_wallet, shop_label
from prokai.store.models import (
    Account,
    Conversation,
    NetworkHolder,
    NetworkLink,
    Requisite,
    ShopFamilyMember,
    ShopUsername,
    Sighting,
)

GraphFormat = Literal["graphml", "gexf", "csv"]
GRAPH_FORMATS: tuple[GraphFormat, ...] = ("graphml", "gexf", "csv")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def shop_node(shop_id: int) -> str:
    """The node id of a shop."""
    return f"shop:{shop_id}"


def requisite_node(kind: str, value: str) -> str:
    """The node id of a requisite."""
    return f"req:{kind}:{value}"


@dataclass
class Handout:
    """One requisite at one shop: every date it was handed out there."""

    dates: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    times: int = 0
    max_amount: Decimal | None = None
    currency: str | None = None
    message_id: int | None = None

    def add(self, seen_at: datetime, amount: Decimal | None, currency: str | None, message_id: int | None) -> None:
        self.dates.add(seen_at.date().isoformat())
        self.times += 1
        if self.first is None or seen_at < self.first:
            self.first, self.message_id = seen_at, message_id
        if self.last is None or seen_at > self.last:
            self.last = seen_at
        if amount is not None and (self.max_amount is None or amount > self.max_amount):
            self.max_amount, self.currency = amount, currency


def handouts(session: Session, shop_ids: Iterable[int] | None = None,
             requisite_ids: Iterable[int] | None = None) -> dict[tuple[int, int], Handout]:
    """Sightings folded per (requisite, shop)."""
    query = select(Sighting.requisite_id, Sighting.shop_id, Sighting.seen_at, Sighting.amount, Sighting.currency,
                   Sighting.message_id).where(Sighting.shop_id.is_not(None))
    if shop_ids is not None:
        query = query.where(Sighting.shop_id.in_(list(shop_ids)))
    if requisite_ids is not None:
        query = query.where(Sighting.requisite_id.in_(list(requisite_ids)))
    out: dict[tuple[int, int], Handout] = defaultdict(Handout)
    for rid, sid, seen_at, amount, currency, mid in session.execute(query):
        assert sid is not None
        out[(rid, sid)].add(seen_at, amount, currency, mid)
    return out


def build_graph(session: Session, shop_ids: Iterable[int] | None = None,
                requisite_ids: Iterable[int] | None = None) -> nx.MultiDiGraph:
    """The evidence graph of every shop, or of `shop_ids` (a family) and what they touch;
    `requisite_ids` keeps only those requisites (a picture of the most important ones)."""
    index = ShopIndex.load(session)
    scope = set(shop_ids) if shop_ids is not None else None
    only = list(requisite_ids) if requisite_ids is not None else None
    families = dict(session.execute(select(ShopFamilyMember.shop_id, ShopFamilyMember.family_id)).all())
    g: nx.MultiDiGraph = nx.MultiDiGraph()

    def add_shop(sid: int) -> str:
        node = shop_node(sid)
        if node not in g:
            shop = index.shops[sid]
            g.add_node(node, type="shop", label=shop_label(shop), kind=shop.kind, status=shop.status,
                       family=families.get(sid, ""), telegram_id=str(shop.telegram_id or ""),  # ids exceed 32 bits
                       first_seen=_iso(shop.first_seen), last_seen=_iso(shop.last_seen))
        return node

    def add_name(username: str) -> str:
        node = f"name:@{username.lower()}"
        if node not in g:
            g.add_node(node, type="username", label=f"@{username.lower()}")
        return node

    for sid in (scope if scope is not None else index.shops):
        if sid in index.shops:
            add_shop(sid)

    folded = handouts(session, scope, only)
    req_query = select(Requisite.id, Requisite.kind, Requisite.value, Requisite.status, Requisite.issuer,
                       Requisite.network, Requisite.meta)
    if only is not None:
        req_query = req_query.where(Requisite.id.in_(only))
    elif scope is not None:
        req_query = req_query.where(Requisite.id.in_(
            select(Sighting.requisite_id).where(Sighting.shop_id.in_(list(scope)))))
    reqs = {row[0]: row for row in session.execute(req_query)} if folded else {}
    latest = max((h.last for h in folded.values() if h.last), default=None)
    per_req: dict[int, list[tuple[int, Handout]]] = defaultdict(list)
    for (rid, sid), h in folded.items():
        per_req[rid].append((sid, h))
    banks = BankNames()
    amounts: dict[tuple[Decimal, str | None], str] = {}

    def amount_text(value: Decimal | None, currency: str | None) -> str:
        if value is None:
            return ""
        key = (value, currency)
        if key not in amounts:
            amounts[key] = format_amount(value, currency)
        return amounts[key]

    req_nodes: dict[int, str] = {}
    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for rid, items in per_req.items():
        row = reqs.get(rid)
        if row is None:
            continue
        _, kind, value, status, issuer, network, meta = row
        group = banks(kind, issuer, network, meta)
        first = min(h.first for _, h in items if h.first)
        last = max(h.last for _, h in items if h.last)
        top = max(((h.max_amount, h.currency) for _, h in items if h.max_amount is not None),
                  key=lambda a: a[0], default=(None, None))
        node = requisite_node(kind, value)
        req_nodes[rid] = node
        g.add_node(node, type="requisite", label=value, kind=kind, value=value, status=status, bank=group,
                   network=network or "", shops=len(items), sightings=sum(h.times for _, h in items),
                   first_seen=_iso(first), last_seen=_iso(last), max_amount=amount_text(*top),
                   priority=round(priority_score(len(items), last, latest), 4))
        bank_node = f"bank:{group}"
        if bank_node not in g:
            g.add_node(bank_node, type="chain" if is_wallet(kind) else "bank", label=group)
        edges.append((node, bank_node, "issued_by", {"relation": "issued_by"}))
        for sid, h in items:
            edges.append((node, add_shop(sid), "handed_out_by", {
                "relation": "handed_out_by", "dates": ",".join(sorted(h.dates)), "first_seen": _iso(h.first),
                "last_seen": _iso(h.last), "times": h.times, "max_amount": amount_text(h.max_amount, h.currency),
                "message_id": h.message_id or 0}))
    for a, b, key, data in edges:  # add_edge is cheaper than add_edges_from's view lookups on a multigraph
        g.add_edge(a, b, key, **data)

    if req_nodes:
        written: dict[str, set[str]] = defaultdict(set)
        pairs: dict[tuple[int, str], tuple[datetime, datetime, int]] = {}
        holder_query = (
            select(NetworkHolder.requisite_id, NetworkHolder.name, NetworkHolder.name_key,
                   func.min(NetworkHolder.seen_at), func.max(NetworkHolder.seen_at), func.count())
            .group_by(NetworkHolder.requisite_id, NetworkHolder.name_key, NetworkHolder.name)
        )
        if only is not None:
            holder_query = holder_query.where(NetworkHolder.requisite_id.in_(only))
        elif scope is not None:
            holder_query = holder_query.where(NetworkHolder.shop_id.in_(list(scope)))
        for rid, name, key, first_at, last_at, times in session.execute(holder_query):
            if rid not in req_nodes:
                continue
            written[key].add(name)
            first, last, n = pairs.get((rid, key), (first_at, last_at, 0))
            pairs[(rid, key)] = (min(first, first_at), max(last, last_at), n + int(times))
        for key, names in written.items():
            spellings = sorted(names)
            g.add_node(f"holder:{key}", type="holder", label=spellings[0], written=" | ".join(spellings))
        g.add_edges_from((req_nodes[rid], f"holder:{key}", "same_holder",
                          {"relation": "same_holder", "first_seen": _iso(first), "last_seen": _iso(last), "times": n})
                         for (rid, key), (first, last, n) in pairs.items())

    in_scope = [sid for sid in index.shops if scope is None or sid in scope]
    names_query = select(ShopUsername).order_by(ShopUsername.first_seen, ShopUsername.id)
    if scope is not None:
        names_query = names_query.where(ShopUsername.shop_id.in_(in_scope))
    history: dict[int, list[ShopUsername]] = defaultdict(list)
    for name_row in session.scalars(names_query):
        history[name_row.shop_id].append(name_row)
    for sid, rows in history.items():
        current = (index.shops[sid].username or "").lower()
        for name_row in rows:
            if name_row.username.lower() != current:
                g.add_edge(shop_node(sid), add_name(name_row.username), key="named", relation="named",
                           first_seen=_iso(name_row.first_seen), last_seen=_iso(name_row.last_seen))
        for old, new in zip(rows, rows[1:], strict=False):
            a = add_name(old.username) if old.username.lower() != current else shop_node(sid)
            b = add_name(new.username) if new.username.lower() != current else shop_node(sid)
            if a != b:
                g.add_edge(a, b, key="renamed_to", relation="renamed_to", first_seen=_iso(new.first_seen))

    links_query = select(NetworkLink).order_by(NetworkLink.id)
    if scope is not None:
        links_query = links_query.where(NetworkLink.shop_id.in_(in_scope))
    for link in session.scalars(links_query):
        source = add_shop(link.shop_id)
        tid = index.resolve(link.target)
        target = add_shop(tid) if tid is not None else add_name(link.target)
        if target == source:
            continue
        a, b = (target, source) if link.kind == "backup_of" else (source, target)
        attrs: dict[str, Any] = {"relation": link.kind, "first_seen": _iso(link.first_seen),
                                 "last_seen": _iso(link.last_seen), "times": link.mentions,
                                 "message_id": link.first_message_id or 0, "context": link.context}
        g.add_edge(a, b, key=link.kind, **attrs)

    talks = session.execute(
        select(Conversation.account_id, Conversation.shop_id, func.count(), func.min(Conversation.started_at),
               func.max(Conversation.started_at))
        .where(Conversation.account_id.is_not(None), Conversation.shop_id.is_not(None),
               *([Conversation.shop_id.in_(in_scope)] if scope is not None else []))
        .group_by(Conversation.account_id, Conversation.shop_id)
    ).all()
    phones: dict[int, str] = dict(session.execute(select(Account.id, Account.phone)).all()) if talks else {}
    for account_id, talk_shop, n, first, last in talks:
        if account_id is None or talk_shop is None:
            continue
        aid = int(account_id)
        node = f"account:{aid}"
        if node not in g:
            g.add_node(node, type="account", label=phones.get(aid, f"account #{aid}"))
        g.add_edge(node, shop_node(talk_shop), key="talked_to", relation="talked_to", times=int(n),
                   first_seen=_iso(first), last_seen=_iso(last))
    return g


def write_graph(graph: nx.MultiDiGraph, fmt: GraphFormat, path: str | Path) -> list[Path | str]:
    """Write `graph` as GraphML, GEXF, or CSV (edges in PATH, nodes in PATH's `.nodes.csv`)
    through `prokai.output` (atomic, `-` for stdout except CSV); returns where it went.
    OutputError (an OSError) with a one-line reason when it cannot be written."""
    from prokai.output import OutputError, is_stdout, write_output

    if fmt == "graphml":
        return [write_output(path, lambda tmp: nx.write_graphml(graph, tmp))]
    if fmt == "gexf":
        return [write_output(path, lambda tmp: nx.write_gexf(graph, tmp))]
    if fmt != "csv":
        raise ValueError(f"--format: expected one of {', '.join(GRAPH_FORMATS)}, got {fmt!r}")
    if is_stdout(path):
        raise OutputError("csv is two files (edges and nodes): give a file name, not -")
    target = Path(path)
    node_keys = sorted({k for _, data in graph.nodes(data=True) for k in data} - {"type", "label"})
    edge_keys = sorted({k for *_, data in graph.edges(data=True) for k in data} - {"relation"})
    edges = io.StringIO()
    w = csv.writer(edges, lineterminator="\n")
    w.writerow(["source", "target", "relation", "source_label", "target_label", *edge_keys])
    for a, b, data in graph.edges(data=True):
        w.writerow([a, b, data.get("relation", ""), graph.nodes[a].get("label", ""), graph.nodes[b].get("label", ""),
                    *(data.get(k, "") for k in edge_keys)])
    nodes = io.StringIO()
    w = csv.writer(nodes, lineterminator="\n")
    w.writerow(["id", "type", "label", *node_keys])
    for node, data in graph.nodes(data=True):
        w.writerow([node, data.get("type", ""), data.get("label", ""), *(data.get(k, "") for k in node_keys)])
    return [write_output(target, edges.getvalue().encode("utf-8")),
            write_output(target.with_name(target.stem + ".nodes.csv"), nodes.getvalue().encode("utf-8"))]
