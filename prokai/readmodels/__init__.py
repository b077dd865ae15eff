"""Read models: how stored evidence is read out for people (requisite cards, search, shop labels,
amounts, banks) and the words it is shown in (`i18n`: ru, kk, en). Used alike by the admin bot
(`prokai.review`), the exports (`prokai.export`) and the network views (`prokai.network`), so none
of those imports another for them. Reads only: nothing here writes to the store.
"""
