"""What a Telegram error means, in one table (DESIGN.md, "Facts"): read by the crawler's runner,
its client providers and the account pool alike.

`TELEGRAM_ERRORS` lists, by exception type (`isinstance`, so subclasses match too; the first row
that matches wins), what to do about an error:

- `Action.RETRY`: the account failed (a flood wait, a ban, a dead session). Its state changes
  (`Verdict`: next state, reason, a cooldown on one request kind) and the work goes on with
  another account.
- `Action.TARGET_DEAD`: the peer does not exist (any more): the target is dead, no account is to
  blame.
- `Action.ERROR` (no row matches): nothing is known; the conversation ends as an error.

`classify(exc)` gives the whole answer; `verdict(exc)` only the account's part (None for errors
that say nothing about the account: a bad peer, a network blip).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from telethon import errors
from telethon.tl import functions

from prokai.store.models import AccountState

# Request kinds: what a cooldown blocks. A lease names the kind of work it will do.
KIND_ANY = "any"  # every request (account-wide)
KIND_READ = "read"  # dialogs, history, contacts, media: also allowed when limited
KIND_MESSAGE = "message"  # writing to (stranger) peers, pressing buttons, starting bots
KIND_RESOLVE = "resolve"  # username look-ups (own, long flood limits)
KIND_JOIN = "join"  # joining channels
KIND_LOGIN = "login"  # send code / sign in
READ_KINDS = frozenset({KIND_READ, "archive", "check"})

_REQUEST_KINDS: dict[type, str] = {
    functions.contacts.ResolveUsernameRequest: KIND_RESOLVE,
    functions.contacts.SearchRequest: KIND_RESOLVE,
    functions.messages.SendMessageRequest: KIND_MESSAGE,
    functions.messages.SendMediaRequest: KIND_MESSAGE,
    functions.messages.StartBotRequest: KIND_MESSAGE,
    functions.messages.GetBotCallbackAnswerRequest: KIND_MESSAGE,
    functions.channels.JoinChannelRequest: KIND_JOIN,
    functions.messages.ImportChatInviteRequest: KIND_JOIN,
    functions.auth.SendCodeRequest: KIND_LOGIN,
    functions.auth.ResendCodeRequest: KIND_LOGIN,
    functions.auth.SignInRequest: KIND_LOGIN,
    functions.auth.CheckPasswordRequest: KIND_LOGIN,
}

DEFAULT_PEER_FLOOD_COOLDOWN_S = 86400.0


class Action(StrEnum):
    """What the caller does about an error."""

    RETRY = "retry"  # the account's state changes; another account takes the work
    TARGET_DEAD = "target_dead"  # the peer is gone: the target is dead
    ERROR = "error"  # unknown: the conversation ends as an error


class Wait(Enum):
    """Where a row's cooldown comes from."""

    NONE = "none"
    FROM_ERROR = "from_error"  # the seconds Telegram sent (FLOOD_WAIT_X), on the failed request's kind
    FIXED = "fixed"  # `Rule.cooldown_s` on `Rule.kind`
    PEER_FLOOD = "peer_flood"  # the configured PEER_FLOOD cooldown, on `Rule.kind`


@dataclass(frozen=True)
class Verdict:
    """The account's next state, why, and a cooldown on one request kind (if any)."""

    state: AccountState
    reason: str
    cooldown_s: float | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Rule:
    """One row of the table: the errors it covers and what they mean.

    An error matches when it is an instance of one of `types`, or when it is an instance of one
    of `text_types` and its text holds one of `texts` (an RPC error Telethon has no class for,
    or a `ValueError` whose message is the only thing to go by)."""

    types: tuple[type[BaseException], ...]
    action: Action
    state: AccountState | None = None  # the account's next state (RETRY rows)
    reason: str | None = None  # None: the error's class name without "Error"
    wait: Wait = Wait.NONE
    cooldown_s: float | None = None
    kind: str | None = None
    texts: tuple[str, ...] = ()
    text_types: tuple[type[BaseException], ...] = (errors.RPCError,)

    def matches(self, exc: BaseException) -> bool:
        """Whether this row covers `exc`."""
        if self.types and isinstance(exc, self.types):
            return True
        if self.texts and isinstance(exc, self.text_types):
            text = f"{getattr(exc, 'message', '') or ''} {exc}"
            return any(t in text for t in self.texts)
        return False

    def verdict(self, exc: BaseException, kind: str | None, peer_flood_cooldown_s: float) -> Verdict | None:
        """The account's verdict for `exc` (None for rows that leave the account alone)."""
        if self.state is None:
            return None
        reason = self.reason or type(exc).__name__.removesuffix("Error")
        if self.wait is Wait.FROM_ERROR:
            seconds = float(getattr(exc, "seconds", 0) or 0)
            return Verdict(self.state, f"{reason}_{int(seconds)}", seconds, request_kind(exc, kind or KIND_ANY))
        if self.wait is Wait.FIXED:
            return Verdict(self.state, reason, self.cooldown_s, self.kind)
        if self.wait is Wait.PEER_FLOOD:
            return Verdict(self.state, reason, peer_flood_cooldown_s, self.kind)
        return Verdict(self.state, reason)


