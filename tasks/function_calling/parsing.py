"""Reading tool calls out of a model response. Calls are only parsed, never executed.

Three forms are understood, tried in this order:
  1. TUCAN call blocks: ```` ```tool_call {"name": ..., "arguments": {...}} ``` ````, one call per
     block (a block may also hold a JSON list of calls); every block in the response counts, so
     several blocks make several calls (parallel categories). TUCAN itself reads only the first
     block: with `first_block_only` (TUCAN items) nothing after it is read.
  2. A bare JSON object or list of objects with "name" and "arguments" / "parameters" (the whole
     response, or a ```json fenced block).
  3. BFCL's Python call syntax: `func(a=1, b="x")` or `[f(a=1), g.h(b=[1, 2])]`, read with
     `ast.parse` and `ast.literal_eval` on the argument nodes only: literals, never code.

The result is one of three kinds: "calls" (at least one call), "no_call" (plain text) and
"malformed" (a call was attempted but cannot be read: a broken or unterminated tool_call block,
invalid JSON that starts like a call, a call expression with non-literal arguments).

Robustness: the response is cut to MAX_CHARS before parsing, and every parser error
(ValueError, SyntaxError, RecursionError, MemoryError, ...) is caught and classified, so deeply
nested, huge, truncated or invalid outputs never crash the scorer.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

MAX_CHARS = 32_000  # longer responses are cut: no real call needs more, and parsing stays fast
MAX_CALLS = 64  # more calls than this is never right; the rest are dropped (still a wrong answer)

CALLS, NO_CALL, MALFORMED = "calls", "no_call", "malformed"

_BLOCK = re.compile(r"```tool_call(.*?)```", re.DOTALL)
_BLOCK_START = "```tool_call"
_FENCE = re.compile(r"```(?:json|python|py)?[ \t]*\n(.*?)```", re.DOTALL)
# A line that starts like a Python call: `name(` or `pkg.name(` or `[name(`.
_CALL_START = re.compile(r"^\s*\[?\s*[A-Za-z_][\w.]*\s*\(")


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class Parsed:
    kind: str  # CALLS | NO_CALL | MALFORMED
    calls: tuple[Call, ...] = ()
    reason: str = ""  # why a response is malformed

    def __post_init__(self) -> None:
        if self.kind not in (CALLS, NO_CALL, MALFORMED):
            raise ValueError(f"unknown parse kind {self.kind!r}")


class _Unreadable(Exception):
    """Something that looks like a call but cannot be read as one."""


_PARSE_ERRORS = (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, _Unreadable)


def parse_calls(response: str, *, first_block_only: bool = False) -> Parsed:
    """Classify `response` and read its calls. Never raises for any string input.
    `first_block_only`: read only the first tool_call block (TUCAN's rule), so whatever follows
    it (a broken second block, say) is never read."""
    text = response[:MAX_CHARS]
    try:
        return _parse(text, first_block_only)
    except _PARSE_ERRORS as exc:  # a last guard: every path below already classifies
        return Parsed(MALFORMED, reason=f"{type(exc).__name__}")


def _parse(text: str, first_block_only: bool) -> Parsed:
    if _BLOCK_START in text:
        return _parse_blocks(text, first_block_only)
    stripped = text.strip()
    if not stripped:
        return Parsed(NO_CALL)
    candidates = [stripped] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        if candidate[:1] in "{[":
            parsed = _try(_calls_from_json_text, candidate)
            if parsed is not None:
                return parsed
        if _CALL_START.match(candidate):
            parsed = _try(_calls_from_python, candidate)
            if parsed is not None:
                return parsed
    # A response that is nothing but an attempt at a call, yet unreadable, is malformed;
    # prose that merely contains a brace or a parenthesis is just text.
    if stripped[0] in "{[" or (_CALL_START.match(stripped) and "\n" not in stripped):
        return Parsed(MALFORMED, reason="unreadable call")
    return Parsed(NO_CALL)


def _try(reader: Any, text: str) -> Parsed | None:
    try:
        calls = reader(text)
    except _PARSE_ERRORS:
        return None
    return Parsed(CALLS, tuple(calls[:MAX_CALLS])) if calls else None


def _parse_blocks(text: str, first_block_only: bool) -> Parsed:
    if first_block_only:
        first = _BLOCK.search(text)
        bodies = [first.group(1)] if first else []
        unterminated = not bodies
    else:
        bodies = [m.group(1) for m in _BLOCK.finditer(text)]
        unterminated = not bodies or text.count(_BLOCK_START) > len(bodies)
    if unterminated:
        return Parsed(MALFORMED, reason="unterminated tool_call block")
    calls: list[Call] = []
    for body in bodies:
        try:
            calls.extend(_calls_from_json_text(body.strip()))
        except _PARSE_ERRORS as exc:
            return Parsed(MALFORMED, reason=f"tool_call block: {type(exc).__name__}")
        if len(calls) >= MAX_CALLS:
            break
    if not calls:
        return Parsed(MALFORMED, reason="empty tool_call block")
    return Parsed(CALLS, tuple(calls[:MAX_CALLS]))


# --- JSON ---------------------------------------------------------------------------------


def _calls_from_json_text(text: str) -> list[Call]:
    # Python's int() refuses more than 4,300 digits (ValueError): such a number is unreadable.
    value = json.loads(text)
    items = value if isinstance(value, list) else [value]
    return [_call_from_json(item) for item in items]


def _call_from_json(value: Any) -> Call:
    if not isinstance(value, dict):
        raise _Unreadable("a call must be a JSON object")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Unreadable("a call needs a string 'name'")
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):  # OpenAI style: arguments as a JSON string
        arguments = json.loads(arguments) if arguments.strip() else {}
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise _Unreadable("'arguments' must be an object")
    return Call(name.strip(), arguments)


# --- Python call syntax (BFCL) ------------------------------------------------------------


def _calls_from_python(text: str) -> list[Call]:
    with warnings.catch_warnings():  # "1e309f" and the like: a SyntaxWarning, not our output
        warnings.simplefilter("ignore", SyntaxWarning)
        tree = ast.parse(text, mode="eval").body
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    return [_call_from_node(node) for node in nodes]


def _call_from_node(node: ast.expr) -> Call:
    if not isinstance(node, ast.Call) or node.args:
        raise _Unreadable("expected name(keyword=literal, ...)")
    arguments: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Unreadable("**kwargs are not literals")
        # literal_eval only builds literals (numbers, strings, lists, dicts, ...); anything
        # else (names, calls, attribute access) raises ValueError. Nothing is executed.
        arguments[keyword.arg] = _check_size(ast.literal_eval(keyword.value))
    return Call(_dotted_name(node.func), arguments)


# A hex or binary literal has no digit limit (0x + 3,600 digits is a 14,400-bit int) but cannot
# be printed or compared in decimal; JSON's own numbers stop at 4,300 digits. Both readers give
# up at the same size: such an argument is unreadable.
_MAX_INT_BITS = 14_000


def _check_size(value: Any, depth: int = 0) -> Any:
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise _Unreadable("a number too large to read")
    if isinstance(value, complex):
        raise _Unreadable("complex numbers are not argument values")
    if isinstance(value, (list, tuple, set, frozenset)):
        for element in value:
            _check_size(element, depth + 1)
    elif isinstance(value, dict):
        for key, element in value.items():
            _check_size(key, depth + 1)
            _check_size(element, depth + 1)
    return value


def _dotted_name(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise _Unreadable("a function name must be a dotted identifier")
    parts.append(node.id)
    return ".".join(reversed(parts))
