"""Case evidence bundles: a bundle of a sandbox campaign (stock Telethon against the sandbox's
MTProto server) verifies offline, by `prokai evidence verify-bundle` and by the manual steps of its
VERIFY.md alike; changing any byte of any file, removing any file, reordering records, swapping
the public key or the timestamp fails both, and verify-bundle names what broke. RFC 3161 against a
time-stamping authority this test starts on loopback (OpenSSL's `ts -reply` behind a tiny HTTP
server)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select
from typer.testing import CliRunner

from prokai.cli import app
from prokai.crawl.campaigns import create_campaign
from prokai.evidence import tsa
from prokai.evidence.signing import fingerprint, key_from_vault_key, public_pem
from prokai.evidence.verify import BundleError, verify_bundle
from prokai.intake.targets import parse_targets
from prokai.review.access import Reviewer
from prokai.review.decisions import decide
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord, Conversation, Message, Original, Requisite, Shop

VAULT_KEY = "5" * 64
HERE = Path(__file__).resolve().parent


def _sandbox_helpers() -> Any:
    """The crawler tests' sandbox campaign (shop bot, accounts, runner), reused as they are."""
    path = HERE.parent / "crawl" / "test_campaign_sandbox.py"
    spec = importlib.util.spec_from_file_location("_campaign_sandbox_for_bundles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- a time-stamping authority on loopback -------------------------------------------------------


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                        critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class LoopbackTSA:
    url: str
    ca_file: Path


def _pem_key(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def loopback_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackTSA]:
    folder = tmp_path_factory.mktemp("tsa")
    ca_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test Root CA", ca_key, "Test Root CA", ca_key, ca=True)
    cert = _cert("Test TSA", tsa_key, "Test Root CA", ca_key, ca=False)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(_pem_key(tsa_key))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(f"""[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (folder / "q.tsq").write_bytes(query)
                done = subprocess.run(["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"),
                                       "-queryfile", str(folder / "q.tsq"), "-out", str(folder / "r.tsr")],
                                      capture_output=True, check=False)
                body = (folder / "r.tsr").read_bytes() if done.returncode == 0 else b""
            self.send_response(200 if body else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackTSA(f"http://127.0.0.1:{server.server_address[1]}/tsa", folder / "ca.pem")
    finally:
        server.shutdown()
        server.server_close()


# --- a campaign and its bundles ---------------------------------------------------------------


@dataclass
class Campaign:
    db: Database
    campaign_id: int
    env: dict[str, str]
    root: Path


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    root = tmp_path_factory.mktemp("bundle")
    url = f"sqlite:///{root}/prokai.db"
    upgrade(url)
    db = Database(url)
    sandbox = _sandbox_helpers()
    specs, _ = parse_targets(["@tiny_shop_bot"])
    campaign_id, _ = create_campaign(db, "CASE-2026-17", "bundle test", specs, actor="tester")
    asyncio.run(asyncio.wait_for(sandbox._run_in_sandbox(db, campaign_id, sandbox.TinyShop(), accounts=1), 120))
    with db.session() as s:
        card = s.scalar(select(Requisite.id).where(Requisite.kind == "card"))
    assert card is not None, "the sandbox campaign found no card"
    assert decide(db, card, Reviewer(1001, "Прокурор Абенов", "prosecutor"), "confirmed").outcome == "decided"
    env = {"PROKAI_DATABASE__URL": url, "PROKAI_VAULT_KEY": VAULT_KEY, "PROKAI_DATA_DIR": str(root / "data"),
           "PROKAI_EVIDENCE__ANCHOR_FILE": str(root / "anchors.jsonl")}
    try:
        yield Campaign(db, campaign_id, env, root)
    finally:
        db.dispose()


def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def bundle(campaign: Campaign) -> Path:
    out = campaign.root / "bundle-plain"
    code, text = _cli(campaign.env, "export", "bundle", "--campaign", str(campaign.campaign_id), "-o", str(out))
    assert code == 0, text
    assert "no trusted timestamp" in text
    return out


@pytest.fixture(scope="module")
def tsa_bundle(campaign: Campaign, loopback_tsa: LoopbackTSA) -> Path:
    out = campaign.root / "bundle-tsa"
    env = {**campaign.env, "PROKAI_EVIDENCE__TSA_URL": loopback_tsa.url,
           "PROKAI_EVIDENCE__TSA_CA_FILE": str(loopback_tsa.ca_file)}
    code, text = _cli(env, "export", "bundle", "--case", "CASE-2026-17", "-o", str(out))
    assert code == 0, text
    return out


def _manual_script(folder: Path) -> str:
    text = (folder / "VERIFY.md").read_text(encoding="utf-8")
    found = re.search(r"```sh\n(.*?)```", text, re.S)
    assert found is not None
    return found.group(1)


def _manual(folder: Path, script: str) -> bool:
    """Whether the manual steps of VERIFY.md pass on `folder`."""
    done = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True, check=False)
    return done.returncode == 0


def _fails(folder: Path, expected_key: str | None = None) -> str:
    with pytest.raises(BundleError) as err:
        verify_bundle(folder, expected_key=expected_key)
    return str(err.value)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- reading a transcript PDF back (no PDF library here) -------------------------------

def _pdf_unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            nxt = raw[i + 1 : i + 4]
            octal = re.match(rb"[0-7]{1,3}", nxt)
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9}.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def _pdf_text(pdf: bytes) -> str:
    """The text of a reportlab PDF written with a TTF font (its subsets' ToUnicode maps applied)."""
    streams = []
    for m in re.finditer(rb"/Filter \[ ([^\]]*)\] /Length (\d+)[^>]*>>\s*stream\r?\n", pdf):
        filters, raw = m.group(1), pdf[m.end() : m.end() + int(m.group(2))]
        if b"ASCII85Decode" in filters:
            raw = base64.a85decode(raw.strip().removesuffix(b"~>"))
        streams.append(zlib.decompress(raw))
    cmaps: dict[bytes, dict[int, str]] = {}
    for t in streams:
        if b"beginbfchar" in t:
            found = re.search(rb"/CMapName /(\S+) def", t)
            assert found is not None
            name = found.group(1)
            cmaps[name] = {int(a, 16): chr(int(b, 16)) for a, b in re.findall(rb"<([0-9A-F]{2})> <([0-9A-F]{4})>", t)}
    subsets = [cmaps[k] for k in sorted(cmaps)]
    out: list[str] = []
    font = 0
    for t in streams:
        for m in re.finditer(rb"/F\d+\+(\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj|\bET\b", t, re.S):
            if m.group(1) is not None:
                font = int(m.group(1))
            elif m.group(2) is not None:
                out.append("".join(subsets[font].get(b, "?") for b in _pdf_unescape(m.group(2))))
            else:
                out.append("\n")
    return "".join(out)


# --- tests ---------------------------------------------------------------------------------------


def test_bundle_of_a_sandbox_campaign_verifies(campaign: Campaign, bundle: Path) -> None:
    code, text = _cli({}, "evidence", "verify-bundle", str(bundle))
    assert code == 0, text
    assert "bundle intact: case CASE-2026-17" in text and "no trusted timestamp" in text
    zipped = bundle.with_name(bundle.name + ".zip")
    code, text = _cli({}, "evidence", "verify-bundle", str(zipped))
    assert code == 0, text
    assert _manual(bundle, _manual_script(bundle))
    assert "NO trusted timestamp" in (bundle / "VERIFY.md").read_text()
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    assert manifest["timestamp"]["file"] is None and not (bundle / "manifest.tsr").exists()

    # the export is audited: who, which case, the manifest's hash
    with campaign.db.session() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.action == "export.bundle")).first()
        assert rec is not None
        details, actor = rec.details, rec.actor
    assert actor.startswith("cli:") and details["case"] == "CASE-2026-17"
    assert details["manifest_sha256"] == hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()


def test_bundle_holds_originals_transcripts_requisites_and_context(campaign: Campaign, bundle: Path) -> None:
    from telethon.extensions import BinaryReader

    with campaign.db.session() as s:
        bot = select(Conversation.id).join(Shop, Shop.id == Conversation.shop_id).where(Shop.kind == "bot")
        incoming = {m.id: m.text for m in s.scalars(
            select(Message).where(Message.direction == "in", Message.conversation_id.in_(bot)))}
        kept = set(s.scalars(select(Original.message_id).where(Original.kind == "tl")))
    # (channel posts are read by the runner, which does not hand their TL bytes to the sink yet)
    assert incoming and set(incoming) <= kept, "every message the bot sent keeps its TL original"
    for mid, text in incoming.items():
        data = (bundle / "originals" / f"message-{mid}.tl").read_bytes()
        parsed = BinaryReader(data).tgread_object()
        assert parsed.message == text  # the original reads back as the message Telegram sent

    reqs = orjson.loads((bundle / "requisites.json").read_bytes())["requisites"]
    card = next(r for r in reqs if r["kind"] == "card")
    assert card["status"] == "confirmed" and card["sightings"] and card["reviews"][0]["reviewer_name"] == "Прокурор Абенов"

    contexts = orjson.loads((bundle / "contexts.json").read_bytes())
    assert contexts and {"sim_iccid", "node", "tool_version", "config_hash", "collector_clock", "phone"} <= set(contexts[0])
    assert contexts[0]["phone"] == "+77010000000"

    html = next((bundle / "transcripts").glob("*.html")).read_text(encoding="utf-8")
    assert "Оплатите 15 000 ₸ на карту" in html and 'charset="utf-8"' in html
    pdf = next((bundle / "transcripts").glob("*.pdf")).read_bytes()
    assert b"DejaVuSans" in pdf and b"Helvetica" not in pdf
    assert "Оплатите 15 000 ₸ на карту 4400 4301 2345 6789, 30 минут." in _pdf_text(pdf)

    records = [orjson.loads(line) for line in (bundle / "records" / "records.jsonl").read_bytes().splitlines()]
    types = {r["type"] for r in records}
    assert {"message", "original", "context", "requisite", "sighting", "review", "audit"} <= types
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs)


