"""The same messages give the same evidence whichever path they came by: the crawler's (its
evidence sink inside a campaign conversation, the runner's shop binding and discovery) and the
seized-account archive's (a page of a dialog, then its shops made a campaign's targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from telethon.tl import types

from prokai.accounts.archive import ArchiveReport, _conversation, shops_to_campaign, store_page
from prokai.crawl.buttons import Button, ButtonKind
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.engine import Budget, Outcome, Result
from prokai.crawl.peer import Observed
from prokai.crawl.runner import CampaignRunner, ConversationJob, StaticClients
from prokai.crawl.sink import StoreSink
from prokai.crawl.targets import parse_target
from prokai.intake import IncomingMessage
from prokai.intake.steps import image_requisites
from prokai.sandbox.shops.render import text_image
from prokai.store.db import Database
from prokai.store.models import Message, Requisite, Shop, ShopKind, ShopUsername, Sighting, Target

SHOP_ID = 5001
USERNAME = "Kristall_Klad_bot"  # as Telegram writes it: the store keeps usernames lower case
IMAGE_CARD = "4400430211112229"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def card_png(number: str) -> bytes:
    """A card number as a picture (shops send them so to dodge text filters)."""
    return text_image("Карта " + " ".join(number[i:i + 4] for i in range(0, 16, 4))).data


@dataclass
class Said:
    """One message of the shop, independent of the path."""

    id: int
    text: str
    button_url: str | None = None
    text_url: str | None = None
    image: bytes | None = None
    out: bool = False
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def date(self) -> datetime:
        return T0 + timedelta(seconds=self.id)


def dialog() -> list[Said]:
    return [
        Said(1, f"Добро пожаловать в Kristall (@{USERNAME})! Меф 1г — 15 000 ₸, клады по Алматы. "
                "Резерв: @kristall_reserve_bot, наш чат t.me/+AbCdEfGh12, а тут все точки",
             button_url="https://t.me/kristall_operator", text_url="https://t.me/kristall_hidden_bot"),
        Said(2, "Оплата на карту 4400 4302"),
        Said(3, "2222 3338, 15 000 ₸, у вас 30 минут"),
        Said(4, "Или сюда (резерв):", image=card_png(IMAGE_CARD)),
        Said(5, "Kaspi перевод: +7 701 234 56 78 или BTC bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        Said(6, "Снова: 4400 4302 2222 3338"),  # the same card again: one sighting per conversation
    ]


class NoModel:
    """The runner's classifier; the paths compared here never ask it."""

    def shop_scores(self, texts: Any) -> list[float]:
        raise AssertionError("not used")

    def intents(self, texts: Any) -> list[Any]:
        raise AssertionError("not used")


def through_the_crawler(db: Database, said: list[Said]) -> int:
    """A campaign conversation with the shop: the runner binds it, the sink takes each message,
    the runner closes it (discovery). Returns the campaign id."""
    campaign_id, _ = create_campaign(db, "17-100/2026", "crawl", [parse_target("@" + USERNAME)], actor="test")
    with db.session() as s:
        target_id = s.scalars(select(Target.id).where(Target.campaign_id == campaign_id)).one()
    runner = CampaignRunner(db, StaticClients([]), NoModel(), city="Алматы", budget=Budget())
    job = ConversationJob(campaign_id, target_id)
    entity = types.User(id=SHOP_ID, bot=True, username=USERNAME, first_name="Kristall")
    shop_id, duplicate = runner._bind_shop(job, entity, ShopKind.BOT, "")
    assert not duplicate
    conv_id, _ = runner._conversation(job, shop_id, None, SHOP_ID, "crawl")
    sink = StoreSink(db, conv_id, None, shop_id, SHOP_ID)
    for m in said:
        buttons = [Button("Оператор", ButtonKind.URL, 0, 0, url=m.button_url)] if m.button_url else []
        entities = [{"type": "MessageEntityTextUrl", "offset": 0, "length": 5, "url": m.text_url}] if m.text_url else []
        sink.incoming(Observed(m.id, m.text, buttons, SHOP_ID, False, m.date, None, entities, image=m.image,
                               media_hash="h" if m.image else None, raw=b"tl" + bytes([m.id])))
    runner._close(conv_id, shop_id, Result(Outcome.REQUISITES), 0, job, [""])
    return campaign_id


