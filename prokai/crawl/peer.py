"""One conversation partner seen through a stock Telethon client: send, press, and watch for
new or edited messages (shop bots edit their menu message in place).

`Observed` is a message as the crawler saw it at one moment; an edit yields a new `Observed`
with `is_edit=True`, stored as a new evidence row pointing at the first version.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prokai.crawl.pacing import Pacer, RealPacer
from prokai.intake.buttons import Button, ButtonKind, buttons_of, message_entities
from prokai.store.originals import tl_bytes


@dataclass
class Observed:
    telegram_id: int
    text: str
    buttons: list[Button]
    sender_id: int | None
    out: bool
    date: datetime | None
    edit_date: datetime | None
    entities: list[dict[str, Any]]
    image: bytes | None = None
    media_hash: str | None = None
    is_edit: bool = False
    raw: bytes | None = None  # the message as Telegram sent it (TL serialization), kept as evidence

    @property
    def version(self) -> str:
        """What distinguishes two versions of one message."""
        return hashlib.sha256(
            (self.text + "\x00" + "|".join(b.text for b in self.buttons) + "\x00" + (self.media_hash or "")).encode()
        ).hexdigest()[:16]


@dataclass
class TelethonPeer:
    """A private chat with a bot or a user, driven through a connected TelegramClient."""

    client: Any
    entity: Any
    pacer: Pacer = field(default_factory=RealPacer)
    poll_interval: float = 0.2
    seen: dict[int, str] = field(default_factory=dict)  # message id -> version last seen

    async def prime(self) -> None:
        """Remember what is already in the chat, so only what comes next is 'new'."""
        for msg in await self.client.get_messages(self.entity, limit=20):
            obs = await self._observe(msg, download=False)
            self.seen[obs.telegram_id] = obs.version

    async def _observe(self, msg: Any, download: bool = True) -> Observed:
        image = None
        media_hash = None
        if getattr(msg, "photo", None) is not None and download:
            data = await self.client.download_media(msg, bytes)
            if isinstance(data, bytes | bytearray):
                image = bytes(data)
                media_hash = hashlib.sha256(image).hexdigest()
        elif getattr(msg, "photo", None) is not None:
            media_hash = f"photo:{msg.photo.id}"
        return Observed(
            telegram_id=msg.id,
            text=msg.message or "",
            buttons=buttons_of(msg.reply_markup),
            sender_id=getattr(msg, "sender_id", None),
            out=bool(msg.out),
            date=msg.date,
            edit_date=msg.edit_date,
            entities=message_entities(msg),
            image=image,
            media_hash=media_hash,
            raw=tl_bytes(msg),
        )

    async def wait_updates(self, timeout: float, quiet: float = 0.6) -> list[Observed]:
        """New or changed incoming messages: waits up to `timeout` for the first, then until the
        chat has been quiet for `quiet` seconds (shops send several messages in a row)."""
        deadline = self.pacer.now() + timeout
        found: list[Observed] = []
        last_change = 0.0
        interval = self.poll_interval
        while True:
            now = self.pacer.now()
            if found and now - last_change >= quiet:
                return found
            if not found and now >= deadline:
                return found
            for msg in reversed(await self.client.get_messages(self.entity, limit=10)):
                if msg.out:
                    continue
                previous = self.seen.get(msg.id)
                if previous is not None and msg.edit_date is None:
                    continue
                obs = await self._observe(msg, download=previous is None or bool(getattr(msg, "photo", None)))
                if previous == obs.version:
                    continue
                obs.is_edit = previous is not None
                self.seen[msg.id] = obs.version
                found.append(obs)
                last_change = self.pacer.now()
                interval = self.poll_interval
            await self.pacer.sleep(interval)
            # Back off while the chat is silent (operators answer in minutes), up to 5 s.
            interval = min(interval * 1.5, 5.0) if not found else self.poll_interval

    async def send_text(self, text: str) -> Observed:
        """Send a text message; returns it as sent."""
        msg = await self.client.send_message(self.entity, text)
        obs = await self._observe(msg, download=False)
        self.seen[obs.telegram_id] = obs.version
        return obs

    async def start_bot(self, start_param: str | None = None) -> Observed | None:
        """/start to a bot (with a deep-link parameter when the link had one); the message sent,
        when it was a plain message."""
        from telethon.tl.functions.messages import StartBotRequest

        if start_param:
            random_id = struct.unpack("<q", os.urandom(8))[0]
            await self.client(StartBotRequest(self.entity, self.entity, random_id, start_param))
            return None
        return await self.send_text("/start")

    async def press(self, message_id: int, button: Button) -> Observed | None:
        """Press a button. A reply-keyboard button or a listed /command is pressed by sending its
        text: that message is returned. A callback button is pressed with getBotCallbackAnswer."""
        if button.kind == ButtonKind.REPLY:
            return await self.send_text(button.text)
        if button.kind == ButtonKind.COMMAND:
            return await self.send_text(button.text.split()[0])
        if button.kind != ButtonKind.CALLBACK or button.data is None:
            raise ValueError(f"cannot press {button.kind} button {button.text!r}")
        from telethon.errors import BotResponseTimeoutError
        from telethon.tl.functions.messages import GetBotCallbackAnswerRequest

        with contextlib.suppress(BotResponseTimeoutError):
            await self.client(GetBotCallbackAnswerRequest(self.entity, message_id, data=button.data))
        return None
