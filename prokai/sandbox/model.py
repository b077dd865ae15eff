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
    # smaller copies, as Telegram keeps them: size type -> (width, height, JPEG bytes)
    scaled: dict[str, tuple[int, int, bytes]] = field(default_factory=dict, repr=False)
    size_type: str = "x"  # the type of the original (largest) size

    def size_bytes(self, size_type: str) -> bytes:
        """The bytes of one of the photo's sizes; the original for its own type or an unknown one."""
        small = self.scaled.get(size_type)
        return small[2] if small is not None and size_type != self.size_type else self.data


@dataclass
class DocumentRecord:
    """A file a client uploaded and sent as a document (downloadable with upload.getFile)."""

    id: int
    access_hash: int
    file_reference: bytes
    data: bytes
    date: int
    mime_type: str
    name: str


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
    document: DocumentRecord | None = None
    edit_date: int | None = None
    twin: tuple[int, int] | None = None  # (user id, message id) of the other party's copy
    entities: list[Any] = field(default_factory=list)  # TL MessageEntity* (UTF-16 offsets)
    views: int | None = None  # channel posts: view counter (grows as members read it)
    forwards: int | None = None  # channel posts: how often it was forwarded
    fwd_from: Any = None  # TL MessageFwdHeader of a forwarded copy
    viewers: set[int] = field(default_factory=set, repr=False)


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
    restricted_until: float | None = None  # spam restriction (PEER_FLOOD) under the limits profile
    photo: PhotoRecord | None = None  # profile photo
    commands: list[tuple[str, str]] = field(default_factory=list)  # bots: (command, description)
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
    photo: PhotoRecord | None = None  # channel photo
    members: set[int] = field(default_factory=set)
    box: Box = field(default_factory=Box)


# Telegram's photo size types and the box each fits in (core.telegram.org/api/files#image-thumbnail-types)
PHOTO_BOXES = (("s", 100), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560))


def _scaled_copies(image: Image) -> tuple[dict[str, tuple[int, int, bytes]], str]:
    """Smaller JPEG copies for every box below the image's longest side; the original's type."""
    longest = max(image.width, image.height)
    smaller = [(t, box) for t, box in PHOTO_BOXES if box < longest]
    own = next((t for t, box in PHOTO_BOXES if box >= longest), "w")
    if not smaller:
        return {}, own
    try:
        import io

        from PIL import Image as PilImage

        src = PilImage.open(io.BytesIO(image.data)).convert("RGB")
    except Exception:  # bytes PIL cannot read (a test's placeholder): the original size only
        return {}, own
    out: dict[str, tuple[int, int, bytes]] = {}
    for size_type, box in smaller:
        copy = src.copy()
        copy.thumbnail((box, box))
        buf = io.BytesIO()
        copy.save(buf, format="JPEG", quality=80)
        out[size_type] = (copy.width, copy.height, buf.getvalue())
    return out, own


def new_photo(image: Image, date: int, dc_id: int) -> PhotoRecord:
    """Store an image as a photo record, with the smaller sizes Telegram would keep of it."""
    del dc_id
    scaled, own = _scaled_copies(image)
    return PhotoRecord(
        id=abs(random_long()),
        access_hash=random_long(),
        file_reference=os.urandom(16),
        data=image.data,
        width=image.width,
        height=image.height,
        date=date,
        mime_type=image.mime_type,
        scaled=scaled,
        size_type=own,
    )
