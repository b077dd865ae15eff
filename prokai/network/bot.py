"""The admin bot's `/links <value or @shop>` answer: the family with the evidence for each tie, in
the reviewer's language, and a drawn picture of it (the handler in `prokai.review.handlers`
only sends what this builds)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prokai.network.draw import family_picture
from prokai.network.graph import build_graph
from prokai.network.update import update
from prokai.network.views import Evidence, Family, families_for, requisites_matching
from prokai.readmodels.i18n import kind_label, status_label, t
from prokai.readmodels.queries import day_label
from prokai.store.db import Database

MAX_FAMILIES = 3
MAX_MEMBERS = 25
MAX_EVIDENCE = 15
MAX_REQUISITES = 10
MAX_DRAWN = 40  # requisites in the picture (the family's first by freeze priority)


@dataclass
class LinksAnswer:
    """The text to send and the pictures (PNG bytes, caption) to send after it."""

    families: list[str]
    text: str
    pictures: list[tuple[bytes, str]] = field(default_factory=list)


def tie_text(e: Evidence, lang: str, tz: str) -> str:
    """One tie as the reviewer reads it, in `lang`."""
    first, last = day_label(e.first_seen, tz), day_label(e.last_seen, tz)
    shops = ", ".join(e.shops)
    if e.kind == "requisite":
        what = f"{kind_label(lang, e.requisite_kind)} {e.value}" if e.requisite_kind else e.what
        return t(lang, "tie_requisite", what=what, shops=shops, first=first, last=last)
    if not e.direct:  # several shops name the same peer (an operator, a backup, a new name)
        return t(lang, f"tie_{e.kind}_shared", what=e.what, shops=shops, first=first)
    return t(lang, f"tie_{e.kind}", source=e.shops[0], what=e.what, first=first)


def family_lines(fam: Family, lang: str, tz: str) -> list[str]:
    """A family as the bot writes it: header, members, ties, requisites by freeze priority."""
    lines = [t(lang, "links_header", id=fam.id, founder=fam.founder, count=len(fam.members))]
    for m in fam.members[:MAX_MEMBERS]:
        past = [n for n in m.names if n != m.label]
        lines.append(f"• {m.label} — {m.kind}, {m.status}" + (f" ({', '.join(past)})" if past else ""))
    if len(fam.members) > MAX_MEMBERS:
        lines.append(t(lang, "links_more", count=len(fam.members) - MAX_MEMBERS))
    lines.append(t(lang, "links_evidence"))
    shown = sorted(fam.evidence, key=lambda e: (e.kind != "requisite", -len(e.shops)))[:MAX_EVIDENCE]
    lines += [f"– {tie_text(e, lang, tz)}" for e in shown] or [t(lang, "links_alone")]
    if max(fam.tie_count, len(fam.evidence)) > len(shown):
        lines.append(t(lang, "links_more", count=max(fam.tie_count, len(fam.evidence)) - len(shown)))
    if fam.requisites:
        lines.append(t(lang, "links_requisites"))
        for p in fam.requisites[:MAX_REQUISITES]:
            lines.append(t(lang, "links_requisite_line", rank=p.rank, kind=kind_label(lang, p.kind), value=p.value,
                           bank=p.bank, status=status_label(lang, p.status), shops=p.shops,
                           last=day_label(p.last_seen, tz)))
    return lines


def links_answer(db: Database, query: str, lang: str, timezone: str = "Asia/Almaty", pictures: bool = True) -> LinksAnswer:
    """The answer to `/links QUERY` (the network is brought up to date first)."""
    update(db)
    with db.session() as s:
        fams = families_for(s, query, top=MAX_DRAWN, max_ties=MAX_EVIDENCE)[:MAX_FAMILIES]
        views = [] if query.strip().startswith("@") else requisites_matching(s, query)[:3]
        graphs = [build_graph(s, f.shop_ids, [p.requisite_id for p in f.requisites]) for f in fams] if pictures else []
    if not fams:
        return LinksAnswer([], t(lang, "links_none", query=query))
    lines: list[str] = []
    for v in views:
        shops = ", ".join(h.shop for h in v.handed)
        lines.append(t(lang, "links_requisite_head", kind=kind_label(lang, v.kind), value=v.value, shops=shops,
                       holders=" | ".join(v.holders) or "—"))
    if lines:
        lines.append("")
    for fam in fams:
        lines += family_lines(fam, lang, timezone) + [""]
    answer = LinksAnswer([f.id for f in fams], "\n".join(lines).strip())
    for fam, graph in zip(fams, graphs, strict=True):
        png, _ = family_picture(graph, fam.id)
        left_out = fam.requisite_count - len(fam.requisites)
        caption = t(lang, "links_picture", id=fam.id)
        if left_out:
            caption += " " + t(lang, "links_left_out", count=left_out)
        answer.pictures.append((png, caption))
    return answer
