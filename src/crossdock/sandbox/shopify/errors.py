"""Validation errors in the shape Shopify's GraphQL server (graphql-ruby) gives them, for the cases an
integration meets: a field that does not exist, an argument that is missing or unknown."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

_UNDEFINED_FIELD = re.compile(r"^Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'\.")
_UNKNOWN_ARGUMENT = re.compile(
    r"^Unknown argument '(?P<argument>\w+)' on field '(?P<type>\w+)\.(?P<field>\w+)'\."
)
_MISSING_ARGUMENT = re.compile(
    r"^Field '(?P<field>\w+)' argument '(?P<argument>\w+)' of type '(?P<kind>[^']+)' is required"
)


def shopify_validation_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    message = error.message
    if match := _UNDEFINED_FIELD.match(message):
        formatted["message"] = f"Field '{match['field']}' doesn't exist on type '{match['type']}'"
        formatted["extensions"] = {
            "code": "undefinedField",
            "typeName": match["type"],
            "fieldName": match["field"],
        }
    elif match := _UNKNOWN_ARGUMENT.match(message):
        formatted["message"] = f"Field '{match['field']}' doesn't accept argument '{match['argument']}'"
        formatted["extensions"] = {
            "code": "argumentNotAccepted",
            "name": match["field"],
            "typeName": "Field",
            "argumentName": match["argument"],
        }
    elif match := _MISSING_ARGUMENT.match(message):
        formatted["message"] = f"Field '{match['field']}' is missing required arguments: {match['argument']}"
        formatted["extensions"] = {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": match["field"],
            "arguments": match["argument"],
        }
    else:
        formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    return formatted
