"""BIN (first six digits of a card) → issuing bank and country.

The data file `data/bins.csv` is built from the MIT-licensed `smartbindb` package on PyPI
(https://pypi.org/project/smartbindb/, https://github.com/abirxdhack/TheSmartBinDB, Copyright (c)
2024-2026 Abir Arafat Chawdhury; licence text in `data/SMARTBINDB_LICENSE.txt`). That package ships
its data as a Python pickle; we read it with an unpickler that refuses every global, so the file
can only yield plain dicts, lists and strings, never run code. Only the CIS countries that matter
here are kept, and the issuer names get a short canonical bank name (`bank` column).

Rebuild: `python -m prokai.extract.bins build path/to/smartbindb-X.whl` (or the installed
`smartbin.db`), which rewrites `data/bins.csv`.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import sys
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")
BINS_CSV = DATA_DIR / "bins.csv"
COUNTRIES = ("KZ", "RU", "UZ", "KG", "TJ", "BY", "AM", "AZ", "GE")

# Issuer name fragment (upper case) → canonical short bank name. First match wins.
BANK_ALIASES: list[tuple[str, str]] = [
    ("KASPI", "Kaspi Bank"),
    ("HALYK", "Halyk Bank"),
    ("KAZKOMMERTS", "Halyk Bank"),
    ("KKB", "Halyk Bank"),
    ("JUSAN", "Jusan Bank"),
    ("TSESNA", "Jusan Bank"),
    ("FIRST HEARTLAND", "Jusan Bank"),
    ("FREEDOM", "Freedom Bank"),
    ("FORTE", "ForteBank"),
    ("CENTERCREDIT", "Bank CenterCredit"),
    ("CENTER CREDIT", "Bank CenterCredit"),
    ("HOME CREDIT", "Home Credit Bank"),
    ("EURASIAN", "Eurasian Bank"),
    ("BEREKE", "Bereke Bank"),
    ("SB SBERBANK", "Bereke Bank"),
    ("SUBSIDIARY BANK SBERBANK OF RUSSIA", "Bereke Bank"),
    ("ALTYN", "Altyn Bank"),
    ("RBK", "Bank RBK"),
    ("NURBANK", "Nurbank"),
    ("ATF", "ATF Bank"),
    ("KAZPOST", "Kazpost"),
    ("SHINHAN", "Shinhan Bank"),
    ("CITIBANK", "Citibank"),
    ("TINKOFF", "T-Bank"),
    ("TBANK", "T-Bank"),
    ("T-BANK", "T-Bank"),
    ("SBERBANK", "Sberbank"),
    ("VTB", "VTB"),
    ("ALFA", "Alfa-Bank"),
    ("GAZPROMBANK", "Gazprombank"),
    ("RAIFFEISEN", "Raiffeisenbank"),
    ("ROSBANK", "Rosbank"),
    ("OTKRITIE", "Otkritie"),
    ("SOVCOMBANK", "Sovcombank"),
    ("POCHTA", "Pochta Bank"),
    ("POST BANK", "Pochta Bank"),
    ("PROMSVYAZBANK", "PSB"),
    ("MTS BANK", "MTS Bank"),
    ("URALSIB", "Uralsib"),
    ("RUSSIAN STANDARD", "Russian Standard"),
    ("ROSSELKHOZBANK", "Rosselkhozbank"),
    ("RUSSIAN AGRICULTURAL", "Rosselkhozbank"),
    ("OZON", "Ozon Bank"),
    ("WILDBERRIES", "Wildberries Bank"),
    ("QIWI", "QIWI Bank"),
    ("YANDEX", "Yandex Bank"),
]


_ALIAS_RES = [(re.compile(r"(?<![A-Z0-9])" + re.escape(frag)), name) for frag, name in BANK_ALIASES]


@dataclass(frozen=True)
class BinInfo:
    """What the data file says about one BIN."""

    bin: str
    brand: str
    card_type: str
    issuer: str
    bank: str
    country: str


def canonical_bank(issuer: str) -> str:
    """Short bank name for a raw issuer string ('JSC KASPI BANK' → 'Kaspi Bank')."""
    up = issuer.upper()
    for pattern, name in _ALIAS_RES:
        if pattern.search(up):
            return name
    return issuer.title() if issuer else ""


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickler that refuses to resolve any global: only builtin containers and scalars load."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in BIN data")


def load_smartbindb(raw: bytes) -> dict[str, Any]:
    """Parse smartbindb's pickled database safely."""
    data = _NoGlobalsUnpickler(io.BytesIO(raw)).load()
    if not isinstance(data, dict) or "country_data" not in data:
        raise ValueError("unexpected smartbindb layout (no country_data)")
    return data


def build(source: Path, out: Path = BINS_CSV) -> int:
    """Write the CSV from a smartbindb wheel or its `smartbin.db`; returns the row count."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as zf:
            raw = zf.read("smartbindb/data/smartbin.db")
    else:
        raw = source.read_bytes()
    data = load_smartbindb(raw)
    rows = []
    for country in COUNTRIES:
        for entry in data["country_data"].get(country, []):
            b = str(entry.get("bin", ""))
            if len(b) != 6 or not b.isdigit():
                continue
            issuer = str(entry.get("issuer") or "").strip()
            rows.append([b, str(entry.get("brand") or ""), str(entry.get("type") or ""), issuer,
                         canonical_bank(issuer), country])
    rows.sort()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["bin", "brand", "type", "issuer", "bank", "country"])
        w.writerows(rows)
    return len(rows)


@lru_cache(maxsize=1)
def _table() -> dict[str, BinInfo]:
    table: dict[str, BinInfo] = {}
    if not BINS_CSV.exists():
        return table
    with BINS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table[row["bin"]] = BinInfo(row["bin"], row["brand"], row["type"], row["issuer"],
                                        row["bank"], row["country"])
    return table


def lookup(card: str) -> BinInfo | None:
    """BIN data for a card number (its first six digits), or None when unknown."""
    return _table().get(card[:6])


def main(argv: list[str]) -> int:
    """`python -m prokai.extract.bins build SOURCE`."""
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m prokai.extract.bins build SMARTBINDB_WHEEL_OR_DB", file=sys.stderr)
        return 2
    n = build(Path(argv[1]))
    print(f"wrote {n} BINs to {BINS_CSV}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
