"""The packages form layers: each imports only packages below it, so no two import each other
(networkx over the import statements of every module, lazy imports inside functions included).

The order, bottom to top, is the README's layout. Each package's `commands.py` (and `*_cli.py`)
is its command line: the CLI layer on top of everything, registered by `prokai/cli.py`, so it is
not counted as part of its package here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "prokai"

ORDER = [
    "config", "logs", "output", "extract",  # no ProkAi imports of their own
    "keys", "evidence", "store",  # key format, evidence primitives, the SQL store
    "cliutil", "nlp", "sandbox", "inventory",
    "intake", "readmodels", "ops",  # evidence intake, read models, job runs / scheduler / metrics
    "accounts", "crawl", "cluster", "network", "export", "review",  # sessions, crawler, nodes, graph, exports, admin bot
    "daemon", "demo", "cli", "__main__",  # `prokai run`, the demo, the command line
]


def _is_cli(path: Path) -> bool:
    return path.stem == "commands" or path.name.endswith("_cli.py")


def package_graph() -> tuple[nx.DiGraph, dict[tuple[str, str], list[str]]]:
    """Package → package import edges, each with the places that make it."""
    graph: nx.DiGraph = nx.DiGraph()
    where: dict[tuple[str, str], list[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts or _is_cli(path) or rel == Path("__init__.py"):
            continue
        src = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        graph.add_node(src)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith("prokai.") and (dst := name.split(".")[1]) != src:
                    graph.add_edge(src, dst)
                    where.setdefault((src, dst), []).append(f"{rel}:{node.lineno}")
    return graph, where


def test_every_package_has_a_layer() -> None:
    graph, _ = package_graph()
    assert set(graph.nodes) <= set(ORDER), f"not in the layer order: {set(graph.nodes) - set(ORDER)}"


def test_no_package_imports_a_package_above_it() -> None:
    graph, where = package_graph()
    upward = {f"{src} -> {dst}": where[(src, dst)][:3] for src, dst in graph.edges
              if src in ORDER and dst in ORDER and ORDER.index(dst) > ORDER.index(src)}
    assert not upward, upward
    assert nx.is_directed_acyclic_graph(graph), list(nx.simple_cycles(graph))