_RELOGIN = "the session is dead, log in again"

TELEGRAM_ERRORS: tuple[Rule, ...] = (
    # FloodPremiumWaitError is no subclass of FloodWaitError in Telethon: both are named.
    Rule((errors.FloodWaitError, errors.FloodPremiumWaitError), Action.RETRY, AccountState.COOLING,
         "FLOOD_WAIT", Wait.FROM_ERROR),
    Rule((errors.PhoneNumberFloodError,), Action.RETRY, AccountState.COOLING,
         "PHONE_NUMBER_FLOOD: too many login codes asked for", Wait.FIXED, 86400.0, KIND_LOGIN),
    # A FloodError with no .seconds: the account is frozen.
    Rule((errors.FrozenMethodInvalidError,), Action.RETRY, AccountState.FROZEN,
         "FROZEN_METHOD_INVALID: the account is frozen", texts=("FROZEN_METHOD_INVALID",)),
    Rule((errors.PeerFloodError,), Action.RETRY, AccountState.LIMITED,
         "PEER_FLOOD: may read, may not write to strangers", Wait.PEER_FLOOD, kind=KIND_MESSAGE),
    Rule((errors.UserDeactivatedBanError, errors.PhoneNumberBannedError, errors.UserDeactivatedError),
         Action.RETRY, AccountState.BANNED),
    Rule((errors.AuthKeyDuplicatedError,), Action.RETRY, AccountState.NEEDS_RELOGIN,
         "AUTH_KEY_DUPLICATED: the session was used from another IP", texts=("AUTH_KEY_DUPLICATED",)),
    Rule((errors.SessionRevokedError,), Action.RETRY, AccountState.NEEDS_RELOGIN,
         f"SESSION_REVOKED: {_RELOGIN}", texts=("SESSION_REVOKED",)),
    Rule((errors.AuthKeyUnregisteredError,), Action.RETRY, AccountState.NEEDS_RELOGIN,
         f"AUTH_KEY_UNREGISTERED: {_RELOGIN}", texts=("AUTH_KEY_UNREGISTERED",)),
    Rule((errors.SessionExpiredError,), Action.RETRY, AccountState.NEEDS_RELOGIN,
         f"SESSION_EXPIRED: {_RELOGIN}", texts=("SESSION_EXPIRED",)),
    Rule((errors.UsernameNotOccupiedError, errors.UsernameInvalidError, errors.InputUserDeactivatedError),
         Action.TARGET_DEAD),
    # Telethon's get_entity says so for a username nobody has.
    Rule((), Action.TARGET_DEAD, texts=("No user has",), text_types=(ValueError,)),
)


@dataclass(frozen=True)
class ErrorVerdict:
    """What to do about an error: the action, the error's name, the account's verdict (RETRY)."""

    action: Action
    name: str
    account: Verdict | None = None


def rule_for(exc: BaseException) -> Rule | None:
    """The first row of `TELEGRAM_ERRORS` that covers `exc`, None if none does."""
    return next((rule for rule in TELEGRAM_ERRORS if rule.matches(exc)), None)


def classify(exc: BaseException, kind: str | None = None,
             peer_flood_cooldown_s: float = DEFAULT_PEER_FLOOD_COOLDOWN_S) -> ErrorVerdict:
    """What `exc` means: retry on another account (with the account's verdict), target dead, or
    error. A wait applies to the kind of the request that failed (`exc.request`), else `kind`."""
    name = type(exc).__name__
    rule = rule_for(exc)
    if rule is None:
        return ErrorVerdict(Action.ERROR, name)
    return ErrorVerdict(rule.action, name, rule.verdict(exc, kind, peer_flood_cooldown_s))


def request_kind(exc: BaseException, default: str = KIND_ANY) -> str:
    """The request kind of the call that failed with `exc` (from `exc.request`), else `default`."""
    request = getattr(exc, "request", None)
    return _REQUEST_KINDS.get(type(request), default) if request is not None else default


def verdict(exc: BaseException, kind: str | None = None,
            peer_flood_cooldown_s: float = DEFAULT_PEER_FLOOD_COOLDOWN_S) -> Verdict | None:
    """What `exc` means for the account (`classify`'s account part). A wait applies to the kind
    of the request that failed (from `exc.request`); `kind` is used when the request is unknown."""
    return classify(exc, kind, peer_flood_cooldown_s).account
