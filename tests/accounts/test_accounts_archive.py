"""The archive of a seized account: three dialogs, two of them shops with requisites; incremental."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from accounts_harness import make_settings, rig, run
from sqlalchemy import func, select

from prokai.accounts.archive import archive_accounts, shops_to_campaign
from prokai.accounts.login import login_all
from prokai.crawl.campaigns import create_campaign
from prokai.sandbox.bots import Image
from prokai.sandbox.world import World
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.models import Conversation, Message, Requisite, Shop, Sighting, Target

pytestmark = pytest.mark.timeout(120)

SEIZED = "+77054440001"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


IMAGE_CARD = "4400430211112229"


def card_png(number: str) -> bytes:
    """A payment card number as a picture (shops send them so to dodge text filters)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    img = PILImage.new("RGB", (900, 160), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 48)
    ImageDraw.Draw(img).text((20, 50), "Карта " + " ".join(number[i:i + 4] for i in range(0, 16, 4)),
                             fill="black", font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def build(world: World) -> None:
    seized = world.add_account(SEIZED, "Seized")
    bot = world.add_bot("almaty_kladbot", None, first_name="Almaty Klad")
    operator = world.add_user("Оператор", username="kladmen_operator")
    mom = world.add_user("Мама")
    world.send_private(seized.id, bot.id, "/start")
    world.send_private(bot.id, seized.id, "Добро пожаловать! Меф 1г — 15 000 ₸, клад по Алматы. Выберите район",
                       image=Image(PNG, 1, 1, "image/png"))
    world.send_private(bot.id, seized.id, "Оплата на карту 4400 4301 2345 6789, 15 000 ₸, у вас 30 минут")
    png = card_png(IMAGE_CARD)
    world.send_private(bot.id, seized.id, "Или сюда (резерв):", image=Image(png, 900, 160, "image/png"))
    world.send_private(operator.id, seized.id, "Привет, есть шишки и меф, закладки по городу. Резерв: @reserve_klad_bot")
    world.send_private(seized.id, operator.id, "Сколько за 2г?")
    world.send_private(operator.id, seized.id, "Оплата: 5169 4931 1122 2330 Jusan, после оплаты скинь чек")
    world.send_private(mom.id, seized.id, "Сынок, купи хлеба и молока по дороге домой")
    world.send_private(seized.id, mom.id, "Хорошо, мам")


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (("messages", Message), ("requisites", Requisite), ("sightings", Sighting),
                                    ("conversations", Conversation))}


def test_archive_finds_the_shops_and_their_requisites_incrementally(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)

    async def body() -> None:
        async with rig(sqlite_db, settings, [SEIZED], build) as r:
            report = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            assert report.by_phone(SEIZED).outcome == "logged_in"
            # a login code message from Telegram (777000) arrived too: its dialog is archived, never a shop
            pool = r.pool()
            [first] = await archive_accounts(pool)
            assert first.ok, first.detail
            assert first.new_messages >= 9 and first.media == 2
            assert sorted(first.shops) == ["@almaty_kladbot", "@kladmen_operator"]
            assert first.new_requisites == 3
            with sqlite_db.session() as s:
                shops = {sh.username: sh for sh in s.scalars(select(Shop))}
                assert shops["almaty_kladbot"].kind == "bot" and shops["kladmen_operator"].kind == "operator"
                assert shops["almaty_kladbot"].telegram_id == r.world.resolve("almaty_kladbot").id  # type: ignore[union-attr]
                assert shops["reserve_klad_bot"].meta["source"] == "link" and shops["reserve_klad_bot"].status == "unknown"
                found = {shop.username for shop in shops.values() if shop.meta.get("source") == "archive"}
                assert found == {"almaty_kladbot", "kladmen_operator"}
                reqs = {(q.kind, q.value): q for q in s.scalars(select(Requisite))}
                assert set(reqs) == {("card", "4400430123456789"), ("card", "5169493111222330"), ("card", IMAGE_CARD)}
                by_shop = {(sg.requisite_id, sg.shop_id) for sg in s.scalars(select(Sighting))}
                assert (reqs[("card", "4400430123456789")].id, shops["almaty_kladbot"].id) in by_shop
                assert (reqs[("card", "5169493111222330")].id, shops["kladmen_operator"].id) in by_shop
                sighting = s.scalars(select(Sighting).where(Sighting.requisite_id == reqs[("card", "4400430123456789")].id)).one()
                assert float(sighting.amount or 0) == 15000 and sighting.currency == "KZT"
                photos = {m.text: m for m in s.scalars(select(Message).where(Message.media_hash.is_not(None)))}
                assert Path(photos["Добро пожаловать! Меф 1г — 15 000 ₸, клад по Алматы. Выберите район"].media_path
                            or "").read_bytes() == PNG
                from_image = s.scalars(select(Sighting).where(Sighting.requisite_id == reqs[("card", IMAGE_CARD)].id)).one()
                assert from_image.method == "ocr" and from_image.shop_id == shops["almaty_kladbot"].id
                assert from_image.message_id == photos["Или сюда (резерв):"].id
                out = s.scalars(select(Message).where(Message.text == "Сколько за 2г?")).one()
                assert out.direction == "out"
                convs = s.scalars(select(Conversation).where(Conversation.kind == "archive")).all()
                assert {c.state["title"] for c in convs} >= {"Almaty Klad", "Оператор", "Мама"}
                assert sum(1 for c in convs if c.shop_id) == 2
            before = counts(sqlite_db)

            # a second run adds only what is new
            operator = r.world.resolve("kladmen_operator")
            seized = r.world.user_by_phone(SEIZED)
            assert operator is not None and seized is not None
            r.world.send_private(operator.id, seized.id, "Новая карта 4400 4309 8765 4321, старую не используй")
            [second] = await archive_accounts(pool)
            assert second.ok and second.new_messages == 1 and second.new_requisites == 1
            after = counts(sqlite_db)
            assert after["messages"] == before["messages"] + 1
            assert after["requisites"] == before["requisites"] + 1
            assert after["sightings"] == before["sightings"] + 1
            assert after["conversations"] == before["conversations"]
            [third] = await archive_accounts(pool)
            assert third.new_messages == 0 and counts(sqlite_db) == after
            # a card split across two messages that land in two different runs is still found
            r.world.send_private(operator.id, seized.id, "Запасная карта 4400 4302")
            [first_half] = await archive_accounts(pool)
            assert first_half.new_messages == 1 and first_half.new_requisites == 0
            r.world.send_private(operator.id, seized.id, "2222 3338")
            [second_half] = await archive_accounts(pool)
            assert second_half.new_messages == 1 and second_half.new_requisites == 1
            with sqlite_db.session() as s:
                split = s.scalars(select(Requisite).where(Requisite.value == "4400430222223338")).one()
                sighting = s.scalars(select(Sighting).where(Sighting.requisite_id == split.id)).one()
                assert sighting.method == "window" and s.get(Message, sighting.message_id).text == "2222 3338"  # type: ignore[union-attr]
            after = counts(sqlite_db)
            # and every archived message is in the evidence chain
            with sqlite_db.session() as s:
                assert verify_chain(s).ok

            # the shops found become a campaign's targets
            campaign_id, _ = create_campaign(sqlite_db, "12-345/2026", "seized SimBox", [], actor="test")
            assert shops_to_campaign(sqlite_db, campaign_id) == 3
            assert shops_to_campaign(sqlite_db, campaign_id) == 0
            with sqlite_db.session() as s:
                raws = set(s.scalars(select(Target.raw).where(Target.campaign_id == campaign_id)))
            assert {r.split(":", 1)[1].lower() for r in raws} == {"almaty_kladbot", "kladmen_operator", "reserve_klad_bot"}

    run(body, 100)


