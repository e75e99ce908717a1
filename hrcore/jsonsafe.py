"""Parse untrusted JSON without crashing (pure: no Django).

``json.loads`` raises ``RecursionError`` (a 500) on a document nested ~1,000 levels deep, and a
``\\u0000`` in any string is refused by PostgreSQL (text and jsonb) at write time (another 500,
repeated on every retry). ``loads`` turns both into ``JSONRejected`` (a 400 with a reason) or,
with ``strip_nul=True``, removes the NUL characters (for partner webhooks, whose events must not
be lost over a stray NUL)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONRejected(ValueError):
    """Why a JSON document is refused: ``code`` is stable, ``reason`` is for people."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _too_deep(max_depth: int) -> JSONRejected:
    return JSONRejected("too_deep", f"The JSON is nested deeper than {max_depth} levels.")


def _walk(data: Any, *, max_depth: int, strip_nul: bool) -> tuple[Any, bool]:
    """Check the depth iteratively (no recursion) and find or strip NUL characters; returns the
    (possibly cleaned) document and whether it contained a NUL."""
    found = False

    def clean(text: str) -> str:
        nonlocal found
        if "\x00" in text:
            found = True
            return text.replace("\x00", "") if strip_nul else text
        return text

    if isinstance(data, str):
        return clean(data), found
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise _too_deep(max_depth)
        if isinstance(node, dict):
            items = list(node.items())
            if any(isinstance(k, str) and "\x00" in k for k, _v in items):
                node.clear()
                node.update({clean(k): v for k, v in items})
                items = list(node.items())
            for key, value in items:
                if isinstance(value, str):
                    node[key] = clean(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = clean(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
    return data, found


def loads(
    raw: bytes | str,
    *,
    max_depth: int = MAX_DEPTH,
    strip_nul: bool = False,
    parse_constant=None,
) -> Any:
    """Parse ``raw``; raise ``JSONRejected`` for invalid JSON, too deep a document or (unless
    ``strip_nul``) a NUL character in any string or key."""
    try:
        data = json.loads(raw, parse_constant=parse_constant)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except UnicodeDecodeError as exc:
        raise JSONRejected("malformed", "The body is not UTF-8 text.") from exc
    except ValueError as exc:
        raise JSONRejected("malformed", f"The body is not JSON: {exc}") from exc
    data, found = _walk(data, max_depth=max_depth, strip_nul=strip_nul)
    if found and not strip_nul:
        raise JSONRejected("nul_character", "The JSON contains a \\u0000 (NUL) character.")
    return data
