"""`make demo`: the whole product on embedded defaults, end to end, in a few minutes.

In a fresh `data/demo/` folder with SQLite: a SimBox emulator on real pseudo-terminals and the
sandbox messenger with its scenario shops, then, as an operator and a prosecutor would:

 1. inventory the SIMs over AT commands;
 2. log Telegram sessions in on them with the login codes that arrive by SMS;
 3. archive a seized account (its dialogs name shops and requisites);
 4. run a campaign over the scenario shops (and what the archive found);
 5. run two nightly sweeps through the scheduler on a fast-forwarded clock;
 6. a sandbox prosecutor confirms a requisite in the admin bot's chat;
 7. export the freeze list; 8. verify the evidence chain; and print a summary.

`run_demo(root)` returns the summary numbers (the end-to-end test asserts on them).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from prokai.config import AccountsSettings, DatabaseSettings, SecretsSettings, Settings
from prokai.store.db import Database
from prokai.store.migrate import upgrade

console = Console(highlight=False)

SIM_NUMBERS = [f"+7705{n:07d}" for n in range(1, 9)]
SEIZED = SIM_NUMBERS[0]  # the shop's own account, with its old dialogs
TWO_FA = SIM_NUMBERS[1]  # two-step password known from the case file
UNOCCUPIED = SIM_NUMBERS[7]  # no Telegram account on this SIM
CASE_PASSWORD = "Almaty2024!"


@dataclass
class DemoResult:
    sims: int = 0
    logins: dict[str, int] = field(default_factory=dict)
    archived_messages: int = 0
    archive_shops: int = 0
    targets: int = 0
    shops_reached: int = 0
    not_shops: int = 0
    requisites: dict[str, int] = field(default_factory=dict)
    banks: dict[str, int] = field(default_factory=dict)
    sweeps: list[str] = field(default_factory=list)
    sweep_statuses: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    evidence_files: int = 0
    export: str = ""
    chain_ok: bool = False
    chain_records: int = 0
    seconds: float = 0.0


def demo_settings(root: Path) -> Settings:
    """Embedded defaults, in `root`, with a fresh vault key file and sandbox-friendly timeouts."""
    key_file = root / "vault.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode())
    key_file.chmod(0o600)
    return Settings(
        data_dir=root,
        database=DatabaseSettings(url=f"sqlite:///{root / 'prokai.db'}"),
        secrets=SecretsSettings(vault_key_file=key_file),
        accounts=AccountsSettings(sms_code_timeout_s=30.0, login_concurrency=4),
    )


def seed_seized_dialogs(world: Any) -> None:
    """What the shop's own account held when it was seized: a buyer dialog with its bot, an
    operator's message with a card, and family chatter."""
    seized = world.user_by_phone(SEIZED)
    bot = world.resolve("kristall_almaty_bot")
    courier = world.add_user("Курьер Ержан", username="erzhan_kurier_kz")
    mom = world.add_user("Мама")
    world.send_private(bot.id, seized.id, "Заказ #118: переведите 25 000 ₸ на карту 4400 4315 8813 9985, 30 минут.")
    world.send_private(courier.id, seized.id, "Клады по Алмалинскому готовы. Новый бот: @snezhok_ast_bot, "
                                              "оплата Kaspi 4400 4369 8797 3090")
    world.send_private(seized.id, courier.id, "Понял, скину список вечером")
    world.send_private(mom.id, seized.id, "Сынок, купи хлеба по дороге домой")


@dataclass
class Rig:
    emu: Any
    world: Any
    shops: Any
    server: Any
    modems: Any
    day: date


@asynccontextmanager
async def rig(day: date) -> AsyncIterator[Rig]:
    """The SimBox emulator, the sandbox world with the scenario shops, the modem pool."""
    from prokai.crawl.rehearsal import SCENARIOS
    from prokai.sandbox.clock import Clock
    from prokai.sandbox.limits import telegram_limits
    from prokai.sandbox.server import SandboxServer
    from prokai.sandbox.shops.loader import load_folder
    from prokai.sandbox.shops.rotation import day_start
    from prokai.sandbox.shops.shopworld import ShopWorld
    from prokai.sandbox.sms import SimBoxGateway
    from prokai.sandbox.world import World
    from simbox.emulator import Emulator, VirtualSim
    from simbox.pool import Pool, PoolOptions

    emu = Emulator(ports=len(SIM_NUMBERS), sims=[VirtualSim(msisdn=n) for n in SIM_NUMBERS])
    await emu.start()
    shops = None
    server = None
    modems = None
    try:
        # Telegram's flood limits, PEER_FLOOD and join limits, as the crawler meets them for real
        world = World(clock=Clock(offset=day_start(day) + 12 * 3600 - time.time()), sms=SimBoxGateway(emu),
                      limits=telegram_limits())
        for n, phone in enumerate(SIM_NUMBERS):
            if phone == UNOCCUPIED:
                continue
            world.add_account(phone, f"Sim{n}", password=CASE_PASSWORD if phone == TWO_FA else None,
                              has_app_session=phone == SEIZED)
        shops = ShopWorld(world, load_folder(SCENARIOS), start=day).install()
        shops.start()
        seed_seized_dialogs(world)
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        modems = Pool(emu.paths, PoolOptions(probe_timeout=2.0, watchdog_interval=None, sweep_interval=None))
        yield Rig(emu, world, shops, server, modems, day)
    finally:
        if modems is not None:
            await modems.stop()
        if server is not None:
            await server.close()
        if shops is not None:
            await shops.stop()
        await emu.stop()


