"""What can go wrong calling Shopify's Admin API, split by what the caller should do about it.

- ``ShopifyUnavailable``: Shopify could not be reached or kept refusing for load (THROTTLED, 429, 5xx,
  timeouts, lost connections) for every attempt; trying again later may succeed, so a job retries.
- ``ShopifyOutcomeUnknown``: a mutation without idempotency key failed after it may have reached Shopify;
  sending it again could apply it twice, so nothing retries it blindly: read the state first.
- ``ShopifyAuthError``, ``ShopifyQueryError``, ``ShopifyUserErrors``, ``ShopifyNotConfigured``: another
  attempt would fail the same way. They are ``FatalJobError``s, so a job that lets one escape goes to the
  exceptions inbox at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crossdock.jobs.errors import FatalJobError


class ShopifyError(Exception):
    """Base of every error of the Shopify client."""


class ShopifyUnavailable(ShopifyError):
    def __init__(self, operation: str, attempts: int, last_problem: str) -> None:
        super().__init__(f"{operation}: Shopify unavailable after {attempts} attempt(s): {last_problem}")
        self.operation = operation
        self.attempts = attempts
        self.last_problem = last_problem


class ShopifyOutcomeUnknown(ShopifyError):
    def __init__(self, operation: str, problem: str) -> None:
        super().__init__(
            f"{operation}: {problem} after the mutation was sent; it may or may not have been applied "
            "(sent without idempotency key, so it is not retried): check the state in Shopify first"
        )
        self.operation = operation
        self.problem = problem


class ShopifyNotConfigured(ShopifyError, FatalJobError):
    """The shop lacks what a call needs (its access token): nothing was sent."""


class ShopifyAuthError(ShopifyError, FatalJobError):
    def __init__(self, operation: str, status: int, detail: str) -> None:
        super().__init__(f"{operation}: Shopify refused the credentials (HTTP {status}): {detail}")
        self.operation = operation
        self.status = status
        self.detail = detail


class ShopifyQueryError(ShopifyError, FatalJobError):
    """GraphQL errors other than THROTTLED (an invalid query, a missing directive, a cost over the limit), or
    an HTTP refusal that another attempt would repeat."""

    def __init__(self, operation: str, errors: Sequence[Mapping[str, Any]], status: int = 200) -> None:
        messages = "; ".join(_describe(error) for error in errors) or "no detail"
        super().__init__(f"{operation}: Shopify refused the request (HTTP {status}): {messages}")
        self.operation = operation
        self.errors = [dict(error) for error in errors]
        self.status = status

    @property
    def codes(self) -> list[str | None]:
        return [(error.get("extensions") or {}).get("code") for error in self.errors]


@dataclass(frozen=True)
class UserError:
    """One of a mutation payload's ``userErrors``: Shopify ran the mutation and refused its input."""

    field: list[str] | None
    message: str
    code: str | None

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> UserError:
        field = value.get("field")
        return cls(
            field=[str(part) for part in field] if field is not None else None,
            message=str(value.get("message", "")),
            code=value.get("code"),
        )


class ShopifyUserErrors(ShopifyError, FatalJobError):
    def __init__(self, operation: str, errors: Sequence[UserError]) -> None:
        described = "; ".join(
            f"{'.'.join(error.field) if error.field else '-'}: {error.message}"
            + (f" ({error.code})" if error.code else "")
            for error in errors
        )
        super().__init__(f"{operation}: {described}")
        self.operation = operation
        self.errors = list(errors)

    @property
    def codes(self) -> list[str | None]:
        return [error.code for error in self.errors]


def _describe(error: Mapping[str, Any]) -> str:
    code = (error.get("extensions") or {}).get("code")
    message = str(error.get("message", error))
    return f"{message} ({code})" if code else message
