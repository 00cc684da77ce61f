"""How the OpenAPI schema describes the product's API beyond what drf-spectacular reads from the
views: the token sign-in, and the error answers every operation may give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

# Every operation may answer these, each a JSON object with a "detail" message (in the
# request's language): no or a bad token, no role or a read-only token's write, out of reach,
# a method the resource does not take.
ERRORS = {
    "400": "A filter's value names nothing the user reaches, or is not of its kind.",
    "401": "No token, or one that is unknown, expired or revoked.",
    "403": "The user holds no role, or a read-only token asked to write.",
    "404": "No such record within the user's scope (or a cursor that names no page).",
    "405": "The resource does not take this method.",
}
# And a write, these: its body too large, not JSON, a record still referred to (a deletion), a
# change made from an older version than the record's, or one that names no version.
WRITE_ERRORS = {
    "post": ["413", "415"],
    "put": ["412", "413", "415", "428"],
    "patch": ["412", "413", "415", "428"],
    "delete": ["409", "412"],
}
WRITE_ERROR_TEXTS = {
    "409": "Other records still refer to this one; it was kept.",
    "412": "The record changed since the version the request names (If-Match or version).",
    "413": "The body is larger than API_MAX_BODY_BYTES.",
    "415": "The body is not JSON.",
    "428": "A change must name the version it was made from (If-Match or version).",
}


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token its user made in the admin (API tokens): `Bearer isp_…`.",
        }


def with_errors(result, generator, request, public):
    """drf-spectacular's postprocessing hook: the error answers, on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    # A refused value: each field named with its messages (or a "detail" for the whole request).
    components["FieldErrors"] = {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        },
    }

    def body(name: str) -> dict:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}

    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                content = body("FieldErrors" if status == "400" else "Error")
                responses.setdefault(status, {"description": description, "content": content})
            for status in WRITE_ERRORS.get(method, []):
                description = WRITE_ERROR_TEXTS[status]
                responses.setdefault(status, {"description": description, "content": body("Error")})
    return result
