"""The held-out scenarios (bench/data/crawl_heldout*/, each set written by people who have not read
the crawler) through `prokai rehearse`: zero guardrail breaches and no look-alike judged a shop.

Opt-in (`PROKAI_HELDOUT=1`): a rehearsal of the whole folder takes minutes on a loaded machine.
It reports only ids and totals; never read the held-out files or transcripts to fix a miss.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

HELDOUT = sorted((Path(__file__).resolve().parents[2] / "bench" / "data").glob("crawl_heldout*"))

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.environ.get("PROKAI_HELDOUT") != "1", reason="opt-in: PROKAI_HELDOUT=1 (minutes)"),
    pytest.mark.skipif(not any(f.glob("*.yaml") for f in HELDOUT), reason="no held-out scenarios"),
]


@pytest.mark.parametrize("folder", HELDOUT, ids=[f.name for f in HELDOUT])
def test_heldout_scenarios_breach_no_guardrail_and_no_lookalike_is_a_shop(folder: Path) -> None:
    from prokai.crawl.rehearsal import rehearse

    report = asyncio.run(rehearse([folder], accounts=4))
    totals = report.totals()
    assert totals["guardrail_breaches"] == 0, report.breaches
    judged = [s.id for s in report.scenarios if not s.is_shop and s.judged_shop]
    assert not judged, f"look-alikes judged a shop: {judged}"
