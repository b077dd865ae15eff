"""The bugs of the archive's own copy of the intake, each through the real archive (a seized
account in the sandbox): a shop met under another name is a recorded rename, a username is never
a LIKE pattern, and invite links become invite targets, never usernames or shops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from accounts_harness import make_settings, rig, run
from sqlalchemy import func, select

from prokai.accounts.archive import archive_accounts, shops_to_campaign
from prokai.accounts.login import login_all
from prokai.crawl.campaigns import create_campaign
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Shop, ShopUsername, Target

pytestmark = pytest.mark.timeout(120)

SEIZED = "+77054440002"
BOT = "new_klad_bot"
SHOP_TEXT = ("Шишки и меф, клады по Алматы. Оплата на карту 4400 4301 2345 6789, 15 000 ₸. "
             "Резерв: @klad_bot, наш чат t.me/+AbCdEfGh12 и https://t.me/joinchat/JoinHash2026")


def build(world: World) -> None:
    seized = world.add_account(SEIZED, "Seized")
    bot = world.add_bot(BOT, None, first_name="Klad")
    world.send_private(seized.id, bot.id, "/start")
    world.send_private(bot.id, seized.id, SHOP_TEXT)


def archived(db: Database, tmp_path: Path, before: Callable[[Database, World], None]) -> None:
    """Archive the seized account once, after `before` has put what the store already knew."""
    settings = make_settings(db.url, tmp_path)

    async def body() -> None:
        async with rig(db, settings, [SEIZED], build) as r:
            before(db, r.world)
            assert (await login_all(db, settings, r.modems, sandbox=r.server, vault=r.vault)).by_phone(SEIZED).outcome \
                == "logged_in"
            [report] = await archive_accounts(r.pool(), scorer=lambda texts: [1.0 for _ in texts])
            assert report.ok, report.detail

    run(body, 90)


def test_a_shop_met_under_another_name_is_a_recorded_rename(db: Database, tmp_path: Path) -> None:
    def known_as_old_name(db: Database, world: World) -> None:
        bot = world.resolve(BOT)
        assert bot is not None
        with db.session() as s:  # as the crawler left it: alive under its old name
            shop = Shop(telegram_id=bot.id, username="old_klad_bot", kind="bot", status="alive", meta={})
            s.add(shop)
            s.flush()
            s.add(ShopUsername(shop_id=shop.id, username="old_klad_bot"))

    archived(db, tmp_path, known_as_old_name)
    with db.session() as s:
        shop = s.scalars(select(Shop).where(Shop.username == BOT)).one()
        assert shop.status == "renamed"
        assert set(s.scalars(select(ShopUsername.username).where(ShopUsername.shop_id == shop.id))) == {
            "old_klad_bot", BOT}


def test_an_underscore_in_a_named_username_is_no_wildcard(db: Database, tmp_path: Path) -> None:
    def other_shop(db: Database, world: World) -> None:
        with db.session() as s:  # `klad_bot` as a LIKE pattern matches this one
            s.add(Shop(username="kladxbot", kind="bot", status="unknown", meta={"source": "link"}))

    archived(db, tmp_path, other_shop)
    with db.session() as s:
        named = s.scalars(select(Shop).where(Shop.username == "klad_bot")).one()
        assert named.meta == {"source": "link", "named_by": BOT} and named.status == "unknown"
        assert s.scalar(select(func.count()).select_from(Shop).where(Shop.username == "kladxbot")) == 1


def test_invite_links_become_invite_targets_never_shops(db: Database, tmp_path: Path) -> None:
    archived(db, tmp_path, lambda db, world: None)
    campaign_id, _ = create_campaign(db, "17-001/2026", "seized", [], actor="test")
    shops_to_campaign(db, campaign_id)
    with db.session() as s:
        targets = {t.raw: t.kind for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id))}
        names = set(s.scalars(select(Shop.username))) | set(s.scalars(select(ShopUsername.username)))
    assert targets == {f"username:{BOT}": "username", "username:klad_bot": "username",
                       "invite:AbCdEfGh12": "invite", "invite:JoinHash2026": "invite"}
    assert not {n for n in names if n and ("hash" in n.lower() or "abcd" in n.lower())}
