"""Shared helpers for the naive-datetime family."""

from __future__ import annotations

import ast

NEEDLES = ("datetime",)


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def tz_argument(call: ast.Call, name: str, position: int) -> ast.AST | None:
    """The tz argument of a call, by keyword or position; None when absent."""
    kw = keyword(call, name)
    if kw is not None:
        return kw.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def has_unpacking(call: ast.Call) -> bool:
    """`f(*args)` or `f(**kwargs)`: the arguments are unknown, so stay quiet."""
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


def method_chain(node: ast.AST, ancestors: list[ast.AST]) -> list[tuple[str, ast.Call]]:
    """The method calls made on the value of `node`, innermost first:
    for `node.replace(x=1).astimezone()` → [("replace", call1), ("astimezone", call2)]."""
    chain: list[tuple[str, ast.Call]] = []
    current = node
    i = len(ancestors) - 1
    while i >= 1:
        attr, call = ancestors[i], ancestors[i - 1]
        if not (isinstance(attr, ast.Attribute) and attr.value is current):
            break
        if not (isinstance(call, ast.Call) and call.func is attr):
            break
        chain.append((attr.attr, call))
        current = call
        i -= 2
    return chain


def followed_by_astimezone(node: ast.AST, ancestors: list[ast.AST]) -> bool:
    """`x.astimezone()` or `x.replace(...).astimezone()` makes the result aware (local time)."""
    for name, _call in method_chain(node, ancestors):
        if name == "astimezone":
            return True
        if name != "replace":
            return False
    return False


def replaced_tzinfo(node: ast.AST, ancestors: list[ast.AST]) -> ast.AST | None:
    """The value of `tzinfo=` in a `.replace(tzinfo=...)` applied to `node`, if any."""
    for name, call in method_chain(node, ancestors):
        if name != "replace":
            return None
        kw = keyword(call, "tzinfo")
        if kw is not None:
            return kw.value
    return None
