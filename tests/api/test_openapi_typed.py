"""The whole API stays typed: every 2xx answer in /api/v1/openapi.json has a schema that names
its fields, so a client (and schemathesis) can check what it gets (issue 8's stack rule, issue
12's fuzzing). A new endpoint answering a bare `dict` fails here."""

from __future__ import annotations

from typing import Any

from django.test import Client
from ninja import Schema

# Answers that are files, not JSON: their schema is a binary string.
FILE_DOWNLOADS = {("get", "/api/v1/orders/{order_id}/attachments/{attachment_id}")}

# Fields that are open maps on purpose, each with the area that owns it and why.
OPEN_MAPS = {
    # orders (M): an event's payload is the action's own fields (each action's request schema).
    "HistoryEventOut.payload",
    # standards (A, finished): what a check or clock recorded as the breach's evidence.
    "BreachOut.evidence",
}


def untyped(schema: Any, where: str, components: dict[str, Any], seen: frozenset[str]) -> list[str]:
    """Where in `schema` an object names none of its fields (an untyped `dict`)."""
    if not schema:
        return [f"{where} (no schema)"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return untyped(components[name], name, components, seen | {name})
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += untyped(part, where, components, seen)
    if schema.get("type") == "array":
        found += untyped(schema.get("items"), f"{where}[]", components, seen)
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        values = schema.get("additionalProperties")
        if not properties and values in (None, True, {}) and where not in OPEN_MAPS:
            found.append(where)
        for name, sub in properties.items():
            found += untyped(sub, f"{where}.{name}", components, seen)
        if isinstance(values, dict) and values:
            found += untyped(values, f"{where}{{}}", components, seen)
    if not any(k in schema for k in ("type", "anyOf", "oneOf", "allOf", "enum", "const")):
        found.append(f"{where} (no type)")
    return found


def test_every_success_answer_in_the_openapi_document_names_its_fields(db: Any) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    components = doc["components"]["schemas"]
    problems = []
    operations = 0
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            operations += 1
            success = {c: r for c, r in op["responses"].items() if str(c).startswith("2")}
            if not success:
                problems.append(f"{method.upper()} {path}: no 2xx answer documented")
            for status, answer in success.items():
                content = answer.get("content") or {}
                if not content and str(status) != "204":
                    problems.append(f"{method.upper()} {path} {status}: no content")
                for media, body in content.items():
                    schema = body.get("schema")
                    if (method, path) in FILE_DOWNLOADS:
                        if schema != {"type": "string", "format": "binary"}:
                            problems.append(f"{method.upper()} {path}: a file, not {schema}")
                        continue
                    for spot in untyped(schema, "response", components, frozenset()):
                        problems.append(f"{method.upper()} {path} {status} {media}: {spot}")
    assert operations > 30
    assert not problems, "\n".join(problems)


def test_no_two_answer_schemas_share_a_name(db: Any) -> None:
    """The document names each schema by its class name: two classes of one name would show
    one of them for both (the quality desk's customer in place of the order's)."""
    named = set(Client().get("/api/v1/openapi.json").json()["components"]["schemas"])
    classes: dict[str, set[str]] = {}
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("doorstep."):
            classes.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: where for name, where in classes.items() if len(where) > 1 and name in named}
    assert not clashes


def test_every_operation_documents_its_refusals_in_the_error_shape(db: Any) -> None:
    """Every router declares the handlers' refusals from the one shared definition, so a client
    reading the document for any endpoint (not only the orders') knows a 404 or a 422 is
    {"error": {"code", "message", "fields"?}}."""
    doc = Client().get("/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    missing = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            for status in ("400", "401", "403", "404", "409", "422", "429", "503"):
                content = op["responses"].get(status, {}).get("content", {})
                if content.get("application/json", {}).get("schema") != error:
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, "\n".join(missing)
