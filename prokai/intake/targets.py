"""Target lines as operators write them: @names, t.me links, bot names, phone numbers, channels;
and the campaign targets made of them (`add_targets`), whoever found them (an operator's list,
the crawler's discovery, a seized account's archive).

Private invite links (`t.me/+HASH`, `t.me/joinchat/HASH`, `tg://join?invite=HASH`) are targets
of their own kind: recorded, never resolved (a hash looked up as a username could reach an
unrelated account of that name) and never joined without a human decision. `t.me/+<digits>` is a
phone-number link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.store.models import Target


class TargetKind(StrEnum):
    USERNAME = "username"  # a bot, an operator or a channel: resolved later
    PHONE = "phone"  # an operator's phone number
    INVITE = "invite"  # a private invite link (recorded; joining needs a human decision)


class TargetParseError(ValueError):
    """A target line that names nothing ProkAi can reach."""


@dataclass(frozen=True)
class TargetSpec:
    raw: str
    kind: TargetKind
    value: str  # username without @ (lower case), E.164 phone, or invite hash
    start_param: str | None = None

    @property
    def key(self) -> str:
        """Deduplication key before the Telegram id is known."""
        return f"{self.kind.value}:{self.value}"


_USERNAME = r"[A-Za-z][A-Za-z0-9_]{3,31}"
_TME = re.compile(
    rf"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?(?!joinchat\b)(?P<name>{_USERNAME})/?"
    r"(?:\d+)?/?(?:\?start=(?P<start>[\w-]{1,64}))?$",
    re.IGNORECASE,
)
_INVITE = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:\+|joinchat/)|tg://join\?invite=)"
    r"(?P<hash>[\w-]{1,64})/?$", re.IGNORECASE)
_TG_RESOLVE = re.compile(rf"^tg://resolve\?domain=(?P<name>{_USERNAME})(?:&start=(?P<start>[\w-]+))?$", re.I)
_BARE = re.compile(rf"^@?(?P<name>{_USERNAME})$")
_MENTION = re.compile(rf"(?<![\w@/.])@(?P<name>{_USERNAME})\b")
_LINK = re.compile(rf"(?:https?://)?(?:t\.me|telegram\.me)/(?:\+[\w-]+|joinchat/[\w-]+|{_USERNAME}(?:\?start=[\w-]+)?)", re.I)


def parse_target(line: str) -> TargetSpec:
    """One target from one line; raises TargetParseError with the reason."""
    raw = line.strip()
    if not raw:
        raise TargetParseError("empty line")
    if m := _INVITE.match(raw):
        if raw.lower().count("/+") and m["hash"].isdigit():
            return replace(parse_target("+" + m["hash"]), raw=raw)  # t.me/+77011234567: a phone link
        if len(m["hash"]) < 8:
            raise TargetParseError("invite link: the hash is too short")
        return TargetSpec(raw, TargetKind.INVITE, m["hash"])
    for pattern in (_TME, _TG_RESOLVE, _BARE):
        if m := pattern.match(raw):
            return TargetSpec(raw, TargetKind.USERNAME, m["name"].lower(), m.groupdict().get("start"))
    digits = re.sub(r"[\s()\-.]", "", raw)
    if re.fullmatch(r"\+?\d{10,15}", digits):
        if not digits.startswith("+"):
            # Kazakh/Russian habit: 8 7xx … means +7 7xx ….
            digits = "+7" + digits[1:] if len(digits) == 11 and digits[0] == "8" else "+" + digits
        try:
            num = phonenumbers.parse(digits, None)
        except phonenumbers.NumberParseException as exc:
            raise TargetParseError(f"not a phone number: {exc}") from None
        if phonenumbers.is_valid_number(num):
            return TargetSpec(raw, TargetKind.PHONE, phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
        raise TargetParseError("not a valid phone number")
    raise TargetParseError("expected @username, a t.me link, a bot name or a phone number")


def parse_targets(lines: list[str]) -> tuple[list[TargetSpec], list[str]]:
    """Targets from a file's lines (blank lines and # comments skipped), deduplicated in order.

    Returns the targets and one error line per bad input line (`line N: reason`).
    """
    seen: set[str] = set()
    out: list[TargetSpec] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip() if not line.lstrip().startswith("http") else line.strip()
        if not text:
            continue
        try:
            spec = parse_target(text)
        except TargetParseError as exc:
            errors.append(f"line {number}: {text!r}: {exc}")
            continue
        if spec.key not in seen:
            seen.add(spec.key)
            out.append(spec)
    return out, errors


def find_target_mentions(text: str) -> list[TargetSpec]:
    """Targets mentioned in free text (channel posts, bot replies): @names and t.me links."""
    found: list[TargetSpec] = []
    seen: set[str] = set()
    candidates = [m.group(0) for m in _LINK.finditer(text)] + [m.group(0) for m in _MENTION.finditer(text)]
    for cand in candidates:
        try:
            spec = parse_target(cand)
        except TargetParseError:
            continue
        if spec.key not in seen:
            seen.add(spec.key)
            found.append(spec)
    return found


def add_targets(session: Session, campaign_id: int, targets: list[TargetSpec], depth: int,
                discovered_from: int | None = None) -> int:
    """Add targets not yet in the campaign (by normalized key); returns how many were added."""
    existing = set(session.scalars(select(Target.raw).where(Target.campaign_id == campaign_id)))
    added = 0
    for spec in targets:
        if spec.key in existing:
            continue
        existing.add(spec.key)
        session.add(
            Target(
                campaign_id=campaign_id,
                raw=spec.key,
                kind=spec.kind.value,
                depth=depth,
                discovered_from_id=discovered_from,
                meta={"input": spec.raw, "value": spec.value, "start_param": spec.start_param},
            )
        )
        added += 1
    session.flush()
    return added
