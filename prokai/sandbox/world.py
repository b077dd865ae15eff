"""The sandbox world: accounts on SIM numbers, bots, channels, their messages and login codes.

One `World` is shared by every connection of a sandbox server (and survives a server restart
in-process). Everything is in memory; methods that change it push the matching TL updates to
connected clients through subscribers (the server's connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from telethon.crypto import AuthKey
from telethon.tl import types

from prokai.sandbox.bots import (
    Bot,
    BotChat,
    Button,
    CallbackAnswer,
    CallbackQuery,
    Image,
    IncomingMessage,
    Keyboard,
)
from prokai.sandbox.clock import Clock
from prokai.sandbox.entities import entities_for
from prokai.sandbox.faults import Faults, RpcFault
from prokai.sandbox.limits import LatencyModel, Limiter, LimitsProfile
from prokai.sandbox.model import (
    ChannelRecord,
    DocumentRecord,
    PhotoRecord,
    StoredMessage,
    UserRecord,
    new_photo,
)
from prokai.sandbox.sms import MemoryGateway, SmsGateway
from prokai.sandbox.views import Refs, tl_message

log = logging.getLogger(__name__)

SERVICE_USER_ID = 777000
CODE_LENGTH = 5
CODE_TTL_S = 300.0


class Subscriber(Protocol):
    """A connected client session that receives pushed updates."""

    def push_update(self, updates: Any) -> None: ...


KEY_BYTES = 256


def padded_key(key: AuthKey) -> AuthKey:
    """`key` as Telethon's StringSession stores it: padded with zero bytes to 256."""
    return AuthKey(key.key.ljust(KEY_BYTES, b"\0"))


@dataclass
class AuthKeyRecord:
    """A permanent auth key created by a real handshake, and what it is bound to."""

    key: AuthKey
    salt: int
    created: float
    user_id: int | None = None
    pending_user_id: int | None = None  # signed in with code, waiting for the 2FA password
    srp: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    app_version: str = ""
    layer: int = 0
    peer: str = ""
    dead_reason: str | None = None  # AUTH_KEY_DUPLICATED / SESSION_REVOKED once injected


@dataclass
class LoginCode:
    phone: str
    code: str
    phone_code_hash: str
    kind: str  # "app" or "sms"
    expires: float
    sms_sent: bool = False


def normalize_phone(phone: str) -> str:
    """Digits only: '+7 701 123-45-67' -> '77011234567'."""
    return "".join(ch for ch in phone if ch.isdigit())


