"""Fixtures for the crawler tests."""

from __future__ import annotations

from typing import Any

import pytest

from prokai.config import Settings
from prokai.crawl.models import load_model


@pytest.fixture(scope="session")
def crawl_model() -> Any:
    """The shipped classifiers (models/), loaded once for the whole session."""
    return load_model(Settings())
