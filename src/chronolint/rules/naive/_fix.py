"""Fixes shared by the naive-datetime rules. Each rewrites a call on the datetime class
(`X.now()`, `X.utcfromtimestamp(ts)`, ...) into an aware call on the same `X`, spelling
UTC in the file's own style (see `chronolint.fixer.imports`).

`fix_data` contract with the detectors: a `NaiveFixFacts` (`_common.py`) with `chain` — how
the value is given a zone afterwards (`"astimezone"`, `"replace-tzinfo"` or None) — and,
set by rules that prove the value flows into an aware sink (a `DateTime(timezone=True)`
column, a comparison with an aware value), `aware_sink=True`, which makes an unsafe aware
rewrite safe: the sink was already aware, so only the naive bug goes away. The flow
analysis (CHR303) hands the same two facts as a `NaiveUtcRewrite`.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from chronolint.rules.api import Applicability, Edit, Fix

if TYPE_CHECKING:
    import libcst as cst

# tzinfo values that are UTC itself, for which `.replace(tzinfo=...)` ≡ converting to UTC.
UTC_TZINFOS = frozenset({"datetime.timezone.utc", "datetime.UTC"})


def _fact(diagnostic, name: str):
    """`chain` or `aware_sink` as the detector gave it (a `NaiveFixFacts` or CHR303's
    `NaiveUtcRewrite`, which both have them); None without either."""
    return getattr(diagnostic.fix_data, name, None)


def in_aware_sink(diagnostic, otherwise: Applicability) -> Applicability:
    """SAFE when the detector proved an aware sink, else `otherwise`."""
    return Applicability.SAFE if _fact(diagnostic, "aware_sink") else otherwise


def _argument(call: cst.Call, position: int, name: str) -> cst.Arg | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position:
        return positional[position]
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _arg_text(fc, arg: cst.Arg) -> str:
    value = fc.code_for_node(arg.value)
    return f"{arg.keyword.value}={value}" if arg.keyword is not None else value


def _kept_args(fc, call: cst.Call, keep: tuple[str, ...]) -> list[str] | None:
    """The source of the arguments named in `keep` (by position or keyword), in order;
    None when the call has arguments this rewrite does not understand."""
    if any(a.star for a in call.args):
        return None
    kept = []
    for position, name in enumerate(keep):
        arg = _argument(call, position, name)
        if arg is None:
            return None
        kept.append(_arg_text(fc, arg))
    return kept


def _rewrite(fc, node: cst.CSTNode, call: cst.Call, method: str, kept: list[str], tz: str) -> tuple[Edit, ...]:
    """Replace `node` with `X.method(<kept>, <tz>)`, `X` being the class expression of
    `call`. When `node` is `call` and all its arguments are kept, only the method name
    changes and `tz` is inserted after the last argument, so the call's layout and
    comments survive."""
    if node is call and kept and len(call.args) == len(kept):
        _, end = fc.range_of(call.args[-1].value)
        rename = () if call.func.attr.value == method else (fc.replace(call.func.attr, method),)
        return (*rename, Edit(end, end, f", {tz}"))
    owner = fc.code_for_node(call.func.value)
    return (fc.replace(node, f"{owner}.{method}({', '.join([*kept, tz])})"),)


def _sole_tzinfo_replace(fc, call: cst.Call) -> cst.CSTNode | None:
    """For `call.replace(tzinfo=T)` (only that argument): the `.replace(...)` call node."""
    import libcst as cst

    attr = fc.parent(call)
    outer = fc.parent(attr) if isinstance(attr, cst.Attribute) else None
    if not (isinstance(attr, cst.Attribute) and attr.attr.value == "replace"
            and isinstance(outer, cst.Call) and outer.func is attr and len(outer.args) == 1):
        return None
    arg = outer.args[0]
    return outer if arg.keyword is not None and arg.keyword.value == "tzinfo" else None


def _call_and_kept(fc, keep: tuple[str, ...]) -> tuple[cst.Call, list[str]] | None:
    """The diagnostic's `X.method(...)` call and the source of its kept arguments."""
    import libcst as cst

    call = fc.node
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
        return None
    kept = _kept_args(fc, call, keep)
    return None if kept is None else (call, kept)


def _utc_fix(fc, call, method: str, kept: list[str], applicability: Applicability, keyword: str,
             rewrite=None) -> Fix | None:
    """`X.method(<kept>, <keyword>UTC)`, with the import edits UTC needs. `rewrite` is
    `_rewrite` (libcst) or `_text_rewrite` (the text path)."""
    utc = fc.utc()
    if utc is None:
        return None
    tz = f"{keyword}{utc.expr}"
    edits = (rewrite or _rewrite)(fc, call, call, method, kept, tz)
    return Fix(applicability, f"Use `{method}({tz})`", (*edits, *utc.edits))


