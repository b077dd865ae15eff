"""Files the bot uploads: kept in memory, addressed by file_id, downloadable by file_path."""

from __future__ import annotations

import base64
import hashlib
import io
import mimetypes
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from prokai.sandbox.botapi.errors import bad_request

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMB_SIDES = (90, 320, 800)
_KIND_PREFIX = {"photo": "AgACAgIAAxkDAAI", "document": "BQACAgIAAxkDAAI"}


@dataclass(frozen=True)
class StoredFile:
    """One stored file (a photo size or a document)."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    def photo_size(self) -> dict[str, Any]:
        """As a Bot API PhotoSize."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.data),
        }

    def document(self) -> dict[str, Any]:
        """As a Bot API Document."""
        out: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            out["file_name"] = self.file_name
        if self.mime_type:
            out["mime_type"] = self.mime_type
        out["file_size"] = len(self.data)
        return out

    def file(self) -> dict[str, Any]:
        """As a Bot API File (getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    """All files of one sandbox, by file_id and by file_path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._groups: dict[str, list[StoredFile]] = {}  # largest photo file_id -> all its sizes
        self._counter = 0

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file with this file_path (as the file URL names it), or None."""
        return self._by_path.get(file_path)

    def photo_sizes(self, file_id: str) -> list[StoredFile] | None:
        """All sizes of the photo whose largest (or any) size has this id."""
        for sizes in self._groups.values():
            if any(s.file_id == file_id for s in sizes):
                return sizes
        return None

    def add_document(self, data: bytes, file_name: str | None, content_type: str | None) -> StoredFile:
        """Store an uploaded document."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise bad_request("Request Entity Too Large")
        if not data:
            raise bad_request("file must be non-empty")
        mime = content_type if content_type and content_type != "application/octet-stream" else None
        if mime is None and file_name:
            mime = mimetypes.guess_type(file_name)[0]
        ext = _extension(file_name, mime, "dat")
        return self._put(
            "document",
            data,
            f"documents/file_{self._counter}.{ext}",
            file_name,
            mime or "application/octet-stream",
        )

    def add_photo(self, data: bytes) -> list[StoredFile]:
        """Store an uploaded photo as Telegram does: thumbnails plus the full size (kept byte for byte)."""
        if len(data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                fmt = (image.format or "JPEG").lower()
                thumbs = [_thumbnail(image, side) for side in THUMB_SIDES if max(width, height) > side]
        except (UnidentifiedImageError, OSError, ValueError):
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes = [
            self._put("photo", blob, f"photos/file_{self._counter}.jpg", None, "image/jpeg", w, h)
            for blob, w, h in thumbs
        ]
        ext = "jpg" if fmt == "jpeg" else fmt
        sizes.append(
            self._put("photo", data, f"photos/file_{self._counter}.{ext}", None, None, width, height)
        )
        self._groups[sizes[-1].file_id] = sizes
        return sizes

    def _put(
        self,
        kind: str,
        data: bytes,
        path: str,
        file_name: str | None,
        mime: str | None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        self._counter += 1
        digest = hashlib.sha256(data + self._counter.to_bytes(8, "big")).digest()
        unique = hashlib.sha256(data).digest()
        file_id = _KIND_PREFIX[kind] + base64.urlsafe_b64encode(digest[:42]).decode().rstrip("=")
        unique_id = "AQAD" + base64.urlsafe_b64encode(unique[:9]).decode().rstrip("=")
        stored = StoredFile(file_id, unique_id, kind, data, path, file_name, mime, width, height)
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored


def _thumbnail(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.convert("RGB")
    copy.thumbnail((side, side))
    buf = io.BytesIO()
    copy.save(buf, format="JPEG", quality=80)
    return buf.getvalue(), copy.size[0], copy.size[1]


def _extension(file_name: str | None, mime: str | None, default: str) -> str:
    if file_name and "." in file_name:
        ext = file_name.rsplit(".", 1)[1].lower()
        if ext.isalnum() and len(ext) <= 8:
            return ext
    guessed = mimetypes.guess_extension(mime) if mime else None
    return guessed.lstrip(".") if guessed else default
