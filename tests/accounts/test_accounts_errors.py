"""Every Telegram error DESIGN.md names maps to the account state it implies."""

from __future__ import annotations

import pytest
from telethon import errors
from telethon.tl import functions, types

from prokai.accounts.errors import verdict
from prokai.store.models import AccountState

RESOLVE = functions.contacts.ResolveUsernameRequest("shop_bot")
SEND = functions.messages.SendMessageRequest(types.InputPeerSelf(), "hi")


@pytest.mark.parametrize(
    ("exc", "state", "kind", "seconds"),
    [
        (errors.FloodWaitError(RESOLVE, capture=420), AccountState.COOLING, "resolve", 420),
        (errors.FloodWaitError(SEND, capture=30), AccountState.COOLING, "message", 30),
        (errors.FloodWaitError(None, capture=5), AccountState.COOLING, "read", 5),  # unknown request: the lease's kind
        (errors.FrozenMethodInvalidError(SEND), AccountState.FROZEN, None, None),
        (errors.PeerFloodError(SEND), AccountState.LIMITED, "message", 86400),
        (errors.UserDeactivatedBanError(SEND), AccountState.BANNED, None, None),
        (errors.PhoneNumberBannedError(None), AccountState.BANNED, None, None),
        (errors.AuthKeyDuplicatedError(SEND), AccountState.NEEDS_RELOGIN, None, None),
        (errors.SessionRevokedError(SEND), AccountState.NEEDS_RELOGIN, None, None),
        (errors.AuthKeyUnregisteredError(SEND), AccountState.NEEDS_RELOGIN, None, None),
        (errors.PhoneNumberFloodError(None), AccountState.COOLING, "login", 86400),
    ],
)
def test_error_to_state(exc: Exception, state: AccountState, kind: str | None, seconds: int | None) -> None:
    v = verdict(exc, "read")
    assert v is not None and v.state == state and v.kind == kind
    if state == AccountState.NEEDS_RELOGIN:  # the reason names the error as Telegram spells it
        assert v.reason.split(":")[0] in ("AUTH_KEY_DUPLICATED", "SESSION_REVOKED", "AUTH_KEY_UNREGISTERED")
    assert (v.cooldown_s is None) == (seconds is None) and (seconds is None or v.cooldown_s == seconds)


def test_errors_about_the_peer_do_not_touch_the_account() -> None:
    assert verdict(errors.UsernameNotOccupiedError(RESOLVE)) is None
    assert verdict(errors.PeerIdInvalidError(SEND)) is None
    assert verdict(ConnectionError("reset")) is None


def test_proxy_urls() -> None:
    from telethon.network.connection import ConnectionTcpMTProxyRandomizedIntermediate

    from prokai.accounts.clients import ProxyError, parse_proxy
    from prokai.logs import redact

    socks = parse_proxy("socks5://case12:p%40ss-word@10.0.0.5:1080")
    assert (socks.host, socks.port, socks.username, socks.password) == ("10.0.0.5", 1080, "case12", "p@ss-word")
    assert socks.redacted() == "socks5://***@10.0.0.5:1080" and "p@ss-word" not in redact("proxy p@ss-word")
    assert socks.client_kwargs()["proxy"]["proxy_type"] == "socks5"
    mt = parse_proxy("mtproxy://ee0123456789abcdef0123456789abcdef@10.0.0.6:443")
    kw = mt.client_kwargs()
    assert kw["connection"] is ConnectionTcpMTProxyRandomizedIntermediate
    assert kw["proxy"] == ("10.0.0.6", 443, "ee0123456789abcdef0123456789abcdef")
    for bad, why in (("ftp://h:1", "scheme"), ("socks5://hostonly", "host:port"), ("mtproxy://zz@h:443", "hex")):
        with pytest.raises(ProxyError, match=why):
            parse_proxy(bad)