def _step(n: int, title: str) -> None:
    console.print(f"\n[bold cyan]{n}. {title}[/bold cyan]")


async def run_demo(root: Path, model_kind: str = "transformer") -> DemoResult:
    """Every step, in `root` (which must be empty); returns the numbers of the summary."""
    from sqlalchemy import func, select

    from prokai.accounts.archive import archive_accounts
    from prokai.accounts.clients import sandbox_endpoint
    from prokai.accounts.login import login_all
    from prokai.accounts.passwords import PasswordBook
    from prokai.accounts.pool import AccountPool
    from prokai.crawl.campaigns import create_campaign
    from prokai.crawl.models import load_model
    from prokai.crawl.pacing import SandboxPacer
    from prokai.crawl.rehearsal import entry_targets, rehearsal_runner
    from prokai.crawl.runner import PoolClients
    from prokai.crawl.sweep import run_sweep
    from prokai.daemon.fastforward import run_nights
    from prokai.export.requisites import export_requisites
    from prokai.extract.kinds import BANK_KINDS
    from prokai.intake.targets import TargetKind, TargetSpec, add_targets, parse_targets
    from prokai.inventory.service import scan_and_store_async
    from prokai.ops.jobs import JobRegistry
    from prokai.review.sandbox_round import sandbox_review_round
    from prokai.sandbox.shops.rotation import day_start
    from prokai.store.chain import verify_chain
    from prokai.store.models import Account, Requisite, Shop, Target

    started = time.perf_counter()
    settings = demo_settings(root)
    os.environ["PROKAI_VAULT_KEY"] = settings.secrets.vault_key_file.read_text() if settings.secrets.vault_key_file else ""
    url = settings.database_url
    upgrade(url)
    db = Database(url)
    out = DemoResult()
    day = date.today() + timedelta(days=2)
    async with rig(day) as r:
        _step(1, "SimBox inventory over AT commands (emulated pool on pseudo-terminals)")
        reports = await scan_and_store_async(db, r.emu.paths)
        out.sims = sum(1 for rep in reports if rep.status == "ok")
        for rep in reports:
            sim = rep.sim
            console.print(f"  {rep.path:<14} {rep.status:<6} ICCID {getattr(sim, 'iccid', '-')}  "
                          f"{getattr(sim, 'msisdn', '-')}  {getattr(sim, 'operator', '-')}")

        _step(2, "Telegram logins with SMS codes read from the SimBox")
        await r.modems.start()
        book = PasswordBook.parse(CASE_PASSWORD)
        report = await login_all(db, settings, r.modems, sandbox=r.server, passwords=book)
        out.logins = report.counts()
        for res in report.results:
            via = f" (code via {res.code_via})" if res.code_via else ""
            console.print(f"  {res.phone}: {res.outcome}{via}{'  — ' + res.detail if res.detail else ''}")

        pool = AccountPool(db, settings, endpoint=sandbox_endpoint(r.server))
        _step(3, f"Archive of the seized account {SEIZED}")
        archived = await archive_accounts(pool, [SEIZED])
        for a in archived:
            out.archived_messages += a.new_messages
            console.print(f"  {a.phone}: {a.dialogs} dialogs, {a.new_messages} messages, {a.requisites} requisites, "
                          f"shops: {', '.join(a.shops) or '—'}")
        with db.session() as s:
            found_shops = [u for u in s.scalars(select(Shop.username)) if u]
        out.archive_shops = len(found_shops)

        _step(4, "Campaign over the scenario shops (sandbox time)")
        model = load_model(settings, model_kind)
        specs, _ = parse_targets(entry_targets(r.shops.scenarios))
        campaign_id, _ = create_campaign(db, "DEMO-2026-001", "demo sweep of Telegram shops", specs, actor="operator",
                                         legal_basis="Demo: pre-trial investigation", region="Алматы")
        with db.session() as s:
            add_targets(s, campaign_id, [TargetSpec(f"@{u}", TargetKind.USERNAME, u) for u in found_shops], depth=1)
        runner = rehearsal_runner(db, settings, PoolClients(pool), model, SandboxPacer(r.world.clock), max_depth=1,
                                  concurrency=4)
        run = await runner.run(campaign_id)
        console.print(f"  {run.done} conversations: {dict(sorted(run.outcomes.items()))}")

        _step(5, "Two nightly sweeps, fired by the scheduler on a fast-forwarded clock")
        nights = iter(range(1, 3))

        async def sweep_job(ctx: Any) -> str:
            d = next(nights)
            sweep_day = day + timedelta(days=d)
            r.world.clock.advance(max(0.0, day_start(sweep_day) + 3 * 3600 - r.world.clock.now()))
            await asyncio.sleep(0.05)  # the shops' lifecycle applies the new day
            rep = await run_sweep(db, runner, key=sweep_day.isoformat(), actor="scheduler")
            for k, v in rep.statuses.items():
                out.sweep_statuses[k] = out.sweep_statuses.get(k, 0) + v
            return f"sweep {rep.key}: {rep.run.done} shops, {dict(sorted(rep.statuses.items()))}"

        registry = JobRegistry()
        registry.register("sweep", sweep_job)
        for night in await run_nights(settings, db, registry, nights=2):
            out.sweeps.extend(night.results)
            console.print(f"  {night.scheduled_at:%Y-%m-%d %H:%M %Z}: {'; '.join(night.results)}")

    _step(6, "A sandbox prosecutor reviews in the admin bot's chat")
    review = await sandbox_review_round(db, settings, confirm=1)
    out.confirmed = len(review.confirmed)
    out.evidence_files = len(review.evidence_files)
    console.print(f"  {review.notified} notifications; evidence sent: {review.evidence_files}; "
                  f"confirmed: {review.confirmed} ({'; '.join(review.answers)})")

    _step(7, "Freeze list for the banks (confirmed requisites)")
    path = export_requisites(db, "xlsx", root / "freeze-list.xlsx", status="confirmed")
    out.export = str(path)
    console.print(f"  {path}")

    _step(8, "Evidence chain")
    with db.session() as s:
        result = verify_chain(s)
        out.chain_ok, out.chain_records = result.ok, result.checked
        out.requisites = dict(Counter(s.scalars(select(Requisite.kind))))
        out.banks = dict(Counter(b or "—" for b in s.scalars(
            select(Requisite.issuer).where(Requisite.kind.in_(sorted(BANK_KINDS))))))
        outcomes = Counter(s.scalars(select(Target.outcome).where(Target.campaign_id == campaign_id)))
        out.targets = sum(outcomes.values())
        out.shops_reached = outcomes.get("requisites", 0)
        out.not_shops = outcomes.get("not_shop", 0)
        sessions = s.scalar(select(func.count()).select_from(Account).where(Account.session_enc.is_not(None)))
    console.print(f"  {result.describe()}")
    out.seconds = time.perf_counter() - started
    db.dispose()
    _summary(out, sessions or 0)
    return out


