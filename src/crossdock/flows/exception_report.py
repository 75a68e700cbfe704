"""An exception as the CLI's --json and the API show it."""

from __future__ import annotations

from typing import Any

from crossdock.store.exceptions import ExceptionRecord


def exception_as_dict(record: ExceptionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account": record.account_id,
        "type": record.type,
        "severity": record.severity,
        "status": record.status,
        "subject": f"{record.subject_type}:{record.subject_id}",
        "message": record.message,
        "details": record.details,
        "actions": record.actions,
        "occurrences": record.occurrences,
        "first_seen_at": record.first_seen_at.isoformat(),
        "last_seen_at": record.last_seen_at.isoformat(),
        "closed_at": record.closed_at.isoformat() if record.closed_at else None,
        "closed_by": record.closed_by,
    }
