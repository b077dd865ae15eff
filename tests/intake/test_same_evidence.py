"""The same messages give the same evidence whichever path they came by.

A shop bot in the sandbox sends a seized account its menu (a URL button, a link under a word, an
invite link), a card split across two messages, a card as a picture, a phone and a wallet. The
very same Telegram messages then go down both paths: the crawler's (its peer's reading of each
message, its evidence sink inside a campaign conversation, the runner's shop binding and
discovery) and the archive's (its reading of each message, a page of the dialog, its shops made
a campaign's targets). Each path writes a database of its own; both must hold the same messages,
requisites, sightings, shops, usernames and targets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accounts_harness import make_settings, rig, run
from sqlalchemy import select

from prokai.accounts.archive import (
    ArchiveReport,
    _conversation,
    _message_row,
    _peer_row,
    shops_to_campaign,
    store_page,
)
from prokai.accounts.login import login_all
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.engine import Budget, Outcome, Result
from prokai.crawl.peer import Observed, TelethonPeer
from prokai.crawl.runner import CampaignRunner, ConversationJob, StaticClients
from prokai.crawl.sink import StoreSink
from prokai.intake import IncomingMessage
from prokai.intake.targets import parse_target
from prokai.sandbox.bots import Button
from prokai.sandbox.shops.render import text_image
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Message, Requisite, Shop, ShopKind, ShopUsername, Sighting, Target

SEIZED = "+77054440003"
USERNAME = "Kristall_Klad_bot"  # as its owner wrote it: the store keeps usernames lower case
IMAGE_CARD = "4400430211112229"
SPLIT_CARD = "4400430222223338"


def build(world: World) -> None:
    seized = world.add_account(SEIZED, "Seized")
    bot = world.add_bot(USERNAME, None, first_name="Kristall")
    world.send_private(seized.id, bot.id, "/start")
    world.send_private(bot.id, seized.id,
                       f"Добро пожаловать в Kristall (@{USERNAME})! Меф 1г — 15 000 ₸, клады по Алматы. "
                       "Резерв: @kristall_reserve_bot, наш чат t.me/+AbCdEfGh12, а все точки тут",
                       buttons=[[Button.link("Оператор", "https://t.me/kristall_operator")]],
                       links=[("тут", "https://t.me/kristall_hidden_bot")])
    world.send_private(bot.id, seized.id, "Оплата на карту 4400 4302")
    world.send_private(bot.id, seized.id, "2222 3338, 15 000 ₸, у вас 30 минут")
    picture = text_image("Карта " + " ".join(IMAGE_CARD[i:i + 4] for i in range(0, 16, 4)))
    world.send_private(bot.id, seized.id, "Или сюда (резерв):", image=picture)
    world.send_private(bot.id, seized.id, "Kaspi перевод: +7 701 234 56 78 или BTC bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    world.send_private(bot.id, seized.id, "Снова: 4400 4302 2222 3338")  # once more: one sighting per conversation


class NoModel:
    """The runner's classifier: the steps compared here never ask it."""

    def shop_scores(self, texts: Any) -> list[float]:
        raise AssertionError("not used")

    def intents(self, texts: Any) -> list[Any]:
        raise AssertionError("not used")


def through_the_crawler(db: Database, entity: Any, observed: list[Observed]) -> int:
    """A campaign conversation with the shop: the runner binds it, the sink takes each message,
    the runner closes it (discovery). Returns the campaign id."""
    campaign_id, _ = create_campaign(db, "17-100/2026", "crawl", [parse_target("@" + USERNAME)], actor="test")
    with db.session() as s:
        target_id = s.scalars(select(Target.id).where(Target.campaign_id == campaign_id)).one()
    runner = CampaignRunner(db, StaticClients([]), NoModel(), city="Алматы", budget=Budget())
    job = ConversationJob(campaign_id, target_id)
    shop_id, duplicate = runner._bind_shop(job, entity, ShopKind.BOT, "")
    assert not duplicate
    conv_id, _ = runner._conversation(job, shop_id, None, entity.id, "crawl")
    sink = StoreSink(db, conv_id, None, shop_id, entity.id)
    for obs in observed:
        if obs.out:
            sink.outgoing(obs, "send_text")
        else:
            sink.incoming(obs)
    runner._close(conv_id, shop_id, Result(Outcome.REQUISITES), 0, job, [""])
    return campaign_id


def through_the_archive(db: Database, entity: Any, page: list[IncomingMessage]) -> int:
    """A seized account's dialog with the shop, archived as one page, its shops then made a
    campaign's targets. Returns the campaign id."""
    peer = _peer_row(entity)
    conv_id, _ = _conversation(db, None, peer)
    report = ArchiveReport(SEIZED)
    assert store_page(db, conv_id, None, peer, page, lambda texts: [0.9 for _ in texts], report) == len(page)
    assert report.shops == ["@" + USERNAME]
    campaign_id, _ = create_campaign(db, "17-100/2026", "archive", [], actor="test")
    shops_to_campaign(db, campaign_id)
    return campaign_id


