"""RFC 3161 trusted timestamps: ask a time-stamping authority (TSA) over HTTP, and check a
token offline (message imprint, the CMS signature by the certificate in the token, and, when a
CA certificate is given, that it issued the TSA's certificate)."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | hashes.SHA1]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha1": hashes.SHA1,
}


class TimestampError(Exception):
    """A timestamp that could not be obtained or does not check, phrased as one line."""


def request_der(data: bytes, nonce: int | None = None) -> bytes:
    """A DER TimeStampReq for SHA-256 of `data`, asking for the TSA's certificate in the reply."""
    req = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(data).digest()},
        "nonce": nonce if nonce is not None else int.from_bytes(os.urandom(8), "big"),
        "cert_req": True,
    })
    return bytes(req.dump())


def fetch_token(url: str, data: bytes, timeout: float = 30.0) -> bytes:
    """The timestamp token (DER ContentInfo) a TSA at `url` grants over `data`."""
    nonce = int.from_bytes(os.urandom(8), "big")
    req = urllib.request.Request(url, data=request_der(data, nonce), method="POST",
                                 headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the configured TSA
            body = resp.read(1 << 20)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"time-stamping authority {url}: {getattr(exc, 'reason', exc)}") from None
    try:
        reply = tsp.TimeStampResp.load(body)
        status = reply["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise TimestampError(f"time-stamping authority {url}: request {status}")
        token = reply["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        if info["nonce"].native != nonce:
            raise TimestampError(f"time-stamping authority {url}: reply answers another request (nonce)")
        return bytes(token.dump())
    except (ValueError, KeyError, TypeError) as exc:
        raise TimestampError(f"time-stamping authority {url}: not an RFC 3161 reply ({exc})") from None


@dataclass(frozen=True)
class TokenInfo:
    """What a checked token says."""

    gen_time: datetime
    serial: int
    tsa_subject: str


def _verify_sig(cert: x509.Certificate, signature: bytes, data: bytes, digest: str) -> None:
    pub = cert.public_key()
    algo = _HASHES[digest]()
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(signature, data, padding.PKCS1v15(), algo)
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(signature, data, ec.ECDSA(algo))
    else:
        raise TimestampError("unsupported TSA key type")


def _check_certificates(certs: list[x509.Certificate], ca: x509.Certificate | None) -> None:
    """Every certificate the token carries must be signed by its issuer where that issuer is at
    hand (in the token or the given CA): a changed byte in any of them is caught."""
    known = [*certs, *([ca] if ca is not None else [])]
    for n, cert in enumerate(certs, 1):
        issuers = [c for c in known if c.subject == cert.issuer]
        if not issuers:
            continue
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
                break
            except (InvalidSignature, ValueError, TypeError):
                continue
        else:
            raise TimestampError(f"certificate {n} in the token does not verify (altered)")


def check_token(token_der: bytes, data: bytes, ca_pem: bytes | None = None) -> TokenInfo:
    """Check that `token_der` is a valid RFC 3161 token over `data`; TimestampError says why not."""
    try:
        content = cms.ContentInfo.load(token_der)
        signed = content["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("not a timestamp token")
        tst_der = encap["content"].contents
        info = tsp.TSTInfo.load(tst_der)
        imprint = info["message_imprint"]
        algo = imprint["hash_algorithm"]["algorithm"].native
        if algo not in _HASHES:
            raise TimestampError(f"unsupported imprint hash {algo}")
        if imprint["hashed_message"].native != hashlib.new(algo, data).digest():
            raise TimestampError("the timestamp covers a different document")
        signer = signed["signer_infos"][0]
        certs = [c.chosen for c in signed["certificates"] or [] if isinstance(c.chosen, asn1_x509.Certificate)]
        sid = signer["sid"].chosen
        tsa_cert = None
        for c in certs:
            if isinstance(sid, cms.IssuerAndSerialNumber):
                if c.serial_number == sid["serial_number"].native and c.issuer == sid["issuer"]:
                    tsa_cert = c
            elif c.key_identifier == sid.native:
                tsa_cert = c
        if tsa_cert is None:
            raise TimestampError("the token carries no certificate of its signer")
        digest = signer["digest_algorithm"]["algorithm"].native
        attrs = signer["signed_attrs"]
        md = next((a["values"][0].native for a in attrs if a["type"].native == "message_digest"), None)
        if md != hashlib.new(digest, tst_der).digest():
            raise TimestampError("the token's content does not match its signed digest")
        signed_attrs = attrs.untag().dump(force=True)
        cert = x509.load_der_x509_certificate(tsa_cert.dump())
        try:
            _verify_sig(cert, signer["signature"].native, signed_attrs, digest)
        except InvalidSignature:
            raise TimestampError("the token's signature does not verify") from None
        ca = x509.load_pem_x509_certificate(ca_pem) if ca_pem is not None else None
        if ca is not None:
            try:
                cert.verify_directly_issued_by(ca)
            except (InvalidSignature, ValueError, TypeError):
                raise TimestampError("the TSA certificate was not issued by the given CA") from None
        _check_certificates([x509.load_der_x509_certificate(c.dump()) for c in certs], ca)
        return TokenInfo(info["gen_time"].native, int(info["serial_number"].native),
                         tsa_cert.subject.human_friendly)
    except TimestampError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise TimestampError(f"not a readable timestamp token ({type(exc).__name__})") from None



