"""The intake tests use the shared `db`/`db_url` fixtures (tests/conftest.py) and the archive's
sandbox rig from tests/accounts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "accounts"))
