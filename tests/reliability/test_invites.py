"""Private invite links are recorded, never resolved: a `t.me/+HASH` or `t.me/joinchat/HASH`
target must not reach an unrelated account whose username happens to equal the hash (the real
`prokai campaign run`, the production account pool, the sandbox). The archive's link reading
does not take invite hashes for usernames either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_harness import Node, SandboxThread, finish

from prokai.intake.targets import TargetKind, find_target_mentions, parse_target
from prokai.sandbox.bots import BotChat, CallbackAnswer, CallbackQuery, IncomingMessage

pytestmark = pytest.mark.timeout(120)


class Trap:
    """An unrelated bot whose username equals an invite hash: nobody may write to it."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        self.messages.append(message.text)
        await chat.send("Шишки, клады. Выберите город:")

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        return None


def test_invite_targets_are_recorded_not_resolved(tmp_path: Path) -> None:
    traps = {"TrapHash2026": Trap(), "JoinHash2026": Trap()}
    box = SandboxThread(extra=dict(traps))
    try:
        node = Node(tmp_path, box, ["+77065000001"],
                    ["https://t.me/+TrapHash2026", "t.me/joinchat/JoinHash2026", "@rel_bravo_bot"])
        code, out, err = finish(node.campaign())
        summary = node.summary()
    finally:
        box.stop()
    assert code == 0, err[-3000:]
    assert all(not trap.messages for trap in traps.values()), {k: v.messages for k, v in traps.items()}
    assert summary["targets"] == {
        "invite:TrapHash2026": ("done", "invite"),
        "invite:JoinHash2026": ("done", "invite"),
        "username:rel_bravo_bot": ("done", "requisites"),
    }


@pytest.mark.parametrize(("line", "kind", "value"), [
    ("t.me/+AbCdEfGh12", TargetKind.INVITE, "AbCdEfGh12"),
    ("https://telegram.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg", TargetKind.INVITE, "AAAAAEkk2WdoDrB4-Q8-gg"),
    ("t.me/joinchat/12345678", TargetKind.INVITE, "12345678"),
    ("tg://join?invite=AbCdEfGh12", TargetKind.INVITE, "AbCdEfGh12"),
    ("https://t.me/+77011234567", TargetKind.PHONE, "+77011234567"),
    ("t.me/kristall_bot", TargetKind.USERNAME, "kristall_bot"),
])
def test_invite_lines(line: str, kind: TargetKind, value: str) -> None:
    spec = parse_target(line)
    assert (spec.kind, spec.value) == (kind, value)


def test_invites_in_text_and_in_the_archive() -> None:
    from prokai.accounts.archive import _links

    text = "Резерв: t.me/+TrapHash2026 и https://t.me/joinchat/JoinHash2026, бот @rel_bravo_bot, t.me/good_shop_bot"
    found: dict[str, Any] = {s.value: s.kind for s in find_target_mentions(text)}
    assert found == {"TrapHash2026": TargetKind.INVITE, "JoinHash2026": TargetKind.INVITE,
                     "rel_bravo_bot": TargetKind.USERNAME, "good_shop_bot": TargetKind.USERNAME}
    assert sorted(_links([text])) == ["good_shop_bot", "rel_bravo_bot"]
