"""What one running shop remembers: buyers, bans, orders, handed-out requisites; shared helpers.

A shop's bot, its backup bots and its operator share one `ShopRuntime`, so a buyer banned by the
bot is banned by the operator too, and per-order rotation counts every order of the shop.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from prokai.sandbox.bots import BotChat
from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.loader import LoadedScenario, Requisite
from prokai.sandbox.shops.render import text_image
from prokai.sandbox.shops.rotation import LifeState, life_state, pick, sandbox_date
from prokai.sandbox.shops.spec import PaymentSpec

if TYPE_CHECKING:
    from prokai.sandbox.world import World


@dataclass(frozen=True)
class Handout:
    """One requisite a shop showed one buyer (the sandbox's own record, for measuring recall)."""

    scenario: str
    via: str
    user_id: int
    pool: str
    requisite: Requisite
    delivery: str
    time: float
    day: date
    order_no: int


@dataclass(frozen=True)
class SentMessage:
    """One message a shop sent (or edited) and the intent the scenario tags it with.

    `message_id` is the id in the BUYER's box, i.e. what the buyer's client sees.
    """

    scenario: str
    via: str
    user_id: int
    message_id: int
    intent: str
    text: str
    time: float
    edited: bool = False


@dataclass
class Buyer:
    """A buyer as the shop sees them."""

    banned: bool = False
    orders: list[float] = field(default_factory=list)
    last_action: float | None = None  # last time the shop answered them (for the speed rule)


class _Vars(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fmt_value(value: Any) -> str:
    """Numbers as shops write prices: 25000 -> '25 000'."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    if isinstance(value, float) and value.is_integer():
        return fmt_value(int(value))
    return str(value)


def render(text: str, variables: dict[str, Any]) -> str:
    """Fill {placeholders} from `variables` (unknown ones stay as written)."""
    values = _Vars({k: fmt_value(v) for k, v in variables.items()})
    return string.Formatter().vformat(text, (), values)


class ShopRuntime:
    """Shared state of one shop scenario inside a running world."""

    def __init__(self, scenario: LoadedScenario, world: World, start: date, handouts: list[Handout],
                 sent: list[SentMessage] | None = None) -> None:
        self.scenario = scenario
        self.spec = scenario.spec
        self.world = world
        self.start = start
        self.handouts = handouts
        self.sent: list[SentMessage] = sent if sent is not None else []
        self.buyers: dict[int, Buyer] = {}
        self.order_counters: dict[tuple[str, date], int] = {}
        self.rng = random.Random(scenario.id)

    # -------------------------------------------------------------- time and life

    def now(self) -> float:
        """Sandbox time."""
        return self.world.clock.now()

    def today(self) -> date:
        """Sandbox calendar date (Kazakhstan)."""
        return sandbox_date(self.now())

    def day_index(self) -> int:
        """Days since the world started (day 0)."""
        return (self.today() - self.start).days

    def life(self) -> LifeState:
        """The shop's lifecycle state today."""
        return life_state(self.spec, self.day_index())

    def buyer(self, user_id: int) -> Buyer:
        """The shop's record of a buyer."""
        return self.buyers.setdefault(user_id, Buyer())

    def base_vars(self, user_id: int | None = None) -> dict[str, Any]:
        """Variables every text may use: the scenario's `vars`, the shop's current names, {buyer}."""
        life = self.life()
        out: dict[str, Any] = dict(self.spec.vars)
        user = self.world.users.get(user_id) if user_id is not None else None
        out["buyer"] = user.first_name if user is not None else ""
        out["shop"] = self.spec.title
        out["bot"] = f"@{life.bot}" if life.bot else ""
        out["operator"] = f"@{self.spec.operator.username}" if self.spec.operator else ""
        out["channel"] = f"@{life.channels[0]}" if life.channels else ""
        backups = self.spec.bot.backups if self.spec.bot else []
        out["backup"] = f"@{backups[0].username}" if backups else ""
        out["date"] = self.today().strftime("%d.%m.%Y")
        return out

    # -------------------------------------------------------------- anti-bot

    def too_fast(self, user_id: int) -> bool:
        """The buyer acted sooner after the shop's last message than a human could."""
        rules = self.spec.antibot
        buyer = self.buyer(user_id)
        if rules is None or rules.min_action_interval is None or buyer.last_action is None:
            return False
        return self.now() - buyer.last_action < rules.min_action_interval

    def order_violation(self, user_id: int) -> bool:
        """Asking for requisites breaks a rule: too many orders, too soon again, too young an account."""
        rules = self.spec.antibot
        if rules is None:
            return False
        buyer = self.buyer(user_id)
        now = self.now()
        if rules.max_orders is not None and len(buyer.orders) >= rules.max_orders:
            return True
        if rules.repeat_cooldown is not None and buyer.orders and now - buyer.orders[-1] < rules.repeat_cooldown:
            return True
        if rules.min_account_age_days is not None:
            user = self.world.users.get(user_id)
            created = user.created if user is not None else None
            if created is not None and now - created < rules.min_account_age_days * 86400:
                return True
        return False

    async def punish(self, chat: BotChat) -> None:
        """Ban or refuse the buyer as the shop's rules say."""
        rules = self.spec.antibot
        assert rules is not None
        if rules.action == "ban":
            self.buyer(chat.user_id).banned = True
            await self.say(chat, render(rules.ban_text, self.base_vars()), "refusal_ban")
        else:
            await self.say(chat, render(rules.refuse_text, self.base_vars()), "refusal_ban")

    async def say(self, chat: BotChat, text: str, intent: str = "other", **kw: Any) -> int:
        """Send, log the message with its intent, remember when the shop last spoke to this buyer."""
        mid = await chat.send(text, **kw)
        self.buyer(chat.user_id).last_action = self.now()
        self._log(chat, mid, intent, text, edited=False)
        return mid

    async def edit(self, chat: BotChat, message_id: int, text: str, intent: str, buttons: Any) -> None:
        """Edit a menu in place (an edit counts as an answer for the speed rule)."""
        await chat.edit(message_id, text=text, buttons=buttons)
        self.buyer(chat.user_id).last_action = self.now()
        self._log(chat, message_id, intent, text, edited=True)

    def _log(self, chat: BotChat, own_id: int, intent: str, text: str, edited: bool) -> None:
        sender = self.world.users.get(chat.bot_id)
        stored = sender.box.messages.get(own_id) if sender is not None else None
        buyer_id = stored.twin[1] if stored is not None and stored.twin is not None else own_id
        via = sender.username or "" if sender is not None else ""
        self.sent.append(SentMessage(self.spec.id, via, chat.user_id, buyer_id, intent, text, self.now(), edited))

    # -------------------------------------------------------------- payment

    def take_requisite(self, pool_name: str, user_id: int, via: str, delivery: str) -> tuple[Requisite, int]:
        """Pick the requisite for a new order by this buyer and record the handout."""
        pool = self.spec.requisites[pool_name]
        day = self.today()
        key = (pool_name, day)
        order_no = self.order_counters.get(key, 0)
        self.order_counters[key] = order_no + 1
        item = pick(self.spec.id, pool_name, pool, self.scenario.pools[pool_name], day, order_no, user_id)
        self.buyer(user_id).orders.append(self.now())
        self.handouts.append(Handout(self.spec.id, via, user_id, pool_name, item, delivery, self.now(), day, order_no))
        return item, order_no

    async def pay(self, chat: BotChat, pay: PaymentSpec, text: str, variables: dict[str, Any], via: str,
                  buttons: Any = None) -> bool:
        """Hand out a requisite: checks the rules, then sends text, split pieces or an image."""
        if self.order_violation(chat.user_id):
            await self.punish(chat)
            return False
        item, order_no = self.take_requisite(pay.pool, chat.user_id, via, pay.delivery)
        shown = req.display(item.kind, item.value, pay.style)
        v = dict(variables)
        v.update(bank=item.bank, holder=item.holder, asset=item.asset, order=str(1000 + self.rng.randint(0, 8999)))
        v["requisite"] = shown if pay.delivery == "text" else "👇"
        body = render(text, v)
        if pay.delivery == "text" and "{requisite}" not in text:
            body += "\n" + shown
        if pay.delivery == "text":
            await self.say(chat, body, "payment_details", buttons=buttons)
            return True
        await self.say(chat, body, "payment_details")
        caption = render(pay.caption, v) if pay.caption else ""
        if pay.delivery == "split":
            if caption:
                await self.say(chat, caption, "payment_details")
            parts = req.split_parts(item.kind, item.value, pay.parts)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                await self.say(chat, part, "payment_details", buttons=buttons if last else None)
        else:
            picture = text_image(f"{caption}\n{shown}" if caption else shown, seed=order_no)
            await self.say(chat, "", "payment_details", image=picture, buttons=buttons)
        return True
