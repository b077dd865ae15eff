"""The case report of one campaign as a PDF (reportlab): shops, requisites, timeline, evidence chain.

`collect_report(session, campaign_id)` gathers the content (a `CampaignReport`, testable without
parsing PDF); `campaign_report(db, campaign_id, path, lang)` writes the PDF. Text uses DejaVu Sans
(shipped with matplotlib) so Cyrillic and Kazakh letters render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.readmodels.i18n import kind_label, status_label, t
from prokai.readmodels.queries import bank_of, shop_label
from prokai.store.chain import VerifyResult, verify_chain
from prokai.store.db import Database
from prokai.store.models import (
    Campaign,
    Case,
    ChainHead,
    Conversation,
    Requisite,
    Review,
    Shop,
    ShopStatusChange,
    Sighting,
    Target,
)

FONT = "DejaVuSans"
TIMELINE_LIMIT = 300


class ReportError(ValueError):
    """A bad report request (unknown campaign), phrased as one line."""


@dataclass
class ReportRequisite:
    """One requisite as the report lists it."""

    requisite: Requisite
    shops: list[str]
    first_seen: datetime
    last_seen: datetime
    sightings: int


@dataclass
class CampaignReport:
    """Everything the PDF shows."""

    campaign: Campaign
    case: Case
    shops: list[Shop]
    requisites: list[ReportRequisite]
    timeline: list[tuple[datetime, str, dict[str, str]]]  # (when, i18n key, values)
    chain: VerifyResult
    head_seq: int
    head_hash: str
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    families: list[Any] = field(default_factory=list)  # prokai.network.views.Family of the shops, as last updated


def collect_report(session: Session, campaign_id: int) -> CampaignReport:
    """The report's content; ReportError if the campaign does not exist."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ReportError(f"campaign {campaign_id} not found")
    case = session.get(Case, campaign.case_id)
    assert case is not None
    convs = list(session.scalars(select(Conversation).where(Conversation.campaign_id == campaign_id).order_by(Conversation.id)))
    shop_ids = {c.shop_id for c in convs if c.shop_id} | {
        sid for sid in session.scalars(select(Target.shop_id).where(Target.campaign_id == campaign_id)) if sid
    }
    shops = list(session.scalars(select(Shop).where(Shop.id.in_(shop_ids)).order_by(Shop.id)))
    by_shop = {s.id: s for s in shops}
    sightings = list(
        session.scalars(
            select(Sighting).where(Sighting.conversation_id.in_([c.id for c in convs])).order_by(Sighting.seen_at, Sighting.id)
        )
    )
    reqs = {r.id: r for r in session.scalars(select(Requisite).where(Requisite.id.in_({s.requisite_id for s in sightings})))}
    listed: dict[int, ReportRequisite] = {}
    timeline: list[tuple[datetime, str, dict[str, str]]] = []
    for what, when in (("created", campaign.created_at), ("started", campaign.started_at), ("finished", campaign.finished_at)):
        if when is not None:
            timeline.append((when, "ev_campaign", {"what": what}))
    for conv in convs:
        timeline.append((conv.started_at, "ev_conversation", {"shop": shop_label(by_shop.get(conv.shop_id or -1))}))
    for s in sightings:
        req = reqs.get(s.requisite_id)
        if req is None:
            continue
        shop = shop_label(by_shop.get(s.shop_id or -1))
        item = listed.setdefault(req.id, ReportRequisite(req, [], s.seen_at, s.seen_at, 0))
        item.sightings += 1
        item.first_seen, item.last_seen = min(item.first_seen, s.seen_at), max(item.last_seen, s.seen_at)
        if shop not in item.shops:
            item.shops.append(shop)
        timeline.append((s.seen_at, "ev_sighting", {"shop": shop, "kind": req.kind, "value": req.value}))
    for review in session.scalars(select(Review).where(Review.requisite_id.in_(list(listed))).order_by(Review.id)):
        timeline.append(
            (review.created_at, "ev_review",
             {"name": review.reviewer_name or str(review.reviewer_id), "value": reqs[review.requisite_id].value,
              "decision": review.decision})
        )
    for change in session.scalars(select(ShopStatusChange).where(ShopStatusChange.shop_id.in_(list(by_shop)))):
        timeline.append((change.at, "ev_shop_status", {"shop": shop_label(by_shop[change.shop_id]), "status": change.status}))
    timeline.sort(key=lambda e: e[0])
    head = session.get(ChainHead, 1)
    from prokai.network.views import families_of_shops

    return CampaignReport(
        campaign=campaign,
        case=case,
        shops=shops,
        requisites=sorted(listed.values(), key=lambda r: (bank_of(r.requisite), r.requisite.kind, r.requisite.value)),
        timeline=timeline,
        chain=verify_chain(session),
        head_seq=head.seq if head else 0,
        head_hash=head.head_hash if head else "",
        families=families_of_shops(session, [s.id for s in shops]),
    )


