"""The shipped scenarios load and cover what the issue asks; broken ones are refused with file:line."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from test_shops_support import SCENARIOS

from prokai.sandbox.shops import ScenarioError, load_file, load_folder, load_text
from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.truth import payments_of


def test_every_shipped_scenario_loads_and_the_set_covers_the_issue() -> None:
    loaded = load_folder(SCENARIOS)
    shops = [sc for sc in loaded if sc.is_shop]
    negatives = [sc for sc in loaded if not sc.is_shop]
    assert len(shops) >= 12 and len(negatives) >= 4
    bots = [sc.spec.bot for sc in shops if sc.spec.bot is not None]
    assert {b.captcha.kind for b in bots if b.captcha} == {"arithmetic", "press", "image"}
    assert any(b.captcha and b.captcha.words for b in bots)
    assert len({len(b.screens) for b in bots}) >= 4  # different menu depths
    assert any(s.keyboard == "reply" for b in bots for s in b.screens.values())
    assert any(s.input is not None for b in bots for s in b.screens.values())  # typed top-up amount
    ops = [sc for sc in shops if sc.spec.operator is not None and sc.spec.bot is None]
    assert {sc.spec.operator.lang or sc.spec.lang for sc in ops if sc.spec.operator} >= {"ru", "kk"}
    assert any(b.backups for b in bots)
    deliveries = {p.delivery for sc in shops for _, p in payments_of(sc.spec)}
    assert deliveries == {"text", "split", "image"}
    rotations = {pool.rotate for sc in shops for pool in sc.spec.requisites.values()}
    assert rotations == {"fixed", "per_order", "per_day", "per_buyer"}
    lifecycles = [sc.spec.lifecycle for sc in shops if sc.spec.lifecycle]
    assert any(lc.rename for lc in lifecycles) and {lc.death for lc in lifecycles if lc.dies_on_day} >= {"deleted", "closed", "silent"}
    kinds = {item.kind for sc in shops for pool in sc.pools.values() for item in pool}
    assert kinds == set(req.KINDS)
    assert {n.spec.bot is not None for n in negatives} == {True, False}  # negative bots and channels
    for sc in shops:
        assert sc.spec.walks, f"{sc.path.name}: a shop needs a walk to its payment step"


def test_every_requisite_passes_its_checksum() -> None:
    for sc in load_folder(SCENARIOS):
        for pool in sc.pools.values():
            for item in pool:
                assert req.normalize(item.kind, item.value) == item.value
                if item.kind == "card":
                    assert req.luhn_ok(item.value) and item.bank, item
                if item.kind == "iban":
                    assert item.value.startswith("KZ") and len(item.value) == 20


def test_generated_requisites_are_valid_and_known_vectors_check() -> None:
    rng = random.Random(7)
    for kind in req.KINDS:
        for _ in range(200):
            value = req.generate(kind, rng)
            assert req.normalize(kind, value) == value
    assert req.eip55("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert req.iban_ok("KZ86125KZT5004100100")
    assert req.normalize("btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4") == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert req.normalize("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    assert req.normalize("phone", "8 (701) 234-56-78") == "+77012345678"
    with pytest.raises(ValueError, match="Luhn"):
        req.normalize("card", "4400 4300 0000 0001")
    with pytest.raises(ValueError, match="EIP-55"):
        req.normalize("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")


def test_independent_validators_agree_with_the_sandbox() -> None:
    from stdnum import iban, luhn

    rng = random.Random(3)
    for _ in range(100):
        assert luhn.is_valid(req.gen_card(rng))
        assert iban.is_valid(req.gen_iban(rng))


def test_recognizers_of_the_product_agree_with_the_sandbox() -> None:
    checks = pytest.importorskip("prokai.extract.checksums")
    rng = random.Random(3)
    for _ in range(50):
        assert checks.luhn_ok(req.gen_card(rng))
        assert checks.b58check_decode(req.gen_trx(rng)) is not None
        assert checks.segwit_decode("bc", req.gen_btc(rng, bech32=True)) is not None


GOOD = """\
id: tiny
title: Tiny
requisites:
  main:
    items:
      - {kind: card, value: "4400 4315 8813 9985"}
