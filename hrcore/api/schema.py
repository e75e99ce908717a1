"""Document the JSON error responses on every operation of the public schema."""

ERROR_STATUSES = {
    "400": "Bad input (message and per-field errors)",
    "401": "Missing or invalid credentials",
    "403": "Not allowed",
    "404": "Not found or not visible",
    "409": "Conflict with the current state",
    "429": "Throttled",
}


def add_error_responses(result, generator, request, public):
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                if code == "409" and method == "get":
                    continue
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