class Crash(Exception):
    """The process dies in the middle of an archive run."""


def test_a_long_dialog_is_archived_in_pages_and_a_crash_resumes_without_gaps(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path, archive_page_size=100)

    def world_with_long_chat(world: World) -> None:
        seized = world.add_account(SEIZED, "Seized")
        courier = world.add_user("Курьер", username="courier_77")
        for i in range(250):  # all within the same second: paging must not depend on dates
            world.send_private(courier.id, seized.id, f"сообщение {i}")

    async def body() -> None:
        async with rig(sqlite_db, settings, [SEIZED], world_with_long_chat) as r:
            await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            pool = r.pool()
            pages = [0]

            def dies_on_the_second_page(texts: object) -> list[float]:
                pages[0] += 1
                if pages[0] == 2:
                    raise Crash
                return [0.0 for _ in texts]  # type: ignore[attr-defined]

            with pytest.raises(Crash):
                await archive_accounts(pool, scorer=dies_on_the_second_page)
            assert counts(sqlite_db)["messages"] == 100  # the first page was committed, the second not
            [done] = await archive_accounts(pool, scorer=lambda texts: [0.0 for _ in texts])
            assert done.new_messages == 150
            with sqlite_db.session() as s:
                texts = list(s.scalars(select(Message.text).order_by(Message.telegram_message_id)))
                assert texts == [f"сообщение {i}" for i in range(250)]
                assert verify_chain(s).ok

    run(body, 60)


def test_a_showcase_channel_is_a_shop_and_the_bots_it_names_are_kept(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)

    def world_with_channel(world: World) -> None:
        seized = world.add_account(SEIZED, "Seized")
        channel = world.add_channel("Витрина Алматы", username="almaty_vitrina")
        world.join_channel(seized.id, channel.id)
        world.post(channel.id, "Прайс: меф 1г 15к, шишки 2г 20к. Клады по всему городу. Заказ: @vitrina_shop_bot, "
                               "резерв t.me/vitrina_reserve_bot")
        world.post(channel.id, "Сегодня скидки на закладки в Алмалинском районе")

    async def body() -> None:
        async with rig(sqlite_db, settings, [SEIZED], world_with_channel) as r:
            await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            [rep] = await archive_accounts(r.pool())
            assert rep.ok and rep.shops == ["@almaty_vitrina"] and rep.new_messages == 2
            assert sorted(rep.links) == ["vitrina_reserve_bot", "vitrina_shop_bot"]
            with sqlite_db.session() as s:
                shops = {sh.username: sh for sh in s.scalars(select(Shop))}
                assert shops["almaty_vitrina"].kind == "channel" and shops["almaty_vitrina"].status == "alive"
                assert shops["vitrina_shop_bot"].kind == "bot" and shops["vitrina_shop_bot"].telegram_id is None
                assert shops["vitrina_reserve_bot"].meta == {"source": "link", "named_by": "almaty_vitrina"}

    run(body, 60)
