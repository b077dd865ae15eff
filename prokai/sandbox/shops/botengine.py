"""A shop-constructor bot driven by a scenario: captcha, screens, menus edited in place, payment.

Implements the sandbox `Bot` interface. Callback data is `screen:row:col` for buttons,
`screen:c:index` for `choose` options and `cap:index` for press-the-X captchas, so a press on an
old menu still works like it does in real constructor bots.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, IncomingMessage
from prokai.sandbox.shops import captcha as cap
from prokai.sandbox.shops.render import text_image
from prokai.sandbox.shops.runtime import ShopRuntime, render
from prokai.sandbox.shops.spec import BotSpec, ButtonSpec, OptionSpec, ScreenSpec

BACK_TEXT = {"ru": "⬅️ Назад", "kk": "⬅️ Артқа"}
NEED_CAPTCHA = {"ru": "Сначала пройдите проверку: /start", "kk": "Алдымен тексеруден өтіңіз: /start"}


@dataclass
class Session:
    """One buyer's place in one bot."""

    screen: str | None = None
    history: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    challenge: cap.Challenge | None = None
    passed: bool = False
    attempts: int = 0
    user_id: int | None = None


class ShopBot:
    """The behaviour of a scenario bot (the main bot and each backup bot get one)."""

    def __init__(self, runtime: ShopRuntime, username: str) -> None:
        self.runtime = runtime
        self.username = username
        spec = runtime.spec.bot
        assert spec is not None
        self.spec: BotSpec = spec
        self.lang = runtime.spec.lang
        self.sessions: dict[int, Session] = {}
        self.rng = random.Random(f"{runtime.spec.id}/{username}")

    def session(self, user_id: int) -> Session:
        """The buyer's session (created on first contact)."""
        return self.sessions.setdefault(user_id, Session(user_id=user_id))

    # -------------------------------------------------------------- Bot interface

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        """Commands, captcha answers, reply-keyboard presses and typed input."""
        rt = self.runtime
        if not await self._alive(chat):
            return
        buyer = rt.buyer(chat.user_id)
        if buyer.banned:
            await rt.say(chat, render(rt.spec.antibot.ban_text if rt.spec.antibot else "⛔", rt.base_vars()), "refusal_ban")
            return
        lo, hi = self.spec.delay
        if hi > 0:
            await chat.sleep(self.rng.uniform(lo, hi))
        text = message.text.strip()
        sess = self.session(chat.user_id)
        if text.split()[0:1] == ["/start"]:
            await self._start(chat, sess)
            return
        if rt.too_fast(chat.user_id):
            await rt.punish(chat)
            return
        if sess.challenge is not None and not sess.passed:
            await self._answer_captcha(chat, sess, text)
            return
        if self.spec.captcha is not None and not sess.passed:
            await rt.say(chat, NEED_CAPTCHA[self.lang], "captcha")
            return
        command = text.split()[0] if text.startswith("/") else None
        if command is not None and command in self.spec.commands:
            await self._show(chat, sess, self.spec.commands[command])
            return
        screen = self.spec.screens.get(sess.screen) if sess.screen else None
        if screen is not None and screen.input is not None:
            if re.fullmatch(screen.input.pattern, text):
                sess.variables[screen.input.var] = int(text) if text.isdigit() else text
                await self._show(chat, sess, screen.input.next)
            else:
                await rt.say(chat, render(screen.input.error, self._vars(sess)), screen.intent)
            return
        if screen is not None and screen.keyboard == "reply":
            for target, sets in self._reply_targets(sess.screen or "", screen):
                if target[0] == text:
                    sess.variables.update(sets)
                    await self._go(chat, sess, target[1], None)
                    return
        await rt.say(chat, render(self.spec.fallback, self._vars(sess)))

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        """Inline button presses: captcha choices, screen buttons, choose options."""
        rt = self.runtime
        life = rt.life()
        if not life.alive:
            if life.death == "closed":
                await rt.say(chat, render(rt.spec.lifecycle.closed_text if rt.spec.lifecycle else "", rt.base_vars()),
                             "refusal_ban")
            return None
        if rt.buyer(chat.user_id).banned:
            return CallbackAnswer(text=render(rt.spec.antibot.ban_text if rt.spec.antibot else "⛔", rt.base_vars()), alert=True)
        sess = self.session(chat.user_id)
        data = query.data.decode(errors="replace")
        if rt.too_fast(chat.user_id):
            await rt.punish(chat)
            return None
        if data.startswith("cap:"):
            if sess.challenge is None or sess.passed:
                return None
            idx = int(data.split(":")[1])
            choice = sess.challenge.choices[idx] if idx < len(sess.challenge.choices) else ""
            await self._answer_captcha(chat, sess, choice, message_id=query.message_id)
            return None
        if self.spec.captcha is not None and not sess.passed:
            return CallbackAnswer(text=NEED_CAPTCHA[self.lang], alert=True)
        screen_id, _, rest = data.partition(":")
        screen = self.spec.screens.get(screen_id)
        if screen is None:
            return None
        kind, _, idx_s = rest.partition(":")
        if kind == "c" and screen.choose is not None:
            opt = screen.choose.options[int(idx_s)]
            text = opt if isinstance(opt, str) else opt.text
            sess.variables[screen.choose.var] = text if isinstance(opt, str) or opt.value is None else opt.value
            if isinstance(opt, OptionSpec):
                sess.variables.update(opt.set)
            target = opt.go if isinstance(opt, OptionSpec) and opt.go else screen.choose.next
            await self._go(chat, sess, target, query.message_id)
            return None
        if kind == "back" and screen.back:
            await self._go(chat, sess, screen.back, query.message_id)
            return None
        try:
            button: ButtonSpec = screen.buttons[int(kind)][int(idx_s)]
        except (ValueError, IndexError):
            return None
        sess.variables.update(button.set)
        if button.go:
            await self._go(chat, sess, button.go, query.message_id)
        if button.answer:
            return CallbackAnswer(text=render(button.answer, self._vars(sess)), alert=button.alert)
        return None

    # -------------------------------------------------------------- internals

    async def _alive(self, chat: BotChat) -> bool:
        rt = self.runtime
        life = rt.life()
        if life.alive:
            return True
        if life.death == "closed" and rt.spec.lifecycle is not None:
            await rt.say(chat, render(rt.spec.lifecycle.closed_text, rt.base_vars()), "refusal_ban")
        return False

    def _vars(self, sess: Session) -> dict[str, Any]:
        out = self.runtime.base_vars(sess.user_id)
        out.update(sess.variables)
        return out

    async def _start(self, chat: BotChat, sess: Session) -> None:
        rt = self.runtime
        keep_passed = sess.passed
        self.sessions[chat.user_id] = sess = Session(passed=keep_passed, user_id=chat.user_id)
        if self.spec.welcome:
            await rt.say(chat, render(self.spec.welcome, self._vars(sess)))
        if self.spec.captcha is not None and not sess.passed:
            await self._new_captcha(chat, sess)
            return
        await self._show(chat, sess, self.spec.start)

    async def _new_captcha(self, chat: BotChat, sess: Session) -> None:
        assert self.spec.captcha is not None
        ch = cap.make(self.spec.captcha, self.lang, self.rng)
        sess.challenge = ch
        buttons = None
        if ch.choices:
            per_row = 4
            row: list[Button] = []
            buttons = []
            for i, choice in enumerate(ch.choices):
                row.append(Button.key(choice) if ch.keyboard == "reply" else Button.callback(choice, f"cap:{i}"))
                if len(row) == per_row:
                    buttons.append(row)
                    row = []
            if row:
                buttons.append(row)
        await self.runtime.say(chat, ch.prompt, "captcha", buttons=buttons, image=ch.image)

    async def _answer_captcha(self, chat: BotChat, sess: Session, reply: str, message_id: int | None = None) -> None:
        assert sess.challenge is not None and self.spec.captcha is not None
        rt = self.runtime
        if sess.challenge.check(reply):
            sess.passed = True
            sess.challenge = None
            await self._go(chat, sess, self.spec.start, message_id)
            return
        sess.attempts += 1
        if sess.attempts >= self.spec.captcha.max_attempts:
            rt.buyer(chat.user_id).banned = True
            ban = rt.spec.antibot.ban_text if rt.spec.antibot else "⛔"
            await rt.say(chat, render(self.spec.captcha.fail_text or ban, self._vars(sess)), "refusal_ban")
            return
        await rt.say(chat, "❌ " + ("Неверно, попробуйте ещё раз." if self.lang == "ru" else "Қате, қайталап көріңіз."),
                     "captcha")
        await self._new_captcha(chat, sess)

    async def _go(self, chat: BotChat, sess: Session, target: str, edit_id: int | None) -> None:
        if target == "@start":
            sess.history.clear()
            target = self.spec.start
        elif target == "@back":
            target = sess.history.pop() if sess.history else self.spec.start
            sess.screen = None  # going back must not push the screen we leave
        await self._show(chat, sess, target, edit_id)

    def _reply_targets(self, screen_id: str, screen: ScreenSpec) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        out: list[tuple[tuple[str, str], dict[str, Any]]] = []
        if screen.choose is not None:
            for opt in screen.choose.options:
                if isinstance(opt, str):
                    out.append(((opt, screen.choose.next), {screen.choose.var: opt}))
                else:
                    sets: dict[str, Any] = {screen.choose.var: opt.text if opt.value is None else opt.value}
                    sets.update(opt.set)
                    out.append(((opt.text, opt.go or screen.choose.next), sets))
        for row in screen.buttons:
            for b in row:
                if b.go:
                    out.append(((b.text, b.go), dict(b.set)))
        if screen.back:
            out.append(((BACK_TEXT[self.lang], screen.back), {}))
        return out

    def _keyboard(self, screen_id: str, screen: ScreenSpec, sess: Session) -> list[list[Button]] | None:
        v = self._vars(sess)
        rows: list[list[Button]] = []
        reply = screen.keyboard == "reply"
        if screen.choose is not None:
            row: list[Button] = []
            for i, opt in enumerate(screen.choose.options):
                text = render(opt if isinstance(opt, str) else opt.text, v)
                row.append(Button.key(text) if reply else Button.callback(text, f"{screen_id}:c:{i}"))
                if len(row) == screen.choose.columns:
                    rows.append(row)
                    row = []
            if row:
                rows.append(row)
        for ri, brow in enumerate(screen.buttons):
            out_row = []
            for bi, b in enumerate(brow):
                text = render(b.text, v)
                if b.url is not None:
                    out_row.append(Button.link(text, render(b.url, v)))
                elif reply:
                    out_row.append(Button.key(text))
                else:
                    out_row.append(Button.callback(text, f"{screen_id}:{ri}:{bi}"))
            rows.append(out_row)
        if screen.back:
            text = BACK_TEXT[self.lang]
            rows.append([Button.key(text) if reply else Button.callback(text, f"{screen_id}:back:0")])
        return rows or None

    async def _show(self, chat: BotChat, sess: Session, screen_id: str, edit_id: int | None = None) -> None:
        rt = self.runtime
        screen = self.spec.screens[screen_id]
        if sess.screen and sess.screen != screen_id:
            sess.history.append(sess.screen)
        sess.screen = screen_id
        v = self._vars(sess)
        buttons = self._keyboard(screen_id, screen, sess)
        if screen.payment is not None:
            await rt.pay(chat, screen.payment, screen.text, v, via=self.username, buttons=buttons)
            return
        text = render(screen.text, v)
        edit = screen.edit if screen.edit is not None else self.spec.edit_menus
        if edit and edit_id is not None and screen.keyboard == "inline" and screen.image is None:
            await rt.edit(chat, edit_id, text, screen.intent, buttons or [])
            return
        image = text_image(render(screen.image, v), seed=len(screen_id)) if screen.image else None
        await rt.say(chat, text, screen.intent, buttons=buttons, image=image)
