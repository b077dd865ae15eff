"""`make demo`'s path end to end, asserting on its numbers: SIMs, logins, archive, campaign,
sweeps, the prosecutor's confirmation, the freeze list and the chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from prokai.demo import SIM_NUMBERS, run_demo
from prokai.store.db import Database
from prokai.store.models import Requisite

pytestmark = pytest.mark.timeout(400)


def test_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROKAI_VAULT_KEY", raising=False)
    model = "transformer" if (Path("models") / "shop" / "config.json").exists() else "keywords"
    result = asyncio.run(asyncio.wait_for(run_demo(tmp_path, model), 380))

    assert result.sims == len(SIM_NUMBERS)
    assert result.logins == {"logged_in": len(SIM_NUMBERS) - 1, "needs_app_registration": 1}
    assert result.archived_messages >= 4 and result.archive_shops >= 1
    assert result.shops_reached >= 5
    assert sum(result.requisites.values()) >= 5
    assert len(result.sweeps) == 2
    assert result.confirmed == 1 and result.evidence_files == 1
    assert result.chain_ok and result.chain_records > 100

    db = Database(f"sqlite:///{tmp_path / 'prokai.db'}")
    with db.session() as s:
        confirmed = [(r.kind, r.value) for r in s.scalars(select(Requisite).where(Requisite.status == "confirmed"))]
    db.dispose()
    assert len(confirmed) == 1
    book = openpyxl.load_workbook(result.export)
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert confirmed[0][1] in cells
