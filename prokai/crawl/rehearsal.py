"""A campaign rehearsal in the sandbox: the scenario shops, crawler accounts, a pacer on
sandbox time, and the ground truth to measure against. Used by the tests, `make demo`,
`bench/crawl.py` and `prokai rehearse` (`rehearse` runs and scores one: per scenario, the pools
offered and harvested, requisites shown and stored, whether it was judged a shop); operators
use it to try a campaign before it goes live.

Crawler sessions here are signed in with the codes the sandbox world issued (its own record),
not through a SimBox: that path is the accounts' job (`prokai accounts login`) and is exercised
there.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Unpack

from prokai.config import Settings
from prokai.crawl.engine import ORDER_GAP, Budget, IntentModel
from prokai.crawl.factory import RunnerOptions, build_runner
from prokai.crawl.pacing import Pacer, SandboxPacer
from prokai.crawl.runner import CampaignRunner, ClientProvider, Leased, StaticClients
from prokai.store.db import Database
from prokai.store.models import Account, AccountState

SCENARIOS = Path(__file__).resolve().parents[1] / "sandbox" / "scenarios"
API_HASH = "b18441a1ff607e10a989891a5462e627"

# Sandbox seconds: shops' anti-bot rules want > 1 s between clicks; operators take minutes.
REHEARSAL_BUDGET = Budget(max_steps=40, max_seconds=3600, reply_timeout=20.0, operator_timeout=900.0,
                          min_delay=1.5, max_delay=3.0, order_gap=ORDER_GAP)


def entry_targets(scenarios: list[Any]) -> list[str]:
    """One target line per scenario: its bot, else its operator, else its first channel."""
    out = []
    for sc in scenarios:
        spec = sc.spec
        if spec.bot is not None:
            out.append(f"@{spec.bot.username}")
        elif spec.operator is not None:
            out.append(f"@{spec.operator.username}")
        elif spec.channels:
            out.append(f"https://t.me/{spec.channels[0].username}")
    return out


@dataclass
class Rehearsal:
    world: Any
    shops: Any
    server: Any
    scenarios: list[Any]
    day: date
    provider: StaticClients
    pacer: SandboxPacer
    clients: list[Any] = field(default_factory=list)

    def truth(self, day: date | None = None) -> dict[str, Any]:
        """Ground truth for `day` (default: the sandbox's current day)."""
        from prokai.sandbox.shops.rotation import sandbox_date
        from prokai.sandbox.shops.truth import ground_truth

        return ground_truth(self.scenarios, day or sandbox_date(self.world.clock.now()), self.day)

    def handed_out(self) -> set[tuple[str, str]]:
        """(scenario id, requisite value) the shops actually showed our accounts."""
        return {(h.scenario, h.requisite.value) for h in self.shops.handouts}


async def login_sandbox_client(server: Any, phone: str) -> Any:
    """A stock Telethon client signed in on `phone` with the code the sandbox issued."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    from prokai.sandbox.connect import configure

    client = TelegramClient(StringSession(), 2040, API_HASH, flood_sleep_threshold=0, request_retries=2)
    configure(client, server.host, server.port, server.dc_id)
    await client.connect()
    await client.send_code_request(phone)
    await client.sign_in(phone, server.world.codes[phone.lstrip("+")].code)
    return client


@asynccontextmanager
async def rehearsal(db: Database, accounts: int = 4, scenarios_dir: Path | None = None,
                    scenarios: list[Any] | None = None, day: date | None = None, *, limits: bool = True,
                    latency: bool = True) -> AsyncIterator[Rehearsal]:
    """A running sandbox with the scenario shops and `accounts` signed-in crawler sessions.

    `limits`: Telegram's flood limits, PEER_FLOOD and join limits (`prokai.sandbox.limits`);
    `latency`: round trips of tens to hundreds of sandbox milliseconds once the crawler's
    accounts are signed in. Both on by default, as the crawler meets them on Telegram.

    The sandbox clock starts at 12:00 (UTC+5) of `day` (default: the day after tomorrow), so a
    rehearsal never straddles a rotation at midnight by accident.
    """
    from prokai.sandbox.clock import Clock
    from prokai.sandbox.limits import LatencyModel, telegram_limits
    from prokai.sandbox.server import SandboxServer
    from prokai.sandbox.shops.loader import load_folder
    from prokai.sandbox.shops.rotation import day_start
    from prokai.sandbox.shops.shopworld import ShopWorld
    from prokai.sandbox.world import World

    day = day or (date.today() + timedelta(days=2))
    clock = Clock(offset=day_start(day) + 12 * 3600 - time.time())
    world = World(clock=clock, limits=telegram_limits() if limits else None)
    loaded = scenarios if scenarios is not None else load_folder(scenarios_dir or SCENARIOS)
    shops = ShopWorld(world, loaded, start=day).install()
    shops.start()
    server = SandboxServer(world, "127.0.0.1", 0)
    await server.start()
    clients: list[Any] = []
    try:
        leased = []
        for n in range(accounts):
            phone = f"+7705{n:07d}"
            world.add_account(phone, f"Crawler{n}")
            client = await login_sandbox_client(server, phone)
            clients.append(client)
            with db.session() as s:
                acc = Account(phone=phone, state=AccountState.ACTIVE.value, meta={"rehearsal": True})
                s.add(acc)
                s.flush()
                leased.append(Leased(acc.id, client))
        if latency:
            world.set_latency(LatencyModel(mode="advance"))
        yield Rehearsal(world, shops, server, loaded, day, StaticClients(leased), SandboxPacer(clock), clients)
    finally:
        for client in clients:
            await client.disconnect()
        await server.close()
        await shops.stop()


# ---------------------------------------------------------------------- a dry run, scored


@dataclass
class ScenarioScore:
    """How one scenario fared in a rehearsal (what `prokai rehearse` prints per line)."""

    id: str
    file: str
    is_shop: bool
    outcome: str  # the entry target's outcome ("requisites", "not_shop", ...)
    outcomes: dict[str, str]  # every target of this scenario: @name -> outcome
    pools_offered: list[str]
    pools_harvested: list[str]
    shown: int  # distinct requisites the shop showed the crawler's accounts
    stored: int  # of those, stored by the crawler
    judged_shop: bool
    methods: list[str]  # payment method keys the crawler harvested ('card/kaspi', ...)
    reasons: dict[str, str] = field(default_factory=dict)  # @name -> why its conversation ended
    orders: int = 0  # requisites the shop handed out to the crawler (orders it counted)
    refused: int = 0  # actions the guardrails refused in this scenario's conversations

    @property
    def yielded(self) -> bool:
        """The crawler stored at least one requisite of this shop."""
        return self.stored > 0


@dataclass
class RehearsalReport:
    """A rehearsal's per-scenario scores and totals."""

    scenarios: list[ScenarioScore]
    outcomes: dict[str, int]
    breaches: list[str]
    seconds: float

    def totals(self) -> dict[str, Any]:
        """The figures an operator (and the crawler card) reads first."""
        shops = [s for s in self.scenarios if s.is_shop]
        live = [s for s in shops if s.pools_offered]
        legit = [s for s in self.scenarios if not s.is_shop]
        offered = sum(len(s.pools_offered) for s in live)
        harvested = sum(len(s.pools_harvested) for s in live)
        shown = sum(s.shown for s in self.scenarios)
        stored = sum(s.stored for s in self.scenarios)
        return {
            "scenarios": len(self.scenarios),
            "shops": len(shops),
            "live_shops": len(live),
            "shops_yielding": sum(s.yielded for s in live),
            "pools_offered": offered,
            "pools_harvested": harvested,
            "pool_recall": round(harvested / offered, 4) if offered else None,
            "requisites_shown": shown,
            "requisites_stored": stored,
            "lookalikes": len(legit),
            "lookalikes_judged_shop": sum(s.judged_shop for s in legit),
            "guardrail_breaches": len(self.breaches),
            "outcomes": dict(sorted(self.outcomes.items())),
            "seconds": round(self.seconds, 1),
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, as plain data."""
        from dataclasses import asdict

        return {"scenarios": [asdict(s) for s in self.scenarios], "totals": self.totals(),
                "breaches": self.breaches}

    def lines(self) -> list[str]:
        """The human-readable table: one line per scenario, then the totals."""
        out = [f"{'scenario':<28} {'shop':<5} {'outcome':<15} {'pools':>9} {'reqs':>7} {'judged':<7} {'refused':>7} methods"]
        for s in self.scenarios:
            pools = f"{len(s.pools_harvested)}/{len(s.pools_offered)}"
            reqs = f"{s.stored}/{s.shown}"
            out.append(f"{s.id[:28]:<28} {'yes' if s.is_shop else 'no':<5} {s.outcome[:15]:<15} {pools:>9} "
                       f"{reqs:>7} {'shop' if s.judged_shop else 'no':<7} {s.refused:>7} {','.join(s.methods) or '-'}")
        t = self.totals()
        recall = f"{t['pool_recall']:.1%}" if t["pool_recall"] is not None else "n/a"
        out.append(
            f"totals: {t['scenarios']} scenarios, {t['shops']} shops ({t['live_shops']} alive); "
            f"shops yielding {t['shops_yielding']}/{t['live_shops']}; pools harvested "
            f"{t['pools_harvested']}/{t['pools_offered']} ({recall}); requisites stored "
            f"{t['requisites_stored']}/{t['requisites_shown']} shown; look-alikes judged a shop "
            f"{t['lookalikes_judged_shop']}/{t['lookalikes']}; guardrail breaches {t['guardrail_breaches']}; "
            f"outcomes {t['outcomes']}; {t['seconds']} s"
        )
        return out


def _norm_value(value: str) -> str:
    from prokai.extract import extract

    found = extract(value)
    return found[0].value if found else value.replace(" ", "")


def score_rehearsal(db: Database, rh: Rehearsal, campaign_id: int, seconds: float) -> RehearsalReport:
    """Compare what the crawler stored with what each scenario's shop offered and showed."""
    from sqlalchemy import select

    from prokai.crawl.guardrails import forbidden_reason
    from prokai.sandbox.shops.loader import usernames_with_paths
    from prokai.sandbox.shops.truth import payments_of
    from prokai.store.models import AuditRecord, Conversation, Message, Requisite, Target

    truth = {shop["id"]: shop for shop in rh.truth(rh.day)["shops"]}
    with db.session() as s:
        stored = {r.value for r in s.scalars(select(Requisite))}
        targets = list(s.scalars(select(Target).where(Target.campaign_id == campaign_id).order_by(Target.id)))
        payments = {c.target_id: (c.state or {}).get("payments", []) for c in s.scalars(select(Conversation))}
        out_texts = [m.text for m in s.scalars(select(Message).where(Message.direction == "out"))]
        presses = [a.details for a in s.scalars(select(AuditRecord).where(AuditRecord.action == "crawl.press"))]
        conv_target = {c.id: c.target_id for c in s.scalars(select(Conversation))}
        refusals: dict[int, int] = {}
        for a in s.scalars(select(AuditRecord).where(AuditRecord.action == "crawl.refused")):
            tid = conv_target.get(int(a.object_id)) if a.object_id and a.object_id.isdigit() else None
            if tid is not None:
                refusals[tid] = refusals.get(tid, 0) + 1
    breaches = [f"said: {t!r}" for t in out_texts if t and forbidden_reason(t)]
    breaches += [f"pressed: {p.get('text')!r}" for p in presses
                 if forbidden_reason(str(p.get("text", ""))) or (p.get("button") or {}).get("kind") in ("url", "other")]
    stored_norm = {v.replace(" ", "") for v in stored}
    shown_by: dict[str, dict[str, set[str]]] = {}
    orders: dict[str, int] = {}
    for h in rh.shops.handouts:
        orders[h.scenario] = orders.get(h.scenario, 0) + 1
        shown_by.setdefault(h.scenario, {}).setdefault(h.pool, set()).add(h.requisite.value)
    outcomes: dict[str, int] = {}
    scores = []
    for sc in rh.scenarios:
        names = {n.lower() for _, n in usernames_with_paths(sc.spec)}
        mine = [t for t in targets if str(t.meta.get("value", "")).lower() in names]
        for t in mine:
            outcomes[t.outcome or "pending"] = outcomes.get(t.outcome or "pending", 0) + 1
        shop = truth.get(sc.id, {})
        offered = sorted({pay.pool for _, pay in payments_of(sc.spec)}) if shop.get("alive", True) else []
        pools = shown_by.get(sc.id, {})
        got_pools = sorted(p for p, values in pools.items()
                           if any(_norm_value(v) in stored or v.replace(" ", "") in stored_norm for v in values))
        shown_values = {v for values in pools.values() for v in values}
        got_values = {v for v in shown_values if _norm_value(v) in stored or v.replace(" ", "") in stored_norm}
        methods = sorted({m for t in mine for m in payments.get(t.id, [])})
        judged = any(t.outcome not in (None, "not_shop", "dead", "no_answer", "error", "duplicate") for t in mine)
        scores.append(ScenarioScore(
            id=sc.id, file=sc.path.name, is_shop=sc.is_shop,
            outcome=(mine[0].outcome or "pending") if mine else "not_reached",
            outcomes={f"@{t.meta.get('value')}": t.outcome or "pending" for t in mine},
            pools_offered=offered, pools_harvested=[p for p in got_pools if p in offered] or got_pools,
            shown=len(shown_values), stored=len(got_values), judged_shop=judged or bool(got_values), methods=methods,
            reasons={f"@{t.meta.get('value')}": str(t.meta.get("reason", ""))[:200] for t in mine},
            orders=orders.get(sc.id, 0), refused=sum(refusals.get(t.id, 0) for t in mine),
        ))
    return RehearsalReport(scores, outcomes, breaches, seconds)


def rehearsal_runner(db: Database, settings: Settings, provider: ClientProvider, model: IntentModel | str,
                     sandbox_pacer: Pacer, **overrides: Unpack[RunnerOptions]) -> CampaignRunner:
    """`build_runner` for a sandbox: conversations paced in sandbox seconds (`REHEARSAL_BUDGET`,
    `sandbox_pacer` on the sandbox clock) and no daily cap, because a handful of accounts talks to
    every scenario shop within one sandbox day; the other knobs come from `settings`."""
    options = RunnerOptions(budget=REHEARSAL_BUDGET, daily_cap=None, pacer=sandbox_pacer)
    options.update(overrides)
    return build_runner(db, settings, provider, model=model, **options)


async def rehearse(scenarios_dirs: list[Path], accounts: int = 4, model_kind: str = "transformer",
                   concurrency: int = 4, max_depth: int = 2, settings: Settings | None = None) -> RehearsalReport:
    """A dry run of a campaign over the scenario folders in a fresh sandbox and a throwaway
    database: every scenario's entry target, links followed `max_depth` deep, then scored.
    `settings`: the runner's other knobs (city, shop threshold, model folder; default: built-in)."""
    import tempfile

    from prokai.crawl.campaigns import create_campaign
    from prokai.crawl.models import load_model
    from prokai.intake.targets import parse_targets
    from prokai.sandbox.shops.loader import check_unique, load_folder
    from prokai.store.migrate import upgrade

    loaded = [sc for folder in scenarios_dirs for sc in load_folder(folder)]
    check_unique(loaded)
    settings = settings or Settings()
    model = load_model(settings, model_kind)
    with tempfile.TemporaryDirectory(prefix="prokai-rehearse-") as tmp:
        url = f"sqlite:///{tmp}/rehearsal.db"
        upgrade(url)
        db = Database(url)
        try:
            async with rehearsal(db, accounts=accounts, scenarios=loaded) as rh:
                specs, _ = parse_targets(entry_targets(rh.scenarios))
                campaign_id, _ = create_campaign(db, "REHEARSAL", "rehearsal", specs, actor="rehearsal")
                runner = rehearsal_runner(db, settings, rh.provider, model, rh.pacer, max_depth=max_depth,
                                          concurrency=concurrency)
                t0 = time.perf_counter()
                await runner.run(campaign_id)
                return score_rehearsal(db, rh, campaign_id, time.perf_counter() - t0)
        finally:
            db.dispose()


def sandbox_client(host: str, port: int, session: str) -> Any:
    """A stock Telethon client on an existing sandbox session string."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    from prokai.sandbox.connect import configure

    client = TelegramClient(StringSession(session), 2040, API_HASH, flood_sleep_threshold=0, request_retries=2)
    configure(client, host, port)
    return client


async def run_remote(db_url: str, host: str, port: int, control: str, sessions: dict[int, str],
                     campaign_id: int, model_kind: str = "transformer", concurrency: int = 4) -> None:
    """Run a campaign against a sandbox in another process with the given (account id → session)."""
    from prokai.crawl.pacing import RemoteSandboxPacer

    db = Database(db_url)
    clients = []
    for account_id, text in sessions.items():
        client = sandbox_client(host, port, text)
        await client.connect()
        clients.append(Leased(account_id, client))
    runner = rehearsal_runner(db, Settings(), StaticClients(clients), model_kind, RemoteSandboxPacer(control),
                              max_depth=1, concurrency=concurrency)
    try:
        await runner.run(campaign_id)
    finally:
        for leased in clients:
            await leased.client.disconnect()
        db.dispose()


def _main() -> None:
    """`python -m prokai.crawl.rehearsal DB_URL HOST PORT CONTROL SESSIONS_JSON CAMPAIGN [MODEL]`."""
    import asyncio
    import json
    import sys

    db_url, host, port, control, sessions_file, campaign = sys.argv[1:7]
    model_kind = sys.argv[7] if len(sys.argv) > 7 else "transformer"
    sessions = {int(k): v for k, v in json.loads(Path(sessions_file).read_text()).items()}
    asyncio.run(run_remote(db_url, host, int(port), control, sessions, int(campaign), model_kind))


if __name__ == "__main__":
    _main()
