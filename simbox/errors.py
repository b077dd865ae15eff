"""Exceptions raised by the SimBox library; CME/CMS errors carry their 3GPP code and meaning."""

from __future__ import annotations

# 3GPP TS 27.007 §9.2 (+CME ERROR), the codes modems actually send.
CME_ERRORS: dict[int, str] = {
    0: "phone failure",
    1: "no connection to phone",
    3: "operation not allowed",
    4: "operation not supported",
    5: "PH-SIM PIN required",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    15: "SIM wrong",
    16: "incorrect password",
    17: "SIM PIN2 required",
    18: "SIM PUK2 required",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    23: "memory failure",
    24: "text string too long",
    25: "invalid characters in text string",
    26: "dial string too long",
    27: "invalid characters in dial string",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed - emergency calls only",
    100: "unknown",
    258: "retry operation",
    260: "invalid string",
}

# 3GPP TS 27.005 §3.2.5 (+CMS ERROR).
CMS_ERRORS: dict[int, str] = {
    300: "ME failure",
    301: "SMS service of ME reserved",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    312: "PH-SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    315: "SIM wrong",
    316: "SIM PUK required",
    317: "SIM PIN2 required",
    318: "SIM PUK2 required",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}

_CME_BY_TEXT = {v.lower(): k for k, v in CME_ERRORS.items()}
_CMS_BY_TEXT = {v.lower(): k for k, v in CMS_ERRORS.items()}


class SimboxError(Exception):
    """Base class of every error this library raises."""


class PortError(SimboxError):
    """The port could not be opened, or it went away (unplugged, renamed)."""


class PortClosed(PortError):
    """The port is closed or was lost while a command was in flight."""


class AtTimeout(SimboxError):
    """A command got no final result code in time."""

    def __init__(self, command: str, timeout: float, port: str = "") -> None:
        self.command = command
        self.timeout = timeout
        self.port = port
        where = f" on {port}" if port else ""
        super().__init__(f"{command!r} timed out after {timeout:.1f}s{where}")


class AtError(SimboxError):
    """A command ended in ERROR (or another failing final result code)."""

    def __init__(self, command: str, result: str = "ERROR", lines: tuple[str, ...] = ()) -> None:
        self.command = command
        self.result = result
        self.lines = lines
        super().__init__(f"{command!r} failed: {result}")


class CmeError(AtError):
    """+CME ERROR: equipment (ME) error; `code` per 3GPP TS 27.007, `meaning` in words."""

    kind = "CME"

    def __init__(self, command: str, code: int | None, meaning: str) -> None:
        self.code = code
        self.meaning = meaning
        super().__init__(command, f"+{self.kind} ERROR: {code if code is not None else meaning} ({meaning})")


class CmsError(CmeError):
    """+CMS ERROR: message service error; `code` per 3GPP TS 27.005."""

    kind = "CMS"


class PduError(SimboxError, ValueError):
    """A PDU that cannot be decoded (bad hex, truncated, inconsistent lengths)."""


class PinError(SimboxError):
    """The SIM is locked and cannot (or must not) be unlocked automatically."""


def error_from_final(command: str, final: str, lines: tuple[str, ...] = ()) -> AtError:
    """The exception for a failing final result code line (`ERROR`, `+CME ERROR: 10`, …)."""
    for prefix, cls, table, by_text in (
        ("+CME ERROR:", CmeError, CME_ERRORS, _CME_BY_TEXT),
        ("+CMS ERROR:", CmsError, CMS_ERRORS, _CMS_BY_TEXT),
    ):
        if final.upper().startswith(prefix):
            value = final[len(prefix) :].strip().strip('"')
            if value.isdigit():
                code = int(value)
                return cls(command, code, table.get(code, "unknown error"))
            code_from_text = by_text.get(value.lower())
            return cls(command, code_from_text, value or "unknown error")
    return AtError(command, final, lines)
