"""What a Telegram error means for the account that got it (DESIGN.md, "Facts").

`verdict(exc)` maps an exception from Telethon to the account's next state, a cooldown (seconds)
and the request kind the cooldown applies to. Errors that say nothing about the account (a bad
peer, a network blip) give `None`.
"""

from __future__ import annotations

from dataclasses import dataclass

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

DEAD_SESSION_MESSAGES = ("AUTH_KEY_DUPLICATED", "SESSION_REVOKED", "AUTH_KEY_UNREGISTERED")


@dataclass(frozen=True)
class Verdict:
    """The account's next state, why, and a cooldown on one request kind (if any)."""

    state: AccountState
    reason: str
    cooldown_s: float | None = None
    kind: str | None = None


def request_kind(exc: BaseException, default: str = KIND_ANY) -> str:
    """The request kind of the call that failed with `exc` (from `exc.request`), else `default`."""
    request = getattr(exc, "request", None)
    return _REQUEST_KINDS.get(type(request), default) if request is not None else default


def verdict(exc: BaseException, kind: str | None = None, peer_flood_cooldown_s: float = 86400.0) -> Verdict | None:
    """What `exc` means for the account. A wait applies to the kind of the request that failed
    (from `exc.request`); `kind` is used when the request is unknown."""
    name = type(exc).__name__
    if isinstance(exc, errors.FloodWaitError | errors.FloodPremiumWaitError):
        seconds = float(getattr(exc, "seconds", 0) or 0)
        return Verdict(AccountState.COOLING, f"FLOOD_WAIT_{int(seconds)}", seconds, request_kind(exc, kind or KIND_ANY))
    if isinstance(exc, errors.PhoneNumberFloodError):
        return Verdict(AccountState.COOLING, "PHONE_NUMBER_FLOOD: too many login codes asked for", 86400.0, KIND_LOGIN)
    if isinstance(exc, errors.FrozenMethodInvalidError) or "FROZEN_METHOD_INVALID" in str(exc):
        return Verdict(AccountState.FROZEN, "FROZEN_METHOD_INVALID: the account is frozen")
    if isinstance(exc, errors.PeerFloodError):
        return Verdict(
            AccountState.LIMITED,
            "PEER_FLOOD: may read, may not write to strangers",
            peer_flood_cooldown_s,
            KIND_MESSAGE,
        )
    if isinstance(exc, errors.UserDeactivatedBanError | errors.PhoneNumberBannedError | errors.UserDeactivatedError):
        return Verdict(AccountState.BANNED, name.removesuffix("Error"))
    if isinstance(exc, errors.AuthKeyDuplicatedError):
        return Verdict(AccountState.NEEDS_RELOGIN, "AUTH_KEY_DUPLICATED: the session was used from another IP")
    dead_classes = {
        errors.SessionRevokedError: "SESSION_REVOKED",
        errors.AuthKeyUnregisteredError: "AUTH_KEY_UNREGISTERED",
        errors.SessionExpiredError: "SESSION_EXPIRED",
    }
    for cls, label in dead_classes.items():
        if isinstance(exc, cls):
            return Verdict(AccountState.NEEDS_RELOGIN, f"{label}: the session is dead, log in again")
    if isinstance(exc, errors.RPCError):
        message = str(getattr(exc, "message", "") or "")
        for label in DEAD_SESSION_MESSAGES:
            if label in message:
                return Verdict(AccountState.NEEDS_RELOGIN, f"{label}: the session is dead, log in again")
    return None
