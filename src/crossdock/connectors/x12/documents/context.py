"""What a document reader needs besides the set itself: who sent it, under which envelope, and the partner's
settings (where tracking numbers sit, extra carrier codes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, TransactionSet
from crossdock.domain.warehouse import SourceDocument


@dataclass(frozen=True)
class ReadContext:
    warehouse: str
    partner: X12PartnerSettings
    interchange: Interchange
    group: FunctionalGroup
    file_name: str | None = None

    def source(self, transaction_set: TransactionSet) -> SourceDocument:
        """The event's source: ``x12/945`` and ``<sender id>/<ISA13>/<ST02>``, unique per partner."""
        return SourceDocument(
            kind=f"x12/{transaction_set.code}",
            reference=(
                f"{self.interchange.sender.identifier.strip()}/{self.interchange.control_number}"
                f"/{transaction_set.control_number}"
            ),
            file_name=self.file_name,
        )

    def envelope_time(self) -> datetime:
        """GS-04/GS-05 (CCYYMMDD, HHMM[SS]) as UTC: the moment a set without its own date happened."""
        return parse_x12_datetime(self.group.date, self.group.time)


def parse_x12_datetime(date: str, time: str = "0000") -> datetime:
    """CCYYMMDD (or YYMMDD) and HHMM / HHMMSS / HHMMSSD… as an aware UTC datetime. X12 carries no time zone;
    partners agree on one and the hub takes UTC unless told otherwise."""
    if len(date) == 6:
        date = "20" + date
    if len(date) != 8 or not date.isdigit():
        raise ValueError(f"not an X12 date (CCYYMMDD): {date!r}")
    digits = (time or "0000")[:6].ljust(4, "0")
    if not digits.isdigit():
        raise ValueError(f"not an X12 time (HHMM[SS]): {time!r}")
    seconds = int(digits[4:6]) if len(digits) >= 6 else 0
    return datetime(
        int(date[:4]), int(date[4:6]), int(date[6:8]), int(digits[:2]), int(digits[2:4]), seconds, tzinfo=UTC
    )
