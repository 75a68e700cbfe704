"""Who is asking — a person or a machine — and which accounts they may see. A principal with an account sees
that account only; one without operates the hub and sees them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class OutOfScopeError(Exception):
    """The principal asked for an account it cannot see."""


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "token"]
    # The user's or the token's id.
    id: int
    # What an action is recorded as done "by": the user's email, or "token:<name>".
    name: str
    account_id: str | None

    @property
    def account_ids(self) -> frozenset[str] | None:
        """The accounts this principal sees; None means every account."""
        return None if self.account_id is None else frozenset({self.account_id})

    def sees(self, account_id: str | None) -> bool:
        """Whether a record of ``account_id`` is visible. Records of no account (hub-wide problems, e.g. a
        dead job) are the hub operator's."""
        return self.account_id is None or account_id == self.account_id

    def narrowed(self, requested: str | None) -> str | None:
        """The account a query is limited to: the one requested if visible, the principal's own otherwise."""
        if requested is None:
            return self.account_id
        if not self.sees(requested):
            raise OutOfScopeError(f"account {requested!r} is not visible to {self.name}")
        return requested
