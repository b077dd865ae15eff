"""Point a stock Telethon client (or session) at the sandbox: the only helper there is.

It does exactly two things: `session.set_dc(dc_id, host, port)` and
`telethon.crypto.rsa.add_key(<sandbox public key>, old=False)`. Everything else (the handshake,
the auth key, the login) happens for real over the wire.
"""

from __future__ import annotations

from typing import Any

from telethon.crypto import rsa

from prokai.sandbox.crypto import public_key_pem


def configure(client_or_session: Any, host: str, port: int, dc_id: int = 2) -> None:
    """Make `client_or_session` connect to the sandbox at host:port as DC `dc_id`."""
    session = getattr(client_or_session, "session", client_or_session)
    session.set_dc(dc_id, host, port)
    rsa.add_key(public_key_pem().decode(), old=False)
