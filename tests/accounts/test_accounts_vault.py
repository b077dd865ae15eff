"""The session vault: authenticated encryption at rest, key ids, rekey, export/import between nodes."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from accounts_harness import KEY_A, KEY_B, make_settings, rig, run
from sqlalchemy import select
from telethon.crypto import AuthKey
from telethon.sessions import StringSession

from prokai.accounts.clients import sandbox_endpoint
from prokai.accounts.login import login_all
from prokai.accounts.pool import AccountPool
from prokai.accounts.state import open_session, store_session
from prokai.accounts.vault import Vault, VaultError, key_id, open_export, parse_key, seal_export
from prokai.accounts.vaultops import export_session, import_session, rekey
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account

pytestmark = pytest.mark.timeout(120)

PHONES = ["+77053330001", "+77053330002", "+77053330003"]


def fake_session(n: int) -> str:
    """A real StringSession string (sandbox DC address, a random 2048-bit auth key)."""
    sess = StringSession()
    sess.set_dc(2, "127.0.0.1", 4430 + n)
    sess.auth_key = AuthKey(os.urandom(256))
    return sess.save()


def secrets_of(text: str) -> list[bytes]:
    """What must never be found in a dump: the string, and the raw auth key inside it."""
    sess = StringSession(text)
    assert sess.auth_key is not None
    return [text.encode(), sess.auth_key.key, sess.auth_key.key.hex().encode(), text[1:20].encode()]


def dump(db: Database) -> bytes:
    """Everything the database holds: pg_dump for PostgreSQL, the file (and WAL) for SQLite."""
    url = sa.engine.make_url(db.url)
    if url.get_backend_name() == "sqlite":
        db.dispose()
        path = Path(str(url.database))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    schema = url.query["options"].split("search_path=")[1]  # type: ignore[union-attr]
    plain = url.set(drivername="postgresql", query={})
    return subprocess.run(
        ["pg_dump", "--data-only", "--schema", schema, plain.render_as_string(hide_password=False)],
        check=True, capture_output=True,
    ).stdout


def test_keys_parse_seal_and_refuse_tampering() -> None:
    key = parse_key(KEY_A)
    assert parse_key(key.hex()) == key and len(key_id(key)) == 16 and key.hex()[:16] not in key_id(key)
    with pytest.raises(VaultError, match="32 bytes"):
        parse_key("correct horse battery staple")
    vault = Vault(key)
    sealed = vault.seal("+77050000001", "1Aabc-session")
    assert b"1Aabc-session" not in sealed.blob and sealed.key_id == vault.current_id
    assert vault.open("+77050000001", sealed.blob, sealed.key_id) == "1Aabc-session"
    with pytest.raises(VaultError, match="authentication failed"):  # bound to its account
        vault.open("+77050000002", sealed.blob, sealed.key_id)
    flipped = sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1])
    with pytest.raises(VaultError, match="authentication failed"):
        vault.open("+77050000001", flipped, sealed.key_id)
    with pytest.raises(VaultError, match="not loaded"):
        Vault(parse_key(KEY_B)).open("+77050000001", sealed.blob, sealed.key_id)
    doc = seal_export("a long passphrase", {"phone": "+77050000001", "session": "1Aabc-session"})
    assert "1Aabc-session" not in doc
    assert open_export("a long passphrase", doc)["session"] == "1Aabc-session"
    with pytest.raises(VaultError, match="wrong passphrase"):
        open_export("another passphrase", doc)


def test_dump_has_no_session_in_plain_text_and_rekey_keeps_them(db: Database) -> None:
    old, new = Vault(parse_key(KEY_A)), Vault(parse_key(KEY_B), [parse_key(KEY_A)])
    sessions = {p: fake_session(i) for i, p in enumerate(PHONES)}
    with db.session() as s:
        for phone, text in sessions.items():
            acc = Account(phone=phone, state="active", meta={})
            s.add(acc)
            s.flush()
            store_session(s, acc, old, text)
    blob = dump(db)
    assert blob  # the dump is real
    for text in sessions.values():
        for secret in secrets_of(text):
            assert secret not in blob
    report = rekey(db, new)
    assert (report.rekeyed, report.current, report.failed) == (3, 0, [])
    assert rekey(db, new).current == 3  # idempotent
    only_new = Vault(parse_key(KEY_B))
    with db.session() as s:
        for acc in s.scalars(select(Account)):
            assert acc.key_id == only_new.current_id
            assert open_session(acc, only_new) == sessions[acc.phone]
            with pytest.raises(VaultError):
                open_session(acc, old)
    blob = dump(db)
    for text in sessions.values():
        for secret in secrets_of(text):
            assert secret not in blob


def build(world: World) -> None:
    for i, phone in enumerate(PHONES):
        world.add_account(phone, f"Vault{i}")


def test_rekey_and_move_between_nodes_keep_sessions_usable(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)
    url2 = f"sqlite:///{tmp_path}/node2.db"
    upgrade(url2)
    node2 = Database(url2)

    async def body() -> None:
        async with rig(sqlite_db, settings, PHONES, build) as r:
            report = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            assert report.counts() == {"logged_in": 3}
            with sqlite_db.session() as s:
                texts = [open_session(a, r.vault) for a in s.scalars(select(Account))]
            blob = sqlite_db.engine.url.database and Path(str(sqlite_db.engine.url.database)).read_bytes()
            assert isinstance(blob, bytes)
            for text in texts:
                assert text and text.encode() not in blob

            # rekey: the operator sets the new key and names the old one
            monkeypatch.setenv("PROKAI_VAULT_KEY", KEY_B)
            monkeypatch.setenv("PROKAI_VAULT_OLD_KEYS", KEY_A)
            vault_b = Vault.from_settings(settings)
            assert rekey(sqlite_db, vault_b).rekeyed == 3
            monkeypatch.delenv("PROKAI_VAULT_OLD_KEYS")
            pool = AccountPool(sqlite_db, settings, endpoint=sandbox_endpoint(r.server), watchdog=False)
            assert pool.vault.current_id == key_id(parse_key(KEY_B)) and not pool.vault.knows(key_id(parse_key(KEY_A)))
            for phone in PHONES:
                async with pool.lease(account=phone) as lease:
                    assert (await lease.client.get_me()).phone == phone.lstrip("+")

            # move one account to another node (its own database and vault key)
            doc = export_session(sqlite_db, vault_b, PHONES[0], "transfer passphrase 1")
            vault_c = Vault(base64.b64decode(base64.b64encode(bytes(32))))
            moved = import_session(node2, vault_c, doc, "transfer passphrase 1")
            assert moved.state == "active"
            with sqlite_db.session() as s:
                here = s.scalars(select(Account).where(Account.phone == PHONES[0])).one()
                assert here.state == "needs_relogin" and here.session_enc is None
            with pytest.raises(VaultError, match="already has a session"):
                import_session(node2, vault_c, doc, "transfer passphrase 1")
            pool2 = AccountPool(node2, settings, vault=vault_c, endpoint=sandbox_endpoint(r.server), watchdog=False)
            async with pool2.lease(account=PHONES[0]) as lease:
                assert (await lease.client.get_me()).phone == PHONES[0].lstrip("+")

    try:
        run(body, 100)
    finally:
        node2.dispose()