def test_changing_any_byte_of_any_file_fails_both_ways(bundle: Path, tmp_path: Path) -> None:
    script = _manual_script(bundle)
    for name in _files(bundle):
        copy = tmp_path / f"t{len(list(tmp_path.iterdir()))}"
        shutil.copytree(bundle, copy)
        target = copy / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        problem = _fails(copy)
        named = "manifest.sig" if name == "manifest.json" else name
        assert problem.startswith(named), (name, problem)
        assert not _manual(copy, script), f"the manual steps missed a changed byte in {name}"
        shutil.rmtree(copy)


def test_removing_any_file_fails_both_ways(bundle: Path, tmp_path: Path) -> None:
    script = _manual_script(bundle)
    for name in _files(bundle):
        copy = tmp_path / "copy"
        shutil.copytree(bundle, copy)
        (copy / name).unlink()
        problem = _fails(copy)
        assert problem.startswith(name) and "missing" in problem, (name, problem)
        assert not _manual(copy, script), f"the manual steps missed the removal of {name}"
        shutil.rmtree(copy)


def test_an_added_file_fails_both_ways(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    (copy / "originals" / "message-999999.tl").write_bytes(b"planted")
    assert _fails(copy).startswith("originals/message-999999.tl")
    assert not _manual(copy, _manual_script(bundle))


def test_reordered_records_fail_both_ways(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    path = copy / "records" / "records.jsonl"
    lines = path.read_bytes().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"\n".join(lines) + b"\n")
    problem = _fails(copy)
    assert problem.startswith("records/records.jsonl line 2") and "out of order" in problem, problem
    assert not _manual(copy, _manual_script(bundle))


def _resign(folder: Path, key: Ed25519PrivateKey) -> None:
    """What a forger with another key would do: new key file, manifest, sums and signature."""
    (folder / "keys" / "evidence-ed25519.pem").write_bytes(public_pem(key))
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    manifest["signing_key"]["fingerprint"] = fingerprint(key)
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()
    sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in manifest["files"]).encode()
    (folder / "SHA256SUMS").write_bytes(sums)
    manifest["sha256sums"] = hashlib.sha256(sums).hexdigest()
    data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(key.sign(data))


