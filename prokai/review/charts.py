"""The /stats chart: new requisites per day, stacked by kind (matplotlib, Agg, PNG bytes)."""

from __future__ import annotations

import io
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.store.models import Requisite


def counts_by_day_and_kind(session: Session, timezone: str, days: int = 30) -> dict[str, Counter[str]]:
    """{local date: Counter(kind)} for the last `days` days that have requisites."""
    tz = ZoneInfo(timezone)
    out: dict[str, Counter[str]] = {}
    for first_seen, kind in session.execute(select(Requisite.first_seen, Requisite.kind)):
        day = first_seen.astimezone(tz).date().isoformat()
        out.setdefault(day, Counter())[kind] += 1
    return {d: out[d] for d in sorted(out)[-days:]}


def stats_png(by_day: dict[str, Counter[str]], title: str) -> bytes:
    """A stacked bar chart as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.subplots()
    days = list(by_day)
    kinds = sorted({k for c in by_day.values() for k in c})
    bottoms = [0] * len(days)
    for kind in kinds:
        values = [by_day[d][kind] for d in days]
        ax.bar(days, values, bottom=bottoms, label=kind)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_title(title)
    ax.set_ylabel("#")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if kinds:
        ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
