"""The cluster tests run the reliability probes' world (tests/reliability/reliability_harness.py)."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
sys.path.insert(0, str(Path(__file__).parent))

from cluster_harness import CLUSTERS, CRAWL, EXTRA, HIDDEN, TARGETS, Cluster  # noqa: E402
from reliability_harness import Node, SandboxThread, finish  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster_settings(**keys): cluster.* settings of the test's cluster")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    box = SandboxThread({**EXTRA, **HIDDEN})
    yield box
    box.stop()


@pytest.fixture(scope="module")
def reference(sandbox: SandboxThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same campaign run by the single-process runner: what every distributed run must end with."""
    node = Node(tmp_path_factory.mktemp("ref"), sandbox, [f"+7706700000{k}" for k in (1, 2, 3, 4)], TARGETS,
                config=CRAWL)
    code, _, err = finish(node.campaign("--concurrency", "4"))
    assert code == 0, err[-3000:]
    summary = node.summary()
    assert summary["targets"]["username:rel_hidden_bot"] == ("done", "requisites")  # discovered, then run
    return summary


@pytest.fixture
def cluster(sandbox: SandboxThread, pg_schema_url: str, tmp_path: Path, request: pytest.FixtureRequest,
            ) -> Iterator[Cluster]:
    """A cluster; a test marked `cluster_settings(**keys)` sets those `cluster.*` keys."""
    n = next(CLUSTERS)
    marker = request.node.get_closest_marker("cluster_settings")
    box = Cluster(tmp_path, sandbox, pg_schema_url, [f"+770680{n:02d}00{k}" for k in (1, 2, 3, 4)],
                  **(marker.kwargs if marker else {}))
    try:
        yield box
    finally:
        box.close()




