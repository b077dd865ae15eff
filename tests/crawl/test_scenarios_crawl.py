"""A campaign over every sandbox scenario with stock Telethon and the shipped classifiers:
every reachable shop yields requisites the shop really handed out, non-shops are left alone,
and nothing the guardrails forbid ever reaches a shop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from prokai.crawl.campaigns import create_campaign
from prokai.crawl.guardrails import forbidden_reason
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, entry_targets, rehearsal
from prokai.crawl.runner import CampaignRunner
from prokai.intake.targets import parse_targets
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord, Message, Requisite, Shop, Target

pytestmark = pytest.mark.timeout(300)

BUDGET = REHEARSAL_BUDGET


def test_campaign_over_every_scenario(tmp_path: Path, crawl_model: object) -> None:
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    db = Database(url)

    async def body() -> None:
        async with rehearsal(db, accounts=4) as rh:
            specs, errors = parse_targets(entry_targets(rh.scenarios))
            assert not errors
            campaign_id, _ = create_campaign(db, "CASE-SCN", "all scenarios", specs, actor="test")
            runner = CampaignRunner(db, rh.provider, crawl_model, city="Алматы", budget=BUDGET, max_depth=1,
                                    concurrency=4, pacer=rh.pacer)
            await runner.run(campaign_id)
            handed = rh.handed_out()
            assert handed
            scenarios = {sc.id: sc for sc in rh.scenarios}
            by_bot = {}
            for sc in rh.scenarios:
                for _, name in _names(sc):
                    by_bot[name] = sc.id
            with db.session() as s:
                got = {(r.kind, r.value) for r in s.scalars(select(Requisite))}
                targets = list(s.scalars(select(Target).where(Target.campaign_id == campaign_id)))
                shops = {sh.id: sh for sh in s.scalars(select(Shop))}
                out_texts = [m.text for m in s.scalars(select(Message).where(Message.direction == "out"))]
                presses = [a.details for a in s.scalars(select(AuditRecord).where(AuditRecord.action == "crawl.press"))]
                assert verify_chain(s).ok
            report = []
            for t in targets:
                name = str(t.meta.get("value"))
                report.append(f"{name}: {t.outcome} ({t.meta.get('reason')})")
            detail = "\n".join(report)
            values = {v for _, v in got}
            # every requisite the shops showed us in text (whole or split) was captured; of those
            # shown only as pictures, OCR must read at least one (it misreads some renderings)
            shown = {(h.scenario, h.requisite.value, h.delivery) for h in rh.shops.handouts}
            missed = {(sid, v) for sid, v, how in shown if how != "image" and _norm(v) not in values}
            assert not missed, f"missed {missed}\n{detail}"
            pictures = {v for _, v, how in shown if how == "image"}
            assert pictures and {v for v in pictures if _norm(v) in values}, f"no image requisite read\n{detail}"
            # every shop scenario alive on day 0 with a way to pay yielded something
            for sc in rh.scenarios:
                if not sc.is_shop:
                    continue
                if any(sid == sc.id for sid, _ in handed):
                    continue
                # shops that die on day 0 or hand out nothing to a first-time buyer are exempt
                spec = sc.spec
                if spec.lifecycle is not None and getattr(spec.lifecycle, "dies_on", None) == 0:
                    continue
                pytest.fail(f"shop {sc.id} handed out nothing to the crawler\n{detail}")
            # non-shops: recognized and left alone
            for t in targets:
                sid = by_bot.get(str(t.meta.get("value")))
                if sid and not scenarios[sid].is_shop:
                    assert t.outcome == "not_shop", f"{sid} not recognized as a non-shop\n{detail}"
            # guardrails: nothing said or pressed confirms a payment, takes a job, or opens a link
            assert not [t for t in out_texts if forbidden_reason(t)]
            assert presses and not [p for p in presses if forbidden_reason(p["text"])]
            assert not [p for p in presses if (p.get("button") or {}).get("kind") in ("url", "other")]
            assert shops

    asyncio.run(asyncio.wait_for(body(), 280))


def _names(sc: object) -> list[tuple[object, str]]:
    from prokai.sandbox.shops.loader import usernames_with_paths

    return usernames_with_paths(sc.spec)  # type: ignore[attr-defined]


def _norm(value: str) -> str:
    from prokai.extract import extract

    found = extract(value)
    return found[0].value if found else value.replace(" ", "")
