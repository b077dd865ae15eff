"""Telegram's natural limits in the sandbox: flood waits, PEER_FLOOD, join limits, latency.

A `LimitsProfile` is part of a world's configuration (`World(limits=...)`). Without one (the
default, what unit tests get) nothing is limited. `telegram_limits()` is the profile rehearsals,
the demo and `bench/crawl.py` run under; every value in it is a field, so a test or a bench can
tighten or relax one (`dataclasses.replace(telegram_limits(), new_chats_by_age=...)`).

Telegram publishes none of these numbers. The values are what public reports of its behaviour
show; each carries its source. All windows are in sandbox seconds (`world.clock`), so a rehearsal
that fast-forwards the clock meets them in sandbox time, as a crawler on the real service meets
them in real time.

What the limiter does, per logged-in account:

- `methods`: sliding-window rules per method (and account). When a call would exceed a rule the
  method is blocked for that rule's `wait_s` and every call until then fails with
  FLOOD_WAIT_<remaining seconds>. contacts.ResolveUsername has its own, long waits.
- `per_chat`: rules for what an account sends into one private chat (messages, presses,
  forwards, media), keyed by (account, peer).
- `new_chats_by_age`: how many new private chats (peers that never wrote first) an account may
  open in 24 h, by the account's age. One more is refused with PEER_FLOOD and the account is
  restricted for `restriction_s` (like @SpamBot's "limited until"): while restricted every write
  to such a peer is PEER_FLOOD.
- `max_channels`: CHANNELS_TOO_MUCH past this many joined channels.
- `bot_response_timeout_s`: how long messages.getBotCallbackAnswer waits for the bot.

`LatencyModel` is the other half of timing: each RPC is answered after a delay drawn from a
log-normal distribution, in sandbox time; in a rehearsal (`mode="advance"`) the delay moves the
sandbox clock on, like the crawler's own pauses, so it costs the crawler sandbox time from its
budgets, not minutes of real time.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from prokai.sandbox.faults import RpcFault

if TYPE_CHECKING:
    from prokai.sandbox.clock import Clock
    from prokai.sandbox.model import UserRecord

DAY = 86400.0


@dataclass(frozen=True)
class Rule:
    """At most `count` calls in any `window_s`; one more blocks the method for `wait_s`."""

    count: int
    window_s: float
    wait_s: float


# Methods whose calls put something into a private chat (the per-chat rate counts them).
CHAT_WRITES = frozenset({
    "messages.SendMessage", "messages.SendMedia", "messages.StartBot", "messages.GetBotCallbackAnswer",
    "messages.ForwardMessages",
})


def telegram_method_rules() -> dict[str, tuple[Rule, ...]]:
    """Per-account, per-method flood limits as public reports describe them."""
    return {
        # contacts.ResolveUsername has its own, long waits: bursts of resolves get FLOOD_WAIT of
        # a few minutes (23-421 s reported: github.com/paveL1boyko/MuskEmpireBot/issues/28, /33,
        # /36, /41; github.com/Poryaei/All-In-One/issues/9 "wait a short time between
        # resolves"), and a fresh session firing 160+ resolves in seconds escalated into 15-18 h
        # bans (pypi.org/project/telethon-floodgate); waits of 11,499 and 47,435 s in
        # github.com/vysheng/tg/issues/1081 and github.com/zhukov/webogram/issues/1252.
        "contacts.ResolveUsername": (Rule(20, 60.0, 300.0), Rule(200, DAY, 15 * 3600.0)),
        # Sending: user accounts that mass-message get FloodWait; telethon-floodgate (pypi)
        # meters "send" at 30/min per account as a deliberately conservative budget; the sandbox
        # allows twice that before a one-minute wait.
        "messages.SendMessage": (Rule(60, 60.0, 60.0),),
        "messages.SendMedia": (Rule(20, 60.0, 60.0),),
        "messages.ForwardMessages": (Rule(30, 60.0, 60.0),),
        # Joining: ~200 groups in an hour ended in a ~70,000 s wait
        # (github.com/surfranch/TelegramShillBot/issues/30); a 348 s wait on channels.JoinChannel
        # in github.com/Freddywhest/DropWizard/issues/2.
        "channels.JoinChannel": (Rule(20, 3600.0, 348.0), Rule(100, DAY, 70000.0)),
        "messages.ImportChatInvite": (Rule(20, 3600.0, 348.0), Rule(100, DAY, 70000.0)),
        # Dialog sweeps: repeated getDialogs ran an account into a 14.8 h ban (telethon-floodgate
        # on pypi meters dialogs at 1/min); the sandbox is more lenient: 20 a minute.
        "messages.GetDialogs": (Rule(20, 60.0, 60.0),),
        # Polling history: calling messages.getHistory in a loop gets FLOOD_WAIT below ~800 ms
        # between calls (github.com/danog/MadelineProto/issues/284; telethon-floodgate on pypi has
        # a "history" bucket); the sandbox allows 60 in 30 s, twice a sustained 1/s.
        "messages.GetHistory": (Rule(60, 30.0, 30.0),),
        # Search: TLSharp users searching every 15 s got ~1 day waits
        # (github.com/sochix/TLSharp/issues/525).
        "contacts.Search": (Rule(30, 60.0, 300.0), Rule(300, DAY, 70000.0)),
        "messages.Search": (Rule(60, 60.0, 60.0),),
    }


def telegram_chat_rules() -> tuple[Rule, ...]:
    """What one account may send into one private chat."""
    # Telegram's Bot FAQ: "In a single chat, avoid sending more than one message per second"
    # (core.telegram.org/bots/faq, quoted in python-telegram-bot's wiki "Avoiding flood
    # limits"); a short burst is tolerated, a sustained 1/s is not.
    return (Rule(5, 5.0, 10.0), Rule(40, 60.0, 60.0))


def telegram_new_chats() -> tuple[tuple[float, int], ...]:
    """(account age below, new chats per 24 h) — the last entry applies to older accounts."""
    # PEER_FLOOD "is received when the account tries to send private messages to too much
    # non-mutual contacts" (tdlib maintainer, github.com/tdlib/td/issues/797); fresh accounts
    # get it after a handful (github.com/LonamiWebs/Telethon/issues/1399: a new userbot's
    # first message; issues/398: "msg send to only 15-20 people"); the account can then write
    # only to its contacts (github.com/vysheng/tg/issues/1166, still after 7 hours).
    return ((DAY, 5), (7 * DAY, 15), (30 * DAY, 30), (math.inf, 50))


@dataclass(frozen=True)
class LimitsProfile:
    """Every limit the sandbox applies; see the module docstring."""

    methods: dict[str, tuple[Rule, ...]] = field(default_factory=telegram_method_rules)
    per_chat: tuple[Rule, ...] = field(default_factory=telegram_chat_rules)
    new_chats_by_age: tuple[tuple[float, int], ...] = field(default_factory=telegram_new_chats)
    new_chats_window_s: float = DAY
    # A first spam restriction lasts about a week; "spam ban 1 day and more"
    # (docs.menubuilder.cc "Limits and restrictions of Telegram"; limits.tginfo.me).
    restriction_s: float = 7 * DAY
    count_bots_as_new_chats: bool = True
    # "The number of channels and supergroups in which you can be - a maximum of 500"
    # (docs.menubuilder.cc; limits.tginfo.me); channels.joinChannel documents CHANNELS_TOO_MUCH
    # (core.telegram.org/method/channels.joinChannel).
    max_channels: int = 500
    # Clients get BOT_RESPONSE_TIMEOUT when a bot is slow to answer a press; "Telegram's timeout
    # seems to be pretty low" (Lonami, github.com/LonamiWebs/Telethon/issues/4073; also
    # github.com/LonamiWebs/Telethon/issues/945, github.com/wiz0u/WTelegramClient/issues/277).
    bot_response_timeout_s: float = 10.0


def telegram_limits() -> LimitsProfile:
    """The profile rehearsals, the demo and the crawler benchmark run under."""
    return LimitsProfile()


@dataclass(frozen=True)
class LatencyModel:
    """Round-trip delay of an RPC: log-normal around `median_s`, clipped to [min_s, max_s].

    Defaults: tens to hundreds of milliseconds, what a client in Central Asia sees to Telegram's
    DC2 (Amsterdam); `sigma` 0.6 puts ~90 % of draws between 0.45x and 2.2x the median.
    """

    median_s: float = 0.08
    sigma: float = 0.6
    min_s: float = 0.02
    max_s: float = 1.5
    seed: int | None = None
    # "sleep": the reply waits for the delay (sandbox time: real time unless someone fast-forwards).
    # "advance": the sandbox clock jumps by the delay and the reply goes at once — for rehearsals,
    # whose crawler already lives on a fast-forwarded clock (SandboxPacer): each round trip costs
    # it sandbox time from its budgets and timeouts, never minutes of real time.
    mode: Literal["sleep", "advance"] = "sleep"

    def sampler(self) -> random.Random:
        """A random source for `draw` (seeded when `seed` is set: reproducible runs)."""
        return random.Random(self.seed)

    def draw(self, rng: random.Random) -> float:
        """One delay in seconds."""
        value = self.median_s * math.exp(rng.gauss(0.0, self.sigma))
        return min(self.max_s, max(self.min_s, value))


@dataclass
class LimitStats:
    """What the limiter refused, for reports (`prokai sandbox inspect`, bench/crawl.py)."""

    flood_waits: dict[str, int] = field(default_factory=dict)  # method -> FLOOD_WAIT replies
    peer_floods: int = 0
    restricted: set[int] = field(default_factory=set)  # accounts restricted at least once
    channels_too_much: int = 0

    @property
    def flood_wait_total(self) -> int:
        """FLOOD_WAIT replies of every method."""
        return sum(self.flood_waits.values())

    def as_dict(self) -> dict[str, object]:
        """JSON-able summary."""
        return {"flood_waits": dict(sorted(self.flood_waits.items())), "flood_wait_total": self.flood_wait_total,
                "peer_floods": self.peer_floods, "restricted_accounts": len(self.restricted),
                "channels_too_much": self.channels_too_much}


class Limiter:
    """Applies a `LimitsProfile` to the calls of logged-in accounts (sandbox time)."""

    def __init__(self, profile: LimitsProfile, clock: Clock) -> None:
        self.profile = profile
        self.clock = clock
        self.stats = LimitStats()
        self._calls: dict[tuple[object, ...], deque[float]] = {}
        self._blocked: dict[tuple[object, ...], float] = {}
        self._new_chats: dict[int, deque[float]] = {}

    def _hit(self, key: tuple[object, ...], rules: tuple[Rule, ...], method: str) -> None:
        now = self.clock.now()
        until = self._blocked.get(key)
        if until is not None:
            if now < until:
                self._flood(method, until - now)
            del self._blocked[key]
        longest = max(r.window_s for r in rules)
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - longest:
            calls.popleft()
        for rule in rules:
            recent = sum(1 for t in calls if t > now - rule.window_s) if rule.window_s < longest else len(calls)
            if recent >= rule.count:
                self._blocked[key] = now + rule.wait_s
                self._flood(method, rule.wait_s)
        calls.append(now)

    def _flood(self, method: str, seconds: float) -> None:
        self.stats.flood_waits[method] = self.stats.flood_waits.get(method, 0) + 1
        raise RpcFault(420, f"FLOOD_WAIT_{max(1, math.ceil(seconds))}")

    def check_call(self, method: str, user: UserRecord) -> None:
        """Per-method rules of `user` (FLOOD_WAIT_X when over)."""
        rules = self.profile.methods.get(method)
        if rules:
            self._hit(("method", user.id, method), rules, method)

    def check_chat(self, method: str, user: UserRecord, peer_id: int) -> None:
        """Per-chat rate of what `user` puts into the chat with `peer_id`."""
        if method in CHAT_WRITES and self.profile.per_chat:
            self._hit(("chat", user.id, peer_id), self.profile.per_chat, method)

    def allowed_new_chats(self, user: UserRecord) -> int:
        """New chats per window for an account of `user`'s age."""
        age = math.inf if user.created is None else self.clock.now() - user.created
        for below, count in self.profile.new_chats_by_age:
            if age < below:
                return count
        return self.profile.new_chats_by_age[-1][1]

    def restricted(self, user: UserRecord) -> bool:
        """Whether `user` is under a spam restriction now (lifts when it expires)."""
        if user.restricted_until is not None and self.clock.now() >= user.restricted_until:
            user.restricted_until = None
            user.peer_flood = False
        return user.peer_flood

    def new_chat(self, user: UserRecord, peer: UserRecord) -> None:
        """`user` writes first to `peer`: PEER_FLOOD past the account's allowance (then restricted)."""
        if peer.is_bot and not self.profile.count_bots_as_new_chats:
            return
        now = self.clock.now()
        opened = self._new_chats.setdefault(user.id, deque())
        while opened and opened[0] <= now - self.profile.new_chats_window_s:
            opened.popleft()
        if len(opened) >= self.allowed_new_chats(user):
            user.peer_flood = True
            user.restricted_until = now + self.profile.restriction_s
            self.stats.restricted.add(user.id)
            self.stats.peer_floods += 1
            raise RpcFault(400, "PEER_FLOOD")
        opened.append(now)

    def join(self, user: UserRecord) -> None:
        """CHANNELS_TOO_MUCH once `user` is in `max_channels` channels."""
        if len(user.channels) >= self.profile.max_channels:
            self.stats.channels_too_much += 1
            raise RpcFault(400, "CHANNELS_TOO_MUCH")
