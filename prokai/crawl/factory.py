"""The one way to build a campaign runner: from settings.

    runner = build_runner(db, settings)                      # the account pool, the settings' knobs
    runner = build_runner(db, settings, provider, model="keywords", concurrency=2)

`runner_options(settings)` reads every knob of `CampaignRunner` that settings hold: the buyer's
city (`crawl.region`), the conversation budget and human-like pacing (`crawl.max_steps_per_conversation`,
`crawl.max_conversation_minutes`, `crawl.min_delay_s`/`max_delay_s`, the order gap), how deep
discovery goes (`crawl.max_depth`), the per-account daily cap (`crawl.daily_cap_per_account`) and
the shop threshold (`nlp.shop_threshold`); the runner's conversations feed the intake pipeline
these settings name (`intake.steps`, `Intake.from_settings`). The CLI, the scheduled sweeps, the demo and the
rehearsals all build their runner here; one that must differ (the sandbox's clock in rehearsals)
names the override and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, Unpack

from prokai.config import Settings
from prokai.crawl.engine import Budget, IntentModel
from prokai.crawl.pacing import Pacer
from prokai.crawl.runner import CampaignRunner, ClientProvider, PoolClients, ProgressEvent
from prokai.intake import Intake
from prokai.store.db import Database


class RunnerOptions(TypedDict, total=False):
    """The keyword arguments of `CampaignRunner`, each one a caller may override."""

    city: str
    budget: Budget
    max_depth: int
    concurrency: int
    shop_threshold: float
    actor: str
    on_new_requisite: Callable[[int], None] | None
    pacer: Pacer | None
    daily_cap: int | None
    on_progress: Callable[[ProgressEvent], None] | None


def budget_from_settings(settings: Settings) -> Budget:
    """A conversation's budget and pacing from `crawl.*` (campaigns and sweeps alike)."""
    crawl = settings.crawl
    return Budget(
        max_steps=crawl.max_steps_per_conversation,
        max_seconds=crawl.max_conversation_minutes * 60,
        min_delay=crawl.min_delay_s,
        max_delay=crawl.max_delay_s,
        order_gap=crawl.order_gap_s,
    )


def runner_options(settings: Settings) -> RunnerOptions:
    """Every runner knob the settings hold."""
    return RunnerOptions(
        city=settings.crawl.region,
        budget=budget_from_settings(settings),
        max_depth=settings.crawl.max_depth,
        shop_threshold=settings.nlp.shop_threshold,
        daily_cap=settings.crawl.daily_cap_per_account,
    )


def build_runner(db: Database, settings: Settings, provider: ClientProvider | None = None, *,
                 model: IntentModel | str = "transformer", **overrides: Unpack[RunnerOptions]) -> CampaignRunner:
    """The campaign runner configured from `settings`.

    `provider`: where sessions come from (default: the account pool on `settings`); `model`: a
    classifier, or its kind for `load_model` ("transformer" from `nlp.model_dir`, "keywords");
    `overrides`: runner options that replace the settings' values (`RunnerOptions`)."""
    from prokai.crawl.models import load_model

    if provider is None:
        from prokai.accounts.pool import AccountPool

        provider = PoolClients(AccountPool(db, settings))
    intent = load_model(settings, model) if isinstance(model, str) else model
    options = runner_options(settings)
    options.update(overrides)
    runner = CampaignRunner(db, provider, intent, **options)
    runner.intake = Intake.from_settings(settings)
    return runner