def _summary(out: DemoResult, sessions: int) -> None:
    table = Table(title="ProkAi demo — summary", show_header=False)
    table.add_row("SIMs inventoried", str(out.sims))
    table.add_row("logins", ", ".join(f"{k}: {v}" for k, v in sorted(out.logins.items())))
    table.add_row("sessions in the vault", str(sessions))
    table.add_row("archive", f"{out.archived_messages} messages, {out.archive_shops} shops named")
    table.add_row("targets / shops reached / not shops", f"{out.targets} / {out.shops_reached} / {out.not_shops}")
    table.add_row("requisites by kind", ", ".join(f"{k}: {v}" for k, v in sorted(out.requisites.items())))
    table.add_row("by bank", ", ".join(f"{k}: {v}" for k, v in sorted(out.banks.items())))
    table.add_row("nightly sweeps", f"{len(out.sweeps)}: " + ", ".join(f"{k}: {v}" for k, v in sorted(out.sweep_statuses.items())))
    table.add_row("confirmed by the prosecutor", str(out.confirmed))
    table.add_row("freeze list", out.export)
    table.add_row("evidence chain", f"{'intact' if out.chain_ok else 'BROKEN'} ({out.chain_records} records)")
    table.add_row("time taken", f"{out.seconds:.0f} s")
    console.print()
    console.print(table)


def main() -> int:
    """`make demo`: run in a fresh data/demo folder."""
    root = Path("data/demo")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shipped = (Path("models") / "shop" / "config.json").exists()
    model = "transformer" if shipped else "keywords"
    console.print(f"[bold]ProkAi demo[/bold] (data in {root}/; classifier: {model})")
    if not shipped:
        console.print("[yellow]models/ holds no trained classifier: using the keyword baseline "
                      "(train with `prokai nlp train`)[/yellow]")
    result = asyncio.run(run_demo(root, model))
    return 0 if result.chain_ok and result.shops_reached else 1


if __name__ == "__main__":
    sys.exit(main())
