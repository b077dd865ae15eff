"""Campaigns and their targets in the store: create, status, stop.

A campaign always names its legal basis (a case number). Targets are deduplicated on their
normalized form when created, and by Telegram id (the shop) once resolved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from prokai.intake.targets import TargetSpec, add_targets
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Campaign, Case, Requisite, Sighting, Target
from prokai.store.types import utcnow


class CampaignError(ValueError):
    """A campaign request that cannot be carried out (one-line reason)."""


def create_campaign(
    db: Database,
    case_number: str,
    name: str,
    targets: list[TargetSpec],
    actor: str,
    legal_basis: str | None = None,
    region: str | None = None,
) -> tuple[int, int]:
    """Create the campaign (and its case if new) with its targets; returns (campaign id, targets added)."""
    case_number = case_number.strip()
    if not case_number:
        raise CampaignError("a campaign needs its legal basis: --case NUMBER")
    if not name.strip():
        raise CampaignError("a campaign needs a name")
    with db.session() as s:
        case = s.scalar(select(Case).where(Case.number == case_number))
        if case is None:
            case = Case(number=case_number, legal_basis=legal_basis, region=region, created_by=actor)
            s.add(case)
            s.flush()
            audit(s, actor, "case.create", "case", case.id, number=case_number)
        if s.scalar(select(Campaign).where(Campaign.case_id == case.id, Campaign.name == name)) is not None:
            raise CampaignError(f"case {case_number} already has a campaign named {name!r}")
        campaign = Campaign(case_id=case.id, name=name, status="created", settings={"region": region})
        s.add(campaign)
        s.flush()
        added = add_targets(s, campaign.id, targets, depth=0)
        audit(s, actor, "campaign.create", "campaign", campaign.id, case=case_number, name=name, targets=added)
        return campaign.id, added


@dataclass
class CampaignStatus:
    id: int
    name: str
    case: str
    status: str
    targets: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    requisites: Counter[str] = field(default_factory=Counter)


def campaign_status(db: Database, campaign_id: int) -> CampaignStatus:
    """Targets by status and outcome, requisites by kind."""
    with db.session() as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignError(f"no campaign {campaign_id}")
        st = CampaignStatus(campaign.id, campaign.name, campaign.case.number, campaign.status)
        for status, outcome, count in s.execute(
            select(Target.status, Target.outcome, func.count()).where(Target.campaign_id == campaign_id)
            .group_by(Target.status, Target.outcome)
        ):
            st.targets[status] += count
            if outcome:
                st.outcomes[outcome] += count
        rows = s.execute(
            select(Requisite.kind, func.count(func.distinct(Requisite.id)))
            .join(Sighting, Sighting.requisite_id == Requisite.id)
            .join(Target, Target.shop_id == Sighting.shop_id)
            .where(Target.campaign_id == campaign_id)
            .group_by(Requisite.kind)
        )
        for kind, count in rows:
            st.requisites[kind] = count
        return st


def stop_campaign(db: Database, campaign_id: int, actor: str) -> None:
    """Ask a running campaign to stop after the conversations in progress."""
    with db.session() as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignError(f"no campaign {campaign_id}")
        campaign.status = "stopping" if campaign.status == "running" else "stopped"
        if campaign.status == "stopped":
            campaign.finished_at = utcnow()
        audit(s, actor, "campaign.stop", "campaign", campaign_id)


__all__ = ["CampaignError", "CampaignStatus", "campaign_status", "create_campaign", "stop_campaign"]
