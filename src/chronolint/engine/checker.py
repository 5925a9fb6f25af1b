"""Lint one module: parse with `ast`, walk the tree once, dispatch nodes to rules."""

from __future__ import annotations

import ast
import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chronolint.engine.diagnostics import Diagnostic, FileResult, Location
from chronolint.engine.names import FUNCTION_SCOPES, NameResolver
from chronolint.engine.source import ParseFailure, SourceFile
from chronolint.fixer import attach_fixes
from chronolint.rules.base import AllOf, WholeWords

if TYPE_CHECKING:
    from chronolint.engine.config import Settings
    from chronolint.rules.base import Rule


class Context:
    """What a rule sees of the module being linted."""

    def __init__(self, source: SourceFile, tree: ast.Module, settings: "Settings", index, enabled: frozenset[str]):
        self.source = source
        self.tree = tree
        self.settings = settings
        self.index = index
        self.enabled = enabled
        self.names = NameResolver(tree, source.text)
        self.scopes: list[ast.AST] = []
        self.ancestors: list[ast.AST] = []
        self.diagnostics: list[Diagnostic] = []
        self._state: dict[str, dict] = {}
        self._shared: dict[str, object] = {}

    @property
    def filename(self) -> str:
        return self.source.filename

    def state(self, rule: "Rule") -> dict:
        """Per-file scratch space for one rule."""
        return self._state.setdefault(rule.code, {})

    def shared(self, key: str, build):
        """An analysis of this module that several rules use (`build(ctx)`, run once).
        It lives and dies with the context: a module-level map keyed by context would
        keep every linted tree alive when the analysis refers back to its context."""
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = build(self)
        return found

    def resolve(self, node: ast.AST) -> str | None:
        """The qualified name `node` refers to here (`datetime.datetime.now`), or None."""
        return self.names.resolve_qualified_name(node, self.scopes)

    def parent(self, depth: int = 1) -> ast.AST | None:
        """The `depth`-th ancestor of the node being visited."""
        return self.ancestors[-depth] if len(self.ancestors) >= depth else None

    def report(self, rule: "Rule", node: ast.AST | None = None, *, start: Location | None = None,
               end: Location | None = None, message: str | None = None, fix_data=None, **fields) -> Diagnostic:
        if node is not None:
            start, end = self.source.node_range(node)
        assert start is not None and end is not None
        diagnostic = Diagnostic(
            code=rule.code,
            name=rule.name,
            message=message or rule.message.format(**fields),
            filename=self.source.filename,
            start=start,
            end=end,
            noqa_row=start.row,
            fix_data=fix_data,
        )
        self.diagnostics.append(diagnostic)
        return diagnostic


def _dispatch_table(rules: list["Rule"]) -> dict[type, list]:
    table: dict[type, list] = {}
    for rule in rules:
        for node_type, handler in rule.handlers.items():
            table.setdefault(node_type, []).append(handler)
    return table


_SCOPE_TYPES = frozenset(FUNCTION_SCOPES)
# Nodes without children that no rule visits (`Load`, `Add`, `Eq`, ...): not walked.
_LEAF_TYPES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
# Field types (in `ast`'s ASDL signatures) that never hold a node to walk.
_UNWALKED_FIELD_TYPES = frozenset({
    "identifier", "string", "constant", "int", "expr_context", "boolop", "operator", "unaryop", "cmpop",
})


@lru_cache(maxsize=None)
def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class `cls` that can hold nodes to walk, read off the ASDL
    signature `ast` documents each class with: `Name(identifier id, expr_context ctx)`
    has none, `Call(expr func, expr* args, keyword* keywords)` all three. A signature
    that does not read as expected gives all of `_fields`."""
    signature = re.fullmatch(r"\w+\((.*)\)", cls.__doc__ or "")
    if signature is None:
        return cls._fields
    declared = [part.rsplit(" ", 1) for part in signature.group(1).split(", ")]
    if tuple(name for _, name in declared) != cls._fields:
        return cls._fields
    return tuple(name for kind, name in declared if kind.rstrip("*?") not in _UNWALKED_FIELD_TYPES)


class _WalkPlan(dict):
    """For each node class met: (its handlers, the fields to walk, whether it opens a
    scope); None for what is not entered: anything but a node, a leaf type, and a node
    with neither handlers nor children to walk (`Name`, `Constant` in most runs)."""

    def __init__(self, table: dict[type, list]):
        super().__init__()
        self.table = table

    def __missing__(self, cls: type):
        step = None
        if issubclass(cls, ast.AST) and not issubclass(cls, _LEAF_TYPES):
            handlers = self.table.get(cls, ())
            fields = _child_fields(cls)
            if handlers or fields:
                step = (handlers, fields, cls in _SCOPE_TYPES)
        self[cls] = step
        return step


@lru_cache(maxsize=64)
def _walk_plan(rules: tuple["Rule", ...]) -> _WalkPlan | None:
    """The plan for a set of active rules (a handful of sets recur over a run)."""
    table = _dispatch_table(list(rules))
    return _WalkPlan(table) if table else None


def _walk(ctx: Context, node: ast.AST, step: tuple, plan: _WalkPlan) -> None:
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
                    _walk(ctx, item, child, plan)
        else:
            child = plan[value.__class__]
            if child is not None:
                _walk(ctx, value, child, plan)
    ancestors.pop()
    if is_scope:
        ctx.scopes.pop()


def internal_error_message(exc: Exception) -> str:
    """One line naming the failure and where in chronolint it happened, for a bug report."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    return f"internal error in chronolint ({type(exc).__name__}: {exc} at {where}); please report it"


