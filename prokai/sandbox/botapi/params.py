"""Bot API call parameters from a query string, a form, multipart/form-data or a JSON body.

python-telegram-bot sends form fields whose non-string values are JSON-encoded (`"true"`,
`"123"`, `'{"inline_keyboard": ...}'`); a JSON body carries native values. Both read the same here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from prokai.sandbox.botapi.errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Typed access to one call's parameters, with Telegram-style errors."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._uploads = uploads or {}

    def __contains__(self, name: str) -> bool:
        return name in self._values or name in self._uploads

    def raw(self, name: str) -> Any:
        """The value as received (str from forms, native from JSON), or None."""
        return self._values.get(name)

    def upload(self, name: str) -> Upload | None:
        """A file part sent under this field name."""
        return self._uploads.get(name)

    def attached(self, reference: str) -> Upload | None:
        """A file referenced as `attach://<name>`."""
        if reference.startswith("attach://"):
            return self._uploads.get(reference[len("attach://") :])
        return None

    def string(self, name: str, default: str | None = None) -> str | None:
        """A string parameter."""
        value = self._values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None, *, error: str | None = None) -> int | None:
        """An integer parameter; a non-integer gives 400 with `error` (or a generic reason)."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(error or f"{name} must be an integer")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(error or f"{name} must be an integer") from None

    def number(self, name: str, default: float = 0.0) -> float:
        """A number parameter."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"{name} must be a number") from None

    def boolean(self, name: str, default: bool = False) -> bool:
        """A Boolean parameter (`true`/`false`/`1`/`0`)."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise bad_request(f"{name} must be a Boolean")

    def json(self, name: str, error: str | None = None) -> Any:
        """A JSON-serialized parameter (objects, arrays) or its native JSON-body value."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or an `@username`."""
        value = self._values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None