bot:
  username: tiny_shop_bot
  name: Tiny
  start: menu
  screens:
    menu:
      text: "Город?"
      choose: {var: city, options: [Алматы], next: pay}
    pay:
      intent: payment_details
      text: "Карта {requisite}"
      payment: {pool: main}
walks:
  - {via: bot, pool: main, steps: [start, {press: Алматы}]}
"""

BROKEN = [
    # (what to replace, replacement, expected line, expected words in the message)
    ("  start: menu\n", "  start: menuu\n", 10, "unknown screen 'menuu'"),
    ('text: "Город?"', 'txt: "Город?"', 13, "unknown key 'txt'"),
    ("4400 4315 8813 9985", "4400 4315 8813 9986", 6, "fails the Luhn check"),
    ("payment: {pool: main}", "payment: {pool: mian}", 18, "unknown requisite pool 'mian'"),
    ('text: "Карта {requisite}"', 'text: "Карта {requisit}"', 17, "unknown placeholder {requisit}"),
    ("      intent: payment_details\n", "      intent: payment_detail\n", 16, "Input should be"),
    ("  name: Tiny\n", "  name: Tiny\n  name: Again\n", 10, "duplicate key"),
    ("username: tiny_shop_bot", "username: 1bad", 8, "String should match pattern"),
    ('      choose: {var: city, options: [Алматы], next: pay}', '      choose: {var: city, options: [Алматы, next: pay}', 14, "YAML syntax"),
    ("  main:\n    items:", "  main:\n    rotate: hourly\n    items:", 5, "Input should be 'fixed'"),
    ("{press: Алматы}", "{press: Алмата}", 20, "no screen has a button 'Алмата'"),
]


@pytest.mark.parametrize(("old", "new", "line", "words"), BROKEN, ids=[b[3][:24] for b in BROKEN])
def test_a_broken_scenario_is_refused_naming_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    load_text(GOOD, "good.yaml")
    path = tmp_path / "shop.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message
    m = re.match(r"^(.*shop\.yaml):(\d+): (.*)$", message)
    assert m, message
    assert int(m.group(2)) == line, message
    assert words in m.group(3), message


def test_usernames_must_be_unique_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD.replace("id: tiny", "id: tiny2"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b\.yaml:8: bot\.username: @tiny_shop_bot is also used by .*a\.yaml:8"):
        load_folder(tmp_path)


def test_empty_and_non_mapping_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"x\.yaml:1: the file is empty"):
        load_folder(tmp_path)
    (tmp_path / "x.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"x\.yaml:1: a scenario file is a mapping"):
        load_folder(tmp_path)


def _mutations(data: object, rng: random.Random) -> object:
    """Randomly delete keys, swap value types and empty lists, a few times over."""
    if isinstance(data, dict):
        out: dict[object, object] = {}
        for k, v in data.items():
            roll = rng.random()
            if roll < 0.08:
                continue  # drop the key
            if roll < 0.14:
                out[k] = rng.choice([None, 7, "x", [], {}, [1, 2], {"a": 1}, True, -1.5])
            else:
                out[k] = _mutations(v, rng)
        if rng.random() < 0.05:
            out["unexpected_key"] = "?"
        return out
    if isinstance(data, list):
        return [_mutations(v, rng) for v in data if rng.random() > 0.1]
    return data


@pytest.mark.parametrize("seed", range(300))
def test_mangled_scenarios_are_refused_cleanly(seed: int) -> None:
    import yaml

    rng = random.Random(seed)
    files = sorted(SCENARIOS.glob("*.yaml"))
    source = files[seed % len(files)].read_text(encoding="utf-8")
    mangled = yaml.safe_dump(_mutations(yaml.safe_load(source), rng), allow_unicode=True, sort_keys=False)
    try:
        load_text(mangled, "mangled.yaml")
    except ScenarioError as exc:
        assert re.match(r"^mangled\.yaml:\d+: ", str(exc)) and "\n" not in str(exc), str(exc)
