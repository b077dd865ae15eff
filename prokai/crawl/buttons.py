"""Our own button model: it lives in `prokai.intake.buttons` (the form every source stores a
message's buttons in)."""

from prokai.intake.buttons import Button, ButtonKind, buttons_of, message_entities

__all__ = ["Button", "ButtonKind", "buttons_of", "message_entities"]
