"""The audit log: who did what, to which object. Each record joins the evidence chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from prokai.store.models import AuditRecord


def audit(
    session: Session,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    **details: Any,
) -> AuditRecord:
    """Add an audit record to `session` (chained when the session flushes)."""
    record = AuditRecord(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    session.add(record)
    return record
