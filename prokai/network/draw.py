"""A drawn picture of a family (PNG, matplotlib through networkx's drawing).

Shops are large squares coloured by kind, requisites circles coloured by kind, holders small
diamonds, unresolved names grey. A family with thousands of droppers is drawn with its
`MAX_REQUISITES` highest-priority requisites; the caption says how many were left out.
"""

from __future__ import annotations

import io
import threading

import networkx as nx

MAX_REQUISITES = 40
_LOCK = threading.Lock()  # pyplot's state is global: one picture at a time

SHOP_COLOURS = {"bot": "#1f77b4", "operator": "#d62728", "channel": "#2ca02c", "group": "#9467bd"}
REQ_COLOURS = {"card": "#ff7f0e", "iban": "#8c564b", "phone": "#e377c2"}
EDGE_COLOURS = {"handed_out_by": "#999999", "same_holder": "#bcbd22", "backup_of": "#d62728", "operator": "#d62728",
                "renamed_to": "#17becf", "links_to": "#2ca02c", "named": "#17becf"}


def family_picture(graph: nx.MultiDiGraph, title: str, seed: int = 7) -> tuple[bytes, int]:
    """PNG bytes of the family graph, and how many requisites were left out of the picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reqs = [n for n, d in graph.nodes(data=True) if d.get("type") == "requisite"]
    keep = set(sorted(reqs, key=lambda n: (-float(graph.nodes[n].get("priority", 0)), n))[:MAX_REQUISITES])
    left_out = len(reqs) - len(keep)
    drop = {n for n, d in graph.nodes(data=True) if d.get("type") in ("bank", "chain", "account")}
    drop |= set(reqs) - keep
    sub = graph.subgraph([n for n in graph if n not in drop]).copy()
    holders = [n for n, d in sub.nodes(data=True) if d.get("type") == "holder" and sub.degree(n) == 0]
    sub.remove_nodes_from(holders)
    simple = nx.Graph(sub)
    with _LOCK:
        fig, ax = plt.subplots(figsize=(10, 7.5), dpi=90)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.94)
        try:
            pos = nx.spring_layout(simple, seed=seed, k=1.6 / max(len(simple), 1) ** 0.5) if len(simple) else {}
            groups: dict[tuple[str, str, int], list[str]] = {}
            for n, d in sub.nodes(data=True):
                t = d.get("type")
                if t == "shop":
                    style = ("s", SHOP_COLOURS.get(str(d.get("kind")), "#7f7f7f"), 900)
                elif t == "requisite":
                    style = ("o", REQ_COLOURS.get(str(d.get("kind")), "#ffbf00"), 300)
                elif t == "holder":
                    style = ("D", "#bcbd22", 160)
                else:
                    style = ("o", "#c7c7c7", 200)
                groups.setdefault(style, []).append(n)
            for (shape, colour, size), nodes in groups.items():
                nx.draw_networkx_nodes(sub, pos, nodelist=nodes, node_shape=shape, node_color=colour, node_size=size,
                                       ax=ax, alpha=0.9)
            for relation, colour in EDGE_COLOURS.items():
                edges = [(a, b) for a, b, d in sub.edges(data=True) if d.get("relation") == relation]
                if edges:
                    # Arrows only where direction means something (who named whom); they are slow to draw.
                    directed = relation in ("backup_of", "operator", "renamed_to", "links_to")
                    line = "dashed" if relation in ("same_holder", "named") else "solid"
                    if directed:
                        nx.draw_networkx_edges(sub, pos, edgelist=edges, edge_color=colour, ax=ax, arrows=True,
                                               arrowsize=8, width=1.6, style=line)
                    else:
                        nx.draw_networkx_edges(simple, pos, edgelist=edges, edge_color=colour, ax=ax, arrows=False,
                                               width=0.8, style=line)
            labels = {}
            for n, d in sub.nodes(data=True):
                text = str(d.get("label", n))
                labels[n] = f"…{text[-8:]}" if d.get("type") == "requisite" and len(text) > 14 else text
            nx.draw_networkx_labels(sub, pos, labels=labels, font_size=7, ax=ax)
            caption = title if not left_out else f"{title} (+{left_out})"
            ax.set_title(caption, fontsize=11)
            ax.set_axis_off()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")  # fixed margins: a "tight" box would draw everything twice
        finally:
            plt.close(fig)
    return buf.getvalue(), left_out
