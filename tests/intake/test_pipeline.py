"""The pipeline is what the settings list, loaded by one loader; shops are found by exact names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prokai.config import ConfigError, Settings, load_settings
from prokai.intake import (
    DEFAULT_STEPS,
    Batch,
    IncomingMessage,
    Intake,
    IntakeError,
    PeerInfo,
    Source,
    find_shop_by_username,
    upsert_shop,
)
from prokai.store.db import Database
from prokai.store.models import Conversation, Message, Requisite, Shop, ShopUsername, Sighting

SEEN: list[list[str]] = []


class Recorder:
    """A step of our own, listed in the settings like the shipped ones."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Recorder:
        return cls()

    def process(self, batch: Batch) -> None:
        SEEN.append([st.row.text for st in batch.stored])


def conversation(db: Database, shop: PeerInfo | None = None) -> Source:
    with db.session() as s:
        shop_id = upsert_shop(s, shop).id if shop else None
        conv = Conversation(kind="crawl", shop_id=shop_id, peer_id=shop.telegram_id if shop else None)
        s.add(conv)
        s.flush()
        return Source(conv.id, None, conv.peer_id, "test", "crawl", "test")


def said(i: int, text: str, direction: str = "in") -> IncomingMessage:
    return IncomingMessage(i, direction, text, datetime(2026, 12, 1, tzinfo=UTC), image_found=[])


def test_the_settings_list_the_steps_and_one_loader_builds_them(db: Database) -> None:
    settings = Settings.model_validate({"intake": {"steps": [*DEFAULT_STEPS[:1], f"{__name__}:Recorder"]}})
    intake = Intake.from_settings(settings)
    assert [type(step).__name__ for step in intake.steps] == ["StoreEvidence", "Recorder"]
    SEEN.clear()
    src = conversation(db)
    with db.session() as s:
        intake.feed(s, src, [said(1, "Карта 4400 4301 2345 6789")])
    assert SEEN == [["Карта 4400 4301 2345 6789"]]
    with db.session() as s:  # stored, but no extraction step was listed
        assert s.scalar(select(func.count()).select_from(Message)) == 1
        assert s.scalar(select(func.count()).select_from(Requisite)) == 0


def test_a_step_that_cannot_be_loaded_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no_such_module"):
        Intake.from_settings(Settings.model_validate({"intake": {"steps": ["no_such_module:Step"]}}))
    with pytest.raises(IntakeError, match="NoSuchStep"):
        Intake.from_settings(Settings.model_validate({"intake": {"steps": ["prokai.intake.steps:NoSuchStep"]}}))
    config = tmp_path / "config.yaml"
    config.write_text("intake:\n  steps: [prokai.intake.steps.StoreEvidence]\n")
    with pytest.raises(ConfigError, match="intake.steps"):
        load_settings(config, environ={})


def test_a_split_requisite_belongs_to_the_message_that_completes_it_on_its_own_side(db: Database) -> None:
    intake = Intake.from_settings(Settings())
    src = conversation(db, PeerInfo(42, "bot", "split_shop_bot"))
    src.extract_outgoing = True
    with db.session() as s:  # one batch, then the rest in another (a page, a resumed crawl)
        intake.feed(s, src, [said(1, "Карта 4400 4302"), said(2, "Какая сумма?", "out")])
    with db.session() as s:
        batch = intake.feed(s, src, [said(3, "2222 3338")])
        assert [f.value for f in batch.sighted] == ["4400430222223338"]
    with db.session() as s:
        sighting = s.scalars(select(Sighting)).one()
        message = s.get(Message, sighting.message_id)
        assert message is not None and message.text == "2222 3338" and sighting.method == "window"
        assert sighting.details["direction"] == "in" and len(sighting.details["parts"]) == 2


def test_usernames_are_matched_exactly_never_as_patterns(db: Database) -> None:
    with db.session() as s:
        s.add(Shop(username="kladxbot", kind="bot", meta={}))
        s.add(Shop(username="kladabot", kind="bot", meta={}))
        s.flush()
        assert find_shop_by_username(s, "klad_bot") is None
        assert find_shop_by_username(s, "klad%") is None
        found = find_shop_by_username(s, "@KladXBot")
        assert found is not None and found.username == "kladxbot"


def test_a_new_username_is_a_recorded_rename_and_the_old_name_still_finds_the_shop(db: Database) -> None:
    with db.session() as s:
        first = upsert_shop(s, PeerInfo(7, "bot", "Old_Shop_bot"))
        assert first.status == "unknown" and first.username == "old_shop_bot"
    with db.session() as s:
        shop = upsert_shop(s, PeerInfo(7, "bot", "new_shop_bot"))
        assert shop.id == first.id and shop.status == "renamed" and shop.username == "new_shop_bot"
        assert set(s.scalars(select(ShopUsername.username).where(ShopUsername.shop_id == shop.id))) == {
            "old_shop_bot", "new_shop_bot"}
        again = find_shop_by_username(s, "old_shop_bot")
        assert again is not None and again.id == shop.id
