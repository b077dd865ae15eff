"""The dropper network: requisites, holders, shops, operators, bots, channels and accounts as a
graph of the evidence, shop families with stable ids, freeze priorities and wallets for tracing.

    from prokai.network import update, build_graph, families_for
    update(db)                                   # incremental: what is new since the last update
    with db.session() as s:
        fam = families_for(s, "@kristall_bot")[0]    # id, members, evidence for each tie
        g = build_graph(s, fam.shop_ids)             # networkx MultiDiGraph of that family
"""

from prokai.network.graph import build_graph, write_graph
from prokai.network.priority import priorities
from prokai.network.update import update
from prokai.network.views import families_for, family_by_id, requisites_matching

__all__ = ["build_graph", "families_for", "family_by_id", "priorities", "requisites_matching", "update", "write_graph"]
