"""Load scenario files: YAML with line numbers, pydantic validation, cross-reference checks.

Every problem becomes a `ScenarioError` whose message is one line: `FILE:LINE: where: problem`.
The YAML is composed into nodes (which keep their marks) and built into plain data while a map
from each key path to its line is recorded; pydantic's error locations are then looked up in it.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.spec import PaymentSpec, Scenario, StepSpec

Path_ = tuple[str | int, ...]
BUILTIN_VARS = frozenset(
    {"requisite", "bank", "holder", "asset", "order", "buyer", "shop", "bot", "operator", "channel", "date", "backup"}
)
SPECIAL_GO = frozenset({"@start", "@back"})
# libyaml's loader keeps node marks too and is ~20x faster (1,000 generated shops)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ScenarioError(ValueError):
    """A scenario file is wrong; `str()` is `FILE:LINE: where: problem` (the first problem)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else "invalid scenario")
        self.problems = problems


@dataclass(frozen=True)
class Requisite:
    """A normalized requisite in a pool."""

    kind: str
    value: str
    bank: str = ""
    holder: str = ""
    asset: str = ""


@dataclass
class LoadedScenario:
    """A validated scenario with its source file and its requisite pools resolved."""

    spec: Scenario
    path: Path
    pools: dict[str, list[Requisite]] = field(default_factory=dict)
    lines: dict[Path_, int] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The scenario id."""
        return self.spec.id

    @property
    def is_shop(self) -> bool:
        """True for drug shops, False for the legitimate look-alikes."""
        return self.spec.kind == "shop"

    def line(self, path: Path_) -> int:
        """The line of `path` (or of its nearest parent) in the source file."""
        return _line_of(self.lines, path)


# ---------------------------------------------------------------------- YAML with lines


def _build(loader: Any, node: yaml.Node, path: Path_, lines: dict[Path_, int], fname: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise ScenarioError([f"{fname}:{key_node.start_mark.line + 1}: a key must be a plain value"])
            if key in out:
                raise ScenarioError([f"{fname}:{key_node.start_mark.line + 1}: {_dotted(path + (key,))}: duplicate key"])
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, path + (key,), lines, fname)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, fname) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, fname: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text into plain data and a map of key paths to 1-based line numbers."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([f"{fname}:1: the file is empty"])
        lines: dict[Path_, int] = {}
        data = _build(loader, node, (), lines, fname)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError([f"{fname}:{line}: YAML syntax: {exc.problem or exc.context}"]) from None
    finally:
        loader.dispose()
    return data, lines


def _line_of(lines: dict[Path_, int], loc: Iterable[Any]) -> int:
    best: Path_ = ()
    cur: Path_ = ()
    for part in loc:
        cand = cur + (part,)
        if cand in lines:
            cur = cand
            best = cur
        # pydantic adds union branch names ('str', 'OptionSpec') to locations: skip them
    return lines.get(best, 1)


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out or "(top)"


def _clean_loc(lines: dict[Path_, int], loc: Iterable[Any]) -> Path_:
    cur: Path_ = ()
    for part in loc:
        if cur + (part,) in lines or not (isinstance(part, str) and part[:1].isupper() or part in ("str", "int", "float", "list", "dict")):
            cur = cur + (part,)
    return cur


def _pydantic_problems(exc: ValidationError, lines: dict[Path_, int], fname: str) -> list[str]:
    problems = []
    # a typo'd key also makes the right key "missing": report the typo first
    for err in sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"):
        loc = _clean_loc(lines, err["loc"])
        if err["type"] == "extra_forbidden":
            what = f"unknown key '{loc[-1]}'"
        elif err["type"] == "missing":
            what = f"missing required key '{loc[-1]}'"
        else:
            what = err["msg"]
        problems.append(f"{fname}:{_line_of(lines, loc)}: {_dotted(loc)}: {what}")
    return problems


# ---------------------------------------------------------------------- cross-reference checks


class _Checker:
    def __init__(self, spec: Scenario, lines: dict[Path_, int], fname: str) -> None:
        self.spec = spec
        self.lines = lines
        self.fname = fname
        self.problems: list[str] = []
        self.vars = set(spec.vars) | BUILTIN_VARS

    def fail(self, loc: Path_, what: str) -> None:
        self.problems.append(f"{self.fname}:{_line_of(self.lines, loc)}: {_dotted(loc)}: {what}")

    def collect_vars(self) -> None:
        bot = self.spec.bot
        if bot is not None:
            for screen in bot.screens.values():
                for row in screen.buttons:
                    for b in row:
                        self.vars |= set(b.set)
                if screen.choose is not None:
                    self.vars.add(screen.choose.var)
                    for opt in screen.choose.options:
                        if not isinstance(opt, str):
                            self.vars |= set(opt.set)
                if screen.input is not None:
                    self.vars.add(screen.input.var)
        if self.spec.operator is not None:
            for reply in self.spec.operator.replies:
                self.vars |= set(reply.set)

    def text(self, loc: Path_, text: str | None) -> None:
        if text is None:
            return
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.fail(loc, f"bad {{placeholder}}: {exc}")
            return
        for name in names:
            base = name.split(".")[0].split("[")[0].split("!")[0].split(":")[0]
            if not base:
                self.fail(loc, "empty {} placeholder (write {{ }} for a literal brace)")
            elif base not in self.vars:
                self.fail(loc, f"unknown placeholder {{{base}}} (known: {', '.join(sorted(self.vars))})")

    def screen_ref(self, loc: Path_, target: str | None) -> None:
        bot = self.spec.bot
        if target is None or bot is None or target in SPECIAL_GO:
            return
        if target not in bot.screens:
            self.fail(loc, f"unknown screen '{target}' (screens: {', '.join(bot.screens)})")

    def payment(self, loc: Path_, pay: PaymentSpec | None) -> None:
        if pay is not None and pay.pool not in self.spec.requisites:
            self.fail(loc + ("pool",), f"unknown requisite pool '{pay.pool}' (pools: {', '.join(self.spec.requisites) or 'none'})")

    def run(self) -> None:
        spec = self.spec
        self.collect_vars()
        if spec.bot is None and spec.operator is None and not spec.channels:
            self.fail((), "a scenario needs a bot, an operator or a channel")
        if spec.kind == "shop" and not spec.requisites:
            self.fail((), "a shop needs at least one requisite pool under 'requisites'")
        self.check_pools()
        self.check_bot()
        self.check_operator()
        for ci, ch in enumerate(spec.channels):
            self.text(("channels", ci, "about"), ch.about)
            for pi, post in enumerate(ch.posts):
                self.text(("channels", ci, "posts", pi, "text"), post.text)
                for li, link in enumerate(post.text_links):
                    if not link.text or link.text not in post.text:
                        self.fail(("channels", ci, "posts", pi, "text_links", li, "text"),
                                  f"'{link.text}' does not occur in the post's text")
        self.check_walks()
        self.check_names()
        life = spec.lifecycle
        if life is not None and life.rename is not None:
            r = life.rename
            if r.bot is None and r.channel is None:
                self.fail(("lifecycle", "rename"), "a rename needs a new 'bot' or 'channel' username")
            if r.bot is not None and spec.bot is None:
                self.fail(("lifecycle", "rename", "bot"), "renames a bot but the scenario has none")
            if r.channel is not None and not spec.channels:
                self.fail(("lifecycle", "rename", "channel"), "renames a channel but the scenario has none")
            if life.dies_on_day is not None and r.day >= life.dies_on_day:
                self.fail(("lifecycle", "rename", "day"), "the rename must come before the shop dies")

    def check_pools(self) -> None:
        for name, pool in self.spec.requisites.items():
            loc: Path_ = ("requisites", name)
            if not pool.items and pool.generate is None:
                self.fail(loc, "a pool needs 'items' or 'generate'")
            for i, item in enumerate(pool.items):
                try:
                    req.normalize(item.kind, item.value)
                except ValueError as exc:
                    self.fail(loc + ("items", i, "value"), str(exc))

    def check_bot(self) -> None:
        bot = self.spec.bot
        if bot is None:
            return
        self.screen_ref(("bot", "start"), bot.start)
        self.text(("bot", "welcome"), bot.welcome)
        for cmd, target in bot.commands.items():
            self.screen_ref(("bot", "commands", cmd), target)
        if bot.captcha is not None and bot.captcha.kind == "press" and len(bot.captcha.choices) < 2:
            self.fail(("bot", "captcha", "choices"), "a 'press' captcha needs at least two choices")
        if bot.captcha is not None and bot.captcha.kind in ("color", "shape", "number", "letter") and (
            len(bot.captcha.choices) == 1
        ):
            self.fail(("bot", "captcha", "choices"), f"a '{bot.captcha.kind}' captcha needs at least two choices")
        if bot.captcha is not None and bot.captcha.fonts:
            from prokai.sandbox.shops.captcha import available_fonts

            for fi, name in enumerate(bot.captcha.fonts):
                if not available_fonts([name]):
                    self.fail(("bot", "captcha", "fonts", fi), f"font '{name}' not found (a .ttf path or a system font file)")
        if bot.delay[0] > bot.delay[1]:
            self.fail(("bot", "delay"), "delay is [min, max] seconds")
        for sid, screen in bot.screens.items():
            loc: Path_ = ("bot", "screens", sid)
            self.text(loc + ("text",), screen.text)
            self.text(loc + ("image",), screen.image)
            self.screen_ref(loc + ("back",), screen.back)
            self.payment(loc + ("payment",), screen.payment)
            if screen.payment is not None:
                self.text(loc + ("payment", "caption"), screen.payment.caption)
            for ri, row in enumerate(screen.buttons):
                for bi, b in enumerate(row):
                    bl = loc + ("buttons", ri, bi)
                    if (b.go is None) == (b.url is None):
                        self.fail(bl, "a button needs exactly one of 'go' (a screen) or 'url'")
                    self.screen_ref(bl + ("go",), b.go)
                    if b.url is not None and screen.keyboard == "reply":
                        self.fail(bl + ("url",), "reply-keyboard buttons cannot open links")
            if screen.choose is not None:
                self.screen_ref(loc + ("choose", "next"), screen.choose.next)
                for oi, opt in enumerate(screen.choose.options):
                    if not isinstance(opt, str):
                        self.screen_ref(loc + ("choose", "options", oi, "go"), opt.go)
            if screen.input is not None:
                self.screen_ref(loc + ("input", "next"), screen.input.next)
            if sum(x is not None for x in (screen.choose, screen.input, screen.payment)) > 1:
                self.fail(loc, "a screen has at most one of 'choose', 'input', 'payment'")

    def check_operator(self) -> None:
        op = self.spec.operator
        if op is None:
            return
        if op.phone is not None:
            try:
                req.normalize("phone", op.phone)
            except ValueError as exc:
                self.fail(("operator", "phone"), str(exc))
        if op.delay[0] > op.delay[1]:
            self.fail(("operator", "delay"), "delay is [min, max] seconds")
        self.text(("operator", "fallback"), op.fallback)
        for i, reply in enumerate(op.replies):
            loc: Path_ = ("operator", "replies", i)
            says = [reply.say] if isinstance(reply.say, str) else reply.say
            if not says:
                self.fail(loc + ("say",), "say needs at least one text")
            for j, text in enumerate(says):
                self.text(loc + (("say",) if isinstance(reply.say, str) else ("say", j)), text)
            self.payment(loc + ("payment",), reply.payment)

    def check_walks(self) -> None:
        targets = {"bot", "operator"}
        if self.spec.bot is not None:
            targets |= {b.username for b in self.spec.bot.backups}
        for wi, walk in enumerate(self.spec.walks):
            loc: Path_ = ("walks", wi)
            if walk.via not in targets or (walk.via == "bot" and self.spec.bot is None) or (
                walk.via == "operator" and self.spec.operator is None
            ):
                self.fail(loc + ("via",), f"walk via '{walk.via}': no such bot or operator in this scenario")
            if walk.pool not in self.spec.requisites:
                self.fail(loc + ("pool",), f"unknown requisite pool '{walk.pool}'")
            for si, step in enumerate(walk.steps):
                if isinstance(step, StepSpec):
                    given = [k for k, v in step.model_dump().items() if v not in (None, False)]
                    if len(given) != 1:
                        self.fail(loc + ("steps", si), "a step is exactly one of start, captcha, press, say")
                    elif step.press is not None and walk.via != "operator" and step.press not in self.button_texts():
                        self.fail(loc + ("steps", si, "press"), f"no screen has a button '{step.press}'")
                elif step not in ("start", "captcha"):
                    self.fail(loc + ("steps", si), f"a bare step is 'start' or 'captcha', not '{step}'")

    def button_texts(self) -> set[str]:
        """Every button text the bot can show (options, buttons, Back)."""
        bot = self.spec.bot
        if bot is None:
            return set()
        out = {"⬅️ Назад", "⬅️ Артқа"}
        for screen in bot.screens.values():
            out |= {b.text for row in screen.buttons for b in row}
            if screen.choose is not None:
                out |= {o if isinstance(o, str) else o.text for o in screen.choose.options}
        return out

    def check_names(self) -> None:
        seen: dict[str, Path_] = {}
        for loc, name in usernames_with_paths(self.spec):
            key = name.lower()
            if key in seen:
                self.fail(loc, f"username @{name} is used twice in this scenario")
            seen[key] = loc


def usernames_with_paths(spec: Scenario) -> list[tuple[Path_, str]]:
    """Every @username a scenario claims (bot, backups, operator, channels, renames)."""
    out: list[tuple[Path_, str]] = []
    if spec.bot is not None:
        out.append((("bot", "username"), spec.bot.username))
        out += [(("bot", "backups", i, "username"), b.username) for i, b in enumerate(spec.bot.backups)]
    if spec.operator is not None:
        out.append((("operator", "username"), spec.operator.username))
    out += [(("channels", i, "username"), c.username) for i, c in enumerate(spec.channels)]
    if spec.lifecycle is not None and spec.lifecycle.rename is not None:
        r = spec.lifecycle.rename
        if r.bot:
            out.append((("lifecycle", "rename", "bot"), r.bot))
        if r.channel:
            out.append((("lifecycle", "rename", "channel"), r.channel))
    return out


# ---------------------------------------------------------------------- pools


def resolve_pools(spec: Scenario) -> dict[str, list[Requisite]]:
    """Normalized requisites of every pool (generated ones are deterministic per scenario id)."""
    pools: dict[str, list[Requisite]] = {}
    for name, pool in spec.requisites.items():
        items = []
        for item in pool.items:
            value = req.normalize(item.kind, item.value)
            items.append(Requisite(item.kind, value, item.bank or req.bank_of(item.kind, value), item.holder, item.asset))
        if pool.generate is not None:
            g = pool.generate
            rng = random.Random(f"{spec.id}/{name}")
            for _ in range(g.count):
                value = req.generate(g.kind, rng, bin6=g.bin, bank_code=g.bank_code)
                items.append(Requisite(g.kind, value, g.bank or req.bank_of(g.kind, value), "", g.asset))
        pools[name] = items
    return pools


# ---------------------------------------------------------------------- entry points


def load_text(text: str, fname: str = "<scenario>") -> LoadedScenario:
    """Validate one scenario given as YAML text; ScenarioError names file, line and problem."""
    data, lines = parse_yaml(text, fname)
    if not isinstance(data, dict):
        raise ScenarioError([f"{fname}:1: a scenario file is a mapping of keys (id, title, bot, ...)"])
    try:
        spec = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_pydantic_problems(exc, lines, fname)) from None
    checker = _Checker(spec, lines, fname)
    checker.run()
    if checker.problems:
        raise ScenarioError(checker.problems)
    return LoadedScenario(spec=spec, path=Path(fname), pools=resolve_pools(spec), lines=lines)


def load_file(path: str | Path) -> LoadedScenario:
    """Load and validate one scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}:1: cannot read: {exc}"]) from None
    loaded = load_text(text, str(p))
    loaded.path = p
    return loaded


