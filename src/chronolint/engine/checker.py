"""Lint one module: parse with `ast`, walk the tree once, dispatch nodes to rules."""

from __future__ import annotations

import ast
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from chronolint.engine.astutil import LEAF_TYPES, child_fields
from chronolint.engine.context import Context
from chronolint.engine.diagnostics import Diagnostic
from chronolint.engine.names import FUNCTION_SCOPES
from chronolint.engine.prefilter import active_rules
from chronolint.engine.source import ParseFailure, SourceFile


def _dispatch_table(rules: list) -> dict[type, list]:
    table: dict[type, list] = {}
    for rule in rules:
        for node_type, handler in rule.handlers.items():
            table.setdefault(node_type, []).append(handler)
    return table


_SCOPE_TYPES = frozenset(FUNCTION_SCOPES)


class _WalkPlan(dict):
    """For each node class met: (its handlers, the fields to walk, whether it opens a
    scope); None for what is not entered: anything but a node, a leaf type, and a node
    with neither handlers nor children to walk (`Name`, `Constant` in most runs)."""

    def __init__(self, table: dict[type, list]):
        super().__init__()
        self.table = table

    def __missing__(self, cls: type):
        step = None
        if issubclass(cls, ast.AST) and not issubclass(cls, LEAF_TYPES):
            handlers = self.table.get(cls, ())
            fields = child_fields(cls)
            if handlers or fields:
                step = (handlers, fields, cls in _SCOPE_TYPES)
        self[cls] = step
        return step


@lru_cache(maxsize=64)
def walk_plan(rules: tuple) -> _WalkPlan | None:
    """The plan for a set of active rules (a handful of sets recur over a run)."""
    table = _dispatch_table(list(rules))
    return _WalkPlan(table) if table else None


def walk(ctx: Context, node: ast.AST, step: tuple, plan: _WalkPlan) -> None:
    """Visit `node` (its `step` in `plan`) and its subtree in source order, keeping
    `ctx.ancestors` and `ctx.scopes` current. This runs for every node of every linted
    file: children are looked up by class in the plan, and those with nothing to do are
    not called at all."""
    handlers, fields, is_scope = step
    for handler in handlers:
        handler(node, ctx)
    if is_scope:
        ctx.scopes.append(node)
    ancestors = ctx.ancestors
    ancestors.append(node)
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                child = plan[item.__class__]
                if child is not None:
                    walk(ctx, item, child, plan)
        else:
            child = plan[value.__class__]
            if child is not None:
                walk(ctx, value, child, plan)
    ancestors.pop()
    if is_scope:
        ctx.scopes.pop()


def internal_error_message(exc: Exception) -> str:
    """One line naming the failure and where in chronolint it happened, for a bug report."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    return f"internal error in chronolint ({type(exc).__name__}: {exc} at {where}); please report it"


@dataclass
class Checked:
    """What checking one module found: its diagnostics (noqa applied as asked, sorted), the
    tree they were found on and the rules that ran, for the fixer; or an error that cost
    the file (a bug in a rule, a tree too deep)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: ast.Module | None = None
    rules: list = field(default_factory=list)
    error: str | None = None


def check_source(filename: str, text: str, settings, index=None, rules: list | None = None,
                 tree: ast.Module | None = None, apply_noqa: bool = True) -> Checked:
    """Check one module's text with the rules `settings` enables for `filename`: the
    pre-filter, one parse, one walk. Reports only: fixes are the linter's business.

    `tree` lets a front-end that already parsed the module (flake8) skip our parse;
    `apply_noqa=False` leaves line-level `# noqa` to a front-end that applies it itself."""
    checked = Checked()
    source = SourceFile(filename, text)
    if source.file_noqa is not None and not source.file_noqa:
        return checked
    if rules is None:
        rules = settings.rules_for(filename)
    enabled = frozenset(rule.code for rule in rules)
    index_rules = frozenset(rule.code for rule in rules if rule.needs_index)
    rules = active_rules(rules, text, settings, index)
    if not rules:
        return checked
    if tree is None:
        tree = source.parse()
    if isinstance(tree, ParseFailure):
        checked.diagnostics.append(Diagnostic(
            code=None, name="invalid-syntax", message=f"SyntaxError: {tree.message}",
            filename=filename, start=tree.location, end=tree.location, noqa_row=tree.location.row,
        ))
        return checked
    ctx = Context(source, tree, settings, index, enabled, index_rules)
    try:
        for rule in rules:
            rule.check_module(ctx)
        plan = walk_plan(tuple(rules))
        if plan is not None:
            step = plan[tree.__class__]
            if step is not None:
                walk(ctx, tree, step, plan)
        for rule in rules:
            rule.finish_module(ctx)
        for rule in rules:
            rule.check_noqa(ctx)
    except RecursionError:
        checked.error = "too deeply nested to analyse"
        return checked
    except Exception as exc:  # a bug in a rule costs this file, never the run
        checked.error = internal_error_message(exc)
        return checked
    finally:
        ctx.release()
    kept = ctx.diagnostics
    if apply_noqa:
        kept = [d for d in kept if not source.is_suppressed(d.code, d.noqa_row or d.start.row)]
    elif source.file_noqa is not None:
        kept = [d for d in kept if d.code not in source.file_noqa]
    checked.diagnostics = sorted(kept, key=Diagnostic.sort_key)
    checked.tree, checked.rules = tree, rules
    return checked
