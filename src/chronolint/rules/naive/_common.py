"""Shared helpers for the naive-datetime family."""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Argument reading is shared with the flow analysis, so it lives in the analysis layer;
# the family's rules keep importing it from here.
from chronolint.analysis.calls import has_unpacking, is_none, keyword, tz_argument  # noqa: F401

NEEDLES = ("datetime",)


def may_resolve_to(node: ast.AST, last_names) -> bool:
    """Whether `ctx.resolve(node)` can give a name whose last part is in `last_names`: an
    attribute chain `a.b.c` resolves to a name ending in `.c` (or to None), so a chain
    ending in another attribute need not be resolved. Every call and attribute of a
    file passes through the family's handlers; most are methods with other names."""
    return not isinstance(node, ast.Attribute) or node.attr in last_names


def resolves_to(ctx, node: ast.AST, qualified: str) -> bool:
    """`ctx.resolve(node) == qualified`, resolving only what can match (`may_resolve_to`)."""
    if isinstance(node, ast.Attribute) and not qualified.endswith("." + node.attr):
        return False
    return ctx.resolve(node) == qualified


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


def decisive_use(node: ast.AST, ancestors: list[ast.AST]) -> str | None:
    """The first method called on `node`'s value that can change its awareness, skipping
    `.replace(...)` calls that leave `tzinfo` alone: "astimezone", "date", "isoformat", ...,
    with `.replace(tzinfo=...)` as "replace-tzinfo" and `.replace(tzinfo=None)` as
    "replace-tzinfo-none". None when the value is not used through a method call."""
    for name, call in method_chain(node, ancestors):
        if name != "replace":
            return name
        tzinfo = keyword(call, "tzinfo")
        if tzinfo is not None:
            return "replace-tzinfo-none" if is_none(tzinfo.value) else "replace-tzinfo"
    return None


# Uses of a naive value after which no naive datetime escapes: it is given a zone, or
# reduced to a part without one.
GIVEN_ZONE = frozenset({"replace-tzinfo", "astimezone"})
ZONE_FREE_PARTS = frozenset({"date", "time"})


@dataclass(frozen=True)
class NaiveFixFacts:
    """What a naive-datetime detector tells the shared fixer (`_fix.py`, the `fix_data` of
    its diagnostics): `chain`, how the value is given a zone right after the call
    ("astimezone", "replace-tzinfo" or None), and `aware_sink`, True when the detector
    proved the value goes where it is aware already, which makes an unsafe rewrite safe."""

    chain: str | None = None
    aware_sink: bool = False


def report_local_time(rule, node: ast.Call, ctx, label: str) -> None:
    """Report a call that returns local wall-clock time as a naive datetime
    (`now()`, `today()`, `fromtimestamp(ts)`), unless `.astimezone()` makes it aware;
    `.replace(tzinfo=...)` on it is reported as mislabelling local time."""
    mislabelled = replaced_tzinfo(node, ctx.ancestors)
    if mislabelled is not None and not is_none(mislabelled):
        ctx.report(rule, node, message=f"`{label}.replace(tzinfo=...)` labels local time as another zone",
                   fix_data=NaiveFixFacts(chain="replace-tzinfo"))
        return
    if followed_by_astimezone(node, ctx.ancestors):
        return
    ctx.report(rule, node, fix_data=NaiveFixFacts())


def _next_statement(stmt: ast.stmt, parent: ast.AST | None) -> ast.stmt | None:
    """The statement right after `stmt` in the block of `parent` that holds it."""
    for _field, value in ast.iter_fields(parent) if parent is not None else ():
        if isinstance(value, list) and stmt in value:
            index = value.index(stmt)
            return value[index + 1] if index + 1 < len(value) else None
    return None


def _assigned_name(stmt: ast.AST | None) -> str | None:
    """`x` for a plain `x = ...` statement, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


def _chain_path(call: ast.AST) -> tuple[ast.AST, list[ast.AST]]:
    """For `x.a(...).b(...)`: the receiver `x` and the nodes from the outer call down to it."""
    path: list[ast.AST] = []
    current = call
    while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
        path += [current, current.func]
        current = current.func.value
    return current, path


def zoned_by_next_statement(node: ast.Call, ancestors: list[ast.AST]) -> bool:
    """`x = <node>` directly followed by `x = x.replace(tzinfo=<not None>)` or
    `x = x.astimezone(...)`: the naive value is given a zone before any other use."""
    assign = ancestors[-1] if ancestors else None
    name = _assigned_name(assign)
    if name is None or assign.value is not node or len(ancestors) < 2:
        return False
    following = _next_statement(assign, ancestors[-2])
    if _assigned_name(following) != name:
        return False
    receiver, path = _chain_path(following.value)
    if not (isinstance(receiver, ast.Name) and receiver.id == name):
        return False
    return decisive_use(receiver, path) in GIVEN_ZONE


def _localizes(call: ast.AST, ctx) -> bool:
    """A call that attaches a zone to its first argument: Django's
    `timezone.make_aware(x, ...)` (or a project helper of that name), pytz's
    `zone.localize(x)`."""
    if not isinstance(call, ast.Call):
        return False
    qualified = ctx.resolve(call.func) or ""
    if qualified == "django.utils.timezone.make_aware" or qualified.rpartition(".")[2] == "make_aware":
        return True
    return isinstance(call.func, ast.Attribute) and call.func.attr == "localize"


def zoned_at_once(node: ast.Call, ctx) -> bool:
    """The naive value `node` returns never escapes naive: it is given a zone right away
    (`.replace(tzinfo=<not None>)`, `.astimezone()`, chained or by the very next statement
    `x = x.replace(tzinfo=...)`; passed straight as the first argument of `make_aware(...)`
    or `zone.localize(...)`), or reduced to a part without one (`.date()`, `.time()`).
    One rule of recognition for every rule that reports a naive constructor (CHR007, CHR011)."""
    use = decisive_use(node, ctx.ancestors)
    if use in GIVEN_ZONE or use in ZONE_FREE_PARTS or zoned_by_next_statement(node, ctx.ancestors):
        return True
    parent = ctx.ancestors[-1] if ctx.ancestors else None
    return _localizes(parent, ctx) and bool(parent.args) and parent.args[0] is node


def zone_chain(node: ast.AST, ancestors: list[ast.AST]) -> str | None:
    """How the value of a naive-UTC call is given a zone, for the fixer's `fix_data`:
    "astimezone", "replace-tzinfo" (`.replace(tzinfo=...)`), or None."""
    use = decisive_use(node, ancestors)
    return use if use in GIVEN_ZONE else None