def test_swapped_public_key_fails(bundle: Path, tmp_path: Path) -> None:
    script = _manual_script(bundle)
    # the key file alone replaced
    copy = tmp_path / "key-only"
    shutil.copytree(bundle, copy)
    (copy / "keys" / "evidence-ed25519.pem").write_bytes(public_pem(Ed25519PrivateKey.generate()))
    assert _fails(copy).startswith("keys/evidence-ed25519.pem: not the key the manifest names")
    assert not _manual(copy, script)
    # everything re-signed by a forger's key: the chain anchor still carries the installation's
    forged = tmp_path / "resigned"
    shutil.copytree(bundle, forged)
    _resign(forged, Ed25519PrivateKey.generate())
    assert _fails(forged).startswith("chain/anchor.json: signed by key")
    # and with the published fingerprint given, the key itself is refused
    installation = fingerprint(key_from_vault_key(bytes.fromhex(VAULT_KEY)))
    assert verify_bundle(bundle, expected_key=installation).key_fingerprint == installation
    code, text = _cli({}, "evidence", "verify-bundle", str(forged), "--key", installation)
    assert code == 1 and "keys/evidence-ed25519.pem: signed by key" in text, text
    # the manual steps print the forger's fingerprint, not the published one
    done = subprocess.run(["bash", "-c", script.split("\n# 1.")[0]], cwd=forged, capture_output=True, text=True,
                          check=False)
    assert installation not in done.stdout


