"""Shop families in the scenario world (networld.py), on SQLite and PostgreSQL: found exactly,
with the evidence for each tie; renames, deaths and a merge keep the ids; updates are incremental."""

from __future__ import annotations

from pathlib import Path

import networld as nw
from sqlalchemy import func, select

from prokai.network import families_for, family_by_id, priorities, requisites_matching, update
from prokai.network.families import family_id_for
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Message, ShopFamily, ShopFamilyMember

KRISTALL = {"kristall_bot", "kristall_reserve_bot", "kristall_op", "kristall_vitrina"}
LUNA = {"luna_bot", "zvezda_bot", "kometa_bot"}


def families(db: Database) -> dict[str, set[str]]:
    """Every family id with its members' current @names."""
    with db.session() as s:
        out: dict[str, set[str]] = {}
        for fid in s.scalars(select(ShopFamily.id).where(ShopFamily.members > 0)):
            fam = family_by_id(s, fid)
            assert fam is not None
            out[fid] = {m.label.lstrip("@") for m in fam.members}
        return out


def test_families_are_found_exactly_with_the_evidence_for_each_tie(db: Database) -> None:
    w = nw.day0(db)
    report = update(db)
    assert report.families is not None and report.sightings == 12
    assert families(db) == {
        family_id_for(w.shops["kristall_bot"]): KRISTALL,
        family_id_for(w.shops["luna_bot"]): LUNA,
        family_id_for(w.shops["solo_bot"]): {"solo_bot"},
    }  # the news channel is in none; a shared holder's name and a rejected phone join nothing
    with db.session() as s:
        (kristall,) = families_for(s, "@kristall_reserve_bot")
        ties = {(e.kind, e.what, tuple(e.shops)) for e in kristall.evidence}
        assert ties == {
            ("backup_of", "@kristall_reserve_bot", ("@kristall_bot", "@kristall_reserve_bot")),
            ("operator", "@kristall_op", ("@kristall_bot", "@kristall_op")),
            ("operator_of", "@kristall_bot", ("@kristall_op", "@kristall_bot")),
            ("showcase", "@kristall_vitrina", ("@kristall_bot", "@kristall_vitrina")),
            ("showcase", "@kristall_bot", ("@kristall_vitrina", "@kristall_bot")),
        }
        backup = next(e for e in kristall.evidence if e.kind == "backup_of")
        said = s.get(Message, backup.message_id)
        assert said is not None and "Резервный бот: @kristall_reserve_bot" in said.text
        assert "names @kristall_reserve_bot as its backup" in backup.sentence()

        (luna,) = families_for(s, nw.D2)
        ties = {(e.kind, e.what, tuple(e.shops)) for e in luna.evidence}
        assert ties == {
            ("requisite", f"card {nw.D1}", ("@luna_bot", "@zvezda_bot")),
            ("requisite", f"card {nw.D2}", ("@zvezda_bot", "@kometa_bot")),
            ("requisite", f"trx {nw.WALLET}", ("@zvezda_bot", "@kometa_bot")),
            ("operator", "@cosmos_op", ("@luna_bot", "@kometa_bot")),
            ("backup_of", "@luna_reserve_bot", ("@luna_bot", "@zvezda_bot")),
        }
        # Its requisites by freeze priority: the shared ones first, the rejected phone not at all.
        assert [p.value for p in luna.requisites[:3]] == [nw.WALLET, nw.D2, nw.D1]
        assert nw.REJECTED_PHONE not in {p.value for p in luna.requisites}


