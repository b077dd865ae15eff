"""Nightly sweeps: re-ask every live shop, because requisites rotate daily.

A sweep has a key (its date); each sweep campaign is a `sweep_campaigns` row (its source campaign
and key); running the sweep of one key twice resumes it instead of asking
the shops again (idempotent); a sweep stopped or killed part-way is finished by the next run of
its key, and a shop's night is recorded only once its conversation is done. Each shop's status that night is recorded as a
`ShopStatusChange`: alive, renamed, dead, or requisites_changed (what it handed out differs
from its previous sweep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import select

from prokai.crawl.runner import RunReport
from prokai.intake.targets import TargetKind, TargetSpec, add_targets
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import (
    Campaign,
    Conversation,
    Requisite,
    Shop,
    ShopStatus,
    ShopStatusChange,
    Sighting,
    SweepCampaign,
    Target,
)

SWEEP_PREFIX = "sweep "


@dataclass
class SweepReport:
    key: str
    campaigns: list[int] = field(default_factory=list)
    run: RunReport = field(default_factory=RunReport)
    statuses: dict[str, int] = field(default_factory=dict)


def _live_shops(db: Database, source_campaign: int) -> list[Shop]:
    with db.session() as s:
        return list(
            s.scalars(
                # IN, not JOIN + DISTINCT: PostgreSQL cannot compare the JSON `meta` for DISTINCT.
                select(Shop)
                .where(Shop.id.in_(select(Target.shop_id).where(Target.campaign_id == source_campaign)),
                       Shop.status.in_((ShopStatus.ALIVE.value, ShopStatus.RENAMED.value)),
                       Shop.kind != "channel")
                .order_by(Shop.id)
            )
        )


def prepare_sweep(db: Database, source_campaign: int, key: str, actor: str) -> int:
    """The sweep campaign for `source_campaign` on `key` (created with its shops if new)."""
    with db.session() as s:
        source = s.get(Campaign, source_campaign)
        if source is None:
            raise ValueError(f"no campaign {source_campaign}")
        existing = s.scalar(select(SweepCampaign.campaign_id).where(SweepCampaign.source_campaign_id == source_campaign,
                                                                    SweepCampaign.sweep_key == key))
        if existing is not None:
            return existing
        sweep = Campaign(case_id=source.case_id, name=f"{source.name} / {SWEEP_PREFIX}{key}", status="created")
        s.add(sweep)
        s.flush()
        sweep_id = sweep.id
        s.add(SweepCampaign(campaign_id=sweep_id, source_campaign_id=source_campaign, sweep_key=key))
        audit(s, actor, "sweep.create", "campaign", sweep_id, source=source_campaign, key=key)
    shops = _live_shops(db, source_campaign)
    with db.session() as s:
        specs = [TargetSpec(f"@{shop.username}", TargetKind.USERNAME, shop.username) for shop in shops if shop.username]
        add_targets(s, sweep_id, specs, depth=0)
        for shop in shops:  # bind the Telegram id now: a renamed shop is still found by it
            if shop.username:
                target = s.scalar(select(Target).where(Target.campaign_id == sweep_id,
                                                       Target.raw == f"username:{shop.username}"))
                if target is not None:
                    target.shop_id = shop.id
                    target.meta = {**target.meta, "telegram_id": shop.telegram_id}
    return sweep_id


def _record_statuses(db: Database, sweep_id: int, key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.session() as s:
        for target in s.scalars(select(Target).where(Target.campaign_id == sweep_id)):
            if target.shop_id is None or target.status != "done":
                continue  # a target left pending (stopped, no account) is recorded when its run ends
            shop = s.get(Shop, target.shop_id)
            assert shop is not None
            if s.scalar(select(ShopStatusChange.id).where(ShopStatusChange.shop_id == shop.id,
                                                            ShopStatusChange.details["sweep"].as_string() == key)):
                continue
            now_reqs = set(s.scalars(
                select(Requisite.value).join(Sighting, Sighting.requisite_id == Requisite.id)
                .join(Conversation, Conversation.id == Sighting.conversation_id)
                .where(Conversation.target_id == target.id)
            ))
            before = s.scalar(select(ShopStatusChange).where(ShopStatusChange.shop_id == shop.id)
                              .order_by(ShopStatusChange.id.desc()).limit(1))
            previous = set((before.details.get("requisites") or []) if before else [])
            if target.outcome == "dead":
                status = "dead"
            elif shop.status == ShopStatus.RENAMED.value:
                status = "renamed"
            elif before is not None and now_reqs and now_reqs != previous:
                status = "requisites_changed"
            else:
                status = "alive"
            s.add(ShopStatusChange(shop_id=shop.id, status=status,
                                   details={"sweep": key, "requisites": sorted(now_reqs), "username": shop.username}))
            counts[status] = counts.get(status, 0) + 1
    return counts


class SweepRunner(Protocol):
    """What runs a sweep's campaigns: the in-process `CampaignRunner`, or the distributed run
    that publishes their jobs for the workers (`prokai.cluster.dispatch.DistributedRun`)."""

    @property
    def stop_requested(self) -> bool: ...

    async def run(self, campaign_id: int) -> RunReport: ...


async def run_sweep(db: Database, runner: SweepRunner, key: str | None = None,
                    campaign_id: int | None = None, actor: str = "scheduler") -> SweepReport:
    """Sweep every (or one) original campaign's live shops for `key` (default: today)."""
    key = key or date.today().isoformat()
    report = SweepReport(key)
    with db.session() as s:
        query = select(Campaign.id).where(Campaign.id.not_in(select(SweepCampaign.campaign_id))).order_by(Campaign.id)
        if campaign_id is not None:
            query = query.where(Campaign.id == campaign_id)
        sources = list(s.scalars(query))
    for source in sources:
        sweep_id = prepare_sweep(db, source, key, actor)
        report.campaigns.append(sweep_id)
        result = await runner.run(sweep_id)
        report.run.done += result.done
        report.run.total += result.total
        report.run.new_requisites.extend(result.new_requisites)
        for k, v in result.outcomes.items():
            report.run.outcomes[k] = report.run.outcomes.get(k, 0) + v
        report.run.pending.update(result.pending)
        report.run.stopped_by = result.stopped_by
        report.run.left += result.left
        for k, v in _record_statuses(db, sweep_id, key).items():
            report.statuses[k] = report.statuses.get(k, 0) + v
        if runner.stop_requested:
            break  # the same key resumes the rest
    return report
