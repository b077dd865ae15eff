"""The dialog engine: one conversation with one target, as a buyer, up to where to pay.

Bots: a goal-directed walk through the menu (captchas solved, buttons chosen by `explorer`),
restarted with /start to try each other payment method once requisites came. Operators: the
`OperatorPolicy` answers by the intent of the operator's last message. Channels: read, never
written to. Every action is checked by the guardrails first; every message seen or sent goes
through the `EvidenceSink` (stored before the engine acts on it).
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prokai.crawl.captcha import FAILED_CAPTCHAS, Solution, solve_all
from prokai.crawl.explorer import Memory, choose, pressable, screen_key, screen_methods
from prokai.crawl.guardrails import Action, ActionKind, Guardrails
from prokai.crawl.methods import method_of_requisite
from prokai.crawl.pacing import Pacer, RealPacer
from prokai.crawl.peer import Observed, TelethonPeer
from prokai.crawl.policy import OperatorPolicy, all_phrases, language_of
from prokai.crawl.verdict import Behaviour, decide, keep_walking
from prokai.intake.buttons import Button, ButtonKind

log = logging.getLogger(__name__)


@dataclass
class Prior:
    """What an interrupted conversation had stored before the crash: its requisites (anything
    with `kind` and `bank`) and the button rows of the screens it was shown."""

    requisites: list[Any] = field(default_factory=list)
    screens: list[list[Button]] = field(default_factory=list)


class Outcome:
    REQUISITES = "requisites"
    CAPTCHA_FAILED = "captcha_failed"
    BANNED = "banned"
    NO_ANSWER = "no_answer"
    NOT_SHOP = "not_shop"
    DEAD = "dead"
    STUCK = "stuck"
    READ = "read"  # channels
    ERROR = "error"


JUDGE_SCREENS = 3  # screens a bot may show before a low shop score makes the crawler leave
MAX_BACKTRACKS = 3  # restarts from dead ends before any requisite came
ORDER_GAP = 660.0  # the rehearsals' pause between two orders (11 minutes); campaigns: crawl.order_gap_s
MAX_CAPTCHA_TRIES = 2  # wrong answers before giving up (shops ban at the third)


class IntentModel(Protocol):
    """What the engine needs of the classifiers (prokai.nlp.Classifier provides it)."""

    def shop_scores(self, texts: Sequence[str]) -> list[float]: ...

    def intents(self, texts: Sequence[str]) -> list[Any]: ...


class EvidenceSink(Protocol):
    """Stores what the engine sees and does; returns the requisites found in an incoming message."""

    def incoming(self, obs: Observed) -> list[Any]: ...

    def outgoing(self, obs: Observed, action: str) -> None: ...

    def refused(self, action: Action, reason: str) -> None: ...


@dataclass
class Budget:
    max_steps: int = 40
    max_seconds: float = 1800.0
    reply_timeout: float = 8.0
    operator_timeout: float = 30.0
    min_delay: float = 0.0
    max_delay: float = 0.0
    # Seconds to wait before asking for another payment method (shops ban buyers who order again
    # within minutes); rehearsals use ORDER_GAP, campaigns `crawl.order_gap_s`.
    order_gap: float = 0.0
    # A conversation that harvested n methods may take (1 + n) times the steps and seconds, up to
    # this many times: each method is a walk of its own.
    per_method_scale: int = 4


@dataclass
class Result:
    outcome: str
    requisites: list[Any] = field(default_factory=list)
    steps: int = 0
    reason: str = ""
    payments_done: list[str] = field(default_factory=list)  # method keys harvested ('card/kaspi')
    payments_offered: list[str] = field(default_factory=list)  # method keys the bot offered
    screen: Observed | None = None  # the captcha left unsolved, for the operator
    shop_score: float | None = None
    account_id: int | None = None
    signals: list[str] = field(default_factory=list)  # what the peer did (`prokai.crawl.verdict`)


class DialogEngine:
    """Runs one conversation; stateless between conversations."""

    def __init__(self, model: IntentModel, sink: EvidenceSink, city: str, budget: Budget,
                 shop_threshold: float = 0.5, pacer: Pacer | None = None) -> None:
        self.pacer = pacer or RealPacer()
        self.model = model
        self.sink = sink
        self.city = city
        self.budget = budget
        self.shop_threshold = shop_threshold
        self.guard = Guardrails(all_phrases(city))

    # --- helpers ---------------------------------------------------------------------------

    async def _pace(self) -> None:
        if self.budget.max_delay > 0:
            await self.pacer.sleep(random.uniform(self.budget.min_delay, self.budget.max_delay))

    def _intent(self, text: str) -> str:
        if not text.strip():
            return "other"
        result = self.model.intents([text])[0]
        return str(getattr(result, "label", result))

    def _allowed(self, action: Action, derived: bool = False) -> bool:
        verdict = self.guard.check(action, derived=derived)
        if not verdict.allowed:
            self.sink.refused(action, verdict.reason)
            log.info("guardrails refused %s: %s", action.kind, verdict.reason)
        return verdict.allowed

    def _take_in(self, observed: list[Observed], result: Result) -> list[Any]:
        found: list[Any] = []
        for obs in observed:
            found.extend(self.sink.incoming(obs))
        result.requisites.extend(found)
        return found

    async def _say(self, peer: TelethonPeer, text: str, derived: bool = False) -> bool:
        if not self._allowed(Action(ActionKind.SEND_TEXT, text=text), derived=derived):
            return False
        await self._pace()
        sent = await peer.send_text(text)
        self.sink.outgoing(sent, "send_text")
        return True

    async def _press(self, peer: TelethonPeer, screen: Observed, button: Button) -> bool:
        if not self._allowed(Action(ActionKind.PRESS, text=screen.text, button=button)):
            return False
        await self._pace()
        self.sink.outgoing(
            Observed(screen.telegram_id, button.text, [button], None, True, None, None, []), "press"
        )
        sent = await peer.press(screen.telegram_id, button)
        if sent is not None:  # pressed by sending its text: that message is evidence too
            self.sink.outgoing(sent, "send_text")
        return True

    @staticmethod
    def _backtrack(memory: Memory, result: Result, restarts: int) -> bool:
        """At a dead end, whether to /start again: with requisites, while a method is still to
        ask for; without, while the way here can be marked dead and restarts are left."""
        edge = memory.last or (memory.came_from.get(memory.screen) if memory.screen else None)
        if result.requisites or memory.done:
            if not memory.open_methods() or restarts >= min(6, len(memory.methods) + 1):
                return False
        elif edge is None or restarts >= MAX_BACKTRACKS:
            return False
        if edge is not None:
            memory.dead.add(edge)
        memory.restart()
        return True

    async def _wait_between_orders(self) -> None:
        """`order_gap` seconds before the next order, in short steps: on sandbox time one long
        jump of the shared clock would starve every other conversation's wait."""
        left = self.budget.order_gap
        while left > 0:
            step = min(left, 2.0)
            await self.pacer.sleep(step)
            left -= step

    async def _start(self, peer: TelethonPeer, start_param: str | None) -> None:
        await self._pace()
        sent = await peer.start_bot(start_param)
        if sent is not None:
            self.sink.outgoing(sent, "send_text")
        else:
            self.sink.outgoing(Observed(0, f"/start {start_param}", [], None, True, None, None, []), "start")

    # --- bots ------------------------------------------------------------------------------

    async def run_bot(self, peer: TelethonPeer, about: str = "", start_param: str | None = None,
                      resume: bool = False, prior: Prior | None = None) -> Result:
        """Walk a shop bot's menu to its payment step, once per payment method it offers.

        After each requisite the crawler waits `order_gap`, sends /start and follows what it
        learnt of the menu (screens by fingerprint, not by text) to the next method not yet
        asked for. `resume`: a conversation interrupted by a crash goes on from the chat as it
        is (every recent message is looked at again; the sink skips what is already stored).
        `prior`: what the interrupted conversation had already stored; its requisites count as
        harvested methods, so a resumed run still asks for the methods that were left.
        """
        result = Result(Outcome.NO_ANSWER)
        memory = Memory()
        started = self.pacer.now()
        restarts = 0
        if prior is not None:
            for buttons in prior.screens:
                for offered in screen_methods("", buttons).values():
                    memory.methods.setdefault(offered.key, offered)
            for f in prior.requisites:
                if (got := method_of_requisite(f)) is not None:
                    memory.harvested(got)
        if not resume:
            await peer.prime()
            if not self._allowed(Action(ActionKind.START)):
                return Result(Outcome.ERROR, reason="start refused")
            await self._start(peer, start_param)
        elif memory.done and memory.open_methods():
            # Killed between two methods: go on the way an uninterrupted run would, with /start.
            restarts += 1
            await self._start(peer, start_param)
        screen: Observed | None = None
        greeting: list[str] = [about] if about else []
        judging, judged = not memory.done, 0  # requisites already came: the peer was judged
        behaviour = Behaviour()
        said_amounts: set[str] = set()
        explored: list[str] = []
        bot_key = str(getattr(peer.entity, "id", None) or getattr(peer.entity, "username", None) or "")
        captcha_sent: Solution | None = None
        captcha_failures = 0

        def scale() -> int:
            return min(1 + len(memory.done), max(1, self.budget.per_method_scale))

        while (result.steps < self.budget.max_steps * scale()
               and self.pacer.now() - started < self.budget.max_seconds * scale()):
            observed = await peer.wait_updates(self.budget.reply_timeout)
            if not observed:
                if screen is None:
                    result.reason = "the bot never answered"
                    return result
                if self._backtrack(memory, result, restarts):
                    restarts += 1
                    await self._start(peer, start_param)
                    continue
                result.outcome = Outcome.REQUISITES if result.requisites else Outcome.STUCK
                result.reason = result.reason or "no answer to the last action"
                break
            found = self._take_in(observed, result)
            explored.extend(o.text for o in observed if o.text)
            for o in observed:
                behaviour.observe(o.text, [b.text for b in o.buttons])
            for f in found:
                behaviour.requisite(f"{f.kind} {f.value}")
            with_buttons = [o for o in observed if o.buttons]
            screen = with_buttons[-1] if with_buttons else observed[-1]
            text = "\n".join(o.text for o in observed if o.text)
            intent = self._intent(screen.text or text)
            captcha = intent == "captcha" or _looks_like_captcha(screen) or (
                screen.image is not None and not screen.buttons and _asks_to_type(screen.text))
            if captcha_sent is not None:
                # The answer just given: a new captcha (or "wrong") means it failed.
                if captcha and not found:
                    FAILED_CAPTCHAS.failed(bot_key, captcha_sent.method)
                    captcha_failures += 1
                else:
                    FAILED_CAPTCHAS.passed(bot_key, captcha_sent.method)
                captcha_sent = None
            if judging:
                # Judge the bot on its first real screens (past any captcha): description,
                # everything it said so far and its menus' labels, and this screen on its own
                # (a price list of drugs decides, even after a courier-style greeting). A city
                # menu alone says little, so a low score gets one more screen before the bot is
                # left alone.
                labels = [b.text for o in observed for b in o.buttons]
                greeting += [text, *labels]
                if captcha:
                    judging = False  # legitimate businesses do not make buyers solve captchas
                else:
                    scores = self.model.shop_scores(["\n".join(greeting), "\n".join([text, *labels])])
                    result.shop_score = max(result.shop_score or 0.0, *scores)
                    judged += 1
                    if found or result.shop_score >= self.shop_threshold or keep_walking(behaviour):
                        judging = False  # a shop by its words, or by its steps (`prokai.crawl.verdict`)
                    elif judged >= JUDGE_SCREENS:
                        result.outcome = Outcome.NOT_SHOP
                        result.reason = f"shop score {result.shop_score:.2f}"
                        break
            if found:
                answered = memory.pending or next(
                    (m for f in found if (m := method_of_requisite(f)) is not None), None)
                if answered is not None:
                    memory.harvested(answered)
                for f in found:  # a requisite also answers a label of its own method
                    if (m := method_of_requisite(f)) is not None and m.key in memory.methods:
                        memory.harvested(m)
                result.outcome = Outcome.REQUISITES
                result.payments_done = sorted(memory.done)
                if memory.open_methods() and restarts < min(6, len(memory.methods) + 1):
                    restarts += 1
                    result.steps += 1
                    said_amounts.clear()
                    memory.restart()
                    await self._wait_between_orders()
                    await self._start(peer, start_param)
                    continue
                break
            if intent == "refusal_ban" and (_looks_like_refusal(screen.text) or not pressable(screen.buttons)):
                result.outcome = Outcome.REQUISITES if result.requisites else Outcome.BANNED
                result.reason = screen.text[:200]
                break
            result.steps += 1
            if captcha:
                if captcha_failures >= MAX_CAPTCHA_TRIES:
                    result.outcome = Outcome.REQUISITES if result.requisites else Outcome.CAPTCHA_FAILED
                    result.reason = f"captcha not solved after {captcha_failures} tries: {screen.text[:160]}"
                    result.screen = screen
                    break
                solution = FAILED_CAPTCHAS.pick(bot_key, solve_all(screen.text or text, screen.buttons, screen.image))
                if solution is None and (_looks_like_captcha(screen) or screen.image is not None):
                    result.outcome = Outcome.REQUISITES if result.requisites else Outcome.CAPTCHA_FAILED
                    result.reason = f"no solver for this captcha: {screen.text[:160]}"
                    result.screen = screen
                    break
                if solution is not None:
                    ok = (
                        await self._press(peer, screen, solution.button)
                        if solution.button
                        else await self._say(peer, solution.answer, derived=True)
                    )
                    if not ok:
                        result.outcome = Outcome.CAPTCHA_FAILED
                        result.reason = f"the answer to the captcha was refused: {solution.answer!r}"
                        result.screen = screen
                        break
                    captcha_sent = solution
                    continue
            key = screen_key(screen.text, screen.buttons)
            if screen.buttons:
                memory.arrive(key, screen.buttons)
            button = choose(intent, screen.text, screen.buttons, memory, self.city)
            if button is not None:
                memory.mark(key, button)
                method = screen_methods(intent, screen.buttons).get(button.text)
                if method is not None:
                    if memory.pending is not None and memory.pending.key != method.key:
                        memory.failed.add(memory.pending.key)  # asked, answered with another menu
                    memory.pending = method
                await self._press(peer, screen, button)
                continue
            if intent == "choose_city" and not screen.buttons:
                await self._say(peer, self.city, derived=True)
                continue
            amount = amount_requested(screen.text) if not screen.buttons else None
            if amount is not None and amount not in said_amounts:
                said_amounts.add(amount)
                await self._say(peer, amount, derived=True)
                continue
            commands = command_buttons(text) if not screen.buttons else []
            command = choose(intent, text, commands, memory, self.city) if commands else None
            if command is not None:
                ckey = screen_key(text, commands)
                memory.arrive(ckey, commands)
                memory.mark(ckey, command)
                await self._press(peer, screen, command)
                continue
            quantity = quantity_requested(screen.text) if not screen.buttons else None
            if quantity is not None and quantity not in said_amounts:
                said_amounts.add(quantity)
                await self._say(peer, quantity, derived=True)
                continue
            if self._backtrack(memory, result, restarts):
                # A dead end: mark the way here as leading nowhere and start over from the menu.
                restarts += 1
                await self._start(peer, start_param)
                continue
            result.outcome = Outcome.REQUISITES if result.requisites else Outcome.STUCK
            result.reason = result.reason or f"nothing to press on a '{intent}' screen"
            break
        else:
            result.outcome = Outcome.REQUISITES if result.requisites else Outcome.STUCK
            result.reason = "budget exhausted"
        result.payments_done = sorted(memory.done)
        result.payments_offered = sorted(memory.methods)
        if result.outcome == Outcome.STUCK and greeting:
            # Nowhere to go and nothing found: judge everything the bot said, and what it did.
            final = self.model.shop_scores(["\n".join([*greeting, *explored])[-4000:]])[0]
            # The whole dialog's score decides here (not its best single screen), then its steps.
            verdict = decide(final, behaviour, self.shop_threshold)
            result.shop_score = verdict.score
            if not verdict.shop:
                result.outcome = Outcome.NOT_SHOP
                result.reason = f"{verdict.reason} over the whole dialog"
        elif result.outcome == Outcome.REQUISITES:
            # Its steps can make a shop of a bot whose words scored low (the score review sees).
            result.shop_score = decide(result.shop_score or 0.0, behaviour, self.shop_threshold).score
        result.signals = sorted(behaviour.signals)
        return result

    # --- operators -------------------------------------------------------------------------

    async def run_operator(self, peer: TelethonPeer, lang: str = "ru", resume: bool = False) -> Result:
        """Talk to a human operator with the policy's phrases until they name where to pay."""
        result = Result(Outcome.NO_ANSWER)
        policy = OperatorPolicy(self.city)
        started = self.pacer.now()
        if not resume:
            await peer.prime()
            if not await self._say(peer, policy.opening(lang)):
                return Result(Outcome.ERROR, reason="opening refused")
        asked_other: list[str] = []  # method groups asked for after the first requisite
        nudges = 0
        behaviour = Behaviour()
        got_before = 0
        while result.steps < self.budget.max_steps and self.pacer.now() - started < self.budget.max_seconds:
            observed = await peer.wait_updates(self.budget.operator_timeout, quiet=1.5)
            if not observed:
                # Silence: a buyer writes again once or twice (the city, then "where do I pay?").
                line = policy.nudge(lang, nudges) if not result.requisites and nudges < 2 else None
                if line is None:
                    break
                nudges += 1
                if not await self._say(peer, line, derived=line == self.city):
                    break
                continue
            for f in self._take_in(observed, result):
                behaviour.requisite(f"{f.kind} {f.value}")
            text = "\n".join(o.text for o in observed if o.text)
            behaviour.observe(text)
            lang = language_of(text) if text.strip() else lang
            if result.shop_score is None:
                result.shop_score = self.model.shop_scores([text])[0]
            result.steps += 1
            if asked_other and len(result.requisites) == got_before:
                break  # asked for another way to pay and got none: nothing more to ask
            got_before = len(result.requisites)
            intent = self._intent(observed[-1].text or text)
            if intent == "refusal_ban" and not _looks_like_refusal(text):
                intent = "other"  # "orders go through the bot" is no ban: keep asking
            if intent == "refusal_ban" and not result.requisites:
                result.outcome = Outcome.BANNED
                result.reason = text[:200]
                return result
            if result.requisites:
                # Every other way to pay, one question each (a per-order card is asked once).
                have = {m.kind for f in result.requisites if (m := method_of_requisite(f)) is not None}
                other = policy.other_payment(lang, have | set(asked_other))
                if other is None or len(asked_other) >= 4:
                    break
                asked_other.append(other[0])
                if not await self._say(peer, other[1]):
                    break
                continue
            line = policy.reply(intent, text)
            if line is None:
                break
            if not await self._say(peer, line, derived=line == self.city):
                break
        if result.requisites:
            result.outcome = Outcome.REQUISITES
            result.payments_done = sorted({m.key for f in result.requisites
                                           if (m := method_of_requisite(f)) is not None})
            result.shop_score = decide(result.shop_score or 0.0, behaviour, self.shop_threshold).score
        result.signals = sorted(behaviour.signals)
        return result


