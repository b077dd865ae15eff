"""Put loaded scenarios into a sandbox `World`: bots, backup bots, operators, channels, lifecycle.

`ShopWorld.install()` creates the peers; `apply_day()` (idempotent) makes the world match the
current sandbox day: renames, deaths, channel posts that are due. `run()` is a task that calls it
at every Kazakhstan midnight of the (fast-forwardable) sandbox clock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from prokai.sandbox.bots import Button
from prokai.sandbox.shops.botengine import ShopBot
from prokai.sandbox.shops.loader import LoadedScenario, check_unique, load_folder
from prokai.sandbox.shops.operator import OperatorPersona
from prokai.sandbox.shops.render import text_image
from prokai.sandbox.shops.rotation import day_start, sandbox_date
from prokai.sandbox.shops.runtime import Handout, SentMessage, ShopRuntime, render
from prokai.sandbox.shops.spec import PostSpec

if TYPE_CHECKING:
    from prokai.sandbox.model import ChannelRecord, UserRecord
    from prokai.sandbox.world import World

log = logging.getLogger(__name__)


@dataclass
class InstalledShop:
    """The world records one scenario created."""

    runtime: ShopRuntime
    bot: UserRecord | None = None
    bot_engine: ShopBot | None = None
    backups: list[tuple[UserRecord, ShopBot]] = field(default_factory=list)
    operator: UserRecord | None = None
    persona: OperatorPersona | None = None
    channels: list[ChannelRecord] = field(default_factory=list)
    posted: set[tuple[int, int]] = field(default_factory=set)
    applied: tuple[bool, bool] = (True, False)  # (alive, renamed) last applied


class ShopWorld:
    """Scenarios living in one sandbox world."""

    def __init__(self, world: World, scenarios: list[LoadedScenario], start: date | None = None) -> None:
        check_unique(scenarios)
        self.world = world
        self.scenarios = scenarios
        self.start_date = start or sandbox_date(world.clock.now())
        self.handouts: list[Handout] = []
        self.sent: list[SentMessage] = []  # every shop message with its intent tag (for measuring)
        self.shops: dict[str, InstalledShop] = {}
        self._task: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- building

    def install(self) -> ShopWorld:
        """Create every bot, backup bot, operator account and channel, and post day-0 posts."""
        for sc in self.scenarios:
            rt = ShopRuntime(sc, self.world, self.start_date, self.handouts, self.sent)
            shop = InstalledShop(runtime=rt)
            spec = sc.spec
            if spec.bot is not None:
                shop.bot_engine = ShopBot(rt, spec.bot.username)
                # the bot's /commands, as BotFather's list in GetFullUser: (command, its screen)
                commands = list(spec.bot.commands.items())
                shop.bot = self.world.add_bot(spec.bot.username, shop.bot_engine, first_name=spec.bot.name,
                                              about=spec.bot.about, commands=commands)
                for b in spec.bot.backups:
                    engine = ShopBot(rt, b.username)
                    user = self.world.add_bot(b.username, engine, first_name=b.name or spec.bot.name, about=spec.bot.about,
                                              commands=commands)
                    shop.backups.append((user, engine))
            if spec.operator is not None:
                op = spec.operator
                shop.persona = OperatorPersona(rt)
                shop.operator = self.world.add_user(op.name, username=op.username, phone=op.phone, about=op.about)
                shop.operator.bot = shop.persona
            for ch in spec.channels:
                about = render(ch.about, rt.base_vars())
                shop.channels.append(self.world.add_channel(ch.title, username=ch.username, about=about))
            self.shops[spec.id] = shop
        self.apply_day()
        return self

    def day_index(self) -> int:
        """Days since the world's start (day 0) on the sandbox clock."""
        return (sandbox_date(self.world.clock.now()) - self.start_date).days

    # -------------------------------------------------------------- lifecycle

    def apply_day(self) -> None:
        """Make renames, deaths and due channel posts match today's sandbox date (idempotent)."""
        day = self.day_index()
        for shop in self.shops.values():
            life = shop.runtime.life()
            if life.renamed and not shop.applied[1]:
                self._rename(shop)
            if not life.alive and shop.applied[0]:
                self._kill(shop, life.death or "deleted")
            shop.applied = (life.alive, life.renamed)
            if life.alive:
                for ci, (ch_spec, ch) in enumerate(zip(shop.runtime.spec.channels, shop.channels, strict=True)):
                    for pi, post in enumerate(ch_spec.posts):
                        if post.day <= day and (ci, pi) not in shop.posted:
                            shop.posted.add((ci, pi))
                            self._post(shop, ch, post)

    def _post(self, shop: InstalledShop, channel: ChannelRecord, post: PostSpec) -> None:
        v = shop.runtime.base_vars()
        links = [[Button.link(render(link.text, v), render(link.url, v))] for link in post.links]
        image = text_image(render(post.image, v), seed=len(post.text)) if post.image else None
        hidden = [(render(link.text, v), render(link.url, v)) for link in post.text_links]
        self.world.post(channel.id, render(post.text, v), buttons=links or None, image=image, links=hidden)

    def _set_username(self, kind: str, ident: int, old: str | None, new: str) -> None:
        if old:
            self.world.usernames.pop(old.lower(), None)
        self.world.usernames[new.lower()] = (kind, ident)

    def _rename(self, shop: InstalledShop) -> None:
        spec = shop.runtime.spec
        assert spec.lifecycle is not None and spec.lifecycle.rename is not None
        r = spec.lifecycle.rename
        if r.bot and shop.bot is not None:
            self._set_username("user", shop.bot.id, shop.bot.username, r.bot)
            shop.bot.username = r.bot
            if r.name:
                shop.bot.first_name = r.name
            if shop.bot_engine is not None:
                shop.bot_engine.username = r.bot
        if r.channel and shop.channels:
            ch = shop.channels[0]
            self._set_username("channel", ch.id, ch.username, r.channel)
            ch.username = r.channel
        if r.notice and shop.channels:
            self.world.post(shop.channels[0].id, render(r.notice, shop.runtime.base_vars()))
        log.info("shop %s renamed on day %d", spec.id, self.day_index())

    def _kill(self, shop: InstalledShop, death: str) -> None:
        if death == "deleted":
            users = [u for u in [shop.bot, shop.operator] if u is not None] + [u for u, _ in shop.backups]
            for user in users:
                if user.username:
                    self.world.usernames.pop(user.username.lower(), None)
                user.bot = None
                user.deleted = True  # clients see a deleted account; writing to it fails
            for ch in shop.channels:
                if ch.username:
                    self.world.usernames.pop(ch.username.lower(), None)
        log.info("shop %s died (%s) on day %d", shop.runtime.spec.id, death, self.day_index())

    async def run(self) -> None:
        """Apply the lifecycle at every sandbox midnight, forever (cancel the task to stop)."""
        while True:
            self.apply_day()
            tomorrow = sandbox_date(self.world.clock.now()) + timedelta(days=1)
            await self.world.clock.sleep_until(day_start(tomorrow) + 0.001)

    def start(self) -> asyncio.Task[None]:
        """Start `run()` as a task of the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def stop(self) -> None:
        """Cancel the lifecycle task."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


def load_world_from_scenarios(folder: str | Path, world: World, start: date | None = None) -> ShopWorld:
    """Load every scenario in `folder` into `world` (day 0 = `start`, default: today on its clock).

    Call `.start()` on the result inside the server's event loop so renames and deaths happen at
    sandbox midnights; `ground_truth(result.scenarios, date, start=result.start_date)` is the truth.
    """
    return ShopWorld(world, load_folder(folder), start).install()