@lru_cache(maxsize=64)
def _whole_words(words: tuple[str, ...]) -> re.Pattern:
    """`\b(?:word|...)\b`, spelled so that the regex engine skips ahead to the words' first
    letters: a pattern that starts with `\b` is tried at every position of the text, so each
    word's leading `\b` is checked by a lookbehind once its first letter has matched."""
    alternatives = []
    for word in sorted(words, key=len, reverse=True):
        first = re.escape(word[:1])
        alternatives.append(rf"{first}(?<=\b{first}){re.escape(word[1:])}")
    return re.compile("(?:" + "|".join(alternatives) + r")\b")


def _mentions(text: str, needles) -> bool:
    """Needles are substrings, `WholeWords`, one compiled pattern, or `AllOf` these."""
    if isinstance(needles, re.Pattern):
        return needles.search(text) is not None
    if isinstance(needles, WholeWords):
        return _whole_words(needles).search(text) is not None
    if isinstance(needles, AllOf):
        return all(_mentions(text, part) for part in needles)
    return any(needle in text for needle in needles)


def _needles(rule: "Rule", settings: "Settings", index):
    """`rule.needles_for(settings, index)`, computed once per settings and index rather than
    per file: several rules derive their needles from the whole project index."""
    cached = settings.needles_memo.get(rule.code)
    if cached is not None and cached[0] is index:
        return cached[1]
    needles = rule.needles_for(settings, index)
    settings.needles_memo[rule.code] = (index, needles)
    return needles


def active_rules(rules: list["Rule"], text: str, settings: "Settings", index) -> list["Rule"]:
    """The cheap pre-filter, per rule: a rule runs only on a file holding one of its needles
    (a rule without needles always runs, one whose needles are None never does). A file
    no rule survives is never parsed. Rules that share their needles (a family's) look
    for them once."""
    active = []
    mentioned: dict[int, bool] = {}  # by id: needles live on in `settings.needles_memo`
    for rule in rules:
        needles = _needles(rule, settings, index)
        if needles is None:
            continue
        if needles:
            found = mentioned.get(id(needles))
            if found is None:
                found = mentioned[id(needles)] = _mentions(text, needles)
            if not found:
                continue
        active.append(rule)
    return active


def lint_source(filename: str, text: str, settings: "Settings", index=None,
                rules: list["Rule"] | None = None, tree: ast.Module | None = None,
                apply_noqa: bool = True, compute_fixes: bool | str = True) -> FileResult:
    """Lint one module's text with the rules `settings` enables for `filename`.

    `tree` lets a front-end that already parsed the module (flake8) skip our parse;
    `apply_noqa=False` leaves line-level `# noqa` to a front-end that applies it itself;
    `compute_fixes=False` skips the fixer for a front-end that never shows fixes, and
    `compute_fixes="safe"` computes only the fixes that would be shown as safe (text
    output), giving the others a `fix_hint`."""
    result = FileResult(filename)
    source = SourceFile(filename, text)
    if source.file_noqa is not None and not source.file_noqa:
        return result
    if rules is None:
        rules = settings.rules_for(filename)
    enabled = frozenset(rule.code for rule in rules)
    rules = active_rules(rules, text, settings, index)
    if not rules:
        return result
    if tree is None:
        tree = source.parse()
    if isinstance(tree, ParseFailure):
        result.diagnostics.append(Diagnostic(
            code=None, name="invalid-syntax", message=f"SyntaxError: {tree.message}",
            filename=filename, start=tree.location, end=tree.location, noqa_row=tree.location.row,
        ))
        return result
    ctx = Context(source, tree, settings, index, enabled)
    try:
        for rule in rules:
            rule.check_module(ctx)
        plan = _walk_plan(tuple(rules))
        if plan is not None:
            step = plan[tree.__class__]
            if step is not None:
                _walk(ctx, tree, step, plan)
        for rule in rules:
            rule.finish_module(ctx)
        for rule in rules:
            rule.check_noqa(ctx)
    except RecursionError:
        result.error = "too deeply nested to analyse"
        return result
    except Exception as exc:  # a bug in a rule costs this file, never the run
        result.error = internal_error_message(exc)
        return result
    kept = ctx.diagnostics
    if apply_noqa:
        kept = [d for d in kept if not source.is_suppressed(d.code, d.noqa_row or d.start.row)]
    elif source.file_noqa is not None:
        kept = [d for d in kept if d.code not in source.file_noqa]
    result.diagnostics = sorted(kept, key=Diagnostic.sort_key)
    if compute_fixes:
        attach_fixes(text, tree, result.diagnostics, rules, settings, only_safe=compute_fixes == "safe")
    return result