CAPTCHA_WORDS = (
    "капч", "captcha", "докажите", "не робот", "что вы человек", "робот емес", "роботқа", "тексеру",
    "нажмите на", "нажмите кнопку", "символы с картинки", "сколько будет", "решите", "неше болады",
    "басыңыз", "press the", "are you human", "не бот", "not a bot", "not a robot", "антиспам", "anti-spam", "верификац", "verification",
)
_TYPE_WORDS = re.compile(r"введите|напишите|впишите|отправьте|енгізіңіз|жазыңыз|enter|type|send", re.I)
_AMOUNT_ASKED = re.compile(r"(введите|укажите|напишите)\s+сумм|соманы\s+(енгізіңіз|жазыңыз)|enter\s+(the\s+)?amount", re.I)
_MINIMUM = re.compile(r"(?:от|min(?:imum)?|кемінде)\s*(\d[\d\s]{0,9}\d|\d)", re.I)
_COMMAND = re.compile(r"(?<![\w/])(/[a-z][a-z0-9_]{1,31})\b")


_REFUSAL = re.compile(
    r"\b(?:за)?бан(?:ен\w*|\b)|заблок|доступ\w* закрыт|отказ|закрыт|не обслуж|подозрит|⛔|🚫|\bbann?ed\b|\bblocked\b"
    r"|бұғатта|жабық|тыйым",
    re.IGNORECASE,
)


