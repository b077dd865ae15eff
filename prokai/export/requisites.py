"""Requisite exports: bank lists for freeze requests (XLSX/CSV/JSON) and wallets by chain.

Rows come from `export_rows`; each row is one requisite with its bank (or chain), shops, first
and last sighting, how often it was seen, the largest amount asked, and the review (who, when).
Cards, IBANs and phones are grouped by bank (the freeze request goes to the bank); wallets by
chain (for tracing). The XLSX has one sheet per bank and one per chain, plus a summary.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prokai.readmodels.queries import bank_of, format_amount, is_wallet, shop_label
from prokai.store.db import Database
from prokai.store.models import Requisite, Review, Shop, Sighting

Format = Literal["xlsx", "csv", "json"]
StatusFilter = Literal["confirmed", "pending", "rejected", "all"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv", "json")
SortOrder = Literal["bank", "priority"]
SORTS: tuple[SortOrder, ...] = ("bank", "priority")
COLUMNS = (
    "group",
    "kind",
    "value",
    "status",
    "bank",
    "network",
    "country",
    "shops",
    "first_seen",
    "last_seen",
    "sightings",
    "max_amount",
    "reviewed_by",
    "reviewed_at",
    "requisite_id",
)


class ExportError(ValueError):
    """A bad export request, phrased as the one line the user sees."""


@dataclass
class ExportRow:
    """One requisite as exported."""

    group: str  # the bank (cards, IBANs, phones) or the chain (wallets)
    kind: str
    value: str
    status: str
    bank: str
    network: str
    country: str
    shops: str
    first_seen: str
    last_seen: str
    sightings: int
    max_amount: str
    reviewed_by: str
    reviewed_at: str
    requisite_id: int


def parse_since(text: str | None) -> datetime | None:
    """`YYYY-MM-DD` (UTC midnight) or an ISO date-time; ExportError otherwise."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ExportError(f"--since: expected YYYY-MM-DD or an ISO date-time, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def export_rows(
    session: Session,
    status: StatusFilter = "confirmed",
    bank: str | None = None,
    since: datetime | None = None,
    wallets: bool | None = None,
    sort: SortOrder = "bank",
) -> list[ExportRow]:
    """Requisites as export rows, sorted by group then value (`sort="priority"`: within each
    group by freeze priority, `prokai.network.priority`: shops using it, recency, amounts).

    `bank` matches the group case-insensitively (a bank name, or a chain like `TRX`); `since`
    keeps requisites last seen at or after it; `wallets` True/False keeps only wallets/only bank
    requisites, None both.
    """
    query = select(Requisite).order_by(Requisite.id)
    if status != "all":
        query = query.where(Requisite.status == status)
    if since is not None:
        query = query.where(Requisite.last_seen >= since)
    reqs = [r for r in session.scalars(query) if wallets is None or is_wallet(r.kind) == wallets]
    if bank:
        wanted = bank.strip().lower()
        reqs = [r for r in reqs if bank_of(r).lower() == wanted or bank_of(r).lower().split("/")[0] == wanted]
    ids = [r.id for r in reqs]
    if not ids:
        return []
    seen = {
        rid: (first, last, int(n), amount)
        for rid, first, last, n, amount in session.execute(
            select(
                Sighting.requisite_id,
                func.min(Sighting.seen_at),
                func.max(Sighting.seen_at),
                func.count(),
                func.max(Sighting.amount),
            )
            .where(Sighting.requisite_id.in_(ids))
            .group_by(Sighting.requisite_id)
        )
    }
    currencies = dict(
        session.execute(
            select(Sighting.requisite_id, func.max(Sighting.currency)).where(Sighting.requisite_id.in_(ids)).group_by(Sighting.requisite_id)
        ).all()
    )
    shops: dict[int, set[str]] = {}
    for rid, shop in session.execute(
        select(Sighting.requisite_id, Shop).join(Shop, Shop.id == Sighting.shop_id).where(Sighting.requisite_id.in_(ids))
    ):
        shops.setdefault(rid, set()).add(shop_label(shop))
    reviews: dict[int, Review] = {}
    for rev in session.scalars(select(Review).where(Review.requisite_id.in_(ids)).order_by(Review.id)):
        reviews[rev.requisite_id] = rev
    rows = []
    for r in reqs:
        first, last, count, amount = seen.get(r.id, (r.first_seen, r.last_seen, 0, None))
        review = reviews.get(r.id)
        group = bank_of(r)
        rows.append(
            ExportRow(
                group=group,
                kind=r.kind,
                value=r.value,
                status=r.status,
                bank="" if is_wallet(r.kind) else group,
                network=r.network or "",
                country=r.country or "",
                shops=", ".join(sorted(shops.get(r.id, set()))),
                first_seen=first.isoformat(),
                last_seen=last.isoformat(),
                sightings=count,
                max_amount=format_amount(Decimal(amount), currencies.get(r.id)) if amount is not None else "",
                reviewed_by=(review.reviewer_name or str(review.reviewer_id)) if review else "",
                reviewed_at=review.created_at.isoformat() if review else "",
                requisite_id=r.id,
            )
        )
    rows.sort(key=lambda x: (x.group == "unknown", x.group.lower(), x.kind, x.value))
    if sort == "priority":
        from prokai.network.priority import ranks

        rank = ranks(session, ids)
        rows.sort(key=lambda x: (x.group == "unknown", x.group.lower(), rank.get(x.requisite_id, len(rank) + 1)))
    return rows