def test_trusted_timestamp_from_a_loopback_tsa(tsa_bundle: Path, loopback_tsa: LoopbackTSA, tmp_path: Path) -> None:
    report = verify_bundle(tsa_bundle)
    assert "RFC 3161" in report.timestamp and "Test TSA" in report.timestamp
    assert (tsa_bundle / "keys" / "tsa-ca.pem").exists()
    script = _manual_script(tsa_bundle)
    assert "openssl ts -verify" in script and _manual(tsa_bundle, script)
    anchor = orjson.loads((tsa_bundle / "chain" / "anchor.json").read_bytes())
    assert anchor["timestamp"]["tsa"] == loopback_tsa.url  # the chain head is time-stamped too

    # a token over another document swapped in
    copy = tmp_path / "swapped"
    shutil.copytree(tsa_bundle, copy)
    (copy / "manifest.tsr").write_bytes(tsa.fetch_token(loopback_tsa.url, b"another document"))
    assert _fails(copy) == "manifest.tsr: the timestamp covers a different document"
    assert not _manual(copy, script)
    # a byte of the token changed
    token = bytearray((tsa_bundle / "manifest.tsr").read_bytes())
    token[len(token) // 2] ^= 0x01
    (copy / "manifest.tsr").write_bytes(bytes(token))
    assert _fails(copy).startswith("manifest.tsr: ")
    assert not _manual(copy, script)
    # the timestamp removed
    (copy / "manifest.tsr").unlink()
    assert _fails(copy) == "manifest.tsr: missing from the bundle"
    assert not _manual(copy, script)
    # the files only a time-stamped bundle has: a byte changed, or removed
    for name in ("manifest.tsr.sig", "keys/tsa-ca.pem"):
        for how in ("byte", "remove"):
            case = tmp_path / f"{how}-{name.replace('/', '-')}"
            shutil.copytree(tsa_bundle, case)
            if how == "remove":
                (case / name).unlink()
            else:
                data = bytearray((case / name).read_bytes())
                data[len(data) // 2] ^= 0x01
                (case / name).write_bytes(bytes(data))
            problem = _fails(case)
            assert problem.startswith(name) or problem.startswith("manifest.tsr: "), (name, how, problem)
            assert not _manual(case, script), (name, how)


def test_timestamp_added_to_a_bundle_without_one_fails(bundle: Path, tsa_bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    shutil.copy(tsa_bundle / "manifest.tsr", copy / "manifest.tsr")
    assert _fails(copy).startswith("manifest.tsr: present, but the manifest says")


def test_verify_bundle_imports_nothing_from_the_database_layer(bundle: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from prokai.evidence.verify import verify_bundle; "
        f"verify_bundle(Path({str(bundle)!r})); "
        "bad = sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'prokai.store', 'alembic', 'psycopg'))); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    assert done.returncode == 0, done.stdout + done.stderr


def test_zip_tampering_is_named(bundle: Path, tmp_path: Path) -> None:
    zipped = bundle.with_name(bundle.name + ".zip")
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("requisites.json"):
                data = data.replace(b"confirmed", b"rejected", 1)
            dst.writestr(item, data)
    assert _fails(forged).startswith("requisites.json: SHA-256 does not match")


def test_bad_requests_are_one_line(campaign: Campaign, bundle: Path) -> None:
    for args in (["export", "bundle", "-o", str(campaign.root / "x")],
                 ["export", "bundle", "--campaign", "999", "-o", str(campaign.root / "x")],
                 ["export", "bundle", "--case", "NO-SUCH", "-o", str(campaign.root / "x")],
                 ["export", "bundle", "--campaign", str(campaign.campaign_id), "-o", str(bundle)]):
        code, text = _cli(campaign.env, *args)
        assert code == 2 and text.startswith("error: ") and text.count("\n") == 1, text
    code, text = _cli({}, "evidence", "verify-bundle", str(campaign.root / "absent"))
    assert code == 1 and text.count("\n") == 1, text
