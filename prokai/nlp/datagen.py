"""Deterministic training data: templates × lexicons × noise, plus hand-written examples.

`build_datasets(seed)` returns the shop and intent datasets with train/val/test splits. The same
seed always gives the same examples in the same order (no set iteration, one `random.Random`).
The hand-written held-out hard cases (`data/heldout*_*.tsv`) are never mixed into training, and
a fixed share of the hand-written training examples (chosen by a hash of the text, so adding lines
never moves old ones) is kept apart as the development split (`Dataset.dev`): the one that
training selects on, so that the held-out cases are only ever used to report.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from prokai.nlp import lexicon as lx
from prokai.nlp.labels import INTENT_LABELS, LANGS, NOT_SHOP, SHOP
from prokai.nlp.noise import add_noise
from prokai.nlp.templates_intent import INTENT_TEMPLATES
from prokai.nlp.templates_shop import SHOP_NEGATIVE, SHOP_POSITIVE

DEFAULT_SEED = 20261122
LANG_WEIGHTS = {"ru": 0.5, "kk": 0.3, "mixed": 0.2}
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")


@dataclass(frozen=True)
class Example:
    """One labelled text. `source`: template, handwritten or the held-out file's stem (heldout,
    heldout2, ...); `kind`: sub-genre."""

    text: str
    label: str
    lang: str
    source: str
    kind: str = ""


@dataclass
class Dataset:
    """Splits of one task: train, val and test (generated; test never repeats a training text) and
    dev (hand-written, never trained on: what training selects the epoch on)."""

    task: str
    labels: tuple[str, ...]
    train: list[Example]
    val: list[Example]
    test: list[Example]
    dev: list[Example]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _card(rng: random.Random, spaced: bool | None = None) -> str:
    prefix = rng.choice(
        ("4400 43", "4400 44", "5169 49", "4003 03", "5522 04", "4263 43", "4149 49", "5395 45")
    )
    digits = prefix.replace(" ", "") + _digits(rng, 10)
    if spaced is None:
        spaced = rng.random() < 0.7
    if spaced:
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    return digits


def _phone(rng: random.Random) -> str:
    code = rng.choice(("701", "702", "705", "707", "747", "771", "775", "777", "778"))
    d = _digits(rng, 7)
    return rng.choice(
        (
            f"+7 {code} {d[:3]} {d[3:5]} {d[5:]}",
            f"8{code}{d}",
            f"+7{code}{d}",
            f"8 ({code}) {d[:3]}-{d[3:5]}-{d[5:]}",
        )
    )


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
# Bank codes of the look-alike IBANs in training texts (random check digits: they only need
# to read like IBANs). All but 125 are in the kinds table's `KZ_BANK_CODES` (checked by
# tests/extract/test_kind_table.py); 125 is the IBAN registry's example code
# (KZ86125KZT5004100100), kept so the generated corpus stays as it was and a code no table
# names appears too.
IBAN_BANK_CODES: tuple[str, ...] = ("722", "601", "998", "125", "551")
IBAN_EXAMPLE_CODE = "125"
_EMOJI_NAMES = (
    ("🍎", "яблоком"),
    ("🍌", "бананом"),
    ("🍒", "вишней"),
    ("🍋", "лимоном"),
    ("🍇", "виноградом"),
    ("🐶", "собакой"),
    ("⭐", "звездой"),
)
_NAMES = (
    "Айгерим Б.",
    "Ерлан К.",
    "Данияр С.",
    "Алия Н.",
    "Сергей П.",
    "Мадина Т.",
    "Асхат Ж.",
    "Ольга М.",
    "Нурлан А.",
    "Дина Е.",
)


def _buttons(items: list[str], rng: random.Random) -> str:
    style = rng.randrange(5)
    if style == 0:
        return " ".join(f"[{i}]" for i in items)
    if style == 1:
        return " | ".join(items)
    if style == 2:
        return "\n".join(items)
    if style == 3:
        return "\n".join(f"{rng.choice(('🔹', '▪️', '📍', '✅', '•'))} {i}" for i in items)
    return ", ".join(items)


def _pick(seq: tuple[str, ...], rng: random.Random, k: int) -> list[str]:
    return rng.sample(list(seq), k=min(k, len(seq)))


def _slot_values(rng: random.Random) -> dict[str, Callable[[], str]]:
    def many(seq: tuple[str, ...], lo: int = 2, hi: int = 6) -> Callable[[], str]:
        return lambda: _buttons(_pick(seq, rng, rng.randint(lo, hi)), rng)

    def one(seq: tuple[str, ...]) -> Callable[[], str]:
        return lambda: rng.choice(seq)

    product_any = lx.PRODUCTS + lx.PRODUCT_EMOJI
    return {
        "city": one(lx.CITIES_RU + lx.CITY_SLANG[:3]),
        "city_kk": one(lx.CITIES_KK),
        "district": one(lx.DISTRICTS_RU),
        "district_kk": one(lx.DISTRICTS_KK),
        "product": one(lx.PRODUCTS),
        "product_kk": one(lx.PRODUCTS_KK),
        "pemoji": one(lx.PRODUCT_EMOJI),
        "quality": one(lx.QUALITY),
        "quality_kk": one(lx.QUALITY_KK),
        "amount": one(lx.AMOUNTS),
        "amount_kk": one(lx.AMOUNTS_KK),
        "price": one(lx.PRICES),
        "pay": one(lx.PAY_METHODS),
        "pay_kk": one(lx.PAY_METHODS_KK),
        "delivery": one(lx.DELIVERY),
        "delivery_kk": one(lx.DELIVERY_KK),
        "shop": one(lx.SHOP_NAMES),
        "bot": one(lx.BOT_HANDLES),
        "oper": one(lx.OPERATOR_HANDLES),
        "min": one(lx.MINUTES),
        "greet": one(lx.GREETINGS_RU),
        "greet_kk": one(lx.GREETINGS_KK),
        "buyer": one(lx.BUYER_NAMES),
        "card": lambda: _card(rng),
        "card_spaced": lambda: " ".join(_card(rng, False)),
        "phone": lambda: _phone(rng),
        "iban": lambda: (
            "KZ" + _digits(rng, 2) + rng.choice(IBAN_BANK_CODES) + "C" + _digits(rng, 12)
        ),
        "btc": lambda: "bc1q" + "".join(rng.choice(_BECH) for _ in range(38)),
        "usdt": lambda: "T" + "".join(rng.choice(_B58) for _ in range(33)),
        "btc_sum": lambda: f"0.00{rng.randint(10, 99)}{rng.randint(10, 99)}",
        "usdt_sum": lambda: str(rng.randint(20, 200)),
        "n1": lambda: str(rng.randint(1, 20)),
        "n2": lambda: str(rng.randint(1, 20)),
        "emoji": lambda: rng.choice(_EMOJI_NAMES)[0],
        "emoji_name": lambda: rng.choice(_EMOJI_NAMES)[1],
        "emoji_row": lambda: _buttons(rng.sample([e for e, _ in _EMOJI_NAMES], k=4), rng),
        "num_row": lambda: _buttons([str(rng.randint(0, 30)) for _ in range(4)], rng),
        "lprod": one(lx.LEGIT_PRODUCTS),
        "lshop": one(lx.LEGIT_SHOPS),
        "bank": one(lx.BANKS),
        "exch": one(lx.CRYPTO_EXCHANGES),
        "garden": one(lx.GARDEN_WORDS),
        "chem": one(lx.CHEM_WORDS),
        "cosm": one(lx.COSMETIC_WORDS),
        "music": one(lx.MUSIC_WORDS),
        "count": lambda: str(rng.choice((3, 5, 12, 17, 25, 40, 120, 300, 1500))),
        "order": lambda: str(rng.randint(1000, 99999)),
        "last4": lambda: _digits(rng, 4),
        "code": lambda: _digits(rng, rng.choice((4, 6))),
        "name": one(_NAMES),
        "ltc": lambda: "ltc1q" + "".join(rng.choice(_BECH) for _ in range(38)),
        "category": one(
            ("стимуляторы", "растительное", "психоделики", "эйфоретики", "кристаллы", "таблетки")
        ),
        "strain": one(lx.STRAINS),
        "thc": lambda: str(rng.randint(17, 29)),
        "pill": one(lx.PILLS),
        "mg": lambda: str(rng.choice((120, 180, 220, 250, 280, 300))),
        "color": one(lx.PILL_COLORS),
        "mcg": lambda: str(rng.choice((100, 150, 200, 250, 300))),
        "bulk": lambda: str(rng.choice((10, 20, 50, 100, 500))),
        "years": lambda: str(rng.randint(2, 9)),
        "place": one(lx.PLACES_RU),
        "place_kk": one(lx.PLACES_KK),
        "wrap": one(lx.WRAPS),
        "slang_amount": one(lx.SLANG_AMOUNTS),
        "price_k": lambda: (
            f"{rng.choice((2, 3, 5, 7, 11, 15, 18, 22, 27, 30))}{rng.choice(('к', ' тыщ', ' 000', 'k'))}"
        ),
        "when": one(lx.WHEN_RU),
        "when_kk": one(lx.WHEN_KK),
        "salary": one(lx.SALARIES),
        "percent": lambda: str(rng.choice((2, 3, 5, 7, 10))),
        "buttons_city": many(lx.CITIES_RU),
        "buttons_city_kk": many(lx.CITIES_KK),
        "buttons_district": many(lx.DISTRICTS_RU),
        "buttons_district_kk": many(lx.DISTRICTS_KK),
        "buttons_product": many(product_any),
        "buttons_product_kk": many(lx.PRODUCTS_KK),
        "buttons_lprod": many(lx.LEGIT_PRODUCTS),
        "buttons_amount": many(lx.AMOUNTS),
        "buttons_amount_kk": many(lx.AMOUNTS_KK),
        "buttons_size": many(("S", "M", "L", "XL", "0.5 л", "1 л", "30 см", "40 см", "маленькая", "большая")),
        "buttons_pay": many(lx.PAY_METHODS),
        "buttons_pay_kk": many(lx.PAY_METHODS_KK),
    }


def fill(template: str, rng: random.Random) -> str:
    """`template` with every `{slot}` / `{slotN}` replaced by a random lexicon value."""
    values = _slot_values(rng)

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            name = name.rstrip("0123456789")  # {product2}: a second, independent draw
        if name not in values:
            raise KeyError(f"unknown template slot {{{name}}} in {template!r}")
        return values[name]()

    return _SLOT.sub(repl, template)


def _by_lang(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for lang, template in items:
        out[lang].append(template)
    return out


def _choose_lang(rng: random.Random) -> str:
    return rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]


def _generate_shop(n: int, rng: random.Random, noise: float) -> list[Example]:
    pos = _by_lang(SHOP_POSITIVE)
    neg: dict[str, list[tuple[str, str]]] = {lang: [] for lang in LANGS}
    for lang, kind, template in SHOP_NEGATIVE:
        neg[lang].append((kind, template))
    out: list[Example] = []
    for i in range(n):
        lang = _choose_lang(rng)
        if i % 2 == 0:
            text = fill(rng.choice(pos[lang]), rng)
            label, kind = SHOP, "shop"
        else:
            kind, template = rng.choice(neg[lang])
            text = fill(template, rng)
            label = NOT_SHOP
        if rng.random() < noise:
            text = add_noise(text, rng)
        out.append(Example(text, label, lang, "template", kind))
    return out


def _generate_intent(n_per_label: int, rng: random.Random, noise: float) -> list[Example]:
    out: list[Example] = []
    for label in INTENT_LABELS:
        by_lang = _by_lang(INTENT_TEMPLATES[label])
        for _ in range(n_per_label):
            lang = _choose_lang(rng)
            text = fill(rng.choice(by_lang[lang]), rng)
            if rng.random() < noise:
                text = add_noise(text, rng)
            out.append(Example(text, label, lang, "template", label))
    rng.shuffle(out)
    return out


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def read_tsv(path: Path | str, source: str) -> list[Example]:
    """Examples from a `label<TAB>lang<TAB>kind<TAB>text` file (`#` comments, `\\n` for newlines)."""
    out = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 3)
        if len(parts) != 4 or parts[1] not in LANGS:
            raise ValueError(
                f"{path}:{lineno}: expected label, lang ({'|'.join(LANGS)}), kind, text separated by tabs"
            )
        out.append(Example(_unescape(parts[3]), parts[0], parts[1], source, parts[2]))
    return out


def _data_files(pattern: str) -> list[Path]:
    """The files shipped in `prokai/nlp/data/` that match `pattern`, in name order."""
    folder = Path(str(resources.files("prokai.nlp") / "data"))
    return sorted(folder.glob(pattern))


def handwritten(task: str) -> list[Example]:
    """Hand-written training examples of `task` (shop or intent): every `train_<task>*.tsv`."""
    return [ex for path in _data_files(f"train_{task}*.tsv") for ex in read_tsv(path, "handwritten")]


def heldout(task: str) -> list[Example]:
    """The held-out hand-written hard cases of `task` (every `heldout*_<task>.tsv`, `source` = the
    file's set name): evaluation only, never training."""
    return [
        ex
        for path in _data_files(f"heldout*_{task}.tsv")
        for ex in read_tsv(path, path.stem.removesuffix(f"_{task}"))
    ]


DEV_SHARE = 0.15


def text_key(text: str) -> str:
    """What two examples must share to count as the same text: case and outer space ignored."""
    return text.strip().lower()


def is_dev(example: Example) -> bool:
    """Whether a hand-written training example belongs to the development split (stable per text)."""
    digest = hashlib.sha256(text_key(example.text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") < DEV_SHARE * 2**32


def _variant(text: str, rng: random.Random) -> str:
    """A harder copy of a hand-written line: half of the longer lines lose some words (each with
    probability 0.2), then strong noise."""
    words = text.split(" ")
    if len(words) > 3 and rng.random() < 0.5:
        words = [w for w in words if rng.random() > 0.2] or words
    return add_noise(" ".join(words), rng, strength=1.5)


def _augmented(
    hand: list[Example], repeat: int, noise: float, rng: random.Random, variants: int = 0
) -> list[Example]:
    """`hand` once as written, then `repeat - 1` more times with noise on a `noise` share of them,
    then `variants` harder copies (`_variant`) of every line."""
    out = list(hand)
    for _ in range(repeat - 1):
        for ex in hand:
            text = add_noise(ex.text, rng) if rng.random() < noise else ex.text
            out.append(Example(text, ex.label, ex.lang, ex.source, ex.kind))
    for _ in range(variants):
        out += [Example(_variant(ex.text, rng), ex.label, ex.lang, ex.source, ex.kind) for ex in hand]
    return out


def _dedupe(items: list[Example], seen: set[str]) -> list[Example]:
    out = []
    for ex in items:
        key = text_key(ex.text)
        if key not in seen:
            seen.add(key)
            out.append(ex)
    return out


@dataclass(frozen=True)
class DataSizes:
    """How much to generate (training defaults; tests use smaller numbers)."""

    shop_train: int = 8000
    shop_eval: int = 1500
    intent_train_per_label: int = 600
    intent_eval_per_label: int = 120
    noise: float = 0.35
    handwritten_repeat: int = 3
    handwritten_variants: int = 2  # harder copies of every hand-written line (dropped words, strong noise)


def build_datasets(seed: int = DEFAULT_SEED, sizes: DataSizes | None = None) -> dict[str, Dataset]:
    """Both tasks' datasets. Test/val never repeat a training text, and training never holds a
    held-out text (case-insensitive)."""
    sizes = sizes or DataSizes()
    rng = random.Random(seed)
    out: dict[str, Dataset] = {}
    for task in ("shop", "intent"):
        if task == "shop":
            train = _generate_shop(sizes.shop_train, rng, sizes.noise)
            val = _generate_shop(sizes.shop_eval, rng, sizes.noise)
            test = _generate_shop(sizes.shop_eval, rng, sizes.noise)
            labels: tuple[str, ...] = (NOT_SHOP, SHOP)
        else:
            train = _generate_intent(sizes.intent_train_per_label, rng, sizes.noise)
            val = _generate_intent(sizes.intent_eval_per_label, rng, sizes.noise)
            test = _generate_intent(sizes.intent_eval_per_label, rng, sizes.noise)
            labels = INTENT_LABELS
        hand = handwritten(task)
        dev = [ex for ex in hand if is_dev(ex)]
        hand = [ex for ex in hand if not is_dev(ex)]
        train = train + _augmented(hand, sizes.handwritten_repeat, sizes.noise, rng, sizes.handwritten_variants)
        rng.shuffle(train)
        held = {text_key(ex.text) for ex in heldout(task)}
        # A template (or a noisy copy) can produce a held-out text word for word ("Ок"): drop it.
        train = [ex for ex in train if text_key(ex.text) not in held]
        seen = {text_key(ex.text) for ex in train}
        dev = _dedupe(dev, set(seen))  # a dev case a template also produced says nothing
        seen |= held
        val = _dedupe(val, seen)
        test = _dedupe(test, seen)
        out[task] = Dataset(task, labels, train, val, test, dev)
    return out


def write_jsonl(path: Path, examples: Iterable[Example]) -> int:
    """Write examples as JSON lines; returns the count."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(asdict(ex), ensure_ascii=False) + "\n")
            n += 1
    return n


def data_card(datasets: dict[str, Dataset], seed: int) -> str:
    """Markdown data card: sources, sizes, splits, language and label counts."""
    lines = [
        "# Data card: ProkAi shop-detection and intent data",
        "",
        "Generated by `prokai nlp generate-data` / `prokai nlp train` (module `prokai.nlp.datagen`),",
        f"seed {seed}. Deterministic: the same seed and code give the same examples in the same order.",
        "",
        "## Sources",
        "",
        "- **template**: sentence templates (`prokai/nlp/templates_shop.py`, `templates_intent.py`) filled",
        "  from lexicons (`prokai/nlp/lexicon.py`: Kazakhstan's cities and districts in Russian and Kazakh,",
        "  drug slang, abbreviations and emoji codes, amounts, prices, payment methods, shop names, bot",
        "  handles; card numbers, phones, IBANs and wallets are random and fictitious), then noise",
        "  (`prokai/nlp/noise.py`: look-alike letters, split words, typos, case, emoji) on a fixed share",
        "  of every class.",
        "- **handwritten**: hand-written training examples (`prokai/nlp/data/train_*.tsv`): the first",
        "  file written with the templates; `train_*_a`, `train_*_b` and `train_intent_extra` written",
        "  later by engineers who had not seen any held-out file, each told to phrase things the way",
        "  the templates do not; `train_intent_c` (Russian street style and obfuscation), `_d` (Kazakh,",
        "  Latin-script Kazakh, code-switching) and `_e` (near-miss pairs, indirect phrasings) in a",
        "  third round, `_f` (Kazakh in three scripts), `_g` (operator chat, long bot messages) and",
        "  `_h` (every label in many bot styles) in a fourth, with `train_shop_c` (indirect shop texts",
        "  and their innocent twins) and `train_shop_d` (hard negatives and their shop twins), and",
        "  `train_shop_e` (Russian) and `_f` (mixed Russian-Kazakh, Kazakh in three scripts), shop",
        "  texts with innocent twins, in a fifth, the same way (lines that coincided word for word",
        "  with a held-out case were reworded or dropped). In training they appear once as written,",
        f"  then {DataSizes().handwritten_repeat - 1} more times with noise on a share of the copies,",
        f"  then {DataSizes().handwritten_variants} more times as harder copies: half of the lines of",
        "  more than three words lose some words (each with probability 0.2), and every copy gets",
        "  strong noise.",
        f"- **dev**: {DEV_SHARE:.0%} of the hand-written training examples, chosen by a hash of the text",
        "  (stable when lines are added), are never trained on: training keeps the epoch that does",
        "  best on them, and every design choice is made on them, not on the held-out sets.",
        "- **heldout**: hand-written hard cases that no template produced; used only for evaluation,",
        "  never for choosing anything. Set `heldout` (`data/heldout_*.tsv`) was written after the",
        "  templates in the first round of work; set `heldout2` (`data/heldout2_*.tsv`) in the second,",
        "  by an engineer who read neither the templates, the lexicons nor any training file. Both",
        "  hold phrasings, slang and hard negatives (news, anti-drug posts, legitimate shops and",
        "  delivery bots, bank notifications, crypto exchange ads, gardening, chemistry, cosmetics,",
        "  music, games, everyday chat) that the templates do not contain.",
        "",
        "Hard negatives in the templates: news about busts, droppers and prosecutors; anti-drug posts",
        "and warnings about renting out cards; legitimate shops and delivery bots; bank notifications;",
        "crypto exchange ads; gardening, chemistry, cosmetics and music texts; everyday chat; games;",
        "group anti-spam bots. No real people's data; no text from the internet.",
        "",
        "## Sizes",
        "",
    ]
    for task, ds in datasets.items():
        ho = heldout(task)
        lines += [
            f"### {task}",
            "",
            "| split | examples | " + " | ".join(LANGS) + " |",
            "|---|---|" + "---|" * len(LANGS),
        ]
        splits = [("train", ds.train), ("val", ds.val), ("test", ds.test), ("dev", ds.dev)]
        splits += [(name, [e for e in ho if e.source == name]) for name in dict.fromkeys(e.source for e in ho)]
        for name, items in splits:
            langs = Counter(ex.lang for ex in items)
            lines.append(
                f"| {name} | {len(items)} | " + " | ".join(str(langs[lang]) for lang in LANGS) + " |"
            )
        lines += ["", "| label | train | test | dev | heldout (all sets) |", "|---|---|---|---|---|"]
        tr, te, dv, he = (
            Counter(e.label for e in ds.train),
            Counter(e.label for e in ds.test),
            Counter(e.label for e in ds.dev),
            Counter(e.label for e in ho),
        )
        for label in ds.labels:
            lines.append(f"| {label} | {tr[label]} | {te[label]} | {dv[label]} | {he[label]} |")
        if task == "shop":
            kinds = Counter(e.kind for e in ho if e.label == NOT_SHOP)
            lines += [
                "",
                "Held-out hard negatives by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
            ]
        lines.append("")
    lines += [
        "## Known limits",
        "",
        "- Templates are written by the project, not sampled from real shops: real traffic will contain",
        "  phrasings neither the templates nor the held-out set cover. Retrain with real, reviewed",
        "  messages from the evidence store when they exist.",
        "- The Kazakh text is written by the project; real shops mostly write Russian or mixed.",
        "",
    ]
    return "\n".join(lines)
