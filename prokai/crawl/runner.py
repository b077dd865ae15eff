"""Running a campaign: one serializable job per target, accounts leased per conversation.

A `ConversationJob` (campaign, target, account, attempt) is plain JSON, so a queue shared by
several nodes can carry it; here one process runs the jobs with bounded concurrency. Progress is
persisted on the target (pending → running → done), so a process killed mid-campaign resumes:
`running` targets are taken up again, reusing their open conversation, and the evidence sink
never stores a message or a sighting twice. A target no account can take now (all banned,
cooling, over their daily cap, or held elsewhere for too long) stays `pending` and the run says
so (`RunReport.pending`); `request_stop` (SIGTERM, Ctrl-C) starts no new conversation, gives
those in progress `stop_grace_s`, then cancels them: their leases are released and their targets
go back to `pending`, resumable by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field
from types import MappingProxyType, SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prokai.crawl.engine import Budget, DialogEngine, IntentModel, Outcome, Prior, Result
from prokai.crawl.pacing import Pacer, RealPacer
from prokai.crawl.peer import Observed, TelethonPeer, message_entities
from prokai.crawl.sink import StoreSink
from prokai.crawl.verdict import Behaviour, decide
from prokai.intake import Intake
from prokai.intake.buttons import Button, buttons_of
from prokai.intake.discovery import discovered_targets
from prokai.intake.shops import PeerInfo, upsert_shop
from prokai.intake.targets import TargetKind, add_targets
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import (
    AccountState,
    Campaign,
    Conversation,
    Direction,
    Message,
    Requisite,
    Shop,
    ShopKind,
    ShopStatus,
    Sighting,
    Target,
)
from prokai.store.originals import tl_bytes
from prokai.store.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
INVITE = "invite"  # the outcome of an invite-link target: recorded, not visited


@dataclass
class ConversationJob:
    """One unit of work: talk to one target of one campaign (serializable)."""

    campaign_id: int
    target_id: int
    attempt: int = 0
    avoid_accounts: list[int] = field(default_factory=list)
    kind: str = "crawl"  # or "sweep"
    sweep: str | None = None  # the sweep's key (its date), for idempotence

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ConversationJob:
        return cls(**json.loads(text))


@dataclass
class Leased:
    account_id: int | None
    client: Any


class ClientProvider(Protocol):
    """Hands out connected Telethon clients, one conversation at a time per account."""

    def lease(self, avoid: list[int], prefer: int | None = None) -> AbstractAsyncContextManager[Leased]: ...

    def report(self, account_id: int | None, exc: BaseException) -> None: ...


def close_campaign(s: Session, campaign_id: int, report: RunReport, actor: str, *, stopping: bool,
                   **details: Any) -> None:
    """End a run of the campaign: `stopped` when it was stopped or left targets (`report.left`),
    else `done`; an interrupted run is audited with why and how many are left."""
    campaign = s.get(Campaign, campaign_id)
    assert campaign is not None
    stopped = campaign.status == "stopping" or stopping or bool(report.left)
    campaign.status = "stopped" if stopped else "done"
    campaign.finished_at = utcnow()
    if stopping or report.pending:
        audit(s, actor, "campaign.interrupted", "campaign", campaign_id,
              reason=report.stopped_by or "no account free", pending=report.left, **details)


class RetryJob(Exception):
    """The account failed (flood wait, ban, peer flood): run the job again with another one."""


class SkipAccount(RetryJob):
    """This account may not take the job (e.g. over its daily cap): another one, no attempt spent."""


class NoAccount(RetryJob):
    """No account can take the job now: the target stays pending for a later run."""


class StoreUnavailable(Exception):
    """The database connection failed mid-conversation (a server restart, a dropped connection):
    nothing is the shop's or the account's fault; the conversation is resumed once it is back."""


STORE_RETRY_S = 1.0  # the pause before a conversation cut by a database failure is resumed


def lost_connection(exc: BaseException) -> bool:
    """Whether `exc` is the database connection failing, not a statement being wrong."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    return isinstance(exc, DBAPIError) and (exc.connection_invalidated
                                            or isinstance(exc, (OperationalError, InterfaceError)))


