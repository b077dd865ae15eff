"""upload.getFile: photos the world's bots and channels sent."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.rpc import CallContext, rpc


@rpc(functions.upload.GetFileRequest)
async def get_file(ctx: CallContext, req: Any) -> Any:
    """A chunk of a stored photo."""
    ctx.me()
    loc = req.location
    if not isinstance(loc, types.InputPhotoFileLocation):
        raise RpcFault(400, "LOCATION_INVALID")
    photo = ctx.world.photos.get(loc.id)
    if photo is None or photo.access_hash != loc.access_hash:
        raise RpcFault(400, "LOCATION_INVALID")
    if loc.file_reference != photo.file_reference:
        raise RpcFault(400, "FILE_REFERENCE_EXPIRED")
    if req.offset < 0 or req.limit <= 0 or req.limit > 1024 * 1024:
        raise RpcFault(400, "LIMIT_INVALID")
    chunk = photo.data[req.offset : req.offset + req.limit]
    kind = types.storage.FilePng() if photo.mime_type == "image/png" else types.storage.FileJpeg()
    return types.upload.File(type=kind, mtime=photo.date, bytes=chunk)