def grouped(rows: Iterable[ExportRow]) -> dict[str, list[ExportRow]]:
    """Rows by group (bank or chain), groups in row order."""
    out: dict[str, list[ExportRow]] = {}
    for row in rows:
        out.setdefault(row.group, []).append(row)
    return out


def to_csv(rows: list[ExportRow]) -> bytes:
    """CSV (UTF-8 with BOM so spreadsheet programs read Cyrillic), one line per requisite."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = asdict(row)
        writer.writerow([data[c] for c in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_json(rows: list[ExportRow]) -> bytes:
    """JSON: {"groups": {group: [row, …]}, "count": n, "generated_at": …}."""
    doc = {
        "generated_at": datetime.now(UTC).isoformat(),
        "count": len(rows),
        "groups": {g: [asdict(r) for r in items] for g, items in grouped(rows).items()},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "unknown"
    title, n = base, 2
    while title.lower() in used:
        title, n = f"{base[:25]}~{n}", n + 1
    used.add(title.lower())
    return title


def to_xlsx(rows: list[ExportRow]) -> bytes:
    """A workbook: a summary sheet, then one sheet per bank/chain with its requisites."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    summary.append(["group", "requisites", "kinds"])
    summary["A1"].font = summary["B1"].font = summary["C1"].font = Font(bold=True)
    used = {"summary"}
    for group, items in grouped(rows).items():
        summary.append([group, len(items), ", ".join(sorted({r.kind for r in items}))])
        ws = wb.create_sheet(_sheet_title(group, used))
        ws.append(list(COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in items:
            data = asdict(row)
            ws.append([data[c] for c in COLUMNS])
        ws.column_dimensions["C"].width = 48
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(rows: list[ExportRow], fmt: Format) -> bytes:
    """The rows in `fmt`."""
    if fmt == "xlsx":
        return to_xlsx(rows)
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(rows)
    raise ExportError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def export_requisites(
    db: Database,
    fmt: Format,
    path: str | Path,
    *,
    status: StatusFilter = "confirmed",
    bank: str | None = None,
    since: datetime | None = None,
    wallets: bool | None = None,
    sort: SortOrder = "bank",
) -> Path:
    """Write the export to `path` (`-`: stdout; else a regular file, parents created, replaced
    atomically, see `prokai.output`); returns where it went.

    For the demo: `export_requisites(db, "xlsx", "data/demo/freeze.xlsx")` writes the confirmed
    requisites grouped by bank (and wallets by chain).
    """
    if fmt not in FORMATS:
        raise ExportError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    with db.session() as s:
        rows = export_rows(s, status=status, bank=bank, since=since, wallets=wallets, sort=sort)
    data = render(rows, fmt)
    from prokai.output import write_output

    return Path(write_output(path, data))
