"""The scenario format as pydantic models (what one YAML file may contain).

Field meanings are documented for operators in `prokai/sandbox/scenarios/README.md`; keep the two
in step. Every model forbids unknown keys, so a typo is an error with a line number, not a
silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prokai.nlp.labels import Intent  # noqa: E402

Lang = Literal["ru", "kk"]
# `requisites.KINDS` as a type (a Literal must be spelt out); tests/extract/test_kind_table.py
# checks the two are one and a subset of the kinds table.
Kind = Literal["card", "iban", "phone", "btc", "eth", "trx"]
USERNAME = r"^[A-Za-z][A-Za-z0-9_]{3,31}$"
BUYER_KINDS: tuple[str, ...] = ("greeting", "price", "city", "product", "order", "payment", "paid", "other")
BuyerKind = Literal["greeting", "price", "city", "product", "order", "payment", "paid", "other"]
Scalar = str | int | float


class Strict(BaseModel):
    """Base: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------- requisites


class RequisiteSpec(Strict):
    """One requisite as the shop writes it; checked and normalized on load."""

    kind: Kind
    value: str
    bank: str = ""
    holder: str = ""
    asset: str = ""


class GenerateSpec(Strict):
    """Generate `count` valid requisites deterministically from the scenario id."""

    kind: Kind
    count: int = Field(ge=1, le=1000)
    bin: str | None = Field(default=None, pattern=r"^\d{6}$")
    bank_code: str | None = Field(default=None, pattern=r"^\d{3}$")
    bank: str = ""
    asset: str = ""


class PoolSpec(Strict):
    """A named pool of requisites and how the shop rotates through it."""

    rotate: Literal["fixed", "per_order", "per_day", "per_buyer"] = "fixed"
    active_per_day: int | None = Field(default=None, ge=1)
    items: list[RequisiteSpec] = []
    generate: GenerateSpec | None = None


class PaymentSpec(Strict):
    """Where a screen or operator reply hands out a requisite from a pool."""

    pool: str
    delivery: Literal["text", "split", "image"] = "text"
    style: Literal["plain", "spaced", "dashes", "lookalike"] = "spaced"
    parts: int = Field(default=3, ge=2, le=8)
    caption: str = ""


# ---------------------------------------------------------------------- bot screens


class ButtonSpec(Strict):
    """A button: goes to a screen (`go`), or opens a link (`url`); may set variables."""

    text: str = Field(min_length=1)
    go: str | None = None
    url: str | None = None
    set: dict[str, Scalar] = {}
    answer: str | None = None
    alert: bool = False


class OptionSpec(Strict):
    """One option of a `choose` list, when it needs more than its text."""

    text: str = Field(min_length=1)
    value: Scalar | None = None
    set: dict[str, Scalar] = {}
    go: str | None = None


class ChooseSpec(Strict):
    """A list of options that become buttons: pressing one stores it in `var` and goes on."""

    var: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    options: list[str | OptionSpec] = Field(min_length=1)
    next: str
    columns: int = Field(default=2, ge=1, le=8)


class InputSpec(Strict):
    """The screen waits for a typed answer stored in `var` (e.g. a top-up amount)."""

    var: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    next: str
    pattern: str = r".+"
    error: str = "Неверный ввод, попробуйте ещё раз."


class ScreenSpec(Strict):
    """One screen of a bot: a message with buttons, a choice, an input or a payment."""

    text: str = Field(min_length=1)
    intent: Intent = "other"
    keyboard: Literal["inline", "reply"] = "inline"
    buttons: list[list[ButtonSpec]] = []
    choose: ChooseSpec | None = None
    input: InputSpec | None = None
    payment: PaymentSpec | None = None
    image: str | None = None
    edit: bool | None = None
    back: str | None = None


CaptchaKind = Literal["arithmetic", "press", "image", "color", "shape", "number", "letter", "checkbox"]


class CaptchaSpec(Strict):
    """A captcha shown after /start (and after every /start of a buyer who has not passed)."""

    kind: CaptchaKind
    words: bool = False
    ops: str = Field(default="+-", pattern=r"^[+\-*]{1,3}$")
    prompt: str | None = None
    choices: list[str] = []
    show: int = Field(default=4, ge=2, le=12)
    length: int = Field(default=5, ge=3, le=8)
    style: Literal["library", "classic"] = "classic"
    width: int | None = Field(default=None, ge=80, le=600)
    height: int | None = Field(default=None, ge=40, le=200)
    font_sizes: list[int] = []
    fonts: list[str] = []
    keyboard: Literal["inline", "reply"] = "inline"
    max_attempts: int = Field(default=3, ge=1)
    fail_text: str | None = None


