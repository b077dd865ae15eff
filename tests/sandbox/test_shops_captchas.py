"""Captcha kinds of the scenario format served by the sandbox: colour, shape, number, letter on a
reply keyboard, checkbox and ImageCaptcha pictures; walked by stock Telethon to the payment step;
bad fonts refused on load."""

from __future__ import annotations

from pathlib import Path

import pytest
from mtsandbox import run
from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.sandbox.connect import configure
from prokai.sandbox.shops.harness import shop_sandbox
from prokai.sandbox.shops.loader import ScenarioError, load_file, load_folder
from prokai.sandbox.shops.walk import Walker

pytestmark = pytest.mark.timeout(120)

KINDS = {
    "color": "{kind: color, show: 3}",
    "shape": "{kind: shape, keyboard: reply}",
    "number": "{kind: number}",
    "letter": "{kind: letter, keyboard: reply}",
    "checkbox": "{kind: checkbox}",
    "image": "{kind: image, style: library, length: 4, font_sizes: [40, 46]}",
}


def _scenario(kind: str, captcha: str) -> str:
    return f"""
id: cap-{kind}
title: "Captcha {kind}"
requisites:
  cards: {{rotate: fixed, items: [{{kind: card, value: "4400 4315 8813 9985"}}]}}
bot:
  username: cap_{kind}_bot
  name: "Captcha {kind}"
  captcha: {captcha}
  start: pay
  screens:
    pay: {{intent: payment_details, text: "Карта {{requisite}}", payment: {{pool: cards}}}}
walks:
  - {{via: bot, pool: cards, steps: [start, captcha]}}
"""


def test_every_captcha_kind_is_served_and_walked(tmp_path: Path) -> None:
    for kind, captcha in KINDS.items():
        (tmp_path / f"{kind}.yaml").write_text(_scenario(kind, captcha), encoding="utf-8")
    scenarios = load_folder(tmp_path)

    async def body() -> None:
        async with shop_sandbox(scenarios=scenarios, accounts=1) as sb:
            client = TelegramClient(StringSession(), 2040, "b18441a1ff607e10a989891a5462e627", flood_sleep_threshold=0)
            configure(client, sb.server.host, sb.server.port, sb.server.dc_id)
            await client.connect()
            phone = sb.phones[0]
            await client.send_code_request(phone)
            await client.sign_in(phone, sb.world.codes[phone.lstrip("+")].code)
            try:
                walker = Walker(client, sb.shops, pause=0.0)
                for sc in scenarios:
                    res = await walker.walk(sc, sc.spec.walks[0])
                    assert res.handout is not None and res.handout.requisite.value == "4400431588139985", sc.id
            finally:
                await client.disconnect()

    run(body, timeout=100)


def test_a_missing_font_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(_scenario("bad", "{kind: image, style: library, fonts: [NoSuchFont.ttf]}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:\d+: bot\.captcha\.fonts\[0\]: font 'NoSuchFont\.ttf' not found"):
        load_file(path)
