"""Document the JSON error responses and the token scopes of every operation of the schema."""

from drf_spectacular.openapi import AutoSchema

from .permissions import operation_scopes


class KeelAutoSchema(AutoSchema):
    """Each operation names the token scopes that admit it (``x-token-scopes``, and a line of
    its description), from the same permission code that enforces them."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        scopes = operation_scopes(self.view, self.method)
        if scopes is None:
            return operation
        operation["x-token-scopes"] = list(scopes)
        line = "Token scopes: " + " or ".join(f"`{s}`" for s in scopes) + "."
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\n{line}" if description else line
        return operation


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
