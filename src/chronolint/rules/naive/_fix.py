"""Fixes shared by the naive-datetime rules. Each rewrites a call on the datetime class
(`X.now()`, `X.utcfromtimestamp(ts)`, ...) into an aware call on the same `X`, spelling
UTC in the file's own style (see `chronolint.fixer.imports`).

`fix_data` contract with the detectors: a dict with `"chain"` — how the value is given a
zone afterwards (`"astimezone"`, `"replace-tzinfo"` or None) — and, set by rules that
prove the value flows into an aware sink (a `DateTime(timezone=True)` column, a
comparison with an aware value), `"aware_sink": True`, which makes an unsafe aware
rewrite safe: the sink was already aware, so only the naive bug goes away. The flow
analysis (CHR303) hands the same facts as a typed `NaiveUtcRewrite`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chronolint.analysis.calls import NaiveUtcRewrite
from chronolint.rules.api import Applicability, Edit, Fix

if TYPE_CHECKING:
    import libcst as cst

# tzinfo values that are UTC itself, for which `.replace(tzinfo=...)` ≡ converting to UTC.
UTC_TZINFOS = frozenset({"datetime.timezone.utc", "datetime.UTC"})


def _fact(diagnostic, name: str):
    """`chain` or `aware_sink` as the detector gave it: a field of CHR303's typed
    `NaiveUtcRewrite`, or a key of the naive rules' dict; None when absent."""
    data = diagnostic.fix_data
    if isinstance(data, NaiveUtcRewrite):
        return getattr(data, name)
    return data.get(name) if isinstance(data, dict) else None


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


def _utc_fix(fc, call: cst.Call, method: str, kept: list[str], applicability: Applicability, keyword: str) -> Fix | None:
    """`X.method(<kept>, <keyword>UTC)`, with the import edits UTC needs."""
    utc = fc.utc()
    if utc is None:
        return None
    tz = f"{keyword}{utc.expr}"
    edits = _rewrite(fc, call, call, method, kept, tz)
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