def _register_font() -> str:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        pdfmetrics.registerFont(TTFont(FONT, str(ttf)))
    return FONT


def render_pdf(report: CampaignReport, path: Path, lang: str = "ru", timezone: str = "Asia/Almaty") -> None:
    """Write the report as a PDF to `path`."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from prokai.network.bot import tie_text

    font = _register_font()
    tz = ZoneInfo(timezone)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "—"

    def p(text: str, style: ParagraphStyle = small) -> Paragraph:
        return Paragraph(escape(text), style)

    def table(header: list[str], rows: list[list[str]], widths: list[float]) -> Table | Paragraph:
        if not rows:
            return p(t(lang, "report_none"), body)
        data = [[p(h) for h in header]] + [[p(c) for c in row] for row in rows]
        tbl = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        tbl.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return tbl

    c, case = report.campaign, report.case
    story: list[object] = [
        p(f"{t(lang, 'report_title')} — ProkAi", h1),
        p(t(lang, "report_case", case=case.number, basis=case.legal_basis or "—"), body),
        p(t(lang, "report_campaign", id=c.id, name=c.name, status=c.status, created=when(c.created_at),
            started=when(c.started_at), finished=when(c.finished_at)), body),
        p(t(lang, "report_generated", when=when(report.generated_at)), body),
        p(t(lang, "report_chain"), h2),
        p(
            t(lang, "report_chain_ok", checked=report.chain.checked, seq=report.head_seq, hash=report.head_hash)
            if report.chain.ok
            else t(lang, "report_chain_broken", reason=report.chain.describe()),
            body,
        ),
        p(t(lang, "report_shops"), h2),
        table(
            [t(lang, "col_shop"), t(lang, "col_kind"), t(lang, "col_status"), t(lang, "col_first"), t(lang, "col_last")],
            [[shop_label(s), s.kind, s.status, when(s.first_seen), when(s.last_seen)] for s in report.shops],
            [80, 30, 30, 45, 45],
        ),
        p(t(lang, "report_requisites"), h2),
        table(
            [t(lang, "col_kind"), t(lang, "col_value"), t(lang, "col_bank"), t(lang, "col_status"),
             t(lang, "col_shop"), t(lang, "col_first"), t(lang, "col_last"), t(lang, "col_seen")],
            [
                [kind_label(lang, r.requisite.kind), r.requisite.value, bank_of(r.requisite),
                 status_label(lang, r.requisite.status), ", ".join(r.shops), when(r.first_seen), when(r.last_seen),
                 str(r.sightings)]
                for r in report.requisites
            ],
            [22, 70, 35, 25, 45, 28, 28, 12],
        ),
        p(t(lang, "report_families"), h2),
        table(
            [t(lang, "col_family"), t(lang, "col_members"), t(lang, "col_ties")],
            [[f.id, ", ".join(m.label for m in f.members[:40]) + (f" … +{len(f.members) - 40}" if len(f.members) > 40 else ""),
              " • ".join(tie_text(e, lang, timezone) for e in f.evidence[:20]) or t(lang, "links_alone")]
             for f in report.families],
            [25, 80, 160],
        ),
        p(t(lang, "report_timeline"), h2),
        table(
            [t(lang, "col_when"), t(lang, "col_event")],
            [[when(at), t(lang, key, **values)] for at, key, values in report.timeline[:TIMELINE_LIMIT]],
            [35, 230],
        ),
        Spacer(1, 6 * mm),
    ]
    doc = SimpleDocTemplate(
        str(path), pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
        title=f"ProkAi campaign {c.id}", author="ProkAi",
    )
    doc.build(story)


def campaign_report(db: Database, campaign_id: int, path: str | Path, lang: str = "ru", timezone: str = "Asia/Almaty") -> Path:
    """Write the PDF report of one campaign to `path` (`-`: stdout; else a regular file, written
    atomically, see `prokai.output`); returns where it went (ReportError if unknown)."""
    from prokai.network.update import update

    update(db)  # the families section shows the network as of now
    from prokai.output import check_output, is_stdout, write_output

    if not is_stdout(path):
        check_output(path)  # refuse a device before the work
    with db.session() as s:
        report = collect_report(s, campaign_id)
        return Path(write_output(path, lambda tmp: render_pdf(report, tmp, lang, timezone)))