def local_time_fix(diagnostic, fc, method: str, keep: tuple[str, ...] = ()) -> Fix | None:
    """CHR001/CHR003/CHR004: a local-time call → `X.method(<kept>, tz=UTC)` (unsafe: the wall
    clock changes off UTC and the value becomes aware). `X.now().replace(tzinfo=T)`
    (only `tzinfo`) → `X.now(tz=T)`: the current time in T instead of local time labelled T."""
    target = _call_and_kept(fc, keep)
    if target is None:
        return None
    call, kept = target
    applicability = in_aware_sink(diagnostic, Applicability.UNSAFE)
    if _fact(diagnostic, "chain") == "replace-tzinfo":
        replace_call = _sole_tzinfo_replace(fc, call)
        if replace_call is None:
            return None
        tz = fc.code_for_node(replace_call.args[0].value)
        edits = _rewrite(fc, replace_call, call, method, kept, f"tz={tz}")
        return Fix(applicability, f"Use `{method}(tz={tz})`", edits)
    return _utc_fix(fc, call, method, kept, applicability, "tz=")


def naive_utc_fix(diagnostic, fc, method: str, keep: tuple[str, ...] = ()) -> Fix | None:
    """CHR002/CHR005: a naive-UTC call → `X.method(<kept>, UTC)`.

    Safe when the naive value is re-zoned right away: `.replace(tzinfo=T)` overrides the
    zone either way and the UTC wall clock is the same, so the result is identical (with
    T = UTC and nothing else replaced, the chain collapses to `X.method(<kept>, T)`);
    `.astimezone(...)` read the naive UTC wall clock as local time, wrong by the local
    offset on every non-UTC host. Otherwise unsafe (the value becomes aware)."""
    target = _call_and_kept(fc, keep)
    if target is None:
        return None
    call, kept = target
    chain = _fact(diagnostic, "chain")
    applicability = Applicability.SAFE if chain else in_aware_sink(diagnostic, Applicability.UNSAFE)
    if chain == "replace-tzinfo":
        replace_call = _sole_tzinfo_replace(fc, call)
        if replace_call is not None and fc.qualified_name(replace_call.args[0].value) in UTC_TZINFOS:
            tz = fc.code_for_node(replace_call.args[0].value)
            edits = _rewrite(fc, replace_call, call, method, kept, tz)
            return Fix(Applicability.SAFE, f"Use `{method}({tz})`", edits)
    return _utc_fix(fc, call, method, kept, applicability, "")


# Parents (libcst node types) under which a bare `lambda` parses as the whole value;
# elsewhere it is parenthesised.
_LAMBDA_OK_PARENTS = ("Arg", "Assign", "AnnAssign", "Return", "DictElement", "Element")
_ZERO_ARG_NOW = frozenset({"now", "utcnow", "today"})


def callable_fix(diagnostic, fc) -> Fix | None:
    """CHR010: `X.utcnow` passed as a value → `lambda: X.now(UTC)`; never a call, which
    would freeze the time at import. Unsafe (callers now get aware values) unless the
    value feeds an aware sink."""
    import libcst as cst

    node = fc.node
    if not (isinstance(node, cst.Attribute) and node.attr.value in _ZERO_ARG_NOW) or _bound_arguments(fc, node):
        return None
    utc = fc.utc()
    if utc is None:
        return None
    owner = fc.code_for_node(node.value)
    value = f"lambda: {owner}.now({utc.expr})"
    if type(fc.parent(node)).__name__ not in _LAMBDA_OK_PARENTS:
        value = f"({value})"
    applicability = in_aware_sink(diagnostic, Applicability.UNSAFE)
    return Fix(applicability, f"Use `lambda: {owner}.now({utc.expr})`", (fc.replace(node, value), *utc.edits))


def _bound_arguments(fc, node: cst.CSTNode) -> bool:
    """`partial(X.now, None)`: the function gets arguments a zero-argument lambda refuses."""
    import libcst as cst

    arg = fc.parent(node)
    call = fc.parent(arg) if isinstance(arg, cst.Arg) else None
    return (isinstance(call, cst.Call) and len(call.args) > 1
            and fc.qualified_name(call.func) == "functools.partial")


# -- the same fixes from `ast` positions and the text (`Rule.text_fix`) -------------------------
# Each mirrors its libcst twin above; `fc` is a `chronolint.fixer.textedits.TextFix`, whose
# helpers raise when only libcst can tell (the fix then goes to the twin).


