"""`prokai sandbox` scenario commands, `up --scenarios` world building, and details seen by Telethon."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mtsandbox import run
from PIL import Image as PilImage
from telethon.tl import types
from test_shops_support import SCENARIOS, shop_env
from typer.testing import CliRunner

from prokai.cli import app as prokai_app
from prokai.sandbox.clock import Clock
from prokai.sandbox.shops import cli as shops_cli
from prokai.sandbox.shops import load_folder, load_text
from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.walk import Walker

pytestmark = pytest.mark.timeout(90)


def test_prokai_sandbox_commands_are_registered() -> None:
    runner = CliRunner()
    res = runner.invoke(prokai_app, ["sandbox", "up", "--help"])
    assert res.exit_code == 0 and "--scenarios" in res.output
    res = runner.invoke(prokai_app, ["sandbox", "scenarios", "check", str(SCENARIOS)])
    assert res.exit_code == 0, res.output
    assert res.output.count("\nok ") + res.output.startswith("ok ") == len(load_folder(SCENARIOS))


def test_check_and_up_refuse_a_broken_folder_with_file_and_line(tmp_path: Path) -> None:
    text = (SCENARIOS / "12_kurier_commands.yaml").read_text(encoding="utf-8")
    (tmp_path / "kurier.yaml").write_text(text.replace("    /pay: pay\n", "    /pay: payy\n"), encoding="utf-8")
    runner = CliRunner()
    for args in (["sandbox", "scenarios", "check", str(tmp_path)],
                 ["sandbox", "up", "--scenarios", str(tmp_path), "--port", "0", "--no-bot-api"]):
        res = runner.invoke(prokai_app, args)
        assert res.exit_code == 2, res.output
        assert "kurier.yaml:20: bot.commands./pay: unknown screen 'payy'" in res.output


def test_generate_command_writes_loadable_files(tmp_path: Path) -> None:
    res = CliRunner().invoke(prokai_app, ["sandbox", "scenarios", "generate", "--count", "25", "--out",
                                          str(tmp_path / "many"), "--seed", "4"])
    assert res.exit_code == 0, res.output
    assert len(load_folder(tmp_path / "many")) == 25


def test_try_command_walks_a_scenario_and_prints_the_chat() -> None:
    res = CliRunner().invoke(prokai_app, ["sandbox", "scenarios", "try", "dala-shymkent"])
    assert res.exit_code == 0, res.output
    assert "buyer: press Шымкент" in res.output and "shop (edited): Шымкент. Ауданды таңдаңыз:" in res.output
    assert "in the ground truth" in res.output and "NOT in" not in res.output
    res = CliRunner().invoke(prokai_app, ["sandbox", "scenarios", "try", "no-such-shop"])
    assert res.exit_code == 2 and "no scenario 'no-such-shop'" in res.output


def test_up_world_factory_is_the_base_world_plus_the_scenarios() -> None:
    shops_cli._PENDING.update(folder=str(SCENARIOS), scenarios=load_folder(SCENARIOS),
                              base="prokai.sandbox.demo:demo_world")
    world = shops_cli.scenario_world(clock=Clock(), sms=None)
    assert world.resolve("@demo_shop_bot") is not None  # the demo world is still there
    assert world.resolve("@kristall_almaty_bot") is not None and world.resolve("@tsvetnoy_vitrina") is not None
    assert shops_cli.running_shops()[-1].world is world
    # a scenario that takes a name the base world already has is refused in one line
    from prokai.sandbox.runner import UpError

    text = (SCENARIOS / "12_kurier_commands.yaml").read_text(encoding="utf-8")
    clash = load_text(text.replace("username: kurier_kz_bot", "username: demo_shop_bot"), "clash.yaml")
    shops_cli._PENDING.update(folder="clash", scenarios=[clash])
    with pytest.raises(UpError, match=r"^--scenarios clash: username @demo_shop_bot is taken$"):
        shops_cli.scenario_world(clock=Clock(), sms=None)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["card", "iban", "phone"]), st.sampled_from(["plain", "spaced", "dashes"]), st.integers(0, 10**9))
def test_display_forms_normalize_back(kind: str, style: str, seed: int) -> None:
    import random

    value = req.generate(kind, random.Random(seed))
    assert req.normalize(kind, req.display(kind, value, style)) == value
    assert req.normalize(kind, "".join(req.split_parts(kind, value, 3))) == value


def test_telethon_sees_reply_keyboards_image_captchas_and_shared_bans() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77019100001")
            # a reply keyboard arrives as ReplyKeyboardMarkup of KeyboardButton rows
            sc = env.scenario("snezhok-astana")
            walker = Walker(client, env.shops)
            res = await walker.walk(sc, sc.spec.walks[0].model_copy(update={"steps": ["start", "captcha"]}))
            markup = res.messages[-1].reply_markup
            assert isinstance(markup, types.ReplyKeyboardMarkup)
            assert [b.text for row in markup.rows for b in row.buttons][0] == "🛍 Каталог"
            # an image captcha is a real picture
            magnit = env.scenario("magnit-karaganda")
            res = await walker.walk(magnit, magnit.spec.walks[0].model_copy(update={"steps": ["start"]}))
            photo = next(m for m in res.messages if m.photo)
            data = await client.download_media(photo, file=bytes)
            assert isinstance(data, bytes)
            assert PilImage.open(io.BytesIO(data)).size[0] >= 200
            # a ban by the main bot holds in its backup bot (one shop, one list of buyers)
            tsv = env.shops.shops["tsvetnoy-showcase"]
            me = (await client.get_me()).id
            tsv.runtime.buyer(me).banned = True
            backup = await client.get_input_entity("tsvetnoy_reserve_bot")
            await client.send_message(backup, "/start")
            for _ in range(500):
                last = (await client.get_messages(backup, limit=1))[0]
                if not last.out:
                    break
                await asyncio.sleep(0.02)
            assert not last.out and "⛔" in last.message
            await client.disconnect()

    run(body)