def _looks_like_refusal(text: str) -> bool:
    """The classifier's 'refusal' confirmed by the words of a ban (a menu is not a refusal)."""
    return bool(_REFUSAL.search(text))


def _asks_to_type(text: str) -> bool:
    """A picture with "type what you see": an image captcha even without captcha words."""
    return bool(_TYPE_WORDS.search(text))


def _looks_like_captcha(screen: Observed) -> bool:
    low = screen.text.casefold()
    return any(w in low for w in CAPTCHA_WORDS) or _names_one_short_button(screen)


def _names_one_short_button(screen: Observed) -> bool:
    """'Выберите на клавиатуре ниже: K' over keys A K Z M, 'Нажмите 7' over 1..9: three or more
    one-glyph buttons and a prompt that names exactly one of them after a colon or at its end."""
    labels = [b.text.replace("\ufe0f", "").strip() for b in screen.buttons]
    if len(labels) < 3 or any(len(label) > 2 or not label for label in labels):
        return False
    tail = screen.text.rstrip(" .!?👇").rsplit(":", 1)[-1].split()
    return bool(tail) and sum(tail[-1].casefold() == label.casefold() for label in labels) == 1


def amount_requested(text: str) -> str | None:
    """The amount to type when a top-up screen asks for one: the stated minimum, else 5000."""
    if not _AMOUNT_ASKED.search(text):
        return None
    m = _MINIMUM.search(text)
    return m.group(1).replace(" ", "") if m else "5000"


