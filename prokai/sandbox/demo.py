"""A minimal scripted bot and a ready-made demo world (what `prokai sandbox up` serves).

`DemoShopBot` exercises what the product must handle: an inline menu (callback and URL
buttons), a menu edited in place, an image, a silent answer, an alert, and a button whose
answer never comes (BOT_RESPONSE_TIMEOUT).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, Image, IncomingMessage
from prokai.sandbox.clock import Clock
from prokai.sandbox.sms import SmsGateway
from prokai.sandbox.world import World

CITIES = ("Almaty", "Astana")


def render_image(text: str, width: int = 320, height: int = 120) -> Image:
    """A JPEG with `text` drawn on it (what shops send to dodge text filters)."""
    from PIL import Image as PilImage
    from PIL import ImageDraw

    img = PilImage.new("RGB", (width, height), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(text.splitlines()):
        draw.text((10, 10 + 18 * i), line, fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return Image(buf.getvalue(), width, height, "image/jpeg")


def main_menu() -> list[list[Button]]:
    """/start menu: two cities, an operator link, and a button the bot never answers."""
    return [
        [Button.callback(city, f"city:{city.lower()}") for city in CITIES],
        [Button.link("Operator", "https://t.me/demo_operator")],
        [Button.callback("Slow", b"slow")],
    ]


@dataclass
class DemoShopBot:
    """The scripted bot of the demo world (a toy shop menu)."""

    price_text: str = "PRICE LIST\nItem A ... 25 000 KZT\nItem B ... 40 000 KZT"
    pressed: list[bytes] = field(default_factory=list)

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        """'/start' shows the menu; anything else is echoed."""
        if message.text.startswith("/start"):
            await chat.send("Welcome! Choose your city:", buttons=main_menu())
        else:
            await chat.send(f"You said: {message.text}")

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        """City: edit the menu in place. Photo: send the price list image. Slow: never answer."""
        self.pressed.append(query.data)
        data = query.data.decode(errors="replace")
        if data.startswith("city:"):
            city = data.split(":", 1)[1].title()
            await chat.edit(
                query.message_id,
                text=f"City: {city}. Choose a product:",
                buttons=[[Button.callback("Price list", b"photo")], [Button.callback("Back", b"back")]],
            )
            return CallbackAnswer(text=f"{city} selected")
        if data == "photo":
            await chat.send("Our prices:", image=render_image(self.price_text))
            return None
        if data == "back":
            await chat.edit(query.message_id, text="Welcome! Choose your city:", buttons=main_menu())
            return CallbackAnswer(text="Back to the menu", alert=True)
        if data == "slow":
            await chat.sleep(10**9)
        return None


class EchoBot:
    """Answers every message with the same text at once (benchmarks)."""

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        """Echo."""
        await chat.send(message.text)

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        """No buttons."""
        return None


def bench_world(clients: int, clock: Clock | None = None, sms: SmsGateway | None = None) -> World:
    """`clients` accounts +7700000NNNN with the fixed code 22222, and @echo_bot."""
    world = World(clock=clock, sms=sms, fixed_code="22222")
    for i in range(clients):
        world.add_account(bench_phone(i), f"Bench {i}")
    world.add_bot("echo_bot", EchoBot(), first_name="Echo")
    return world


def bench_phone(i: int) -> str:
    """The phone number of bench account `i`."""
    return f"+7700{i:07d}"


def demo_world(clock: Clock | None = None, sms: SmsGateway | None = None) -> World:
    """Accounts on SIM numbers (plain, 2FA, banned, frozen), a scripted bot and a channel."""
    world = World(clock=clock, sms=sms)
    world.add_account("+77010000001", "Aigerim", username="aigerim_test")
    world.add_account("+77010000002", "Daniyar", password="hunter2", password_hint="pet")
    world.add_account("+77010000003", "Banned", banned=True)
    world.add_account("+77010000004", "Frozen", frozen=True)
    world.add_account("+77010000005", "Busy", has_app_session=True)
    world.add_user("Operator", username="demo_operator", phone="+77019999999")
    world.add_bot("demo_shop_bot", DemoShopBot(), first_name="Demo Shop", about="Best prices in town")
    channel = world.add_channel("Demo Showcase", username="demo_showcase", about="Prices and contacts: @demo_shop_bot")
    world.post(channel.id, "Welcome to the showcase. Order via @demo_shop_bot")
    return world