class World:
    """Users, bots, channels, messages, login codes, auth keys and injected faults."""

    def __init__(
        self,
        clock: Clock | None = None,
        sms: SmsGateway | None = None,
        *,
        dc_id: int = 2,
        bot_response_timeout: float = 10.0,
        fixed_code: str | None = None,
        seed: str = "prokai-sandbox",
        limits: LimitsProfile | None = None,
        latency: LatencyModel | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.sms: SmsGateway = sms or MemoryGateway()
        self.dc_id = dc_id
        self.bot_response_timeout = limits.bot_response_timeout_s if limits is not None else bot_response_timeout
        # Telegram's natural limits and round-trip latency (prokai.sandbox.limits); None = off
        self.limiter: Limiter | None = Limiter(limits, self.clock) if limits is not None else None
        self.latency = latency
        self._latency_rng = latency.sampler() if latency is not None else None
        self.fixed_code = fixed_code  # benchmarks only: every login code is this value
        self.seed = seed  # access hashes derive from it: stable across restarts of the process
        self.faults = Faults(self.clock)
        self.users: dict[int, UserRecord] = {}
        self.channels: dict[int, ChannelRecord] = {}
        self.phones: dict[str, int] = {}
        self.usernames: dict[str, tuple[str, int]] = {}
        self.photos: dict[int, PhotoRecord] = {}
        self.documents: dict[int, DocumentRecord] = {}
        self.uploads: dict[tuple[int, int], dict[int, bytes]] = {}  # (user id, file id) -> parts
        self.auth_keys: dict[int, AuthKeyRecord] = {}
        self.key_aliases: dict[int, int] = {}  # key id of a zero-padded short key -> its own key id
        self.codes: dict[str, LoginCode] = {}
        self.code_log: list[LoginCode] = []
        self._subscribers: dict[int, set[Subscriber]] = {}
        self._next_user_id = 1_000_001
        self._next_channel_id = 2_000_001
        self._tasks: set[asyncio.Task[Any]] = set()
        self.add_user("Telegram", user_id=SERVICE_USER_ID)

    # ------------------------------------------------------------------ limits and latency

    def set_limits(self, limits: LimitsProfile | None) -> None:
        """Apply `limits` from now on (None: nothing is limited); the callback timeout follows it."""
        self.limiter = Limiter(limits, self.clock) if limits is not None else None
        if limits is not None:
            self.bot_response_timeout = limits.bot_response_timeout_s

    def set_latency(self, latency: LatencyModel | None) -> None:
        """Answer every RPC after a delay drawn from `latency` (None: at once)."""
        self.latency = latency
        self._latency_rng = latency.sampler() if latency is not None else None

    def draw_latency(self) -> float:
        """The delay of the next RPC in sandbox seconds (0 without a latency model)."""
        if self.latency is None or self._latency_rng is None:
            return 0.0
        return self.latency.draw(self._latency_rng)

    @contextlib.contextmanager
    def unthrottled(self) -> Iterator[None]:
        """Neither limits nor latency inside the block (a baseline of the sandbox's own speed)."""
        limiter, latency = self.limiter, self.latency
        self.limiter = None
        self.set_latency(None)
        try:
            yield
        finally:
            self.limiter = limiter
            self.set_latency(latency)

    # ------------------------------------------------------------------ building the world

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str = "",
        username: str | None = None,
        phone: str | None = None,
        user_id: int | None = None,
        about: str = "",
    ) -> UserRecord:
        """A world character (not necessarily loggable-in without a phone)."""
        uid = user_id if user_id is not None else self._alloc_user_id()
        user = UserRecord(
            id=uid, first_name=first_name, last_name=last_name, username=username, about=about,
            access_hash=self.access_hash("user", uid),
        )
        if phone:
            user.phone = normalize_phone(phone)
            if user.phone in self.phones:
                raise ValueError(f"phone +{user.phone} already has an account")
            self.phones[user.phone] = uid
        if username:
            self._claim_username(username, ("user", uid))
        self.users[uid] = user
        return user

    def add_account(
        self,
        phone: str,
        first_name: str = "",
        *,
        last_name: str = "",
        username: str | None = None,
        password: str | None = None,
        password_hint: str = "",
        banned: bool = False,
        frozen: bool = False,
        has_app_session: bool = False,
        created: float | None = None,
    ) -> UserRecord:
        """An existing Telegram account on SIM number `phone`; `created` is when it was registered
        (sandbox time; None = long ago): the limits profile lets young accounts open fewer chats."""
        digits = normalize_phone(phone)
        user = self.add_user(first_name or f"User {digits[-4:]}", last_name=last_name, username=username, phone=digits)
        user.password = password
        user.password_hint = password_hint
        user.banned = banned
        user.frozen = frozen
        user.has_app_session = has_app_session
        user.created = created
        return user

    def add_bot(
        self, username: str, bot: Bot | None, first_name: str | None = None, about: str = "",
        commands: Iterable[tuple[str, str]] = (),
    ) -> UserRecord:
        """A bot peer; `bot` gives it behaviour (None = a silent bot). `commands` are (command,
        description) pairs, the list clients get in GetFullUser's bot_info (no leading '/')."""
        user = self.add_user(first_name or username, username=username, about=about)
        user.is_bot = True
        user.bot = bot
        user.commands = [(c.lstrip("/"), d) for c, d in commands]
        return user

    def set_photo(self, peer: UserRecord | ChannelRecord, image: Image) -> PhotoRecord:
        """Give a user, bot or channel a profile photo (downloadable with download_profile_photo)."""
        photo = new_photo(image, self.clock.now_int(), self.dc_id)
        self.photos[photo.id] = photo
        peer.photo = photo
        return photo

    def add_channel(
        self, title: str, *, username: str | None = None, about: str = "", invite_hash: str | None = None
    ) -> ChannelRecord:
        """A broadcast channel (public with `username`, joinable by link with `invite_hash`)."""
        cid = self._next_channel_id
        self._next_channel_id += 1
        channel = ChannelRecord(
            id=cid, title=title, username=username, about=about, date=self.clock.now_int(), invite_hash=invite_hash,
            access_hash=self.access_hash("channel", cid),
        )
        if username:
            self._claim_username(username, ("channel", cid))
        self.channels[cid] = channel
        return channel

    def access_hash(self, kind: str, ident: int) -> int:
        """The access hash of a peer: derived from the world seed, so sessions survive restarts."""
        digest = hashlib.sha256(f"{self.seed}:{kind}:{ident}".encode()).digest()
        return int.from_bytes(digest[:8], "little", signed=True)

    def _alloc_user_id(self) -> int:
        while self._next_user_id in self.users:
            self._next_user_id += 1
        uid = self._next_user_id
        self._next_user_id += 1
        return uid

    def _claim_username(self, username: str, target: tuple[str, int]) -> None:
        key = username.lower().lstrip("@")
        if key in self.usernames:
            raise ValueError(f"username @{username} is taken")
        self.usernames[key] = target

    def user_by_phone(self, phone: str) -> UserRecord | None:
        """The account on `phone`, if any."""
        uid = self.phones.get(normalize_phone(phone))
        return self.users.get(uid) if uid is not None else None

    def resolve(self, name: str) -> UserRecord | ChannelRecord | None:
        """A user or channel by @username, by phone (+digits) or by numeric id."""
        name = name.strip()
        if name.startswith("+"):
            return self.user_by_phone(name)
        if name.lstrip("-").isdigit():
            num = int(name)
            return self.users.get(num) or self.channels.get(num)
        target = self.usernames.get(name.lower().lstrip("@"))
        if target is None:
            return None
        kind, ident = target
        return self.users.get(ident) if kind == "user" else self.channels.get(ident)

    # ------------------------------------------------------------------ sessions and updates

    def subscribe(self, user_id: int, sub: Subscriber) -> None:
        """Deliver `user_id`'s updates to `sub` from now on."""
        self._subscribers.setdefault(user_id, set()).add(sub)

    def unsubscribe(self, user_id: int, sub: Subscriber) -> None:
        """Stop delivering updates to `sub`."""
        subs = self._subscribers.get(user_id)
        if subs:
            subs.discard(sub)

    def online(self, user_id: int) -> int:
        """How many connected sessions `user_id` has."""
        return len(self._subscribers.get(user_id, ()))

    def push(self, user_id: int, updates: Any, exclude: Subscriber | None = None) -> None:
        """Send an Updates object to every connected session of `user_id`."""
        for sub in list(self._subscribers.get(user_id, ())):
            if sub is not exclude:
                sub.push_update(updates)

    def _updates(self, viewer_id: int, update: Any, refs_from: Iterable[StoredMessage] = ()) -> Any:
        refs = Refs(self, viewer_id)
        refs.user(viewer_id)
        for msg in refs_from:
            refs.message(msg)
        return types.Updates(updates=[update], users=refs.users, chats=refs.chats, date=self.clock.now_int(), seq=0)

    def register_key(self, key: AuthKey, salt: int, peer: str = "") -> AuthKeyRecord:
        """Remember an auth key a handshake just created."""
        rec = AuthKeyRecord(key=key, salt=salt, created=self.clock.now(), peer=peer)
        self.auth_keys[key.key_id] = rec
        if len(key.key) < KEY_BYTES:
            # Telethon keeps g_ab without its leading zero bytes (about 1 key in 256 is shorter),
            # and StringSession saves the key padded with trailing zeros: a reloaded session then
            # speaks with that padded key. Accept it as the same key, or such a saved session
            # would be refused with -404 at random.
            self.key_aliases[padded_key(key).key_id] = key.key_id
        return rec

    def find_key(self, key_id: int) -> tuple[AuthKeyRecord, AuthKey] | None:
        """The record of the key a packet names, and the key bytes it was encrypted with."""
        rec = self.auth_keys.get(key_id)
        if rec is not None:
            return rec, rec.key
        primary = self.key_aliases.get(key_id)
        rec = self.auth_keys.get(primary) if primary is not None else None
        return (rec, padded_key(rec.key)) if rec is not None else None

    def bind_key(self, rec: AuthKeyRecord, user: UserRecord) -> None:
        """The key is now logged in as `user` (auth.signIn / checkPassword succeeded)."""
        rec.user_id = user.id
        rec.pending_user_id = None
        user.has_app_session = True

    def kill_sessions(self, user_id: int, reason: str) -> int:
        """Mark every key of `user_id` dead with `reason` (SESSION_REVOKED, AUTH_KEY_DUPLICATED)."""
        count = 0
        for rec in self.auth_keys.values():
            if rec.user_id == user_id:
                rec.dead_reason = reason
                count += 1
        return count

    # ------------------------------------------------------------------ login codes

    async def send_code(self, phone: str, *, force_sms: bool = False) -> LoginCode:
        """Create (or re-send) the login code for `phone`; app code if another session exists."""
        digits = normalize_phone(phone)
        user = self.user_by_phone(digits)
        if user is not None and user.banned:
            raise RpcFault(400, "PHONE_NUMBER_BANNED")
        now = self.clock.now()
        code = self.codes.get(digits)
        # auth.sendCode issues a fresh code (as Telegram does); auth.resendCode (`force_sms`)
        # sends the same one again by another channel while it is valid.
        if code is None or code.expires <= now or not force_sms:
            code = LoginCode(
                phone=digits,
                code=self.fixed_code or "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH)),
                phone_code_hash=secrets.token_hex(8),
                kind="sms",
                expires=now + CODE_TTL_S,
            )
            self.codes[digits] = code
            self.code_log.append(code)
        use_app = user is not None and user.has_app_session and not force_sms
        code.kind = "app" if use_app else "sms"
        if use_app:
            assert user is not None
            self.send_private(SERVICE_USER_ID, user.id, f"Login code: {code.code}. Do not give this code to anyone.")
        else:
            await self._send_sms(digits, f"Telegram code: {code.code}. Do not give this code to anyone!")
            code.sms_sent = True
        return code

    async def _send_sms(self, phone: str, text: str) -> None:
        try:
            await self.sms.deliver(phone, text)
        except Exception as exc:  # the SIM may be absent or the emulator down: like a lost SMS
            log.warning("sms to +%s not delivered: %s", phone, exc)

    def check_code(self, phone: str, phone_code_hash: str, code: str) -> None:
        """Raise the RPC error Telegram gives for a wrong, expired or unknown code."""
        digits = normalize_phone(phone)
        rec = self.codes.get(digits)
        if not phone_code_hash:
            raise RpcFault(400, "PHONE_CODE_HASH_EMPTY")
        if rec is None or rec.phone_code_hash != phone_code_hash:
            raise RpcFault(400, "PHONE_CODE_EXPIRED" if rec is None else "PHONE_CODE_HASH_INVALID")
        if rec.expires <= self.clock.now():
            raise RpcFault(400, "PHONE_CODE_EXPIRED")
        if not code:
            raise RpcFault(400, "PHONE_CODE_EMPTY")
        if code != rec.code:
            raise RpcFault(400, "PHONE_CODE_INVALID")

    def consume_code(self, phone: str) -> None:
        """A code is single-use once it logged someone in."""
        self.codes.pop(normalize_phone(phone), None)

    # ------------------------------------------------------------------ private messages

    def send_private(
        self,
        sender_id: int,
        to_id: int,
        text: str,
        *,
        buttons: Keyboard | None = None,
        image: Image | None = None,
        exclude: Subscriber | None = None,
        links: Iterable[tuple[str, str]] = (),
        entities: Iterable[Any] = (),
        photo: PhotoRecord | None = None,
        document: DocumentRecord | None = None,
        fwd_from: Any = None,
    ) -> int:
        """Deliver a private message; returns its id in the sender's box.

        Entities are found in `text` as Telegram's server finds them; `links` adds text_url
        links hidden under words ((word, url) pairs), `entities` those a client sent.
        """
        sender = self.users[sender_id]
        target = self.users.get(to_id)
        if target is None:
            raise RpcFault(400, "PEER_ID_INVALID")
        if target.deleted:
            raise RpcFault(400, "INPUT_USER_DEACTIVATED")
        now = self.clock.now_int()
        rows = [list(r) for r in buttons] if buttons else None
        if image is not None:
            photo = new_photo(image, now, self.dc_id)
            self.photos[photo.id] = photo
        ents = entities_for(text, links, entities)
        out_id = sender.box.new_id()
        in_id = target.box.new_id()
        out = StoredMessage(
            id=out_id, date=now, text=text, sender_id=sender_id, out=True, chat_user_id=to_id,
            buttons=rows, photo=photo, document=document, twin=(to_id, in_id), entities=ents, fwd_from=fwd_from,
        )
        inc = StoredMessage(
            id=in_id, date=now, text=text, sender_id=sender_id, out=False, chat_user_id=sender_id,
            buttons=rows, photo=photo, document=document, twin=(sender_id, out_id), entities=list(ents),
            fwd_from=fwd_from,
        )
        sender.box.messages[out_id] = out
        target.box.messages[in_id] = inc
        dc = self.dc_id
        upd_out, _ = sender.box.add_update(lambda pts, n: types.UpdateNewMessage(tl_message(out, dc), pts, n))
        upd_in, _ = target.box.add_update(lambda pts, n: types.UpdateNewMessage(tl_message(inc, dc), pts, n))
        self.push(sender_id, self._updates(sender_id, upd_out, [out]), exclude=exclude)
        self.push(to_id, self._updates(to_id, upd_in, [inc]))
        if target.bot is not None and not sender.is_bot and sender.bot is None:
            # a bot, or a scripted non-bot character (a shop's human operator)
            self._spawn(self._bot_on_message(target, sender_id, inc))
        return out_id

    def edit_private(
        self, owner_id: int, message_id: int, *, text: str | None = None, buttons: Keyboard | None = None,
        entities: Iterable[Any] = (), exclude: Subscriber | None = None,
    ) -> Any:
        """Edit a message `owner_id` sent (both copies); the other party gets UpdateEditMessage.
        Returns the owner's Updates (its other sessions got them pushed, `exclude` aside)."""
        owner = self.users[owner_id]
        msg = owner.box.messages.get(message_id)
        if msg is None or not msg.out:
            raise RpcFault(400, "MESSAGE_ID_INVALID")
        now = self.clock.now_int()
        copies = [(owner, msg)]
        if msg.twin is not None:
            other = self.users[msg.twin[0]]
            twin = other.box.messages.get(msg.twin[1])
            if twin is not None:
                copies.append((other, twin))
        new_entities = entities_for(text, given=entities) if text is not None else None
        own_updates = None
        for user, copy in copies:
            if text is not None:
                copy.text = text
                copy.entities = list(new_entities or [])
            if buttons is not None:
                copy.buttons = [list(r) for r in buttons] or None
            copy.edit_date = now
            dc = self.dc_id
            upd, _ = user.box.add_update(
                lambda pts, n, c=copy, d=dc: types.UpdateEditMessage(tl_message(c, d), pts, n)
            )
            updates = self._updates(user.id, upd, [copy])
            if user is owner:
                own_updates = updates
            self.push(user.id, updates, exclude=exclude if user is owner else None)
        return own_updates

    def delete_private(self, owner_id: int, message_ids: Iterable[int], *, revoke: bool = True) -> int:
        """Delete messages of `owner_id`'s box; with `revoke`, the other party's copies of the
        owner's own messages too (Telegram deletes for both). Returns the owner's new pts."""
        owner = self.users[owner_id]
        mine: list[int] = []
        theirs: dict[int, list[int]] = {}
        for mid in message_ids:
            msg = owner.box.messages.pop(mid, None)
            if msg is None:
                continue
            mine.append(mid)
            if revoke and msg.twin is not None:
                other = self.users.get(msg.twin[0])
                if other is not None and other.box.messages.pop(msg.twin[1], None) is not None:
                    theirs.setdefault(other.id, []).append(msg.twin[1])
        _, pts = owner.box.add_update(lambda p, n: types.UpdateDeleteMessages(mine, p, n), max(1, len(mine)))
        for uid, ids in theirs.items():
            other = self.users[uid]
            upd, _ = other.box.add_update(lambda p, n, i=ids: types.UpdateDeleteMessages(i, p, n), len(ids))
            self.push(uid, self._updates(uid, upd))
        return pts

    def chat_history(self, a_id: int, b_id: int, limit: int = 20) -> list[tuple[int, bool, str]]:
        """(id, out, text) of the chat between a and b in a's box, newest first."""
        box = self.users[a_id].box
        rows = [
            (m.id, m.out, m.text)
            for m in sorted(box.messages.values(), key=lambda m: m.id, reverse=True)
            if m.chat_user_id == b_id
        ]
        return rows[:limit]

    def read_private(self, reader_id: int, peer_id: int, max_id: int) -> int:
        """Reader read the chat with peer up to max_id; returns the reader's new pts."""
        reader = self.users[reader_id]
        key = ("user", peer_id)
        max_id = max(max_id, reader.read_inbox.get(key, 0))
        if max_id == 0:
            max_id = max((m.id for m in reader.box.messages.values() if m.chat_user_id == peer_id), default=0)
        reader.read_inbox[key] = max_id
        _, pts = reader.box.add_update(
            lambda p, n: types.UpdateReadHistoryInbox(types.PeerUser(peer_id), max_id, 0, p, n)
        )
        # the other side sees its outgoing messages read up to the twin of max_id
        peer = self.users.get(peer_id)
        if peer is not None and not peer.is_bot:
            twins = [
                m.twin[1] for m in reader.box.messages.values()
                if m.chat_user_id == peer_id and not m.out and m.id <= max_id and m.twin
            ]
            if twins:
                top = max(twins)
                peer.read_outbox[("user", reader_id)] = top
                upd, _ = peer.box.add_update(
                    lambda p, n: types.UpdateReadHistoryOutbox(types.PeerUser(reader_id), top, p, n)
                )
                self.push(peer_id, self._updates(peer_id, upd))
        return pts

    # ------------------------------------------------------------------ bots

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bot handler failed: %r", task.exception())

    async def _bot_on_message(self, bot_user: UserRecord, user_id: int, msg: StoredMessage) -> None:
        assert bot_user.bot is not None
        chat = BotChat(self, bot_user.id, user_id)
        await bot_user.bot.on_message(chat, IncomingMessage(msg.id, user_id, msg.text, msg.date))

    async def press_button(self, user_id: int, bot_id: int, message_id: int, data: bytes) -> CallbackAnswer | None:
        """A user pressed a callback button under message `message_id` (user's box) of a bot."""
        user = self.users[user_id]
        msg = user.box.messages.get(message_id)
        if msg is None or msg.chat_user_id != bot_id:
            raise RpcFault(400, "MESSAGE_ID_INVALID")
        bot_user = self.users.get(bot_id)
        if bot_user is None or not bot_user.is_bot:
            raise RpcFault(400, "BOT_RESPONSE_TIMEOUT")
        known = [b.data for row in (msg.buttons or []) for b in row if b.data is not None]
        if data not in known:
            raise RpcFault(400, "DATA_INVALID")
        if bot_user.bot is None or msg.twin is None:
            await self.clock.sleep(self.bot_response_timeout)
            raise RpcFault(400, "BOT_RESPONSE_TIMEOUT")
        query = CallbackQuery(
            query_id=struct.unpack("<q", os.urandom(8))[0], user_id=user_id, message_id=msg.twin[1], data=data
        )
        chat = BotChat(self, bot_id, user_id)
        task = asyncio.ensure_future(bot_user.bot.on_callback(chat, query))
        timer = asyncio.ensure_future(self.clock.sleep(self.bot_response_timeout))
        try:
            done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if task not in done:
            # Telegram gives up on the bot; its handler may still finish (and edit) later
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
            raise RpcFault(400, "BOT_RESPONSE_TIMEOUT")
        return task.result()

    # ------------------------------------------------------------------ channels

    def post(
        self, channel_id: int, text: str, *, buttons: Keyboard | None = None, image: Image | None = None,
        links: Iterable[tuple[str, str]] = (),
    ) -> int:
        """Publish a post in a channel; members get UpdateNewChannelMessage. `links`: (word, url)
        pairs hidden under words of `text` as text_url entities."""
        channel = self.channels[channel_id]
        now = self.clock.now_int()
        photo = None
        if image is not None:
            photo = new_photo(image, now, self.dc_id)
            self.photos[photo.id] = photo
        mid = channel.box.new_id()
        msg = StoredMessage(
            id=mid, date=now, text=text, sender_id=None, channel_id=channel_id,
            buttons=[list(r) for r in buttons] if buttons else None, photo=photo,
            entities=entities_for(text, links), views=0, forwards=0,
        )
        channel.box.messages[mid] = msg
        dc = self.dc_id
        upd, _ = channel.box.add_update(lambda pts, n: types.UpdateNewChannelMessage(tl_message(msg, dc), pts, n))
        for uid in channel.members:
            self.push(uid, self._updates(uid, upd, [msg]))
        return mid

    def join_channel(self, user_id: int, channel_id: int) -> None:
        """User joins a channel (idempotent; CHANNELS_TOO_MUCH past the profile's maximum)."""
        channel = self.channels[channel_id]
        if self.limiter is not None and user_id not in channel.members:
            self.limiter.join(self.users[user_id])
        channel.members.add(user_id)
        self.users[user_id].channels.add(channel_id)

    def read_channel(self, user_id: int, channel_id: int, max_id: int) -> None:
        """User read a channel up to max_id."""
        channel = self.channels[channel_id]
        top = max_id or (channel.box.next_id - 1)
        self.users[user_id].read_inbox[("channel", channel_id)] = top

    # ------------------------------------------------------------------ introspection

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able summary for `prokai sandbox inspect`."""
        return {
            "time": self.clock.now(),
            "clock_offset_s": self.clock.offset,
            "accounts": [
                {
                    "id": u.id, "phone": "+" + u.phone, "name": u.first_name, "username": u.username,
                    "2fa": u.password is not None, "banned": u.banned, "frozen": u.frozen,
                    "online": self.online(u.id), "messages": len(u.box.messages), "pts": u.box.pts,
                }
                for u in self.users.values() if u.phone and not u.is_bot
            ],
            "bots": [
                {"id": u.id, "username": u.username, "scripted": u.bot is not None}
                for u in self.users.values() if u.is_bot
            ],
            "channels": [
                {"id": c.id, "username": c.username, "title": c.title, "members": len(c.members),
                 "posts": len(c.box.messages)}
                for c in self.channels.values()
            ],
            "limits": self.limiter.stats.as_dict() if self.limiter is not None else None,
            "latency": None if self.latency is None else {"median_s": self.latency.median_s, "sigma": self.latency.sigma},
            "auth_keys": len(self.auth_keys),
            "logged_in_keys": sum(1 for r in self.auth_keys.values() if r.user_id is not None),
            "faults": [
                {"id": r.rule_id, "error": r.error, "method": r.method, "user_id": r.user_id,
                 "seconds": r.seconds, "times": r.times, "hits": r.hits}
                for r in self.faults.rules
            ],
        }

    def messages_between(self, viewer_id: int, peer: UserRecord | ChannelRecord, limit: int = 20) -> list[StoredMessage]:
        """Newest-first messages of a private chat (viewer's box) or a channel."""
        if isinstance(peer, ChannelRecord):
            msgs = list(peer.box.messages.values())
        else:
            msgs = [m for m in self.users[viewer_id].box.messages.values() if m.chat_user_id == peer.id]
        msgs.sort(key=lambda m: m.id, reverse=True)
        return msgs[:limit]


def keyboard(*rows: Iterable[Button]) -> list[list[Button]]:
    """Build a keyboard from rows of buttons."""
    return [list(r) for r in rows]
