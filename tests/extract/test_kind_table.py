"""The kinds table is the one list of requisite kinds: every module's view of kinds is the table's.

Adding a kind is one row in `prokai.extract.kinds.KIND_TABLE`; these tests then name each place
that still needs something of its own (an example here, a recognizer, a reviewer text, a
phrase the crawler asks with), and fail where a module keeps a list that disagrees.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import get_args

import pytest

from prokai.crawl import methods
from prokai.crawl.policy import ASK_OTHER, PHRASES
from prokai.extract import engine, extract, recognizers, validate
from prokai.extract.context import BANK_NAMES
from prokai.extract.kinds import (
    BANK_KINDS,
    BY_NAME,
    CRYPTO_KINDS,
    KIND_NAMES,
    KIND_TABLE,
    KZ_BANK_CODES,
    METHOD_KINDS,
    group_of,
    spec,
)
from prokai.extract.types import KINDS as FOUND_KINDS
from prokai.extract.wallets import CHECKERS
from prokai.network.draw import REQ_COLOURS
from prokai.nlp import datagen
from prokai.readmodels import i18n
from prokai.readmodels.queries import bank_of, is_wallet
from prokai.sandbox.shops import requisites as sandbox_req
from prokai.sandbox.shops import spec as sandbox_spec
from prokai.store.db import Database
from prokai.store.models import Requisite

sys.path.insert(0, str(Path(__file__).parents[1] / "review"))
from reviewkit import seed_requisite  # noqa: E402

from prokai.export.requisites import export_rows  # noqa: E402

# One valid value of each kind, in canonical form (official vectors where there are some).
EXAMPLES = {
    "card": "4400430212345679",
    "iban": "KZ86601A861000000001",
    "phone": "+77015550101",
    "btc": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "eth": "0x52908400098527886E0F7030069857D2E4169EE7",
    "trx": "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
    "ltc": "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz",
    "xmr": "47ewoP19TN7JEEnFKUJHAYhGxkeTRH82sf36giEp9AcNfDBfkAtRLX7A6rZz18bbNHPNV7ex6WYbMN3aKisFRJZ8Ebsmgef",
    "ton": "Ef_lZ1T4NCb2mwkme9h2rJfESCE0W34ma9lWp7-_uY3zXDvq",
}


def test_table_rows_are_whole_and_groups_partition_the_kinds() -> None:
    assert set(EXAMPLES) == set(KIND_NAMES), "every kind needs an example here"
    assert len(KIND_NAMES) == len(KIND_TABLE)  # no name twice
    assert set(KIND_NAMES) == BANK_KINDS | CRYPTO_KINDS and not BANK_KINDS & CRYPTO_KINDS
    assert FOUND_KINDS == KIND_NAMES
    for row in KIND_TABLE:
        assert row.group in ("bank", "crypto") and group_of(row.name) == row.group
        assert row.method_kind == (row.name if row.group == "bank" else "crypto")
        assert bool(row.method_provider) == (row.group == "crypto")
    assert set(METHOD_KINDS) == BANK_KINDS | {"crypto"}
    assert group_of("nope") is None
    with pytest.raises(ValueError, match="unknown requisite kind"):
        spec("nope")


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_each_kind_normalizes_validates_looks_up_and_is_extracted(kind: str) -> None:
    row, value = BY_NAME[kind], EXAMPLES[kind]
    assert row.validate(value) and validate(kind, value)
    assert row.normalize(row.display(value)) == value  # the display form reads back
    assert row.lookup(value)  # a bank, a region or a chain for each example
    found = extract(f"Оплата 25000 ₸ на {row.display(value)}, у вас 30 минут.")
    assert [(f.kind, f.value) for f in found] == [(kind, value)]


def test_validate_stays_the_function_once_its_module_is_loaded() -> None:
    # `prokai.extract.validate` once became the submodule after the first call imported it.
    import importlib

    import prokai.extract

    assert importlib.import_module("prokai.extract.validate").is_valid("card", EXAMPLES["card"])
    assert prokai.extract.validate("card", EXAMPLES["card"]) is True
    assert prokai.extract.validate("card", EXAMPLES["card"][:-1] + "0") is False


def test_recognizers_cover_exactly_the_table() -> None:
    covered = {r.kind for r in recognizers.REGISTRY if r.kind in BY_NAME}
    covered |= {p.kind for p in recognizers.WALLET_PATTERNS}
    assert covered == set(KIND_NAMES)
    assert set(CHECKERS) == CRYPTO_KINDS
    assert set(engine._PRIORITY) == set(KIND_NAMES)


def test_engine_ranks_overlaps_by_the_table() -> None:
    # An IBAN's digits hold a phone-like run; the IBAN (rank 9) wins over it (rank 3).
    assert BY_NAME["iban"].overlap_rank > BY_NAME["card"].overlap_rank > BY_NAME["phone"].overlap_rank
    assert [f.kind for f in extract("IBAN KZ86601A861000000001")] == ["iban"]


def test_crawler_methods_and_policy_cover_every_kind() -> None:
    for kind in KIND_NAMES:
        m = methods.method_of_requisite(type("F", (), {"kind": kind, "bank": "Kaspi Bank"})())
        assert m is not None and m.kind in METHOD_KINDS
        assert methods.answered(m, [type("F", (), {"kind": kind, "bank": ""})()])
    assert methods.method_of_requisite(type("F", (), {"kind": "nope", "bank": ""})()) is None
    trx = methods.method_of_requisite(type("F", (), {"kind": "trx", "bank": "Kaspi Bank"})())
    card = methods.method_of_requisite(type("F", (), {"kind": "card", "bank": "Kaspi Bank"})())
    assert (trx, card) == (methods.Method("crypto", "usdt-trc20"), methods.Method("card", "kaspi"))
    assert {kind for kind, _ in ASK_OTHER} == set(METHOD_KINDS)
    for lang in PHRASES.values():
        assert all(key in lang for _, key in ASK_OTHER)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_review_names_every_kind(lang: str) -> None:
    labels = {kind: i18n.kind_label(lang, kind) for kind in KIND_NAMES}
    assert all(labels.values())
    assert len(set(labels.values())) == len(labels)  # no two kinds read alike
    assert i18n.kind_label(lang, "trx") == i18n.t(lang, "kind_wallet", chain="TRX")
    for kind in KIND_NAMES:
        assert is_wallet(kind) == (kind in CRYPTO_KINDS)


def test_exports_group_every_kind(db: Database) -> None:
    for kind in KIND_NAMES:
        bank = "Halyk Bank" if kind in BANK_KINDS else None
        seed_requisite(db, kind=kind, value=EXAMPLES[kind], bank=bank, status="confirmed")
    with db.session() as s:
        rows = export_rows(s, status="confirmed")
        wallet_rows = export_rows(s, status="confirmed", wallets=True)
    assert {r.kind for r in rows} == set(KIND_NAMES)
    assert {r.kind: r.group for r in rows} == {
        k: ("Halyk Bank" if k in BANK_KINDS else k.upper()) for k in KIND_NAMES}
    assert {r.kind for r in wallet_rows} == CRYPTO_KINDS
    assert bank_of(Requisite(kind="card", value="", issuer=None, meta={})) == "unknown"


def test_network_colours_name_only_known_kinds() -> None:
    assert set(REQ_COLOURS) <= set(KIND_NAMES)


def test_sandbox_kinds_are_a_subset_of_the_table() -> None:
    assert set(sandbox_req.KINDS) <= set(KIND_NAMES)
    assert list(sandbox_req.KINDS) == [k for k in KIND_NAMES if k in sandbox_req.KINDS]  # table order
    assert get_args(sandbox_spec.Kind) == sandbox_req.KINDS
    assert set(sandbox_req.KINDS) >= sandbox_req.WRITTEN_SPACED


@pytest.mark.parametrize("kind", sandbox_req.KINDS)
def test_sandbox_oracle_agrees_with_the_extractor(kind: str) -> None:
    # Two independent implementations: the sandbox's generator and normalizer against the table's.
    rng = random.Random(f"kind-table-{kind}")
    for _ in range(20):
        value = sandbox_req.generate(kind, rng)
        assert BY_NAME[kind].validate(value), value
        for style in ("plain", "spaced", "dashes"):
            shown = sandbox_req.display(kind, value, style)
            assert sandbox_req.normalize(kind, shown) == value
            assert BY_NAME[kind].normalize(shown) == value
    assert sandbox_req.normalize(kind, EXAMPLES[kind]) == EXAMPLES[kind]


def test_the_bank_code_tables_are_one() -> None:
    # The sandbox's banks are the table's rows, the names taken from it.
    assert sandbox_req.KZ_BANK_CODES.items() <= KZ_BANK_CODES.items()
    assert sandbox_req.KZ_BANK_CODES["856"] == "Bank CenterCredit"
    assert KZ_BANK_CODES["826"] == "ATF Bank"
    rng = random.Random(7)
    for code, bank in sandbox_req.KZ_BANK_CODES.items():
        iban = sandbox_req.generate("iban", rng, bank_code=code)
        assert sandbox_req.bank_of("iban", iban) == bank == BY_NAME["iban"].lookup(iban)
        found = extract(f"Оплата на счёт {iban}")
        assert [(f.kind, f.bank) for f in found] == [("iban", bank)]
    # The training texts' look-alike IBANs: table codes, and the registry's example code.
    assert set(datagen.IBAN_BANK_CODES) - set(KZ_BANK_CODES) == {datagen.IBAN_EXAMPLE_CODE}


def test_sandbox_card_banks_are_names_the_extractor_uses() -> None:
    # The sandbox's BIN list is its own (the extractor's BIN data is third-party); its bank names
    # must be the extractor's canonical names, and the same bank where both know the BIN.
    known = set(BANK_NAMES.values())
    rng = random.Random(3)
    for bin6, bank in sandbox_req.KZ_BINS.items():
        assert bank in known, bank
        looked_up = BY_NAME["card"].lookup(sandbox_req.gen_card(rng, bin6))
        assert looked_up in (None, bank), (bin6, looked_up)
