"""The Shopify Admin GraphQL client (API version pinned to 2026-07): one per shop, async, over a shared
``httpx.AsyncClient``.

``execute("OperationName", variables)`` sends the operation of ``queries/OperationName.graphql`` and returns
its ``data``. Around each attempt it:

- **paces**: reserves the call's estimated cost (crossdock.connectors.shopify.cost_estimates) in the shop's
  rate budget, waiting as long as the leaky bucket needs to cover it, then settles with what Shopify
  charged and reported in ``extensions.cost``;
- **retries** within the call, up to ``shopify.max_attempts``, what did not work for a passing reason:
  THROTTLED (the budget, now aware of Shopify's figures, makes the retry wait just long enough), HTTP 429,
  5xx, timeouts and lost connections, with exponential backoff and jitter. Queries and mutations carrying an
  idempotency key are always safe to send again; a mutation without one is sent again only when it surely
  did not run (THROTTLED, 429, a connection that was never opened) — otherwise ShopifyOutcomeUnknown;
- **types** the failures (crossdock.connectors.shopify.errors), userErrors included;
- **records** every attempt in ``outbound_calls`` (target ``shopify:<domain>``, operation, idempotency key —
  the caller's, or a fresh one per logical call so its attempts group —, status, duration, variables,
  requested and actual cost, throttle status, HTTP status, userErrors, job id).

**One budget per shop, shared by the whole hub.** Shopify's bucket belongs to the app and the shop: every
thread of every process that calls one shop (web, workers, the CLI, on any machine) draws from the same
points, so pacing per client, per thread or per process would let them overdraw it together and turn each
other's calls into THROTTLED answers. The budget is therefore a row of the database table ``rate_budgets``
(key ``shopify:<domain>``), reserved and settled in one short transaction under a row lock
(crossdock.store.rate_budgets): the database is the one thing all those processes already share, so the
budget needs no Redis nor any other new server and survives restarts. Each reservation and settlement is a
small write; those of one process that arrive together share one transaction (group commit), and a
settlement that moves no point is not written at all. Within a process, every worker reaches the same
ShopifyClient through crossdock.connectors.shopify.clients (one client, connection pool and cost memory per
shop). Before the first answer, the budget assumes Shopify's smallest plan (a full bucket of 2,000 points
restoring 100 per second, crossdock.domain.leaky_bucket); answers then give the shop's real figures.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

import crossdock
from crossdock.connectors.shopify.budget import RateBudget
from crossdock.connectors.shopify.call_log import CallRecorder
from crossdock.connectors.shopify.cost_estimates import CostEstimates
from crossdock.connectors.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyOutcomeUnknown,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserErrors,
    UserError,
)
from crossdock.connectors.shopify.operations import Operation, load_operation
from crossdock.domain.leaky_bucket import ThrottleStatus
from crossdock.store.outbound_calls import CallStatus

API_VERSION = "2026-07"
# The variable through which an operation receives the call's idempotency key:
# `@idempotent(key: $idempotencyKey)`.
IDEMPOTENCY_KEY_VARIABLE = "idempotencyKey"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
# Variables are recorded as sent unless their JSON is longer than this.
RECORDED_VARIABLES_MAX_CHARS = 2000
RECORDED_ERRORS_MAX = 5

Sleep = Callable[[float], Awaitable[None]]
# "never": the attempt was final; "always": Shopify surely did not run it; "if_safe": it may have run.
RetryRule = Literal["never", "always", "if_safe"]


@dataclass
class _Outcome:
    status: CallStatus
    retry: RetryRule
    problem: str | None = None
    http_status: int | None = None
    answer: dict[str, Any] | None = None
    # Points to settle when the answer says nothing of the cost: 0 if the call surely did not run, else None
    # (the reservation is kept: it may have been charged).
    charged_without_answer: float | None = None
    retry_after: float | None = None
    fatal: ShopifyError | None = None
    user_errors: list[UserError] = field(default_factory=list)

    @property
    def cost(self) -> Mapping[str, Any]:
        extensions = (self.answer or {}).get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        return cost if isinstance(cost, dict) else {}


class ShopifyClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        shop_domain: str,
        base_url: str,
        access_token: str,
        budget: RateBudget,
        recorder: CallRecorder,
        timeout_seconds: float,
        max_attempts: int,
        backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
        backoff_max_seconds: float = BACKOFF_MAX_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.shop_domain = shop_domain
        self.endpoint = f"{base_url.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"
        self.budget = budget
        self.recorder = recorder
        self.estimates = CostEstimates()
        self._http = http
        self._headers = {
            "X-Shopify-Access-Token": access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"crossdock/{crossdock.__version__}",
        }
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_seconds
        self._backoff_max = backoff_max_seconds
        self._sleep = sleep

    async def execute(
        self,
        operation: str,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        job_id: str | None = None,
        subject: str | None = None,
    ) -> dict[str, Any]:
        """Run ``operation`` and return its ``data``; raise a ShopifyError subclass when it cannot.
        ``subject`` names what the call is about (an order's GID), recorded with each attempt."""
        document = load_operation(operation)
        call_key = idempotency_key or uuid.uuid4().hex
        sent_variables = dict(variables or {})
        declares_key = any(
            definition.variable.name.value == IDEMPOTENCY_KEY_VARIABLE
            for definition in document.definition.variable_definitions
        )
        if declares_key:
            sent_variables.setdefault(IDEMPOTENCY_KEY_VARIABLE, call_key)
        # An @idempotent mutation is applied once per key by Shopify; a key given by the caller says the
        # caller made the operation idempotent itself.
        safe_to_resend = document.kind == "query" or idempotency_key is not None or declares_key
        last_problem = "no attempt"
        for attempt in range(1, self._max_attempts + 1):
            outcome = await self._attempt(document, sent_variables, call_key, job_id, subject)
            if outcome.fatal is not None:
                raise outcome.fatal
            if outcome.retry == "never":
                data = (outcome.answer or {}).get("data")
                return data if isinstance(data, dict) else {}
            last_problem = outcome.problem or "failed"
            if outcome.retry == "if_safe" and not safe_to_resend:
                raise ShopifyOutcomeUnknown(operation, last_problem)
            delay = self._delay_before_retry(attempt, outcome)
            if attempt < self._max_attempts and delay > 0:
                await self._sleep(delay)
        raise ShopifyUnavailable(operation, self._max_attempts, last_problem)

    async def _attempt(
        self,
        operation: Operation,
        variables: dict[str, Any],
        call_key: str,
        job_id: str | None,
        subject: str | None,
    ) -> _Outcome:
        estimate = self.estimates.estimate(operation, variables)
        waited = await self.budget.reserve(estimate)
        outcome: _Outcome | None = None
        call_id: int | None = None
        started = time.perf_counter()
        try:
            call_id = await self.recorder.start(
                operation=operation.name,
                idempotency_key=call_key,
                request_summary={
                    "api_version": API_VERSION,
                    "variables": _trimmed(variables),
                    "estimated_cost": estimate,
                    "paced_ms": round(waited * 1000, 3),
                },
                job_id=job_id,
                subject=subject,
            )
            started = time.perf_counter()
            outcome = await self._send(operation, variables)
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            # Also on cancellation: the reservation is given back (or kept, if the request may have run).
            await self._settle(estimate, outcome)
            if call_id is not None:
                await self.recorder.finish(
                    call_id,
                    status=outcome.status if outcome else "retriable_error",
                    duration_ms=duration_ms,
                    response_summary=_response_summary(outcome) if outcome else None,
                    error=outcome.problem if outcome else "interrupted before an answer",
                )
        assert outcome is not None  # _send returns an outcome or raises, and raising left above
        requested = outcome.cost.get("requestedQueryCost")
        if isinstance(requested, int | float):
            self.estimates.learn(operation, variables, float(requested))
        return outcome

    async def _settle(self, reserved: float, outcome: _Outcome | None) -> None:
        cost = outcome.cost if outcome else {}
        actual = cost.get("actualQueryCost")
        if isinstance(actual, int | float):
            charged = float(actual)
        elif outcome is not None and outcome.charged_without_answer is not None:
            charged = outcome.charged_without_answer
        elif cost.get("requestedQueryCost") is not None:
            # A cost but no actual figure: refused before running (THROTTLED, over the single-query
            # maximum), so not charged.
            charged = 0.0
        else:
            charged = reserved
        await self.budget.settle(reserved=reserved, actual=charged, reported=_throttle_status(cost))

    async def _send(self, operation: Operation, variables: dict[str, Any]) -> _Outcome:
        body = {"query": operation.text, "variables": variables, "operationName": operation.name}
        try:
            response = await self._http.post(
                self.endpoint, json=body, headers=self._headers, timeout=self._timeout
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # No connection was ever made: nothing reached Shopify.
            return _Outcome(
                "retriable_error", "always", f"not sent: {_describe(error)}", charged_without_answer=0.0
            )
        except httpx.TimeoutException as error:
            return _Outcome("retriable_error", "if_safe", f"timeout: {_describe(error)}")
        except httpx.TransportError as error:
            return _Outcome("retriable_error", "if_safe", f"connection lost: {_describe(error)}")
        return _classify(operation, response)

    def _delay_before_retry(self, attempt: int, outcome: _Outcome) -> float:
        if outcome.retry_after is not None:
            return outcome.retry_after
        if outcome.problem == "THROTTLED" and _throttle_status(outcome.cost) is not None:
            return 0.0  # the budget, lowered to what Shopify reported, makes the next reservation wait
        ceiling: float = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _classify(operation: Operation, response: httpx.Response) -> _Outcome:
    status = response.status_code
    answer = _json_object(response)
    if status in (401, 403):
        detail = str((answer or {}).get("errors") or response.text[:200])
        return _Outcome(
            "fatal_error",
            "never",
            f"HTTP {status}",
            status,
            answer,
            charged_without_answer=0.0,
            fatal=ShopifyAuthError(operation.name, status, detail),
        )
    if status == 429:
        return _Outcome(
            "retriable_error",
            "always",
            "THROTTLED" if _has_code(answer, "THROTTLED") else "HTTP 429",
            status,
            answer,
            charged_without_answer=0.0,
            retry_after=_retry_after(response),
        )
    if status >= 500:
        return _Outcome("retriable_error", "if_safe", f"HTTP {status}", status, answer)
    if status == 200 and answer is None:
        # Something between us and Shopify answered, or the answer was cut: it may have run.
        return _Outcome("retriable_error", "if_safe", "HTTP 200 without a JSON object", status)
    if status != 200 or answer is None:
        errors = (answer or {}).get("errors")
        listed = errors if isinstance(errors, list) else [{"message": str(errors or response.text[:200])}]
        fatal = ShopifyQueryError(operation.name, listed, status)
        return _Outcome(
            "fatal_error", "never", f"HTTP {status}", status, answer, charged_without_answer=0.0, fatal=fatal
        )
    errors = answer.get("errors")
    if errors:
        if _has_code(answer, "THROTTLED"):
            return _Outcome(
                "retriable_error", "always", "THROTTLED", status, answer, charged_without_answer=0.0
            )
        if _has_code(answer, "INTERNAL_SERVER_ERROR"):
            return _Outcome("retriable_error", "if_safe", "INTERNAL_SERVER_ERROR", status, answer)
        listed = errors if isinstance(errors, list) else [{"message": str(errors)}]
        refusal = ShopifyQueryError(
            operation.name, [e if isinstance(e, dict) else {"message": e} for e in listed]
        )
        return _Outcome("fatal_error", "never", str(refusal), status, answer, fatal=refusal)
    user_errors = _user_errors(answer) if operation.kind == "mutation" else []
    if user_errors:
        refused = ShopifyUserErrors(operation.name, user_errors)
        return _Outcome(
            "fatal_error",
            "never",
            f"userErrors: {refused}",
            status,
            answer,
            fatal=refused,
            user_errors=user_errors,
        )
    return _Outcome("succeeded", "never", None, status, answer)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        parsed = response.json()
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _has_code(answer: Mapping[str, Any] | None, code: str) -> bool:
    errors = (answer or {}).get("errors")
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == code for error in errors
    )


def _user_errors(answer: Mapping[str, Any]) -> list[UserError]:
    data = answer.get("data")
    if not isinstance(data, dict):
        return []
    found: list[UserError] = []
    for payload in data.values():
        if isinstance(payload, dict):
            found += [UserError.from_json(error) for error in payload.get("userErrors") or []]
    return found


def _throttle_status(cost: Mapping[str, Any]) -> ThrottleStatus | None:
    status = cost.get("throttleStatus")
    if not isinstance(status, dict):
        return None
    try:
        return ThrottleStatus(
            maximum_available=float(status["maximumAvailable"]),
            currently_available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _describe(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _trimmed(variables: Mapping[str, Any]) -> Any:
    text = json.dumps(variables, default=str)
    if len(text) <= RECORDED_VARIABLES_MAX_CHARS:
        return json.loads(text)
    return {"_truncated": True, "_chars": len(text), "_preview": text[:RECORDED_VARIABLES_MAX_CHARS]}


def _response_summary(outcome: _Outcome) -> dict[str, Any]:
    cost = outcome.cost
    summary: dict[str, Any] = {
        "http_status": outcome.http_status,
        "requested_cost": cost.get("requestedQueryCost"),
        "actual_cost": cost.get("actualQueryCost"),
        "throttle_status": cost.get("throttleStatus"),
    }
    if outcome.user_errors:
        summary["user_errors"] = [
            {"field": error.field, "message": error.message, "code": error.code}
            for error in outcome.user_errors
        ]
    errors = (outcome.answer or {}).get("errors")
    if errors:
        summary["errors"] = errors[:RECORDED_ERRORS_MAX] if isinstance(errors, list) else errors
    return summary
