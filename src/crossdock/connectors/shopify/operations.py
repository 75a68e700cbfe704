"""The GraphQL operations crossdock sends to Shopify, one per file: ``queries/<Name>.graphql`` holds exactly
one named operation called ``<Name>`` (and the fragments it uses). Keeping them in files lets the test suite
validate every one against Shopify's published schema, and lets a reader see all we ever ask of a shop.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse

QUERIES_PACKAGE = "crossdock.connectors.shopify"
QUERIES_FOLDER = "queries"
# A file stem that is also a GraphQL name: nothing else can be asked for (no path can sneak in).
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

OperationKind = Literal["query", "mutation"]


class UnknownOperation(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(operation_names()) or "none"
        super().__init__(f"no GraphQL operation {name!r} in {QUERIES_FOLDER}/ (known: {known})")
        self.name = name


class InvalidOperationFile(ValueError):
    pass


@dataclass(frozen=True)
class Operation:
    name: str
    kind: OperationKind
    text: str
    document: DocumentNode

    @property
    def definition(self) -> OperationDefinitionNode:
        return next(
            node
            for node in self.document.definitions
            if isinstance(node, OperationDefinitionNode) and node.name and node.name.value == self.name
        )


def operation_names() -> list[str]:
    folder = resources.files(QUERIES_PACKAGE).joinpath(QUERIES_FOLDER)
    return sorted(
        entry.name.removesuffix(".graphql") for entry in folder.iterdir() if entry.name.endswith(".graphql")
    )


@functools.cache
def load_operation(name: str) -> Operation:
    """The operation ``name`` (parsed once per process); UnknownOperation when no file holds it."""
    if not _OPERATION_NAME.match(name):
        raise UnknownOperation(name)
    source = resources.files(QUERIES_PACKAGE).joinpath(QUERIES_FOLDER, f"{name}.graphql")
    if not source.is_file():
        raise UnknownOperation(name)
    return parse_operation(name, source.read_text(encoding="utf-8"))


def parse_operation(name: str, text: str) -> Operation:
    """Parse a file's text, checking that it holds exactly one operation and that it is named ``name``."""
    try:
        document = parse(text)
    except GraphQLError as error:
        raise InvalidOperationFile(f"{name}.graphql does not parse: {error.message}") from None
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if len(operations) != 1:
        raise InvalidOperationFile(f"{name}.graphql holds {len(operations)} operations; it must hold one")
    (operation,) = operations
    found = operation.name.value if operation.name else None
    if found != name:
        raise InvalidOperationFile(f"{name}.graphql names its operation {found!r}; it must be {name!r}")
    kind = operation.operation.value
    if kind not in ("query", "mutation"):
        raise InvalidOperationFile(f"{name}.graphql is a {kind}; the Admin API takes queries and mutations")
    return Operation(name=name, kind="query" if kind == "query" else "mutation", text=text, document=document)
