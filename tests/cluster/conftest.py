"""The cluster tests run the reliability probes' world (tests/reliability/reliability_harness.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster_settings(**keys): cluster.* settings of the test's cluster")
