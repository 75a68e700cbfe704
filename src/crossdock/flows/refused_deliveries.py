"""Webhook deliveries refused at the door — a wrong signature, an unknown shop — are stored nowhere (they are
not trusted input), yet a run of them is a problem an operator must see: a shop whose app secret was rotated
without the hub being told loses every webhook (only the reconciliation poll still brings its orders), and
deliveries claiming shops the hub does not serve are a misrouted subscription or a probe.

The intake counts them in memory (``RefusalTally``: no write per refused request, so a flood of forged
requests costs the database nothing) and a flusher writes them every few seconds as one open
``signature_failures`` exception per shop (and one for all unknown shops), its details carrying the running
count per reason.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
import structlog

from crossdock.store.unit_of_work import UnitOfWork

SIGNATURE_FAILURES = "signature_failures"
UNKNOWN_SHOPS = "unknown shops"
# Claimed domains kept per flush for deliveries naming no known shop: enough to recognise a misrouted
# subscription, bounded against a flood of made-up names.
_MAX_CLAIMED_DOMAINS = 20

log = structlog.get_logger("crossdock.intake")


@dataclass
class Refusals:
    """What was refused since the last flush, for one known shop (``account_id`` set) or for unknown ones."""

    subject: str
    account_id: str | None
    reasons: Counter[str] = field(default_factory=Counter)
    claimed_domains: Counter[str] = field(default_factory=Counter)


class RefusalTally:
    """Counts refused deliveries; thread-safe, bounded (known shops, plus one bucket for unknown ones)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Refusals] = {}

    def count(self, *, claimed_domain: str, reason: str, shop_account: str | None, known: bool) -> None:
        subject = claimed_domain if known else UNKNOWN_SHOPS
        with self._lock:
            refusals = self._pending.get(subject)
            if refusals is None:
                refusals = self._pending[subject] = Refusals(subject, shop_account if known else None)
            refusals.reasons[reason] += 1
            if not known and (
                claimed_domain in refusals.claimed_domains
                or len(refusals.claimed_domains) < _MAX_CLAIMED_DOMAINS
            ):
                refusals.claimed_domains[claimed_domain[:255] or "(none)"] += 1

    def drain(self) -> list[Refusals]:
        with self._lock:
            drained, self._pending = list(self._pending.values()), {}
        return drained

    def restore(self, drained: list[Refusals]) -> None:
        """Put back what a failed flush drained, to be written by the next one."""
        with self._lock:
            for refusals in drained:
                pending = self._pending.setdefault(
                    refusals.subject, Refusals(refusals.subject, refusals.account_id)
                )
                pending.reasons.update(refusals.reasons)
                pending.claimed_domains.update(refusals.claimed_domains)


def record_refusals(uow: UnitOfWork, drained: list[Refusals]) -> None:
    """Open, or add to, the ``signature_failures`` exception of each subject (the caller commits)."""
    for refusals in drained:
        previous = next(
            (
                record
                for record in uow.exceptions.open_about(
                    type=SIGNATURE_FAILURES, subject_type="webhook_source"
                )
                if record.subject_id == refusals.subject and record.account_id == refusals.account_id
            ),
            None,
        )
        reasons = Counter(previous.details.get("refused_by_reason", {}) if previous else {})
        reasons.update(refusals.reasons)
        claimed = Counter(previous.details.get("claimed_domains", {}) if previous else {})
        for domain, count in refusals.claimed_domains.items():
            if domain in claimed or len(claimed) < _MAX_CLAIMED_DOMAINS:
                claimed[domain] += count
        total = sum(reasons.values())
        summary = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        if refusals.subject == UNKNOWN_SHOPS:
            message = (
                f"{total} webhook deliveries claimed shops the hub does not serve ({summary}): a "
                "subscription pointed at this hub by mistake, or someone probing it"
            )
            severity = "warning"
        else:
            message = (
                f"{total} webhook deliveries of {refusals.subject} were refused ({summary}): if its app "
                "secret was rotated, configure the new one — until then its webhooks are lost and only the "
                "reconciliation poll brings its orders in"
            )
            severity = "error"
        uow.exceptions.raise_(
            type=SIGNATURE_FAILURES,
            severity=severity,  # type: ignore[arg-type]
            subject_type="webhook_source",
            subject_id=refusals.subject,
            message=message,
            details={
                "refused_by_reason": dict(reasons),
                "refused": total,
                **({"claimed_domains": dict(claimed)} if claimed else {}),
            },
            actions=["resolve", "ignore"],
            account_id=refusals.account_id,
        )


class RefusalFlusher:
    """Writes the tally every ``interval_seconds`` from a thread of its own, and once more when stopped."""

    def __init__(self, engine: sa.Engine, tally: RefusalTally, interval_seconds: float = 5.0) -> None:
        self._engine = engine
        self._tally = tally
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="refused-deliveries", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        self.flush()

    def flush(self) -> None:
        drained = self._tally.drain()
        if not drained:
            return
        try:
            with UnitOfWork(self._engine) as uow:
                record_refusals(uow, drained)
                uow.commit()
        except Exception:
            # Counted again at the next flush rather than lost; logged, as the database is what failed.
            log.exception("refused webhook deliveries not recorded; retrying at the next flush")
            self._tally.restore(drained)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.flush()