def evidence(db: Database, campaign_id: int) -> dict[str, Any]:
    """What a prosecutor acts on, without the row ids of either database."""
    with db.session() as s:
        messages = {m.id: m for m in s.scalars(select(Message))}
        shops = {sh.id: sh for sh in s.scalars(select(Shop))}
        reqs = {r.id: r for r in s.scalars(select(Requisite))}

        def parts(details: dict[str, Any]) -> str:
            return str([[messages[m].text, a, b] for m, a, b in details.get("parts", [])])

        return {
            "messages": sorted(
                (m.telegram_message_id, m.text, str(m.buttons), str(m.entities), m.media_hash, m.sender_id,
                 m.sent_at.isoformat() if m.sent_at else None, m.edit_of_id is None)
                for m in messages.values() if m.direction == "in"),
            "requisites": {(r.kind, r.value, r.issuer, r.country, r.network) for r in reqs.values()},
            "sightings": sorted(
                (reqs[g.requisite_id].value, messages[g.message_id or 0].text,
                 shops[g.shop_id].username if g.shop_id else None, g.method, g.span_start, g.span_end, str(g.amount),
                 g.currency, g.seen_at.isoformat(), parts(g.details), g.details.get("direction"))
                for g in s.scalars(select(Sighting))),
            "shops": {(sh.username, sh.telegram_id, sh.kind, sh.status, sh.title,
                       str(sh.meta) if sh.meta.get("source") == "link" else None) for sh in shops.values()},
            "usernames": {(shops[u.shop_id].username, u.username) for u in s.scalars(select(ShopUsername))},
            # by what names them (a target the crawler has visited also carries the peer's kind)
            "targets": {(t.raw, t.kind == "invite")
                        for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id))},
        }


def fresh(path: Path) -> Database:
    url = f"sqlite:///{path}"
    upgrade(url)
    return Database(url)


def test_the_crawler_and_the_archive_store_the_same_evidence(tmp_path: Path) -> None:
    home = fresh(tmp_path / "rig.db")  # the seized account, its session and leases
    settings = make_settings(home.url, tmp_path)
    got: dict[str, dict[str, Any]] = {}

    async def body() -> None:
        async with rig(home, settings, [SEIZED], build) as r:
            assert (await login_all(home, settings, r.modems, sandbox=r.server, vault=r.vault)).by_phone(SEIZED).outcome \
                == "logged_in"
            pool = r.pool()
            async with pool.lease(kind="archive", account=SEIZED, receive_updates=False) as lease:
                client = lease.client
                entity = await client.get_entity(USERNAME)
                said = list(reversed(await client.get_messages(entity, limit=20)))
                peer = TelethonPeer(client, entity)
                observed = [await peer._observe(m) for m in said]
                page = [await _message_row(pool, client, m, True, ArchiveReport(SEIZED)) for m in said]
            for name, feed in (("crawl", lambda db: through_the_crawler(db, entity, observed)),
                               ("archive", lambda db: through_the_archive(db, entity, page))):
                db = fresh(tmp_path / f"{name}.db")
                try:
                    got[name] = evidence(db, feed(db))
                finally:
                    db.dispose()

    try:
        run(body, 90)
    finally:
        home.dispose()
    crawl, archive = got["crawl"], got["archive"]
    for key in crawl:
        assert crawl[key] == archive[key], key
    # and that evidence is what the messages say
    assert {SPLIT_CARD, IMAGE_CARD, "+77012345678"} <= {v for _, v, *_ in crawl["requisites"]}
    split = [g for g in crawl["sightings"] if g[0] == SPLIT_CARD]
    assert len(split) == 1 and split[0][1] == "2222 3338, 15 000 ₸, у вас 30 минут" and split[0][3] == "window"
    assert split[0][9] == str([["Оплата на карту 4400 4302", 16, 25], ["2222 3338, 15 000 ₸, у вас 30 минут", 0, 9]])
    assert [g[2] for g in crawl["sightings"]] == ["kristall_klad_bot"] * len(crawl["sightings"])
    assert crawl["targets"] == {("username:kristall_klad_bot", False), ("username:kristall_reserve_bot", False),
                                ("username:kristall_operator", False), ("username:kristall_hidden_bot", False),
                                ("invite:AbCdEfGh12", True)}
    assert {u for _, u in crawl["usernames"]} == {"kristall_klad_bot", "kristall_reserve_bot", "kristall_operator",
                                                  "kristall_hidden_bot"}
