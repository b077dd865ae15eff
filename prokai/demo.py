"""`make demo`: what ProkAi can do so far, end to end on embedded defaults.

Runs in a fresh folder (`data/demo/`), prints each step as it goes and a summary at the end.
Each step is a small function taking the shared `Demo` state; steps are listed in STEPS in the
order the data flows (SIM → account → campaign → … → review → export).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from prokai.store.db import Database
from prokai.store.migrate import upgrade

console = Console(highlight=False)

SAMPLE_SHOP_DIALOG = [
    ("in", "Добро пожаловать в магазин! Решите капчу: 7 + 5 = ?"),
    ("out", "12"),
    ("in", "Выберите город: Алматы | Астана | Шымкент"),
    ("out", "Алматы"),
    ("in", "Оплата 25 000 ₸ на карту 4400 4302 1234 5678 (Kaspi), у вас 30 минут."),
    ("in", "Или USDT TRC20: TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"),
]


@dataclass
class Demo:
    """State shared by the demo steps."""

    root: Path
    db: Database
    summary: dict[str, Any] = field(default_factory=dict)


def step_store(demo: Demo) -> None:
    """A case, a campaign, and one shop conversation stored as evidence."""
    from prokai.store.audit import audit
    from prokai.store.models import Campaign, Case, Conversation, Message, Shop

    with demo.db.session() as s:
        case = Case(number="DEMO-2026-001", legal_basis="Demo: pre-trial investigation", region="Алматы")
        s.add(case)
        s.flush()
        campaign = Campaign(case_id=case.id, name="demo")
        shop = Shop(telegram_id=7000001, username="demo_shop_bot", kind="bot")
        s.add_all([campaign, shop])
        s.flush()
        conv = Conversation(campaign_id=campaign.id, shop_id=shop.id, peer_id=shop.telegram_id)
        s.add(conv)
        s.flush()
        for i, (direction, text) in enumerate(SAMPLE_SHOP_DIALOG, start=1):
            s.add(Message(conversation_id=conv.id, direction=direction, text=text, telegram_message_id=i))
        audit(s, "demo", "campaign.create", "campaign", campaign.id, case=case.number)
    demo.summary["messages stored"] = len(SAMPLE_SHOP_DIALOG)
    console.print(f"  stored {len(SAMPLE_SHOP_DIALOG)} messages of one shop dialog as evidence")


def step_verify(demo: Demo) -> None:
    """Verify the evidence chain, then show that an edit behind the store's back is caught."""
    import sqlalchemy as sa

    from prokai.store.chain import verify_chain

    with demo.db.session() as s:
        result = verify_chain(s)
    console.print(f"  {result.describe()}")
    demo.summary["evidence chain"] = "intact" if result.ok else "BROKEN"

    copy = demo.root / "tampered.db"
    demo.db.dispose()
    shutil.copy(demo.root / "prokai.db", copy)
    tampered = Database(f"sqlite:///{copy}")
    with tampered.engine.begin() as conn:
        conn.execute(sa.text("UPDATE messages SET text = replace(text, '5678', '0000') WHERE id = 5"))
    with tampered.session() as s:
        caught = verify_chain(s)
    tampered.dispose()
    console.print(f"  on a tampered copy: {caught.describe()}")
    demo.summary["tampering caught"] = "yes" if not caught.ok else "NO"


STEPS: list[tuple[str, Callable[[Demo], None]]] = [
    ("Evidence store", step_store),
    ("Evidence chain", step_verify),
]


def main() -> int:
    """Run every step in a fresh data/demo folder and print the summary."""
    root = Path("data/demo")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    url = f"sqlite:///{root / 'prokai.db'}"
    started = time.perf_counter()
    console.print(f"[bold]ProkAi demo[/bold] (data in {root}/)")
    upgrade(url)
    demo = Demo(root=root, db=Database(url))
    for number, (title, step) in enumerate(STEPS, start=1):
        console.print(f"\n[bold cyan]{number}. {title}[/bold cyan]")
        step(demo)
    demo.summary["time taken"] = f"{time.perf_counter() - started:.1f} s"
    table = Table(title="Summary", show_header=False)
    for key, value in demo.summary.items():
        table.add_row(key, str(value))
    console.print()
    console.print(table)
    return 0 if demo.summary.get("evidence chain") == "intact" else 1


if __name__ == "__main__":
    sys.exit(main())