@dataclass
class RunReport:
    done: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    new_requisites: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    total: int = 0  # targets this run knew of: claimed plus discovered on the way (≥ done)
    pending: dict[int, str] = field(default_factory=dict)  # target id → why it was left pending
    stopped_by: str | None = None  # the signal (or reason) that stopped the run early
    left: int = 0  # targets of the campaign still pending when the run ended


@dataclass(frozen=True)
class ProgressEvent:
    """Where a campaign run stands, passed to `CampaignRunner(on_progress=...)`.

    `done` counts the conversations this run finished, `total` the targets it knows of so far
    (it grows when conversations discover new targets), `outcomes` the finished ones by outcome.
    """

    campaign_id: int
    done: int
    total: int
    outcomes: Mapping[str, int]

    @classmethod
    def of(cls, campaign_id: int, report: RunReport) -> ProgressEvent:
        return cls(campaign_id, report.done, max(report.total, report.done),
                   MappingProxyType(dict(report.outcomes)))



def notify_progress(hook: Callable[[ProgressEvent], None] | None, campaign_id: int, report: RunReport) -> None:
    """Tell a progress hook (a display) where the run stands; a broken one never stops the run."""
    if hook is None:
        return
    try:
        hook(ProgressEvent.of(campaign_id, report))
    except Exception:
        log.exception("progress hook failed")