def test_renames_deaths_and_a_merge_keep_family_ids(db: Database) -> None:
    w = nw.day0(db)
    update(db)
    k_id, l_id = family_id_for(w.shops["kristall_bot"]), family_id_for(w.shops["luna_bot"])
    again = update(db)
    assert (again.sightings, again.messages, again.families) == (0, 0, None)  # nothing new, nothing redone

    nw.day3(w)
    report = update(db)
    assert (report.sightings, report.messages) == (3, 3)  # only the sweep's messages are read
    assert families(db) == {k_id: KRISTALL | {"almaz_bot"}, l_id: {"luna_new_bot", "zvezda_bot", "kometa_bot"},
                            family_id_for(w.shops["solo_bot"]): {"solo_bot"}}
    with db.session() as s:
        (by_old_name,) = families_for(s, "@luna_bot")
        assert by_old_name.id == l_id
        member = next(m for m in by_old_name.members if m.label == "@luna_new_bot")
        assert member.names == ["@luna_bot", "@luna_new_bot"] and member.status == "renamed"
        (kristall,) = families_for(s, "@kristall_bot")
        assert kristall.id == k_id and kristall.founder == "@kristall_bot"
        assert next(m for m in kristall.members if m.label == "@kristall_bot").status == "dead"
        assert ("requisite", f"card {nw.C4}") in {(e.kind, e.what) for e in kristall.evidence}

    nw.day4(w)
    report = update(db)
    assert report.families is not None and report.families.merged == {l_id: k_id}
    assert families(db) == {k_id: KRISTALL | LUNA - {"luna_bot"} | {"luna_new_bot", "almaz_bot"},
                            family_id_for(w.shops["solo_bot"]): {"solo_bot"}}
    with db.session() as s:
        merged = family_by_id(s, l_id)  # the absorbed id still answers, with the family that took it in
        assert merged is not None and merged.id == k_id and merged.merged == [l_id]
        assert s.scalar(select(ShopFamily.merged_into).where(ShopFamily.id == l_id)) == k_id
        assert len(set(s.scalars(select(ShopFamilyMember.family_id)))) == 2


def test_a_requisite_with_every_shop_and_date_and_the_freeze_priorities(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"  # the queries are the ones the tests above ran on both databases
    upgrade(url)
    db = Database(url)
    nw.day3(nw.day0(db))
    update(db)
    with db.session() as s:
        (view,) = requisites_matching(s, "5395 4577 8486 4880")
        assert [(h.shop, h.dates, h.times) for h in view.handed] == [
            ("@luna_new_bot", ["2026-11-30"], 1), ("@zvezda_bot", ["2026-11-30"], 1)]
        assert view.holders == ["Бекзат О."] and len(view.families) == 1
        (shared_holder,) = requisites_matching(s, nw.SOLO)
        assert shared_holder.holders == ["Ержан К."]  # the same name as C1's holder, in another family
        ranked = priorities(s, wallets=False)
        assert ranked[0].value == nw.C4  # two shops, and the most recent (day 3)
        assert [p.shops for p in ranked] == [2, 2, 2, 2] + [1] * (len(ranked) - 4)
        assert [p.rank for p in ranked] == list(range(1, len(ranked) + 1))


def test_a_sighting_committed_late_below_the_watermark_is_still_read(pg_schema_url: str) -> None:
    """PostgreSQL hands out ids before commit: a sweep's transaction can commit a sighting with a
    lower id after the network read past it (SQLite commits one writer at a time)."""
    from prokai.store.models import NetworkHolder, Requisite, Sighting

    upgrade(pg_schema_url)
    db = Database(pg_schema_url)
    try:
        w = nw.day0(db)
        update(db)

        def sighting_at(sid: int, holder: str) -> None:
            w.pay("solo_bot", nw.C2, holder, 2)  # stored with the next ids; then moved to `sid`, as if allocated earlier
            with db.session() as s:
                last = s.scalar(select(func.max(Sighting.id)).where(Sighting.id < top + 50))
                s.execute(Sighting.__table__.update().where(Sighting.id == last).values(id=sid))

        with db.session() as s:
            top = s.scalar(select(Sighting.id).order_by(Sighting.id.desc()).limit(1)) or 0
        sighting_at(top + 100, "Айдана С.")
        assert update(db).holders == 1
        sighting_at(top + 50, "Айдана С.")  # committed after the update above had read past it
        again = update(db)
        assert again.holders == 1
        with db.session() as s:
            rid = s.scalar(select(Requisite.id).where(Requisite.value == nw.C2))
            assert set(s.scalars(select(NetworkHolder.sighting_id).where(NetworkHolder.requisite_id == rid))) >= {
                top + 50, top + 100}
        # C2, the backup bot's card, now handed out by @solo_bot too, makes @solo_bot one of Кристалл's shops.
        assert families(db)[family_id_for(w.shops["kristall_bot"])] == KRISTALL | {"solo_bot"}
    finally:
        db.dispose()
