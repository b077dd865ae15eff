"""Keep auth keys across restarts of the sandbox *process* (`prokai sandbox up --state FILE`).

Telegram remembers a session's auth key for months; the sandbox world is rebuilt from its factory
on every start, so only the keys (and which account each is logged in as, by phone number) are
saved. With deterministic ids and access hashes, a stored StringSession keeps working after
`prokai sandbox up` is restarted. Messages and other state are not kept.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from telethon.crypto import AuthKey

from prokai.sandbox.world import World

log = logging.getLogger(__name__)


def save_keys(world: World, path: Path) -> int:
    """Write every auth key (hex) with its account's phone; atomic replace. Returns the count."""
    rows: list[dict[str, Any]] = []
    for rec in world.auth_keys.values():
        user = world.users.get(rec.user_id) if rec.user_id is not None else None
        if rec.dead_reason is not None:
            continue
        rows.append({"key": rec.key.key.hex(), "salt": rec.salt, "phone": user.phone if user else None,
                     "created": rec.created})
    tmp = path.with_suffix(path.suffix + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps({"version": 1, "keys": rows}), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return len(rows)


def load_keys(world: World, path: Path) -> int:
    """Register the saved keys in a freshly built world (keys of unknown phones stay logged out)."""
    if not path.exists():
        return 0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["keys"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a sandbox state file ({exc})") from None
    count = 0
    for row in rows:
        rec = world.register_key(AuthKey(bytes.fromhex(row["key"])), int(row["salt"]), peer="restored")
        rec.created = float(row.get("created") or rec.created)
        user = world.user_by_phone(row["phone"]) if row.get("phone") else None
        if user is not None:
            world.bind_key(rec, user)
        count += 1
    log.info("restored %d auth keys from %s", count, path)
    return count