class CampaignRunner:
    """Runs the pending targets of a campaign."""

    # The intake pipeline its conversations feed (`prokai.intake`); None: the one this process's
    # settings name; a runner built from other settings sets `Intake.from_settings(settings)`.
    intake: Intake | None = None

    def __init__(self, db: Database, provider: ClientProvider, model: IntentModel, *, city: str,
                 budget: Budget, max_depth: int = 2, concurrency: int = 4, shop_threshold: float = 0.5,
                 actor: str = "crawler", on_new_requisite: Callable[[int], None] | None = None,
                 pacer: Pacer | None = None, daily_cap: int | None = None,
                 on_progress: Callable[[ProgressEvent], None] | None = None) -> None:
        self.pacer = pacer or RealPacer()
        self.daily_cap = daily_cap
        self.db = db
        self.provider = provider
        self.model = model
        self.city = city
        self.budget = budget
        self.max_depth = max_depth
        self.concurrency = concurrency
        self.shop_threshold = shop_threshold
        self.actor = actor
        self.on_new_requisite = on_new_requisite
        self.on_progress = on_progress  # after each finished job and each claim of targets
        self.stop_grace_s = 10.0  # after request_stop: how long conversations in progress may go on
        self._stop: asyncio.Event | None = None
        self._stop_reason: str | None = None
        self._deferred: set[int] = set()

    def request_stop(self, reason: str = "stop requested") -> None:
        """Stop soon (a signal handler may call it): no new conversation starts; those in
        progress get `stop_grace_s`, a second request cancels them at once."""
        if self._stop_reason is not None:
            self.stop_grace_s = 0.0
        self._stop_reason = reason
        if self._stop is not None:
            self._stop.set()

    @property
    def stop_requested(self) -> bool:
        """Whether `request_stop` was called."""
        return self._stop_reason is not None

    # --- the queue -------------------------------------------------------------------------

    def _claim_jobs(self, campaign_id: int) -> list[ConversationJob]:
        with self.db.session() as s:
            targets = s.scalars(
                select(Target).where(Target.campaign_id == campaign_id, Target.status.in_(("pending", "running")))
                .order_by(Target.id)
            ).all()
            return [ConversationJob(campaign_id, t.id) for t in targets if t.id not in self._deferred]

    def _stopping(self, campaign_id: int) -> bool:
        with self.db.session() as s:
            campaign = s.get(Campaign, campaign_id)
            return campaign is None or campaign.status in ("stopping", "stopped")

    async def run(self, campaign_id: int) -> RunReport:
        """Run until no target is left (new ones found on the way are run too), or stopped."""
        report = RunReport()
        self._stop = asyncio.Event()
        if self._stop_reason is not None:
            self._stop.set()
        self._deferred = set()
        with self.db.session() as s:
            campaign = s.get(Campaign, campaign_id)
            if campaign is None:
                raise ValueError(f"no campaign {campaign_id}")
            campaign.status = "running"
            campaign.started_at = campaign.started_at or utcnow()
            audit(s, self.actor, "campaign.run", "campaign", campaign_id)
        sem = asyncio.Semaphore(self.concurrency)
        while not self._stop.is_set():
            jobs = self._claim_jobs(campaign_id)
            if not jobs or self._stopping(campaign_id):
                break
            report.total = report.done + len(jobs)
            self._progress(campaign_id, report)

            async def one(job: ConversationJob) -> None:
                async with sem:
                    if not self._stopping(campaign_id) and not self.stop_requested:
                        await self.run_job(job, report)

            await self._until_stopped(asyncio.gather(*(one(j) for j in jobs)))
        report.stopped_by = self._stop_reason
        with self.db.session() as s:
            left = s.scalar(select(func.count()).select_from(Target).where(
                Target.campaign_id == campaign_id, Target.status.in_(("pending", "running")))) or 0
            report.left = left
            close_campaign(s, campaign_id, report, self.actor, stopping=self.stop_requested)
        return report

    async def _until_stopped(self, batch: asyncio.Future[Any]) -> None:
        """Await `batch`; on a stop request give it `stop_grace_s`, then cancel it."""
        assert self._stop is not None
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({batch, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not batch.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(batch), self.stop_grace_s)
            if not batch.done():
                log.warning("stopping: conversations in progress cancelled (%s)", self._stop_reason)
                batch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await batch
            elif not batch.cancelled():
                batch.result()
        finally:
            stopper.cancel()

    async def run_job(self, job: ConversationJob, report: RunReport) -> Result | None:
        """One job with retries on other accounts; records the outcome on the target.

        A failed captcha costs that account the shop (shops ban after a few wrong answers), so
        another account tries once more before the target is given up; when no other account is
        left, that outcome stands. With no outcome at all (no account free, all attempts failed on
        the account's side) the target stays pending for a later run.
        """
        try:
            return await self._run_job(job, report)
        except asyncio.CancelledError:
            self._defer(job, report, f"interrupted ({self._stop_reason or 'cancelled'})")
            raise

    async def _run_job(self, job: ConversationJob, report: RunReport) -> Result | None:
        last = skipped = ""
        tried: Result | None = None  # a real outcome (captcha failed, banned) another account could not better
        while job.attempt < MAX_ATTEMPTS:
            try:
                result = await self._attempt(job, report)
            except NoAccount as exc:
                if tried is not None:
                    self._finish(job, tried, report)
                    return tried
                self._defer(job, report, f"no account free: {exc}" + (f"; {skipped}" if skipped else ""))
                return None
            except SkipAccount as exc:
                skipped = str(exc)
                report.errors.append(f"target {job.target_id}: {exc}")
                continue
            except RetryJob as exc:
                job.attempt += 1
                last = str(exc)
                report.errors.append(f"target {job.target_id}: {exc}")
                continue
            except StoreUnavailable as exc:  # the same account resumes the same conversation
                job.attempt += 1
                last = str(exc)
                report.errors.append(f"target {job.target_id}: {exc}")
                log.warning("target %s: %s; resuming in %.0f s", job.target_id, exc, STORE_RETRY_S)
                await asyncio.sleep(STORE_RETRY_S)
                continue
            if result.outcome in (Outcome.CAPTCHA_FAILED, Outcome.BANNED) and job.attempt + 1 < MAX_ATTEMPTS:
                if result.account_id is not None:
                    job.avoid_accounts.append(result.account_id)
                tried = result
                job.attempt += 1
                report.errors.append(f"target {job.target_id}: {result.outcome}, trying another account")
                continue
            self._finish(job, result, report)
            return result
        if tried is not None:
            self._finish(job, tried, report)
            return tried
        self._defer(job, report, f"no account could complete it in {MAX_ATTEMPTS} attempts (last: {last})")
        return None

    def _defer(self, job: ConversationJob, report: RunReport, reason: str) -> None:
        """Leave the target pending (a later run takes it up) and say why."""
        with self.db.session() as s:
            target = s.get(Target, job.target_id)
            if target is not None and target.status != "done":
                target.status = "pending"
                target.meta = {**target.meta, "pending_reason": reason}
        self._deferred.add(job.target_id)
        report.pending[job.target_id] = reason
        log.warning("target %s left pending: %s", job.target_id, reason)

    def _finish(self, job: ConversationJob, result: Result, report: RunReport) -> None:
        with self.db.session() as s:
            target = s.get(Target, job.target_id)
            assert target is not None
            target.status = "done"
            target.outcome = result.outcome
            target.meta = {**target.meta, "reason": result.reason, "steps": result.steps}
        report.done += 1
        report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
        self._progress(job.campaign_id, report)

    def _progress(self, campaign_id: int, report: RunReport) -> None:
        notify_progress(self.on_progress, campaign_id, report)

    # --- one attempt -----------------------------------------------------------------------

    async def _attempt(self, job: ConversationJob, report: RunReport) -> Result:
        with self.db.session() as s:
            target = s.get(Target, job.target_id)
            assert target is not None
            if target.kind == TargetKind.INVITE.value:
                # Recorded, never resolved: a hash looked up as a username could reach anyone.
                return Result(INVITE, reason="private invite link: recorded; joining needs a human decision")
            target.status = "running"
            spec_value = str(target.meta.get("value") or target.raw.split(":", 1)[-1])
            start_param = target.meta.get("start_param")
            telegram_id = target.meta.get("telegram_id")
            depth = target.depth
            # After a crash, the account of the open conversation goes on with it: its chat holds
            # what the shop said while the process was down.
            # Otherwise the account that last talked to this shop returns to it, as a buyer would
            # (its dialogs also find the shop again after a rename).
            open_account = s.scalar(
                select(Conversation.account_id).where(Conversation.target_id == job.target_id,
                                                      Conversation.ended_at.is_(None))
                .order_by(Conversation.id.desc()).limit(1)
            )
            if open_account is None and target.shop_id is not None:
                open_account = s.scalar(
                    select(Conversation.account_id).where(Conversation.shop_id == target.shop_id,
                                                          Conversation.outcome != "handed_over")
                    .order_by(Conversation.id.desc()).limit(1)
                )
        prefer = open_account if open_account not in job.avoid_accounts else None
        async with self.provider.lease(job.avoid_accounts, prefer) as leased:
            if self._over_daily_cap(leased.account_id):
                if leased.account_id is not None:
                    job.avoid_accounts.append(leased.account_id)
                raise SkipAccount(f"account {leased.account_id} reached its daily cap of {self.daily_cap} messages")
            try:
                entity = await self._resolve(leased.client, spec_value, telegram_id)
                return await self._converse(job, leased, entity, start_param, depth, report)
            except RetryJob:
                raise
            except Exception as exc:
                from prokai.accounts.errors import Action, classify

                if lost_connection(exc):
                    raise StoreUnavailable(f"database: {str(exc).splitlines()[0]}") from exc
                decided = classify(exc)
                if decided.action is Action.RETRY:
                    self.provider.report(leased.account_id, exc)
                    if leased.account_id is not None:
                        job.avoid_accounts.append(leased.account_id)
                    raise RetryJob(f"{decided.name} on account {leased.account_id}") from exc
                if decided.action is Action.TARGET_DEAD:
                    self._mark_dead(job.target_id, str(exc))
                    return Result(Outcome.DEAD, reason=str(exc))
                log.exception("conversation with target %s failed", job.target_id)
                return Result(Outcome.ERROR, reason=f"{decided.name}: {exc}")

    def _prior(self, conversation_id: int) -> Prior:
        """What a conversation interrupted by a crash had stored: its sighted requisites and the
        buttons of the screens it was shown (the resumed engine plans the methods left)."""
        with self.db.session() as s:
            reqs = s.scalars(select(Requisite).join(Sighting, Sighting.requisite_id == Requisite.id)
                             .where(Sighting.conversation_id == conversation_id)).all()
            rows = s.scalars(select(Message.buttons).where(Message.conversation_id == conversation_id,
                                                           Message.direction == Direction.IN.value)).all()
        return Prior(requisites=[SimpleNamespace(kind=r.kind, bank=r.issuer) for r in reqs],
                     screens=[[Button.from_json(b) for b in row] for row in rows if row])

    def _has_sightings(self, conversation_id: int) -> bool:
        with self.db.session() as s:
            count = s.scalar(select(func.count()).select_from(Sighting)
                             .where(Sighting.conversation_id == conversation_id))
        return bool(count)

    def _over_daily_cap(self, account_id: int | None) -> bool:
        """Whether the account already sent its day's share (human-like volume per account)."""
        if self.daily_cap is None or account_id is None:
            return False
        since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        with self.db.session() as s:
            sent = s.scalar(select(func.count()).select_from(Message).where(
                Message.account_id == account_id, Message.direction == "out", Message.stored_at >= since))
        return (sent or 0) >= self.daily_cap

    def _mark_dead(self, target_id: int, reason: str) -> None:
        with self.db.session() as s:
            target = s.get(Target, target_id)
            if target is not None and target.shop_id is not None:
                shop = s.get(Shop, target.shop_id)
                if shop is not None:
                    shop.status = ShopStatus.DEAD.value
            audit(s, self.actor, "target.dead", "target", target_id, reason=reason)

    def _bind_shop(self, job: ConversationJob, entity: Any, kind: ShopKind, about: str) -> tuple[int, bool]:
        """Upsert the shop by Telegram id (`prokai.intake.shops`: a new username is a recorded
        rename); returns (shop id, duplicate-in-campaign)."""
        title = getattr(entity, "title", None) or " ".join(
            p for p in (getattr(entity, "first_name", None), getattr(entity, "last_name", None)) if p
        )
        peer = PeerInfo(entity.id, kind.value, getattr(entity, "username", None), title, about or None)
        with self.db.session() as s:
            shop = upsert_shop(s, peer)
            other = s.scalar(
                select(Target.id).where(Target.campaign_id == job.campaign_id, Target.shop_id == shop.id,
                                        Target.id != job.target_id)
            )
            target = s.get(Target, job.target_id)
            assert target is not None
            if other is None:
                target.shop_id = shop.id
                target.kind = kind.value
            return shop.id, other is not None

    def _conversation(self, job: ConversationJob, shop_id: int, account_id: int | None, peer_id: int,
                      kind: str) -> tuple[int, bool]:
        """The target's open conversation (resumed after a crash) or a new one; True if resumed."""
        with self.db.session() as s:
            conv = s.scalar(
                select(Conversation).where(Conversation.target_id == job.target_id, Conversation.ended_at.is_(None))
                .order_by(Conversation.id.desc()).limit(1)
            )
            if conv is not None and conv.account_id != account_id:
                # Another account takes over (the first was banned or must wait): its chat with
                # the shop starts from the beginning, in a conversation of its own.
                conv.ended_at = utcnow()
                conv.outcome = "handed_over"
                conv = None
            if conv is None:
                conv = Conversation(campaign_id=job.campaign_id, target_id=job.target_id, shop_id=shop_id,
                                    account_id=account_id, peer_id=peer_id, kind=kind,
                                    state={"sweep": job.sweep} if job.sweep else {})
                s.add(conv)
                s.flush()
                return conv.id, False
            return conv.id, True

    async def _resolve(self, client: Any, value: str, telegram_id: int | None) -> Any:
        """The target's entity by username; a shop renamed since is found by its Telegram id
        among the account's dialogs."""
        try:
            return await client.get_entity(value)
        except ValueError:
            if telegram_id is None:
                raise
            async for dialog in client.iter_dialogs(limit=200):
                if dialog.entity is not None and dialog.entity.id == telegram_id:
                    return dialog.entity
            raise

    async def _converse(self, job: ConversationJob, leased: Leased, entity: Any, start_param: str | None,
                        depth: int, report: RunReport) -> Result:
        from telethon.tl import types
        from telethon.tl.functions.users import GetFullUserRequest

        client = leased.client
        about = ""
        if isinstance(entity, types.Channel):
            kind = ShopKind.CHANNEL
        elif getattr(entity, "bot", False):
            kind = ShopKind.BOT
        else:
            kind = ShopKind.OPERATOR
        if kind != ShopKind.CHANNEL:
            full = await client(GetFullUserRequest(entity))
            about = getattr(full.full_user, "about", None) or ""
        shop_id, duplicate = self._bind_shop(job, entity, kind, about)
        if duplicate:
            return Result("duplicate", reason="another target of this campaign is the same shop")
        conv_id, resumed = self._conversation(job, shop_id, leased.account_id, entity.id, job.kind)
        sink = StoreSink(self.db, conv_id, leased.account_id, shop_id, entity.id, actor=self.actor,
                         intake=self.intake)
        engine = DialogEngine(self.model, sink, self.city, self.budget, self.shop_threshold, self.pacer)
        texts: list[str] = [about]
        if kind == ShopKind.CHANNEL:
            result = await self._read_channel(client, entity, sink, texts)
        else:
            peer = TelethonPeer(client, entity, self.pacer)
            result = (
                await engine.run_bot(peer, about=about, start_param=start_param, resume=resumed,
                                     prior=self._prior(conv_id) if resumed else None)
                if kind == ShopKind.BOT
                else await engine.run_operator(peer, resume=resumed)
            )
        result.account_id = leased.account_id
        if resumed and result.outcome in (Outcome.STUCK, Outcome.NO_ANSWER) and self._has_sightings(conv_id):
            # Requisites came before the crash: the conversation had already reached its goal.
            result.outcome = Outcome.REQUISITES
        report.new_requisites.extend(sink.new_requisite_ids)
        if self.on_new_requisite:
            for rid in sink.new_requisite_ids:
                self.on_new_requisite(rid)
        report.total += self._close(conv_id, shop_id, result, depth, job, texts)
        return result

    async def _read_channel(self, client: Any, entity: Any, sink: StoreSink, texts: list[str]) -> Result:
        """Channels are read, never written to: store posts, extract, discover links."""
        from telethon.tl.functions.channels import GetFullChannelRequest

        full = await client(GetFullChannelRequest(entity))
        about = getattr(full.full_chat, "about", "") or ""
        texts.append(about)
        result = Result(Outcome.READ)
        for msg in reversed(await client.get_messages(entity, limit=50)):
            # Posts are evidence like chat messages: their entities and the original as Telegram sent it.
            obs = Observed(msg.id, msg.message or "", buttons_of(msg.reply_markup), None, False, msg.date,
                           msg.edit_date, message_entities(msg), raw=tl_bytes(msg))
            result.requisites.extend(sink.incoming(obs))
            texts.append(obs.text)
            texts.extend(b.url for b in obs.buttons if b.url)
            for ent in getattr(msg, "entities", None) or []:
                if getattr(ent, "url", None):
                    texts.append(ent.url)
        behaviour = Behaviour()
        for text in texts:
            behaviour.observe(text)
        for f in result.requisites:
            behaviour.requisite(f"{f.kind} {f.value}")
        verdict = decide(self.model.shop_scores(["\n".join(t for t in texts if t)[:2000]])[0], behaviour,
                         self.shop_threshold)
        result.shop_score, result.signals = verdict.score, sorted(behaviour.signals)
        if not verdict.shop:
            result.outcome = Outcome.NOT_SHOP
        return result

    def _close(self, conv_id: int, shop_id: int, result: Result, depth: int, job: ConversationJob,
               texts: list[str]) -> int:
        """Close the conversation, update the shop, add the targets it mentions (returns how many)."""
        added = 0
        with self.db.session() as s:
            conv = s.get(Conversation, conv_id)
            assert conv is not None
            conv.ended_at = utcnow()
            conv.outcome = result.outcome
            conv.state = {**conv.state, "reason": result.reason, "steps": result.steps,
                          "payments": result.payments_done, "signals": result.signals}
            shop = s.get(Shop, shop_id)
            assert shop is not None
            if result.shop_score is not None:
                shop.shop_score = result.shop_score
            if result.outcome == Outcome.NOT_SHOP:
                shop.status = ShopStatus.NOT_SHOP.value
            elif shop.status != ShopStatus.RENAMED.value:
                shop.status = ShopStatus.ALIVE.value
            # A target a shop linked to (depth > 0) passes its links on even when it looks
            # harmless itself: a showcase channel names the operator and the backup bots.
            if (result.outcome != Outcome.NOT_SHOP or depth > 0) and depth < self.max_depth:
                # What its stored messages name (also before a crash), and its description.
                found = discovered_targets(s, conv_id, texts, own=[shop.username])
                added = add_targets(s, job.campaign_id, found, depth=depth + 1, discovered_from=job.target_id)
                if added:
                    audit(s, self.actor, "discovery", "target", job.target_id, added=added)
        return added


class StaticClients:
    """A ClientProvider over already-connected clients (one conversation per client at a time).

    The account pool (`prokai.accounts`) is the production provider; this one serves a fixed set,
    e.g. sessions a test or a rehearsal logged in itself.
    """

    def __init__(self, clients: list[Leased]) -> None:
        self.clients = list(clients)
        self.busy: set[int] = set()  # indexes into self.clients
        self.broken: set[int | None] = set()
        self.reports: list[tuple[int | None, str]] = []  # (account id, error name)
        self.states: dict[int | None, AccountState] = {}  # what the reported errors made of each account
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def lease(self, avoid: list[int], prefer: int | None = None) -> AsyncIterator[Leased]:
        async with self._changed:
            while True:
                usable = [i for i, c in enumerate(self.clients)
                          if c.account_id not in self.broken and c.account_id not in avoid]
                if not usable:
                    raise NoAccount("no other account is available")
                usable.sort(key=lambda i: self.clients[i].account_id != prefer)
                free = [i for i in usable if i not in self.busy]
                if free:
                    index = free[0]
                    self.busy.add(index)
                    break
                await self._changed.wait()
        try:
            yield self.clients[index]
        finally:
            async with self._changed:
                self.busy.discard(index)
                self._changed.notify_all()

    def report(self, account_id: int | None, exc: BaseException) -> None:
        """Record the error and the account's new state (the table in `prokai.accounts.errors`);
        an account that only has to wait (cooling) stays usable for other jobs, any other one is
        handed out no more."""
        from prokai.accounts.errors import classify

        decided = classify(exc)
        self.reports.append((account_id, decided.name))
        state = decided.account.state if decided.account is not None else None
        if state is not None:
            self.states[account_id] = state
        if state is not AccountState.COOLING:
            self.broken.add(account_id)


class PoolClients:
    """The production ClientProvider: leases from the account pool (`prokai.accounts`).

    The pool itself skips accounts that are banned, cooling down or leased elsewhere, and turns
    the errors reported here into account states and persisted cooldowns.
    """

    def __init__(self, pool: Any, kind: str = "message", wait_s: float = 1.0, max_wait_s: float = 600.0) -> None:
        """`wait_s`: how often to look again while every usable account is leased; after
        `max_wait_s` of that the job gives up (NoAccount: its target stays pending)."""
        self.pool = pool
        self.kind = kind
        self.wait_s = wait_s
        self.max_wait_s = max_wait_s

    @asynccontextmanager
    async def lease(self, avoid: list[int], prefer: int | None = None) -> AsyncIterator[Leased]:
        from prokai.accounts.pool import LeaseRefused

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait_s
        while True:
            try:
                if prefer is not None:
                    try:
                        cm = self.pool.lease(self.kind, account=prefer, also=("resolve",))
                        lease = await cm.__aenter__()
                        break
                    except LeaseRefused as exc:
                        if not exc.busy:
                            prefer = None  # unusable: any other account will do
                cm = self.pool.lease(self.kind, also=("resolve",), avoid=avoid)
                lease = await cm.__aenter__()
                break
            except LeaseRefused as exc:
                # Busy accounts come back when their conversations end; none usable: give up.
                if not exc.busy or loop.time() >= deadline:
                    raise NoAccount(str(exc)) from exc
                await asyncio.sleep(self.wait_s)
        try:
            yield Leased(lease.account.id, lease.client)
        except BaseException as exc:
            if not await cm.__aexit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            await cm.__aexit__(None, None, None)

    def report(self, account_id: int | None, exc: BaseException) -> None:
        if account_id is not None:
            self.pool.report_error(account_id, exc, self.kind)
