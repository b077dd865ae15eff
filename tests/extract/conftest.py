"""Shared fixtures for the extraction tests: the official vector files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).with_name("vectors")


def load_vectors(name: str) -> Any:
    """Load one vector file (each names its source in a "source" field)."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def vectors() -> Any:
    return load_vectors
