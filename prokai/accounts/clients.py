"""Telethon clients the way every account uses them: its own device identity, its own fixed proxy,
`flood_sleep_threshold=0` (every wait is handled and persisted by us), and the configured server.

Telethon is imported lazily (inside functions) so `prokai --help` stays fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from prokai.config import ConfigError, Settings, load_secret
from prokai.logs import register_secret

if TYPE_CHECKING:
    from telethon import TelegramClient

# The public api_hash of the default api_id 2040 (Telegram Desktop's published pair).
DEFAULT_API_HASHES = {2040: "b18441a1ff607e10a989891a5462e627"}


class ProxyError(ValueError):
    """A proxy URL that cannot be used, phrased as one line."""


@dataclass(frozen=True)
class Proxy:
    """A parsed proxy: SOCKS5/SOCKS4/HTTP, or MTProxy with its secret."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    secret: str | None = None

    def redacted(self) -> str:
        """The URL with credentials and secrets hidden (safe for logs and listings)."""
        cred = "***@" if (self.username or self.password or self.secret) else ""
        return f"{self.scheme}://{cred}{self.host}:{self.port}"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for TelegramClient (`proxy`, and `connection` for MTProxy)."""
        if self.scheme == "mtproxy":
            from telethon.network.connection import ConnectionTcpMTProxyRandomizedIntermediate

            return {
                "connection": ConnectionTcpMTProxyRandomizedIntermediate,
                "proxy": (self.host, self.port, self.secret),
            }
        return {
            "proxy": {
                "proxy_type": self.scheme,
                "addr": self.host,
                "port": self.port,
                "rdns": True,
                "username": self.username,
                "password": self.password,
            }
        }


def parse_proxy(url: str) -> Proxy:
    """`socks5://[user:pass@]host:port`, `socks4://…`, `http://…`, `mtproxy://SECRET@host:port`."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("socks5", "socks4", "http", "mtproxy"):
        raise ProxyError(f"proxy {url.split('@')[-1]!r}: scheme must be socks5, socks4, http or mtproxy")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or not port:
        raise ProxyError(f"proxy {scheme}://…{parts.hostname or ''}: needs host:port")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme == "mtproxy":
        secret = user or ""
        if not secret or any(c not in "0123456789abcdefABCDEF" for c in secret):
            raise ProxyError(f"proxy mtproxy://…@{parts.hostname}:{port}: the secret must be hex")
        register_secret(secret)
        return Proxy(scheme, parts.hostname, port, secret=secret)
    register_secret(password)
    return Proxy(scheme, parts.hostname, port, user, password)


def proxy_for(settings: Settings, phone: str) -> str | None:
    """The configured proxy URL for `phone` (exact, digits-only or `+digits` key), else `*`, else None."""
    proxies = settings.accounts.proxies
    digits = "".join(c for c in phone if c.isdigit())
    for key in (phone, digits, "+" + digits):
        if key in proxies:
            return proxies[key]
    return proxies.get("*")


def device_for(settings: Settings, phone: str) -> dict[str, str]:
    """A stable device/app identity for a new account: one of `accounts.devices` chosen by the
    phone's hash, else the `telegram.*` identity."""
    tg = settings.telegram
    base = {
        "device_model": tg.device_model,
        "system_version": tg.system_version,
        "app_version": tg.app_version,
        "lang_code": tg.lang_code,
        "system_lang_code": tg.lang_code,
    }
    devices = settings.accounts.devices
    if devices:
        idx = int(hashlib.sha256(phone.encode()).hexdigest(), 16) % len(devices)
        base.update(devices[idx].model_dump())
    return base


def api_hash(settings: Settings) -> str:
    """The api_hash for `telegram.api_id`: PROKAI_API_HASH, `secrets.api_hash_file`, else the public one."""
    text = load_secret(settings, "api_hash")
    if text:
        register_secret(text)
        return text
    known = DEFAULT_API_HASHES.get(settings.telegram.api_id)
    if known is None:
        raise ConfigError(
            f"telegram.api_id {settings.telegram.api_id}: set PROKAI_API_HASH or secrets.api_hash_file to its api_hash"
        )
    return known


@dataclass(frozen=True)
class Endpoint:
    """Where new sessions connect: a DC address and the server key to trust (None: Telegram's own)."""

    host: str
    port: int
    dc_id: int
    key_pem: str | None = None


def endpoint_from_settings(settings: Settings) -> Endpoint | None:
    """`telegram.host/port/dc_id/server_key_file`, or None for Telegram's own servers."""
    tg = settings.telegram
    if not tg.host:
        return None
    if not tg.port:
        raise ConfigError("telegram.port: required when telegram.host is set")
    pem = None
    if tg.server_key_file:
        try:
            pem = Path(tg.server_key_file).read_text(encoding="ascii")
        except OSError as exc:
            raise ConfigError(f"telegram.server_key_file: cannot read {tg.server_key_file}: {exc.strerror}") from None
    return Endpoint(tg.host, tg.port, tg.dc_id, pem)


def sandbox_endpoint(server: Any) -> Endpoint:
    """The endpoint of a running `prokai.sandbox.server.SandboxServer` (tests and the demo)."""
    from prokai.sandbox.crypto import public_key_pem

    return Endpoint(server.host, server.port, server.dc_id, public_key_pem().decode())


def build_client(
    settings: Settings,
    phone: str,
    session_string: str | None,
    *,
    device: dict[str, Any] | None = None,
    proxy: str | None = None,
    endpoint: Endpoint | None = None,
    receive_updates: bool = True,
) -> TelegramClient:
    """A TelegramClient for one account (not connected yet).

    A new session (no `session_string`) is pointed at `endpoint`; a restored one keeps the DC it
    was created on.
    """
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    dev = device or device_for(settings, phone)
    kwargs: dict[str, Any] = {}
    if proxy:
        kwargs.update(parse_proxy(proxy).client_kwargs())
    acc = settings.accounts
    client = TelegramClient(
        StringSession(session_string or None),
        settings.telegram.api_id,
        api_hash(settings),
        flood_sleep_threshold=0,
        connection_retries=acc.connection_retries,
        retry_delay=int(acc.retry_delay_s),
        device_model=dev.get("device_model"),
        system_version=dev.get("system_version"),
        app_version=dev.get("app_version"),
        lang_code=dev.get("lang_code", "en"),
        system_lang_code=dev.get("system_lang_code", "en"),
        receive_updates=receive_updates,
        base_logger="telethon",
        **kwargs,
    )
    if not session_string and endpoint is not None:
        client.session.set_dc(endpoint.dc_id, endpoint.host, endpoint.port)
        if endpoint.key_pem:
            from telethon.crypto import rsa

            rsa.add_key(endpoint.key_pem, old=False)
    return client


def session_string(client: TelegramClient) -> str:
    """The client's session as a StringSession string (registered as a secret)."""
    from telethon.sessions import StringSession

    text: str = StringSession.save(client.session)
    register_secret(text)
    return text
