"""Turn world records into Telethon TL objects as one user (the viewer) sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import types

from prokai.sandbox.bots import Button
from prokai.sandbox.model import ChannelRecord, DocumentRecord, PhotoRecord, StoredMessage, UserRecord

if TYPE_CHECKING:
    from prokai.sandbox.world import World


def tl_profile_photo(photo: PhotoRecord | None, dc_id: int) -> Any:
    """UserProfilePhoto of a user's or bot's photo (None without one)."""
    if photo is None:
        return None
    return types.UserProfilePhoto(photo_id=photo.id, dc_id=dc_id)


def tl_user(user: UserRecord, viewer_id: int | None, dc: int = 2) -> Any:
    """`User` as `viewer_id` sees it (phone only for oneself)."""
    is_self = user.id == viewer_id
    if user.deleted:
        return types.User(id=user.id, deleted=True, access_hash=user.access_hash)
    return types.User(
        id=user.id,
        is_self=is_self,
        bot=user.is_bot or None,
        bot_nochats=user.is_bot or None,
        access_hash=user.access_hash,
        first_name=user.first_name,
        last_name=user.last_name or None,
        username=user.username,
        phone=user.phone if is_self else None,
        status=None if user.is_bot else types.UserStatusRecently(),
        photo=tl_profile_photo(user.photo, dc),
        bot_info_version=1 if user.is_bot else None,
        bot_inline_placeholder=None,
    )


def tl_channel(channel: ChannelRecord, viewer_id: int | None, dc: int = 2) -> Any:
    """`Channel` (broadcast) as `viewer_id` sees it."""
    photo = types.ChatPhoto(photo_id=channel.photo.id, dc_id=dc) if channel.photo else types.ChatPhotoEmpty()
    return types.Channel(
        id=channel.id,
        title=channel.title,
        photo=photo,
        date=channel.date,
        broadcast=True,
        left=viewer_id not in channel.members,
        access_hash=channel.access_hash,
        username=channel.username,
        participants_count=len(channel.members),
    )


def tl_markup(buttons: list[list[Button]] | None) -> Any:
    """Layer-229 inline keyboard: KeyboardInlineButton rows (a reply keyboard if any button is one)."""
    if not buttons:
        return None
    if any(b.reply for row in buttons for b in row):
        return types.ReplyKeyboardMarkup(
            rows=[
                types.KeyboardButtonRow(buttons=[types.KeyboardButton(text=b.text, type=types.ButtonTypeDefault()) for b in row])
                for row in buttons
            ],
            resize=True,
        )
    rows = []
    for row in buttons:
        tl_row = []
        for b in row:
            kind: Any
            if b.url is not None:
                kind = types.InlineButtonTypeUrl(url=b.url)
            else:
                kind = types.InlineButtonTypeCallback(data=b.data or b"")
            tl_row.append(types.KeyboardInlineButton(text=b.text, type=kind))
        rows.append(types.KeyboardInlineButtonRow(buttons=tl_row))
    return types.ReplyInlineMarkup(rows=rows)


def tl_photo(photo: PhotoRecord, dc_id: int) -> Any:
    """`Photo` with its sizes, smallest first (the scaled copies, then the original)."""
    sizes = [
        types.PhotoSize(type=t, w=w, h=h, size=len(data))
        for t, (w, h, data) in sorted(photo.scaled.items(), key=lambda kv: kv[1][0])
    ]
    sizes.append(types.PhotoSize(type=photo.size_type, w=photo.width, h=photo.height, size=len(photo.data)))
    return types.Photo(
        id=photo.id,
        access_hash=photo.access_hash,
        file_reference=photo.file_reference,
        date=photo.date,
        sizes=sizes,
        dc_id=dc_id,
    )


def tl_document(doc: DocumentRecord, dc_id: int) -> Any:
    """`Document` with its file name."""
    return types.Document(
        id=doc.id, access_hash=doc.access_hash, file_reference=doc.file_reference, date=doc.date,
        mime_type=doc.mime_type, size=len(doc.data), dc_id=dc_id,
        attributes=[types.DocumentAttributeFilename(file_name=doc.name)],
    )


def tl_message(msg: StoredMessage, dc_id: int) -> Any:
    """`Message` as it sits in its box."""
    if msg.channel_id is not None:
        peer: Any = types.PeerChannel(channel_id=msg.channel_id)
        from_id = None
        post = True
    else:
        assert msg.chat_user_id is not None
        peer = types.PeerUser(user_id=msg.chat_user_id)
        from_id = types.PeerUser(user_id=msg.sender_id) if msg.sender_id is not None else None
        post = None
    media: Any = types.MessageMediaPhoto(photo=tl_photo(msg.photo, dc_id)) if msg.photo else None
    if msg.document is not None:
        media = types.MessageMediaDocument(document=tl_document(msg.document, dc_id))
    return types.Message(
        id=msg.id,
        peer_id=peer,
        date=msg.date,
        message=msg.text,
        out=msg.out or None,
        post=post,
        from_id=from_id,
        media=media,
        reply_markup=tl_markup(msg.buttons),
        entities=list(msg.entities) or None,
        views=msg.views,
        forwards=msg.forwards,
        fwd_from=msg.fwd_from,
        edit_date=msg.edit_date,
        edit_hide=None,
    )


class Refs:
    """Collects the users and channels a reply mentions, rendered for one viewer."""

    def __init__(self, world: World, viewer_id: int | None) -> None:
        self.world = world
        self.viewer_id = viewer_id
        self._users: dict[int, Any] = {}
        self._chats: dict[int, Any] = {}

    def user(self, user_id: int | None) -> None:
        if user_id is None or user_id in self._users:
            return
        rec = self.world.users.get(user_id)
        if rec is not None:
            self._users[user_id] = tl_user(rec, self.viewer_id, self.world.dc_id)

    def channel(self, channel_id: int | None) -> None:
        if channel_id is None or channel_id in self._chats:
            return
        rec = self.world.channels.get(channel_id)
        if rec is not None:
            self._chats[channel_id] = tl_channel(rec, self.viewer_id, self.world.dc_id)

    def message(self, msg: StoredMessage) -> None:
        self.user(msg.sender_id)
        self.user(msg.chat_user_id)
        self.channel(msg.channel_id)
        fwd = msg.fwd_from
        if fwd is not None and fwd.from_id is not None:
            if isinstance(fwd.from_id, types.PeerChannel):
                self.channel(fwd.from_id.channel_id)
            else:
                self.user(fwd.from_id.user_id)

    @property
    def users(self) -> list[Any]:
        return list(self._users.values())

    @property
    def chats(self) -> list[Any]:
        return list(self._chats.values())
