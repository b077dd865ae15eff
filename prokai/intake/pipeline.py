"""The intake pipeline: the steps named in `settings.intake.steps`, loaded once, run in order on
every batch of messages from any source."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prokai.config import IntakeSettings
from prokai.intake.model import Batch, IncomingMessage, Source, Step

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_STEPS = tuple(IntakeSettings().steps)


class IntakeError(ValueError):
    """A step named in the settings that cannot be loaded (one-line reason)."""


def load_step(path: str, settings: Any) -> Step:
    """The step `module:Class`, built with `Class.from_settings(settings)`
    when it has one, else `Class()`."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise IntakeError(f"intake step {path!r}: expected module:Class")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise IntakeError(f"intake step {path}: {exc}") from None
    factory = getattr(cls, "from_settings", None)
    step = factory(settings) if callable(factory) else cls()
    if not callable(getattr(step, "process", None)):
        raise IntakeError(f"intake step {path}: has no process(batch) method")
    return step


class Intake:
    """Every message from every source becomes evidence the same way: through these steps."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    @classmethod
    def from_settings(cls, settings: Any = None) -> Intake:
        """The pipeline `settings.intake.steps` names (default: the loaded settings')."""
        if settings is None:
            from prokai.config import ConfigError, Settings, load_settings

            try:
                settings = load_settings()
            except ConfigError:
                settings = Settings()
        intake = getattr(settings, "intake", None)
        paths = list(intake.steps) if intake is not None else list(DEFAULT_STEPS)
        return cls([load_step(p, settings) for p in paths])

    def feed(self, session: Session, source: Source, messages: Sequence[IncomingMessage]) -> Batch:
        """Run `messages` (in the order received) through every step inside the caller's
        transaction; returns the batch with what each step added."""
        batch = Batch(session, source, list(messages))
        for step in self.steps:
            step.process(batch)
        return batch


_default: list[Intake] = []


def default_intake() -> Intake:
    """The pipeline of this process's settings (config.yaml and the environment), built once."""
    if not _default:
        _default.append(Intake.from_settings())
    return _default[0]
