"""One request to the sandbox's Admin GraphQL endpoint, from JSON body to JSON answer, the way Shopify runs
it: parse, validate against the schema (nothing runs on an invalid query), refuse what Shopify refuses
before execution (missing ``@idempotent``, over 1,000 points, a bucket too empty), execute, then charge the
actual cost and report ``extensions.cost`` on every answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
    value_from_ast_untyped,
)

from crossdock.sandbox.shopify.cost import CostCalculator
from crossdock.sandbox.shopify.errors import shopify_validation_error
from crossdock.sandbox.shopify.fulfillment_services import install_fulfillment_service_resolvers
from crossdock.sandbox.shopify.idempotency import IdempotencyRegistry
from crossdock.sandbox.shopify.inventory_resolvers import (
    IDEMPOTENT_REQUIRED,
    MAX_INPUT_SIZE,
    idempotency_key,
    install_mutation_resolvers,
)
from crossdock.sandbox.shopify.metafields import install_metafield_resolvers
from crossdock.sandbox.shopify.order_resolvers import install_order_resolvers
from crossdock.sandbox.shopify.plans import SINGLE_QUERY_MAX_COST, Plan
from crossdock.sandbox.shopify.root_resolvers import install_query_resolvers
from crossdock.sandbox.shopify.schema import load_subset_schema
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.throttle import LeakyBucket
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from crossdock.sandbox.shopify.webhooks.subscriptions import install_webhook_resolvers

Answer = tuple[int, dict[str, Any]]
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
IDEMPOTENT_MISSING = "The @idempotent directive is required for this mutation but was not provided."


def sandbox_schema() -> GraphQLSchema:
    schema = load_subset_schema()
    install_query_resolvers(schema)
    install_mutation_resolvers(schema)
    install_webhook_resolvers(schema)
    install_order_resolvers(schema)
    install_metafield_resolvers(schema)
    install_fulfillment_service_resolvers(schema)
    return schema


@dataclass
class ShopifySandbox:
    state: ShopState
    plan: Plan
    # HTTP status of a THROTTLED answer: Shopify answers 200; some clients are easier to test with 429.
    throttled_status: int = 200
    monotonic: Callable[[], float] = time.monotonic
    idempotency: IdempotencyRegistry = field(default_factory=IdempotencyRegistry)
    schema: GraphQLSchema = field(default_factory=sandbox_schema)
    webhooks: WebhookService = field(default_factory=WebhookService)
    bucket: LeakyBucket = field(init=False)
    # How many calls this shop refused as THROTTLED: its own side of a rehearsal's "never throttled".
    throttled_answers: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.bucket = LeakyBucket(self.plan.bucket_size, self.plan.restore_rate, self.monotonic())

    def handle(self, body: Any) -> Answer:
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or not query.strip():
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return 400, {"errors": {"variables": "Required parameter missing or invalid"}}
        try:
            document = parse(query)
        except GraphQLError as error:
            return 200, {"errors": [dict(error.formatted)]}
        problems = validate(self.schema, document)
        if problems:
            return 200, {"errors": [shopify_validation_error(problem) for problem in problems]}
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return 200, {"errors": [{"message": "An operation name is required"}]}
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        with self._lock:
            return self._run(document, operation, fragments, variables)

    def _run(
        self,
        document: Any,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> Answer:
        calculator = CostCalculator(self.schema)
        try:
            requested = calculator.requested_cost(operation, fragments, variables)
        except GraphQLError as error:
            return 200, {"errors": [dict(error.formatted)]}
        now = self.monotonic()
        if requested > SINGLE_QUERY_MAX_COST:
            return 200, {
                "errors": [max_cost_error(requested)],
                "extensions": self._cost(requested, None, now),
            }
        if not self.bucket.try_charge(requested, now):
            self.throttled_answers += 1
            return self.throttled_status, {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
                    }
                ],
                "extensions": self._cost(requested, None, now),
            }
        refused = self._refused_before_execution(operation, variables)
        if refused is not None:
            data, errors = refused
            actual = requested
        else:
            result = execute_sync(
                self.schema,
                document,
                context_value=self,
                variable_values=variables,
                operation_name=operation.name.value if operation.name else None,
            )
            data = result.data
            errors = [dict(error.formatted) for error in result.errors or []]
            actual = calculator.actual_cost(operation, fragments, variables, data)
        self.bucket.refund(requested - actual, self.monotonic())
        answer: dict[str, Any] = {"data": data}
        if errors:
            answer = {"errors": errors, **answer}
        answer["extensions"] = self._cost(requested, actual, self.monotonic())
        return 200, answer

    def _refused_before_execution(
        self, operation: OperationDefinitionNode, variables: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]] | None:
        if operation.operation.value != "mutation":
            return None
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name in IDEMPOTENT_REQUIRED and idempotency_key(selection, variables) is None:
                response_key = selection.alias.value if selection.alias else name
                return {response_key: None}, [
                    {
                        "message": IDEMPOTENT_MISSING,
                        "extensions": {"code": "BAD_REQUEST"},
                        "path": [response_key],
                    }
                ]
            oversized = _oversized_input(selection, variables)
            if oversized is not None:
                response_key = selection.alias.value if selection.alias else name
                return {response_key: None}, [oversized]
        return None

    def _cost(self, requested: int, actual: int | None, now: float) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(now).to_json(),
            }
        }


def max_cost_error(requested: int) -> dict[str, Any]:
    return {
        "message": (
            f"Query cost is {requested}, which exceeds the single query max cost limit "
            f"({SINGLE_QUERY_MAX_COST}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
            "cost of a query is calculated.\n\n"
            "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
            "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
        ),
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": SINGLE_QUERY_MAX_COST},
    }


def _oversized_input(selection: FieldNode, variables: dict[str, Any]) -> dict[str, Any] | None:
    """Input arrays are limited to 250 items on every Shopify API."""
    for argument in selection.arguments:
        value = value_from_ast_untyped(argument.value, variables)
        for path, size in _array_sizes(value, [selection.name.value, argument.name.value]):
            if size > MAX_INPUT_SIZE:
                return {
                    "message": f"The input array size of {size} is greater than the maximum allowed of "
                    f"{MAX_INPUT_SIZE}.",
                    "locations": [
                        {"line": argument.loc.start_token.line, "column": argument.loc.start_token.column}
                    ]
                    if argument.loc
                    else [],
                    "path": path,
                    "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                }
    return None


def _array_sizes(value: Any, path: list[str]) -> list[tuple[list[str], int]]:
    found: list[tuple[list[str], int]] = []
    if isinstance(value, list):
        found.append((path, len(value)))
        for item in value:
            found += _array_sizes(item, path)
    elif isinstance(value, dict):
        for key, inner in value.items():
            found += _array_sizes(inner, [*path, key])
    return found
