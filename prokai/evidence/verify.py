"""Offline verification of a case bundle (`prokai evidence verify-bundle PATH`).

Imports nothing from the database layer: only the standard library, `cryptography`, `asn1crypto`
and the pure modules of this package. Checks, in this order, and stops at the first problem,
naming the file or record:

1. `manifest.json` is a bundle manifest; `keys/evidence-ed25519.pem` is the key it names (and the
   one the caller expects, `--key`); `manifest.sig` is that key's Ed25519 signature of it.
2. The RFC 3161 token `manifest.tsr` covers `manifest.json` (when the bundle has one), and
   `manifest.tsr.sig` is the same key's signature of the token.
3. `SHA256SUMS` is the one the manifest names; every listed file is there with its SHA-256, and no
   file is there that is not listed.
4. Every record of `records/records.jsonl`: its content hashes to its chain link's record hash, the
   link hash recomputes, links are in chain order (consecutive links joined), its RFC 6962
   inclusion proof leads to the signed Merkle root; each original's file has the chained SHA-256.
5. `chain/anchor.json` is signed by the same key and anchors the head the manifest names.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from prokai.evidence import signing, tsa
from prokai.evidence.anchor import check_anchor
from prokai.evidence.canonical import canonical_bytes, content_hash, entry_hash
from prokai.evidence.merkle import leaf_hash, verify_inclusion

FORMAT = "prokai-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TIMESTAMP = "manifest.tsr"
TIMESTAMP_SIG = "manifest.tsr.sig"
SUMS = "SHA256SUMS"
KEY_FILE = "keys/evidence-ed25519.pem"
RECORDS = "records/records.jsonl"
PROOFS = "records/proofs.jsonl"
ANCHOR = "chain/anchor.json"
UNLISTED = {MANIFEST, SIGNATURE, TIMESTAMP, TIMESTAMP_SIG, SUMS}
LINK_FIELDS = ("seq", "type", "id", "record_hash", "prev_hash", "entry_hash")


class BundleError(Exception):
    """The first thing in a bundle that does not match, as one line naming it."""


def link_leaf(record: dict[str, Any]) -> bytes:
    """The Merkle leaf of a record: the canonical JSON of its chain link."""
    return canonical_bytes({k: record[k] for k in LINK_FIELDS})


@dataclass
class BundleReport:
    """What a sound bundle holds."""

    case: str
    files: int
    records: int
    merkle_root: str
    key_fingerprint: str
    head_seq: int
    timestamp: str
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as printed by `verify-bundle`."""
        return [
            f"bundle intact: case {self.case}, {self.files} files, {self.records} records",
            f"merkle root {self.merkle_root} (RFC 6962, SHA-256)",
            f"signed by Ed25519 key {self.key_fingerprint}",
            f"chain head at export: link {self.head_seq}",
            f"timestamp: {self.timestamp}",
            *self.notes,
        ]


