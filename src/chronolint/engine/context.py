"""What a rule sees of the module being linted, and how it reports."""

from __future__ import annotations

import ast

from chronolint.engine.diagnostics import Diagnostic, Fix, Location
from chronolint.engine.names import NameResolver
from chronolint.engine.source import SourceFile


class Context:
    """What a rule sees of the module being linted."""

    def __init__(self, source: SourceFile, tree: ast.Module, settings, index, enabled: frozenset[str],
                 index_rules: frozenset[str] = frozenset()):
        self.source = source
        self.tree = tree
        self.settings = settings
        self.index = index
        self.enabled = enabled  # the codes enabled for this file (before the pre-filter)
        self.index_rules = index_rules  # those of them that read the project index
        self.names = NameResolver(tree, source.text)
        self.scopes: list[ast.AST] = []
        self.ancestors: list[ast.AST] = []
        self.diagnostics: list[Diagnostic] = []
        self._state: dict[str, dict] = {}
        self._shared: dict[str, object] = {}

    @property
    def filename(self) -> str:
        return self.source.filename

    def state(self, rule) -> dict:
        """Per-file scratch space for one rule."""
        return self._state.setdefault(rule.code, {})

    def shared(self, key: str, build):
        """An analysis of this module that several rules use (`build(ctx)`, run once).
        It lives and dies with the context: a module-level map keyed by context would
        keep every linted tree alive when the analysis refers back to its context."""
        if key not in self._shared:  # None is an answer too ("not a revision"), kept as one
            self._shared[key] = build(self)
        return self._shared[key]

    def release(self) -> None:
        """Drop the per-file state and analyses once the module is checked. Several refer
        back to this context (`ReceiverTypes.ctx`): left as a cycle, the module's tree
        would wait for the cyclic garbage collector, which then scans it at every
        collection, instead of being freed as soon as the last reference goes."""
        self._state.clear()
        self._shared.clear()

    def resolve(self, node: ast.AST) -> str | None:
        """The qualified name `node` refers to here (`datetime.datetime.now`), or None."""
        return self.names.resolve_qualified_name(node, self.scopes)

    def parent(self, depth: int = 1) -> ast.AST | None:
        """The `depth`-th ancestor of the node being visited."""
        return self.ancestors[-depth] if len(self.ancestors) >= depth else None

    def report(self, rule, node: ast.AST | None = None, *, start: Location | None = None,
               end: Location | None = None, message: str | None = None, fix: Fix | None = None, fix_data=None,
               **fields) -> Diagnostic:
        """Report a finding at `node` (or `start`..`end`), with `message` or the rule's
        message filled with `fields`. A fix made of text edits known now is passed as `fix`;
        a fix that needs libcst is computed later by the rule's `compute_fix`, from
        `fix_data`."""
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
            proposed_fix=fix,
            fix_data=fix_data,
        )
        self.diagnostics.append(diagnostic)
        return diagnostic