def through_the_archive(db: Database, said: list[Said]) -> int:
    """A seized account's dialog with the shop, archived as one page, its shops then made a
    campaign's targets. Returns the campaign id."""
    peer = {"peer_id": SHOP_ID, "id": SHOP_ID, "kind": "bot", "title": "Kristall", "username": USERNAME}
    conv_id, _ = _conversation(db, None, peer)
    page = []
    for m in said:
        buttons = [[{"text": "Оператор", "kind": "KeyboardButtonUrl", "url": m.button_url}]] if m.button_url else []
        entities = [{"_": "MessageEntityTextUrl", "offset": 0, "length": 5, "url": m.text_url}] if m.text_url else []
        page.append(IncomingMessage(m.id, "in", m.text, m.date, sender_id=SHOP_ID, entities=entities, buttons=buttons,
                                    media_hash="h" if m.image else None, raw=b"tl" + bytes([m.id]), photo=m.image,
                                    image_found=image_requisites(m.image) if m.image else []))
    report = ArchiveReport("+77050000000")
    assert store_page(db, conv_id, None, peer, page, lambda texts: [0.9 for _ in texts], report) == len(said)
    assert report.shops == ["@" + USERNAME]
    campaign_id, _ = create_campaign(db, "17-100/2026", "archive", [], actor="test")
    shops_to_campaign(db, campaign_id)
    return campaign_id


def evidence(db: Database, campaign_id: int) -> dict[str, Any]:
    """What a prosecutor acts on, without the ids of either database."""
    with db.session() as s:
        texts = {m.id: m.text for m in s.scalars(select(Message))}
        shops = {sh.id: sh for sh in s.scalars(select(Shop))}
        reqs = {r.id: r for r in s.scalars(select(Requisite))}

        def parts(details: dict[str, Any]) -> list[Any]:
            return [[texts[m], a, b] for m, a, b in details.get("parts", [])]

        return {
            "requisites": {(r.kind, r.value, r.issuer, r.country, r.network) for r in reqs.values()},
            "sightings": sorted(
                (reqs[g.requisite_id].value, texts[g.message_id or 0], shops[g.shop_id].username if g.shop_id else None,
                 g.method, g.span_start, g.span_end, str(g.amount), g.currency, g.seen_at.isoformat(),
                 str(parts(g.details)), g.details.get("direction"))
                for g in s.scalars(select(Sighting))),
            "shops": {(sh.username, sh.telegram_id, sh.kind, sh.status, sh.title,
                       str(sh.meta) if sh.meta.get("source") == "link" else None) for sh in shops.values()},
            "usernames": {(shops[u.shop_id].username, u.username) for u in s.scalars(select(ShopUsername))},
            # by what names them (a target the crawler has visited also carries the peer's kind)
            "targets": {(t.raw, t.kind == "invite") for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id))},
        }


def test_the_crawler_and_the_archive_store_the_same_evidence(tmp_path: Any) -> None:
    from prokai.store.migrate import upgrade

    got = []
    for name, path in (("crawl", through_the_crawler), ("archive", through_the_archive)):
        url = f"sqlite:///{tmp_path}/{name}.db"
        upgrade(url)
        db = Database(url)
        try:
            got.append(evidence(db, path(db, dialog())))
        finally:
            db.dispose()
    crawl, archive = got
    for key in crawl:
        assert crawl[key] == archive[key], key
    # and that evidence is what the messages say
    values = {v for _, v, *_ in crawl["requisites"]}
    assert {"4400430222223338", IMAGE_CARD, "+77012345678"} <= values
    split = [g for g in crawl["sightings"] if g[0] == "4400430222223338"]
    assert len(split) == 1 and split[0][1] == "2222 3338, 15 000 ₸, у вас 30 минут" and split[0][3] == "window"
    assert split[0][9] == str([["Оплата на карту 4400 4302", 16, 25], ["2222 3338, 15 000 ₸, у вас 30 минут", 0, 9]])
    assert {raw for raw, _ in crawl["targets"]} == {
        "username:kristall_klad_bot", "username:kristall_reserve_bot", "username:kristall_operator",
        "username:kristall_hidden_bot", "invite:AbCdEfGh12"}
    assert ("invite:AbCdEfGh12", True) in crawl["targets"]
    assert {u for _, u in crawl["usernames"]} == {"kristall_klad_bot", "kristall_reserve_bot", "kristall_operator",
                                                  "kristall_hidden_bot"}
