"""Reading calls to the datetime API: an argument by keyword or position, `*args` that hide
the arguments, a `None` literal, and the naive-UTC calls that have an aware spelling.

Shared by the naive-datetime rules and the flow analysis (which may not import a rule
family's helpers: rules → analysis, never back)."""

from __future__ import annotations

import ast
from dataclasses import dataclass


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


@dataclass(frozen=True)
class NaiveUtcRewrite:
    """How the shared naive-UTC fixer (`rules/naive/_fix.py`) rewrites a naive-UTC call:
    `X.utcnow()` → `X.now(UTC)`, `X.utcfromtimestamp(ts)` → `X.fromtimestamp(ts, UTC)`.

    `method` is the aware method and `keep` the arguments carried over to it; `chain` is how
    the value is given a zone right after the call ("astimezone", "replace-tzinfo" or None);
    `aware_sink` is True when a detector proved the value goes where it is aware already
    (an aware column), which makes the otherwise unsafe rewrite safe."""

    method: str
    keep: tuple[str, ...] = ()
    chain: str | None = None
    aware_sink: bool = False


_NAIVE_UTC_REWRITES = {
    "datetime.datetime.utcnow": NaiveUtcRewrite("now"),
    "datetime.datetime.utcfromtimestamp": NaiveUtcRewrite("fromtimestamp", ("timestamp",)),
}


def naive_utc_rewrite(qualified_name: str | None) -> NaiveUtcRewrite | None:
    """The rewrite of a call to `qualified_name` when it is a naive-UTC call, else None."""
    return _NAIVE_UTC_REWRITES.get(qualified_name or "")
