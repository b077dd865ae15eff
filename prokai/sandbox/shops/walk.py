"""Walk a scenario's scripted path with a stock Telethon client (tests and rehearsals).

The walker knows the path (the scenario's `walks`) and, because it runs in the sandbox's own
process, it may read the captcha answer from the shop's state; the crawler has neither. It
pauses like a person between actions by moving the sandbox clock forward, and while it waits
for an answer it keeps moving the clock so that operators' typing delays pass instantly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telethon import TelegramClient
from telethon.tl import functions, types

from prokai.sandbox.shops.botengine import ShopBot
from prokai.sandbox.shops.loader import LoadedScenario
from prokai.sandbox.shops.runtime import Handout
from prokai.sandbox.shops.shopworld import ShopWorld
from prokai.sandbox.shops.spec import StepSpec, WalkSpec


class WalkError(RuntimeError):
    """The walk could not go on (no answer, no such button, ...)."""


@dataclass
class WalkResult:
    """What the last step brought: the new/edited messages, and the shop's own handout record."""

    messages: list[Any] = field(default_factory=list)
    handout: Handout | None = None
    transcript: list[str] = field(default_factory=list)
    steps: list[tuple[str, list[Any]]] = field(default_factory=list)  # (step, messages it brought)

    @property
    def texts(self) -> list[str]:
        """Texts of the last step's messages, oldest first."""
        return [m.message or "" for m in self.messages]


def _step(raw: str | StepSpec) -> tuple[str, str]:
    if isinstance(raw, str):
        return raw, ""
    for key in ("start", "captcha", "press", "say"):
        value = getattr(raw, key)
        if value not in (None, False):
            return key, "" if value is True else str(value)
    raise WalkError("empty step")


def button_rows(msg: Any) -> list[list[Any]]:
    """Buttons of a message as rows of TL buttons (inline or reply keyboard)."""
    markup = getattr(msg, "reply_markup", None)
    rows = getattr(markup, "rows", None) or []
    return [list(r.buttons) for r in rows]


class Walker:
    """Drives one logged-in client through scenario walks."""

    def __init__(self, client: TelegramClient, shops: ShopWorld, *, pause: float = 3.0,
                 idle_advance: float = 15.0, max_polls: int = 400) -> None:
        self.client = client
        self.shops = shops
        self.clock = shops.world.clock
        self.pause = pause
        self.idle_advance = idle_advance
        self.max_polls = max_polls
        self.me_id = 0
        self.seen: dict[int, tuple[Any, str]] = {}

    async def _snapshot(self, peer: Any) -> dict[int, tuple[Any, str]]:
        msgs = await self.client.get_messages(peer, limit=30)
        return {m.id: (m.edit_date, m.message or "") for m in msgs if not m.out}

    async def _wait_change(self, peer: Any, before: dict[int, tuple[Any, str]]) -> list[Any]:
        for i in range(self.max_polls):
            msgs = await self.client.get_messages(peer, limit=30)
            changed = [
                m for m in msgs
                if not m.out and before.get(m.id) != (m.edit_date, m.message or "")
            ]
            if changed:
                return sorted(changed, key=lambda m: m.id)
            await asyncio.sleep(0.01 if i < 5 else 0.03)
            if i >= 3:
                self.clock.advance(self.idle_advance)
        raise WalkError("no answer")

    def _engine(self, sc: LoadedScenario, via: str) -> ShopBot | None:
        shop = self.shops.shops[sc.id]
        if via == "bot":
            return shop.bot_engine
        for user, engine in shop.backups:
            if user.username == via or engine.username == via:
                return engine
        return None

    def target_username(self, sc: LoadedScenario, via: str) -> str:
        """The @username a walk talks to today (the bot's current name after a rename)."""
        shop = self.shops.shops[sc.id]
        if via == "bot":
            assert shop.bot is not None and shop.bot.username
            return shop.bot.username
        if via == "operator":
            assert sc.spec.operator is not None
            return sc.spec.operator.username
        return via

    async def walk(self, sc: LoadedScenario, walk: WalkSpec) -> WalkResult:
        """Follow `walk` to its end; returns what the last step brought."""
        if not self.me_id:
            self.me_id = (await self.client.get_me()).id
        peer = await self.client.get_input_entity(self.target_username(sc, walk.via))
        result = WalkResult()
        last: list[Any] = []
        for raw in walk.steps:
            kind, arg = _step(raw)
            if kind == "captcha" and self._captcha_passed(sc, walk.via):
                result.transcript.append("captcha (passed before)")
                continue
            before = await self._snapshot(peer)
            self.clock.advance(self.pause)
            if kind == "start":
                await self.client.send_message(peer, "/start")
            elif kind == "say":
                await self.client.send_message(peer, arg)
            elif kind == "captcha":
                await self._solve_captcha(sc, walk.via, peer, last)
            elif kind == "press":
                await self._press(peer, last, arg)
            result.transcript.append(f"{kind} {arg}".strip())
            last = await self._wait_change(peer, before)
            result.steps.append((result.transcript[-1], last))
        result.messages = last
        mine = [h for h in self.shops.handouts if h.scenario == sc.id and h.user_id == self.me_id]
        result.handout = mine[-1] if mine else None
        return result

    def _captcha_passed(self, sc: LoadedScenario, via: str) -> bool:
        engine = self._engine(sc, via)
        if engine is None or self.me_id not in engine.sessions:
            return False
        sess = engine.sessions[self.me_id]
        return sess.passed and sess.challenge is None

    async def _solve_captcha(self, sc: LoadedScenario, via: str, peer: Any, last: list[Any]) -> None:
        engine = self._engine(sc, via)
        if engine is None:
            raise WalkError("captcha step on a target without a bot")
        challenge = engine.session(self.me_id).challenge
        if challenge is None:
            raise WalkError("no captcha is pending")
        if challenge.choices:
            await self._press(peer, last, challenge.answer)
        else:
            await self.client.send_message(peer, challenge.answer)

    async def _press(self, peer: Any, last: list[Any], text: str) -> None:
        msgs = list(reversed(last)) + list(await self.client.get_messages(peer, limit=10))
        for msg in msgs:
            for row in button_rows(msg):
                for button in row:
                    if button.text != text:
                        continue
                    if isinstance(button, types.KeyboardButton):
                        await self.client.send_message(peer, text)
                        return
                    kind = getattr(button, "type", None)
                    if isinstance(kind, types.InlineButtonTypeCallback):
                        await self.client(functions.messages.GetBotCallbackAnswerRequest(
                            peer=peer, msg_id=msg.id, data=kind.data))
                        return
                    raise WalkError(f"button '{text}' is a link, not a press")
        raise WalkError(f"no button '{text}' in the latest messages")
