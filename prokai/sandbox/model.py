"""Plain records the sandbox world is made of: users (accounts and bots), channels, messages."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prokai.sandbox.bots import Button, Image

if TYPE_CHECKING:
    from prokai.sandbox.bots import Bot


def random_long() -> int:
    """A random signed 64-bit integer (access hashes, ids of photos)."""
    value: int = struct.unpack("<q", os.urandom(8))[0]
    return value


@dataclass
class PhotoRecord:
    """An image stored on the sandbox 'DC', downloadable with upload.getFile."""

    id: int
    access_hash: int
    file_reference: bytes
    data: bytes
    width: int
    height: int
    date: int
    mime_type: str = "image/jpeg"


@dataclass
class StoredMessage:
    """One message in one box (a user's private box or a channel)."""

    id: int
    date: int
    text: str
    sender_id: int | None  # user id, None for channel posts
    out: bool = False
    chat_user_id: int | None = None  # private chat: the other party
    channel_id: int | None = None
    buttons: list[list[Button]] | None = None
    photo: PhotoRecord | None = None
    edit_date: int | None = None
    twin: tuple[int, int] | None = None  # (user id, message id) of the other party's copy


@dataclass
class Box:
    """A message box with its own ids and pts: every user has one; every channel has one."""

    pts: int = 1
    next_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    # (pts, pts_count, TL update) in pts order, for getDifference
    log: list[tuple[int, int, Any]] = field(default_factory=list)

    def new_id(self) -> int:
        mid = self.next_id
        self.next_id += 1
        return mid

    def add_update(self, make: Any, pts_count: int = 1) -> tuple[Any, int]:
        """Bump pts, build the update with `make(pts, pts_count)`, log it; returns (update, pts)."""
        self.pts += pts_count
        update = make(self.pts, pts_count)
        self.log.append((self.pts, pts_count, update))
        if len(self.log) > 5000:
            del self.log[:1000]
        return update, self.pts


@dataclass
class UserRecord:
    """A Telegram user: an account on a SIM number, a bot, or a world character."""

    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    phone: str | None = None  # digits, international, no '+'
    access_hash: int = field(default_factory=random_long)
    about: str = ""
    is_bot: bool = False
    bot: Bot | None = None
    password: str | None = None  # two-step verification password (plain; SRP verifier derived)
    password_hint: str = ""
    banned: bool = False
    frozen: bool = False
    peer_flood: bool = False
    has_app_session: bool = False  # another session exists: login codes go to the app first
    created: float | None = None  # when the account was registered (sandbox time); None = long ago
    deleted: bool = False  # a deleted account/bot: shown with deleted=True, cannot be written to
    box: Box = field(default_factory=Box)
    read_inbox: dict[tuple[str, int], int] = field(default_factory=dict)
    read_outbox: dict[tuple[str, int], int] = field(default_factory=dict)
    channels: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    srp_cache: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ChannelRecord:
    """A broadcast channel (showcase channels of shops)."""

    id: int
    title: str
    username: str | None = None
    about: str = ""
    access_hash: int = field(default_factory=random_long)
    date: int = 0
    invite_hash: str | None = None  # private invite link t.me/+<hash>
    members: set[int] = field(default_factory=set)
    box: Box = field(default_factory=Box)


def new_photo(image: Image, date: int, dc_id: int) -> PhotoRecord:
    """Store an image as a photo record."""
    del dc_id
    return PhotoRecord(
        id=abs(random_long()),
        access_hash=random_long(),
        file_reference=os.urandom(16),
        data=image.data,
        width=image.width,
        height=image.height,
        date=date,
        mime_type=image.mime_type,
    )