class BackupSpec(Strict):
    """A backup bot: the same shop under another username (linked from the channel)."""

    username: str = Field(pattern=USERNAME)
    name: str | None = None


class BotSpec(Strict):
    """A shop (or business) bot built from screens."""

    username: str = Field(pattern=USERNAME)
    name: str
    about: str = ""
    start: str
    welcome: str | None = None
    captcha: CaptchaSpec | None = None
    edit_menus: bool = True
    delay: tuple[float, float] = (0.0, 0.0)
    commands: dict[str, str] = {}
    fallback: str = "Пожалуйста, пользуйтесь кнопками меню 👇"
    backups: list[BackupSpec] = []
    screens: dict[str, ScreenSpec] = Field(min_length=1)

    @field_validator("commands")
    @classmethod
    def _commands_start_with_slash(cls, value: dict[str, str]) -> dict[str, str]:
        for cmd in value:
            if not cmd.startswith("/") or " " in cmd:
                raise ValueError(f"command '{cmd}' must look like /name")
        return value


# ---------------------------------------------------------------------- operators


class ReplySpec(Strict):
    """What the operator answers to one kind of buyer message."""

    when: BuyerKind | list[BuyerKind]
    words: list[str] = []
    needs: list[BuyerKind] = []
    say: str | list[str]
    intent: Intent = "other"
    payment: PaymentSpec | None = None
    set: dict[str, Scalar] = {}


class OperatorSpec(Strict):
    """A human operator (an ordinary account, not a bot) who answers in free text."""

    username: str = Field(pattern=USERNAME)
    name: str
    phone: str | None = None
    about: str = ""
    lang: Lang | None = None
    delay: tuple[float, float] = (20.0, 120.0)
    replies: list[ReplySpec] = Field(min_length=1)
    fallback: str | None = None


# ---------------------------------------------------------------------- channels


class LinkSpec(Strict):
    """A URL button under a channel post."""

    text: str
    url: str


class PostSpec(Strict):
    """A channel post, optionally with link buttons and a picture rendered from text.

    `text_links` hide a link under a word of the text (a text_url entity, how channels hide
    their bot links): `{text: "тут", url: "https://t.me/shop_bot"}`; the word must occur in `text`.
    """

    text: str
    day: int = 0
    links: list[LinkSpec] = []
    text_links: list[LinkSpec] = []
    image: str | None = None


class ChannelSpec(Strict):
    """A showcase (or news) channel."""

    username: str = Field(pattern=USERNAME)
    title: str
    about: str = ""
    posts: list[PostSpec] = []


# ---------------------------------------------------------------------- rules, lifecycle, walks


class AntibotSpec(Strict):
    """When the shop treats a buyer as a bot or a cop."""

    max_orders: int | None = Field(default=None, ge=1)
    min_action_interval: float | None = Field(default=None, gt=0)
    min_account_age_days: int | None = Field(default=None, ge=1)
    repeat_cooldown: float | None = Field(default=None, gt=0)
    action: Literal["ban", "refuse"] = "ban"
    ban_text: str = "⛔ Вы заблокированы."
    refuse_text: str = "Подождите, заказ пока недоступен."


class RenameSpec(Strict):
    """On `day` the bot (or channel) takes a new username and name."""

    day: int = Field(ge=1)
    bot: str | None = Field(default=None, pattern=USERNAME)
    name: str | None = None
    channel: str | None = Field(default=None, pattern=USERNAME)
    notice: str | None = None


class LifecycleSpec(Strict):
    """A shop that renames and/or dies on given days (day 0 = the day the sandbox starts)."""

    dies_on_day: int | None = Field(default=None, ge=1)
    death: Literal["deleted", "silent", "closed"] = "deleted"
    closed_text: str = "Магазин закрыт."
    rename: RenameSpec | None = None


class StepSpec(Strict):
    """One step of a scripted walk: exactly one of the fields."""

    start: bool | None = None
    captcha: bool | None = None
    press: str | None = None
    say: str | None = None


class WalkSpec(Strict):
    """The path to the payment step a test follows (the crawler is not told)."""

    via: str = "bot"
    steps: list[str | StepSpec] = Field(min_length=1)
    pool: str


class Scenario(Strict):
    """One file: one shop (or one legitimate business) with its bots, operator and channels."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    kind: Literal["shop", "legit"] = "shop"
    title: str
    lang: Lang = "ru"
    notes: str = ""
    vars: dict[str, Scalar] = {}
    requisites: dict[str, PoolSpec] = {}
    bot: BotSpec | None = None
    operator: OperatorSpec | None = None
    channels: list[ChannelSpec] = []
    antibot: AntibotSpec | None = None
    lifecycle: LifecycleSpec | None = None
    walks: list[WalkSpec] = []
