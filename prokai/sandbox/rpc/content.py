"""What a client does with messages beyond sending text: search, forward, edit, delete, upload
files and send them, list a channel's participants (refused, as for any non-admin)."""

from __future__ import annotations

import io
from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.bots import Image
from prokai.sandbox.faults import RpcFault
from prokai.sandbox.model import (
    ChannelRecord,
    DocumentRecord,
    StoredMessage,
    UserRecord,
    new_photo,
    random_long,
)
from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.rpc.messages import _box_messages, _check_can_write, _page, _timestamp
from prokai.sandbox.rpc.peers import input_channel, input_peer
from prokai.sandbox.views import Refs, tl_message

EDIT_WINDOW_S = 48 * 3600  # "Message editing - in 48 hours after sending" (limits.tginfo.me)
MAX_PART = 512 * 1024


def _has_link(msg: StoredMessage) -> bool:
    kinds = (types.MessageEntityUrl, types.MessageEntityTextUrl)
    return any(isinstance(e, kinds) for e in msg.entities) or any(
        b.url for row in (msg.buttons or []) for b in row
    )


def _matches_filter(msg: StoredMessage, flt: Any) -> bool:
    if flt is None or isinstance(flt, types.InputMessagesFilterEmpty):
        return True
    if isinstance(flt, (types.InputMessagesFilterPhotos, types.InputMessagesFilterPhotoVideo)):
        return msg.photo is not None
    if isinstance(flt, types.InputMessagesFilterDocument):
        return msg.document is not None
    if isinstance(flt, types.InputMessagesFilterUrl):
        return _has_link(msg)
    return False  # videos, voice, music, gifs, ...: the sandbox has none


@rpc(functions.messages.SearchRequest)
async def search_messages(ctx: CallContext, req: Any) -> Any:
    """Messages of one chat or channel containing `q` (case-insensitive), from one sender, of one kind."""
    me = ctx.me()
    peer = input_peer(ctx, req.peer)
    q = (req.q or "").casefold()
    sender = None
    if req.from_id is not None:
        who = input_peer(ctx, req.from_id)
        sender = who.id if isinstance(who, UserRecord) else -1
    msgs = [
        m for m in _box_messages(ctx, me, peer)
        if (not q or q in m.text.casefold()) and (sender is None or m.sender_id == sender)
        and _matches_filter(m, req.filter)
        and (not _timestamp(req.min_date) or m.date >= _timestamp(req.min_date))
        and (not _timestamp(req.max_date) or m.date <= _timestamp(req.max_date))
    ]
    page = _page(msgs, req)
    refs = Refs(ctx.world, me.id)
    for m in page:
        refs.message(m)
    tl = [tl_message(m, ctx.world.dc_id) for m in page]
    if isinstance(peer, ChannelRecord):
        refs.channel(peer.id)
        return types.messages.ChannelMessages(
            pts=peer.box.pts, count=len(msgs), messages=tl, topics=[], chats=refs.chats, users=refs.users
        )
    return types.messages.MessagesSlice(count=len(msgs), messages=tl, topics=[], chats=refs.chats, users=refs.users)


def _sent_updates(ctx: CallContext, me: UserRecord, sent: list[tuple[int, int]]) -> Any:
    """Updates answering a send: UpdateMessageID (random_id -> id) and the new messages."""
    refs = Refs(ctx.world, me.id)
    refs.user(me.id)
    updates: list[Any] = []
    for msg_id, random_id in sent:
        msg = me.box.messages[msg_id]
        refs.message(msg)
        updates.append(types.UpdateMessageID(id=msg_id, random_id=random_id))
    pts = me.box.pts - len(sent)
    for msg_id, _ in sent:
        pts += 1
        updates.append(types.UpdateNewMessage(tl_message(me.box.messages[msg_id], ctx.world.dc_id), pts, 1))
    return types.Updates(updates=updates, users=refs.users, chats=refs.chats, date=ctx.world.clock.now_int(), seq=0)


def _target(ctx: CallContext, me: UserRecord, peer: Any, method: str) -> UserRecord:
    """The private chat a message goes to; a broadcast channel wants an admin."""
    rec = input_peer(ctx, peer)
    if isinstance(rec, ChannelRecord):
        raise RpcFault(403, "CHAT_ADMIN_REQUIRED")
    if rec.id == me.id:
        raise RpcFault(400, "PEER_ID_INVALID")  # Saved Messages are not modelled
    return _check_can_write(me, rec, ctx, method)


@rpc(functions.messages.ForwardMessagesRequest, writes=True)
async def forward_messages(ctx: CallContext, req: Any) -> Any:
    """Forward messages of a chat or channel into a private chat, with a forward header."""
    me = ctx.me()
    source = input_peer(ctx, req.from_peer)
    target = _target(ctx, me, req.to_peer, "messages.ForwardMessages")
    box = source.box.messages if isinstance(source, ChannelRecord) else {
        m.id: m for m in _box_messages(ctx, me, source)
    }
    if len(req.random_id) != len(req.id):
        raise RpcFault(400, "RANDOM_ID_INVALID")
    sent: list[tuple[int, int]] = []
    for mid, random_id in zip(req.id, req.random_id, strict=True):
        orig = box.get(mid)
        if orig is None:
            raise RpcFault(400, "MESSAGE_ID_INVALID")
        header = orig.fwd_from
        if header is None:
            if orig.channel_id is not None:
                header = types.MessageFwdHeader(
                    date=orig.date, from_id=types.PeerChannel(orig.channel_id), channel_post=orig.id
                )
            else:
                header = types.MessageFwdHeader(date=orig.date, from_id=types.PeerUser(orig.sender_id or me.id))
        if orig.forwards is not None:
            orig.forwards += 1
        out_id = ctx.world.send_private(
            me.id, target.id, orig.text, entities=list(orig.entities), photo=orig.photo, document=orig.document,
            fwd_from=None if req.drop_author else header, exclude=ctx.conn,
        )
        sent.append((out_id, random_id))
    return _sent_updates(ctx, me, sent)


