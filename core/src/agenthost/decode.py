"""Request bodies to JSON values, one strict way for every frontend.

``decode_json`` refuses, with a ``BodyError`` naming the problem, a body that is empty, not
UTF-8, not JSON as RFC 8259 defines it (no ``NaN``, no number that overflows to infinity),
nested deeper than ``MAX_DEPTH`` containers, or holding a lone UTF-16 surrogate (``"\\ud800"``,
which no store or response can encode). What it returns is safe to validate, store and
serialise. The size limit is ``http.BodyLimitMiddleware``'s, which raises a 413 ``BodyError``
from ``receive``. Each frontend answers a ``BodyError`` in its protocol's own error shape.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
"""Containers nested deeper than this are refused: generous for any real request (tool
schemas included), and far below what would exhaust the stack of a recursive consumer."""

PARSE_ERRORS = frozenset({"empty_body", "invalid_utf8", "invalid_json"})
"""``BodyError.code``s of a body that is not JSON text at all (JSON-RPC's -32700)."""


class BodyError(Exception):
    """A request body the host refuses: HTTP ``status``, a stable ``code``, a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def too_large(limit: int) -> BodyError:
    return BodyError(
        413,
        "request_too_large",
        f"request body is larger than the limit of {limit} bytes (host.max_body_bytes)",
    )


def decode_json(body: bytes, *, required: bool = True, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``body``; an empty body is an error, or None when not ``required``."""
    if not body.strip(b" \t\r\n"):
        if not required:
            return None
        raise BodyError(400, "empty_body", "request body is empty; expected JSON")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(
            400,
            "invalid_utf8",
            f"request body is not UTF-8: byte 0x{body[exc.start]:02x} at offset {exc.start}",
        ) from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        # The C scanner guards its recursion: a body this deep fails here, before any check.
        raise _too_deep(max_depth) from None
    except ValueError as exc:  # JSONDecodeError, and the hooks' and int()'s own errors
        reason = str(exc).split("; use sys.")[0]  # int()'s advice is for Python programmers
        raise BodyError(400, "invalid_json", f"request body is not valid JSON: {reason}") from None
    if _deeper_than(body, max_depth):
        raise _too_deep(max_depth)
    if _SURROGATE_ESCAPE.search(body):
        _refuse_lone_surrogates(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal[:40]} is out of range")
    return number


def _too_deep(limit: int) -> BodyError:
    return BodyError(
        400, "too_deep", f"request body is nested deeper than {limit} arrays and objects"
    )


_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _deeper_than(body: bytes, limit: int) -> bool:
    """Whether valid JSON ``body`` nests more than ``limit`` containers, without recursion.

    Outside strings, the depth is the highest running sum of +1 per opening and -1 per
    closing bracket, computed in C. Bodies with few brackets, nearly all of them, skip it.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    # Escapes blanked (backslash pairs first, as a parser reads them), every quote left opens
    # or closes a string: the even pieces between quotes are what lies outside strings.
    pieces = body.replace(b"\\\\", b"__").replace(b'\\"', b"__").split(b'"')
    steps = b"".join(pieces[::2]).translate(_STEPS, _NOT_BRACKET)
    return max(accumulate(array("b", steps)), default=0) > limit


def _refuse_lone_surrogates(value: Any) -> None:
    # A paired escape decodes to one code point; only a lone one fails to encode as UTF-8.
    dumped = json.dumps(value, ensure_ascii=False)
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BodyError(
            400,
            "lone_surrogate",
            f"request body holds a lone UTF-16 surrogate (\\u{ord(dumped[exc.start]):04x}) in "
            "a string; escape characters outside the BMP as surrogate pairs",
        ) from None
