"""upload.getFile: photos (each of their sizes), profile photos and uploaded documents."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.rpc.peers import input_peer


def _located(ctx: CallContext, loc: Any) -> tuple[bytes, str, int]:
    """(bytes, mime type, date) of what an InputFileLocation names."""
    world = ctx.world
    if isinstance(loc, types.InputPhotoFileLocation):
        photo = world.photos.get(loc.id)
        if photo is None or photo.access_hash != loc.access_hash:
            raise RpcFault(400, "LOCATION_INVALID")
        if loc.file_reference != photo.file_reference:
            raise RpcFault(400, "FILE_REFERENCE_EXPIRED")
        own = loc.thumb_size in ("", photo.size_type) or loc.thumb_size not in photo.scaled
        return photo.size_bytes(loc.thumb_size), photo.mime_type if own else "image/jpeg", photo.date
    if isinstance(loc, types.InputPeerPhotoFileLocation):
        peer = input_peer(ctx, loc.peer)
        photo = peer.photo
        if photo is None or photo.id != loc.photo_id:
            raise RpcFault(400, "LOCATION_INVALID")
        # big: the original; small: the 160-px box Telegram keeps ('s' here, or the original)
        data = photo.data if loc.big or "s" not in photo.scaled else photo.size_bytes("s")
        mime = photo.mime_type if data is photo.data else "image/jpeg"
        return data, mime, photo.date
    if isinstance(loc, types.InputDocumentFileLocation):
        doc = world.documents.get(loc.id)
        if doc is None or doc.access_hash != loc.access_hash:
            raise RpcFault(400, "LOCATION_INVALID")
        if loc.file_reference != doc.file_reference:
            raise RpcFault(400, "FILE_REFERENCE_EXPIRED")
        return doc.data, doc.mime_type, doc.date
    raise RpcFault(400, "LOCATION_INVALID")


@rpc(functions.upload.GetFileRequest)
async def get_file(ctx: CallContext, req: Any) -> Any:
    """A chunk of a stored file."""
    ctx.me()
    data, mime, date = _located(ctx, req.location)
    if req.offset < 0 or req.limit <= 0 or req.limit > 1024 * 1024:
        raise RpcFault(400, "LIMIT_INVALID")
    chunk = data[req.offset : req.offset + req.limit]
    kind: Any = types.storage.FileJpeg()
    if mime == "image/png":
        kind = types.storage.FilePng()
    elif not mime.startswith("image/"):
        kind = types.storage.FileUnknown()
    return types.upload.File(type=kind, mtime=date, bytes=chunk)