class _Source:
    """Files of a bundle folder or of its ZIP, by relative path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_dir():
            return
        if not path.is_file():
            raise BundleError(f"{path}: no such bundle")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(f"{path}: not a bundle folder or ZIP ({exc})") from None
        names = [n for n in self.zip.namelist() if not n.endswith("/")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names):
            self.prefix = tops.pop() + "/"

    def names(self) -> set[str]:
        if self.zip is not None:
            return {n[len(self.prefix):] for n in self.zip.namelist() if not n.endswith("/") and n.startswith(self.prefix)}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file() or p.is_symlink()}

    def read(self, name: str) -> bytes:
        try:
            if self.zip is not None:
                return self.zip.read(self.prefix + name)
            target = self.path / name
            if target.is_symlink() or not target.is_file():
                raise FileNotFoundError(name)
            return target.read_bytes()
        except (KeyError, FileNotFoundError):
            raise BundleError(f"{name}: missing from the bundle") from None
        except (OSError, zipfile.BadZipFile) as exc:
            raise BundleError(f"{name}: cannot be read ({exc})") from None


def _json(name: str, data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BundleError(f"{name}: not valid JSON") from None


def verify_bundle(path: Path, expected_key: str | None = None, tsa_ca: bytes | None = None) -> BundleReport:
    """Check the bundle at `path` (folder or ZIP); BundleError names the first mismatch."""
    src = _Source(Path(path))
    manifest_bytes = src.read(MANIFEST)
    # 1. key and signature, before anything in the manifest is believed
    try:
        public = signing.load_public_pem(src.read(KEY_FILE))
    except ValueError:
        raise BundleError(f"{KEY_FILE}: not an Ed25519 public key") from None
    fp = signing.fingerprint(public)
    if expected_key is not None and fp != expected_key.strip().lower():
        raise BundleError(f"{KEY_FILE}: signed by key {fp}, not the expected {expected_key}")
    try:  # only to tell a swapped key file from a changed manifest
        claimed = orjson.loads(manifest_bytes)["signing_key"]["fingerprint"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        claimed = fp
    if claimed != fp:
        raise BundleError(f"{KEY_FILE}: not the key the manifest names (fingerprint {fp[:16]}…)")
    if not signing.verify(public, src.read(SIGNATURE), manifest_bytes):
        raise BundleError(f"{SIGNATURE}: the signature of {MANIFEST} does not verify with {KEY_FILE}")
    manifest = _json(MANIFEST, manifest_bytes)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST}: not a ProkAi evidence bundle manifest ({FORMAT})")
    try:
        key_info, rec_info, chain_info = manifest["signing_key"], manifest["records"], manifest["chain"]
        listed = {f["path"]: f for f in manifest["files"]}
        stamp_info = manifest["timestamp"]
    except (KeyError, TypeError):
        raise BundleError(f"{MANIFEST}: incomplete manifest") from None

    if fp != key_info.get("fingerprint"):
        raise BundleError(f"{KEY_FILE}: not the key the manifest names (fingerprint {fp[:16]}…)")

    # 2. trusted timestamp
    if stamp_info.get("file"):
        ca = tsa_ca
        if ca is None and stamp_info.get("ca"):
            ca = src.read(stamp_info["ca"])
        token = src.read(TIMESTAMP)
        try:
            info = tsa.check_token(token, manifest_bytes, ca)
        except tsa.TimestampError as exc:
            raise BundleError(f"{TIMESTAMP}: {exc}") from None
        # The token's bytes are signed too, so a change anywhere in it (a certificate it merely
        # carries included) is caught, by hand as well.
        if not signing.verify(public, src.read(TIMESTAMP_SIG), token):
            raise BundleError(f"{TIMESTAMP}: does not match its signature {TIMESTAMP_SIG} (altered or swapped)")
        stamp_text = f"{info.gen_time.isoformat()} by {info.tsa_subject} (RFC 3161, serial {info.serial})"
    else:
        for name in (TIMESTAMP, TIMESTAMP_SIG):
            if name in src.names():
                raise BundleError(f"{name}: present, but the manifest says the bundle has no timestamp")
        stamp_text = f"none, the bundle carries no trusted timestamp ({stamp_info.get('note') or 'not requested'})"

    # 3. files
    sums = src.read(SUMS)
    if hashlib.sha256(sums).hexdigest() != manifest.get("sha256sums"):
        raise BundleError(f"{SUMS}: does not match the SHA-256 the manifest gives for it")
    sums_listed = {}
    for line in sums.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        sums_listed[name] = digest
    if sums_listed != {p: f["sha256"] for p, f in listed.items()}:
        raise BundleError(f"{SUMS}: does not list the same files as the manifest")
    present = src.names()
    contents: dict[str, bytes] = {}
    for name, entry in listed.items():
        if name not in present:
            raise BundleError(f"{name}: missing from the bundle")
        data = src.read(name)
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            if name == RECORDS:
                _records(data, src.read(PROOFS), rec_info, {})  # names the record when it can
            raise BundleError(f"{name}: SHA-256 does not match the manifest (altered)")
        if name in (RECORDS, PROOFS):
            contents[name] = data
    extra = sorted(present - set(listed) - UNLISTED)
    if extra:
        raise BundleError(f"{extra[0]}: in the bundle but not listed in the manifest")

    # 4. records, proofs, originals
    originals = manifest.get("originals") or {}
    count = _records(contents.get(RECORDS, b""), contents.get(PROOFS, b""), rec_info, originals, listed)

    # 5. chain anchor
    anchor = _json(ANCHOR, src.read(ANCHOR))
    if not isinstance(anchor, dict):
        raise BundleError(f"{ANCHOR}: not a chain anchor")
    head_seq, head_hash = chain_info.get("head_seq"), chain_info.get("head_hash")
    problem = check_anchor(anchor, lambda seq: head_hash if seq == head_seq else None, fp)
    if problem is not None:
        raise BundleError(f"{ANCHOR}: {problem}")
    notes = []
    if not stamp_info.get("file"):
        notes.append("note: without a trusted timestamp the bundle's time rests on the signer's clock only")
    return BundleReport(str(manifest.get("case", {}).get("number")), len(listed), count,
                        str(rec_info.get("merkle_root")), fp, int(head_seq or 0), stamp_text, notes)


def _records(data: bytes, proofs: bytes, rec_info: dict[str, Any], originals: dict[str, str],
             listed: dict[str, Any] | None = None) -> int:
    """Check every record line; returns how many. BundleError names the first bad one."""
    try:
        root = bytes.fromhex(str(rec_info["merkle_root"]))
        size = int(rec_info["count"])
    except (KeyError, ValueError, TypeError):
        raise BundleError(f"{MANIFEST}: records: no Merkle root or count") from None
    lines = data.splitlines()
    proof_lines = proofs.splitlines()
    if listed is not None and len(lines) != size:
        raise BundleError(f"{RECORDS}: {len(lines)} records, the manifest says {size}")
    last: dict[str, Any] | None = None
    for n, line in enumerate(lines):
        where = f"{RECORDS} line {n + 1}"
        try:
            rec = orjson.loads(line)
            name = f"{where} ({rec['type']} {rec['id']})"
            content = rec["content"]
            if not isinstance(content, dict):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise BundleError(f"{where}: not a record") from None
        if rec.get("n") != n:
            raise BundleError(f"{name}: out of order (it says it is record {rec.get('n')}, found at {n})")
        if content_hash(content) != rec["record_hash"]:
            raise BundleError(f"{name}: content does not match its record hash (altered)")
        if entry_hash(rec["prev_hash"], rec["type"], int(rec["id"]), rec["record_hash"]) != rec["entry_hash"]:
            raise BundleError(f"{name}: chain link hash does not recompute (altered)")
        if last is not None:
            if rec["seq"] <= last["seq"]:
                raise BundleError(f"{name}: link {rec['seq']} comes after link {last['seq']} (reordered)")
            if rec["seq"] == last["seq"] + 1 and rec["prev_hash"] != last["entry_hash"]:
                raise BundleError(f"{name}: does not follow link {last['seq']} in the chain")
        last = rec
        if n >= len(proof_lines):
            raise BundleError(f"{name}: no inclusion proof in {PROOFS}")
        try:
            proof = orjson.loads(proof_lines[n])
            path = [bytes.fromhex(h) for h in proof["path"]]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise BundleError(f"{PROOFS} line {n + 1}: not an inclusion proof") from None
        if not verify_inclusion(leaf_hash(link_leaf(rec)), n, size, path, root):
            raise BundleError(f"{name}: its inclusion proof does not lead to the signed Merkle root")
        if rec["type"] == "original" and listed is not None:
            file = originals.get(str(rec["id"]))
            if file is None or file not in listed:
                raise BundleError(f"{name}: its file is not in the bundle")
            if listed[file]["sha256"] != content.get("sha256"):
                raise BundleError(f"{file}: does not match the SHA-256 chained for {rec['type']} {rec['id']}")
    return len(lines)