_QUANTITY_ASKED = re.compile(
    r"(?:введите|укажите|напишите|сколько)\s+(?:нужно\s+)?(?:количеств|грамм|гр\b|вес|штук|шт\b)"
    r"|how many|quantity|санын\s+(?:енгізіңіз|жазыңыз)|неше грамм|қанша грамм|салмағын",
    re.I,
)


def quantity_requested(text: str) -> str | None:
    """The quantity to type when a screen asks for one ("Сколько грамм?"): the smallest, 1."""
    return "1" if _QUANTITY_ASKED.search(text) else None


def command_buttons(text: str) -> list[Button]:
    """Slash commands a bot lists in its text ("/pay — куда платить"), as buttons to choose from."""
    out: list[Button] = []
    for row, line in enumerate(text.splitlines()):
        for m in _COMMAND.finditer(line):
            # The label is the command, then its line for context ("/pay — куда платить").
            rest = (line[: m.start()] + line[m.end():]).strip(" —-:")
            label = f"{m.group(1)} {rest}".strip()
            if m.group(1) not in {b.text.split()[0] for b in out} and m.group(1) != "/start":
                out.append(Button(label, ButtonKind.COMMAND, row, len(out)))
    return out


__all__ = ["ORDER_GAP", "Budget", "DialogEngine", "EvidenceSink", "IntentModel", "Outcome", "Result", "language_of"]