@rpc(functions.messages.EditMessageRequest, writes=True)
async def edit_message(ctx: CallContext, req: Any) -> Any:
    """Edit the text of one's own message in a private chat (within 48 hours)."""
    me = ctx.me()
    peer = input_peer(ctx, req.peer)
    if isinstance(peer, ChannelRecord):
        raise RpcFault(403, "CHAT_ADMIN_REQUIRED")
    msg = me.box.messages.get(req.id)
    if msg is None or msg.chat_user_id != peer.id:
        raise RpcFault(400, "MESSAGE_ID_INVALID")
    if not msg.out:
        raise RpcFault(403, "MESSAGE_AUTHOR_REQUIRED")
    if ctx.world.clock.now_int() - msg.date > EDIT_WINDOW_S:
        raise RpcFault(400, "MESSAGE_EDIT_TIME_EXPIRED")
    if req.message is None or req.message == msg.text:
        raise RpcFault(400, "MESSAGE_NOT_MODIFIED")
    if not req.message.strip():
        raise RpcFault(400, "MESSAGE_EMPTY")
    return ctx.world.edit_private(me.id, msg.id, text=req.message, entities=req.entities or (), exclude=ctx.conn)


@rpc(functions.messages.DeleteMessagesRequest, writes=True)
async def delete_messages(ctx: CallContext, req: Any) -> Any:
    """Delete messages of private chats (for both sides with `revoke`)."""
    me = ctx.me()
    count = sum(1 for mid in req.id if mid in me.box.messages)
    pts = ctx.world.delete_private(me.id, req.id, revoke=bool(req.revoke))
    return types.messages.AffectedMessages(pts=pts, pts_count=max(1, count))


@rpc(functions.channels.DeleteMessagesRequest, writes=True)
async def delete_channel_messages(ctx: CallContext, req: Any) -> Any:
    """Nobody but the channel's admins deletes its posts."""
    ctx.me()
    input_channel(ctx, req.channel)
    raise RpcFault(403, "MESSAGE_DELETE_FORBIDDEN")


@rpc(functions.channels.GetParticipantsRequest)
async def get_participants(ctx: CallContext, req: Any) -> Any:
    """A broadcast channel's subscriber list is for its admins only."""
    ctx.me()
    input_channel(ctx, req.channel)
    raise RpcFault(400, "CHAT_ADMIN_REQUIRED")


# ---------------------------------------------------------------------- uploads


@rpc(functions.upload.SaveFilePartRequest, functions.upload.SaveBigFilePartRequest)
async def save_file_part(ctx: CallContext, req: Any) -> Any:
    """One part of a file being uploaded (kept until a send uses it)."""
    me = ctx.me()
    if req.file_part < 0 or req.file_part > 8000:
        raise RpcFault(400, "FILE_PART_INVALID")
    if not req.bytes or len(req.bytes) > MAX_PART:
        raise RpcFault(400, "FILE_PART_SIZE_INVALID")
    ctx.world.uploads.setdefault((me.id, req.file_id), {})[req.file_part] = req.bytes
    return True


def _uploaded(ctx: CallContext, me: UserRecord, file: Any) -> tuple[bytes, str]:
    """The bytes of an uploaded InputFile / InputFileBig (all parts must be there)."""
    parts = ctx.world.uploads.pop((me.id, file.id), None)
    if parts is None or sorted(parts) != list(range(file.parts)):
        raise RpcFault(400, "FILE_PARTS_INVALID")
    return b"".join(parts[i] for i in range(file.parts)), file.name or "file"


def _image(data: bytes, mime_type: str) -> Image:
    try:
        from PIL import Image as PilImage

        with PilImage.open(io.BytesIO(data)) as img:
            width, height = img.size
            fmt = (img.format or "").lower()
    except Exception as exc:
        raise RpcFault(400, "IMAGE_PROCESS_FAILED") from exc
    return Image(data, width, height, "image/png" if fmt == "png" else mime_type)


@rpc(functions.messages.SendMediaRequest, writes=True)
async def send_media(ctx: CallContext, req: Any) -> Any:
    """A photo or a document the client uploaded, with an optional caption, into a private chat."""
    me = ctx.me()
    target = _target(ctx, me, req.peer, "messages.SendMedia")
    media = req.media
    now = ctx.world.clock.now_int()
    photo = document = None
    if isinstance(media, types.InputMediaUploadedPhoto):
        data, _ = _uploaded(ctx, me, media.file)
        photo = new_photo(_image(data, "image/jpeg"), now, ctx.world.dc_id)
        ctx.world.photos[photo.id] = photo
    elif isinstance(media, types.InputMediaUploadedDocument):
        data, name = _uploaded(ctx, me, media.file)
        for attr in media.attributes or []:
            if isinstance(attr, types.DocumentAttributeFilename):
                name = attr.file_name
        document = DocumentRecord(
            id=abs(random_long()), access_hash=random_long(), file_reference=random_long().to_bytes(8, "little", signed=True),
            data=data, date=now, mime_type=media.mime_type or "application/octet-stream", name=name,
        )
        ctx.world.documents[document.id] = document
    else:
        raise RpcFault(400, "MEDIA_INVALID")
    out_id = ctx.world.send_private(
        me.id, target.id, req.message or "", entities=req.entities or (), photo=photo, document=document,
        exclude=ctx.conn,
    )
    return _sent_updates(ctx, me, [(out_id, req.random_id)])