def scenario_files(folder: str | Path) -> list[Path]:
    """The *.yaml / *.yml files of a folder (sorted; README and hidden files are not scenarios)."""
    root = Path(folder)
    if not root.is_dir():
        raise ScenarioError([f"{root}:1: not a folder of scenarios"])
    return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))


def load_folder(folder: str | Path) -> list[LoadedScenario]:
    """Load every scenario of a folder; ids and usernames must be unique across files."""
    loaded = [load_file(p) for p in scenario_files(folder)]
    if not loaded:
        raise ScenarioError([f"{folder}:1: no scenario files (*.yaml) in this folder"])
    check_unique(loaded)
    return loaded


def check_unique(loaded: list[LoadedScenario]) -> None:
    """Scenario ids and @usernames may appear in one file only."""
    ids: dict[str, LoadedScenario] = {}
    names: dict[str, tuple[LoadedScenario, Path_]] = {}
    phones: dict[str, LoadedScenario] = {}
    for sc in loaded:
        if sc.id in ids:
            raise ScenarioError([f"{sc.path}:{sc.line(('id',))}: id: '{sc.id}' is also the id of {ids[sc.id].path}"])
        ids[sc.id] = sc
        for loc, name in usernames_with_paths(sc.spec):
            key = name.lower()
            if key in names and names[key][0] is not sc:
                other, oloc = names[key]
                raise ScenarioError(
                    [f"{sc.path}:{sc.line(loc)}: {_dotted(loc)}: @{name} is also used by {other.path}:{other.line(oloc)}"]
                )
            names[key] = (sc, loc)
        op = sc.spec.operator
        if op is not None and op.phone:
            phone = req.normalize("phone", op.phone)
            if phone in phones and phones[phone] is not sc:
                raise ScenarioError([f"{sc.path}:{sc.line(('operator', 'phone'))}: operator.phone: {phone} is also "
                                     f"the operator's phone in {phones[phone].path}"])
            phones[phone] = sc