def _text_args(call: ast.Call) -> list[tuple[str | None, ast.AST]] | None:
    """(keyword, value) of each argument in source order; None with a `*` or `**` one."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    return [(None, a) for a in call.args] + [(k.arg, k.value) for k in call.keywords]


def _text_kept(fc, call: ast.Call, keep: tuple[str, ...]) -> list[str] | None:
    args = _text_args(call)
    if args is None:
        return None
    positional = [value for name, value in args if name is None]
    kept = []
    for position, name in enumerate(keep):
        if len(positional) > position:
            kept.append(fc.code(positional[position], call))
            continue
        found = next((value for keyword, value in args if keyword == name), None)
        if found is None:
            return None
        kept.append(f"{name}={fc.code(found, _keyword_of(call, found))}")
    return kept


def _keyword_of(call: ast.Call, value: ast.AST) -> ast.keyword:
    return next(k for k in call.keywords if k.value is value)


def _text_rewrite(fc, node: ast.AST, call: ast.Call, method: str, kept: list[str], tz: str) -> tuple[Edit, ...]:
    args = _text_args(call) or []
    if node is call and kept and len(args) == len(kept):
        _, end = fc.range_of(args[-1][1])
        rename = () if call.func.attr == method else (Edit(*fc.attr_range(call.func), method),)
        return (*rename, Edit(end, end, f", {tz}"))
    owner = fc.owner_code(call.func)
    return (fc.replace(node, f"{owner}.{method}({', '.join([*kept, tz])})"),)


def _text_sole_tzinfo_replace(fc, call: ast.Call) -> ast.Call | None:
    attr = fc.parent(call)
    outer = fc.parent(attr) if isinstance(attr, ast.Attribute) and attr.value is call else None
    if not (isinstance(attr, ast.Attribute) and attr.attr == "replace"
            and isinstance(outer, ast.Call) and outer.func is attr and len(outer.args) + len(outer.keywords) == 1):
        return None
    return outer if outer.keywords and outer.keywords[0].arg == "tzinfo" else None


def _text_call_and_kept(fc, keep: tuple[str, ...]):
    call = fc.node
    if not isinstance(call, ast.Call):
        return NotImplemented
    if not isinstance(call.func, ast.Attribute):
        return None
    kept = _text_kept(fc, call, keep)
    return None if kept is None else (call, kept)


def local_time_text_fix(diagnostic, fc, method: str, keep: tuple[str, ...] = ()):
    """`local_time_fix` from the text."""
    target = _text_call_and_kept(fc, keep)
    if target is None or target is NotImplemented:
        return target
    call, kept = target
    applicability = in_aware_sink(diagnostic, Applicability.UNSAFE)
    if _fact(diagnostic, "chain") == "replace-tzinfo":
        replace_call = _text_sole_tzinfo_replace(fc, call)
        if replace_call is None:
            return None
        value = replace_call.keywords[0]
        tz = fc.code(value.value, value)
        edits = _text_rewrite(fc, replace_call, call, method, kept, f"tz={tz}")
        return Fix(applicability, f"Use `{method}(tz={tz})`", edits)
    return _utc_fix(fc, call, method, kept, applicability, "tz=", _text_rewrite)


def naive_utc_text_fix(diagnostic, fc, method: str, keep: tuple[str, ...] = ()):
    """`naive_utc_fix` from the text."""
    target = _text_call_and_kept(fc, keep)
    if target is None or target is NotImplemented:
        return target
    call, kept = target
    chain = _fact(diagnostic, "chain")
    applicability = Applicability.SAFE if chain else in_aware_sink(diagnostic, Applicability.UNSAFE)
    if chain == "replace-tzinfo":
        replace_call = _text_sole_tzinfo_replace(fc, call)
        if replace_call is not None and fc.qualified_name(replace_call.keywords[0].value) in UTC_TZINFOS:
            value = replace_call.keywords[0]
            tz = fc.code(value.value, value)
            edits = _text_rewrite(fc, replace_call, call, method, kept, tz)
            return Fix(Applicability.SAFE, f"Use `{method}({tz})`", edits)
    return _utc_fix(fc, call, method, kept, applicability, "", _text_rewrite)


def _lambda_ok(node: ast.AST, parent: ast.AST | None):
    """Whether libcst's parent of `node` is one of `_LAMBDA_OK_PARENTS`; NotImplemented
    for a parent this does not map."""
    if isinstance(parent, ast.keyword):
        return True
    if isinstance(parent, ast.Call):
        return NotImplemented if parent.func is node else True
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.Return)):
        return True if parent.value is node else NotImplemented
    if isinstance(parent, ast.Dict):
        if node in parent.keys:
            return True
        return parent.keys[parent.values.index(node)] is not None
    if isinstance(parent, (ast.List, ast.Tuple, ast.Set)):
        return True
    if isinstance(parent, (ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Subscript, ast.Lambda)):
        return False
    return NotImplemented


def callable_text_fix(diagnostic, fc):
    """`callable_fix` from the text."""
    node = fc.node
    if not isinstance(node, ast.Attribute):
        return NotImplemented
    if node.attr not in _ZERO_ARG_NOW:
        return None
    parent = fc.parent(node)
    ok = _lambda_ok(node, parent)
    if ok is NotImplemented:
        return NotImplemented
    call = fc.parent(parent) if isinstance(parent, ast.keyword) else parent
    if (isinstance(call, ast.Call) and len(call.args) + len(call.keywords) > 1
            and fc.qualified_name(call.func) == "functools.partial"):
        return None
    utc = fc.utc()
    if utc is None:
        return None
    owner = fc.owner_code(node)
    value = f"lambda: {owner}.now({utc.expr})"
    if not ok:
        value = f"({value})"
    applicability = in_aware_sink(diagnostic, Applicability.UNSAFE)
    return Fix(applicability, f"Use `lambda: {owner}.now({utc.expr})`", (fc.replace(node, value), *utc.edits))
