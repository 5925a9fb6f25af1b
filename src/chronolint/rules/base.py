"""What a rule is: code, name, message, docs, examples, detector, and (optionally) its fix.

A rule subclasses `Rule`, writes its docs in the class docstring under the sections in
`DOC_SECTIONS` (plus `## Options` when it reads options), lists `VALID` and `INVALID` examples, and implements one or more
`visit_<AstNodeType>(node, ctx)` methods (called during the engine's single walk of the
tree) and/or `check_module(ctx)` for whole-module analyses. It reports through
`ctx.report(...)`. Rules hold no per-file state on `self`; use `ctx.state(self)`.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from chronolint.engine.diagnostics import Applicability
from chronolint.rules.policy import naive_utc

if TYPE_CHECKING:
    from chronolint.engine.context import Context

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")
OPTIONS_SECTION = "Options"  # required exactly when the rule reads options (`Rule.options`)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag `count` times; `fixed` is the expected source after `--fix`
    (`unsafe_fixed` after `--fix --unsafe-fixes`); `suggested` is the source with a
    display-only fix applied (which `--fix` never does); `files` are extra project files
    (path → source) the example needs, e.g. the models a service uses. `messages` are the
    expected messages of the findings, in source order, and `ranges` their
    `((row, column), (end_row, end_column))`, for rules whose message carries facts."""

    code: str
    count: int = 1
    messages: tuple[str, ...] | None = None
    ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...] | None = None
    fixed: str | None = None
    unsafe_fixed: str | None = None
    suggested: str | None = None
    settings: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    filename: str = "example.py"


@dataclass(frozen=True)
class Valid:
    """Code the rule must not flag."""

    code: str
    settings: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    filename: str = "example.py"


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]  # a format string; `ctx.report(..., **fields)` fills it
    short: ClassVar[str | None] = None  # one line for rule tables, when "What it does" is too long
    default_enabled: ClassVar[bool] = True
    # Text that must appear in a file for the rule to possibly fire (the cheap pre-filter):
    # substrings, `WholeWords`, one compiled `re.Pattern` for a precondition that is
    # a shape rather than a word, or `AllOf` these.
    needles: ClassVar = ()
    needs_index: ClassVar[bool] = False
    # The configuration keys the rule reads (`Settings.rule_options`), each documented in
    # the docstring's `## Options` section (`migrations.baseline` for a nested key).
    options: ClassVar[tuple[str, ...]] = ()
    # Off under `timestamp-policy = "naive-utc"` (chronolint.rules.policy): the rule asks
    # for aware values, which that team's policy does not want.
    aware_only: ClassVar[bool] = False
    fix_applicability: ClassVar[Applicability | None] = None
    VALID: ClassVar[list] = []
    INVALID: ClassVar[list] = []

    def __init__(self) -> None:
        self.handlers: dict[type, object] = {}
        for attr in dir(type(self)):
            if attr.startswith("visit_"):
                node_type = getattr(ast, attr[len("visit_"):], None)
                if node_type is None:
                    raise TypeError(f"{type(self).__name__}.{attr}: ast has no node type by that name")
                self.handlers[node_type] = getattr(self, attr)

    def applies(self, settings) -> bool:
        """Whether the rule runs at all under these settings; one that does not counts as
        not enabled. (The registry answers the same from its line, importing no rule.)"""
        return not (self.aware_only and naive_utc(settings))

    def check_module(self, ctx: "Context") -> None:
        """Whole-module analysis; called before the tree walk. Default: nothing."""

    def finish_module(self, ctx: "Context") -> None:
        """Called after the tree walk, for rules that collect during it."""

    def check_noqa(self, ctx: "Context") -> None:
        """Called once every rule has reported and before `# noqa` applies: `ctx.diagnostics`
        holds every finding, suppressed or not (for CHR100, unused noqa codes)."""

    def compute_fix(self, diagnostic, fix_context):
        """Return a `Fix` for one of this rule's diagnostics, or None: for fixes that need
        libcst (`fix_context.node` is the libcst node at the diagnostic's range; see
        chronolint.fixer.context). A fix made of text edits known at detection is passed
        to `ctx.report(..., fix=...)` instead, and the rule does not override this."""
        return None

    def text_fix(self, diagnostic, text_context):
        """The fix `compute_fix` would give, computed from `ast` positions and the text
        alone (no libcst parse): a `Fix`, None when there is surely none, or
        `NotImplemented` to leave it to `compute_fix`. `text_context.node` is the `ast`
        node at the diagnostic's range (see chronolint.fixer.textedits; its helpers raise
        when only libcst can tell, which also leaves the fix to `compute_fix`). A rule
        that offers it must give exactly what `compute_fix` gives (tests/test_fix_text_path.py)."""
        return NotImplemented

    @property
    def offers_text_fix(self) -> bool:
        """The rule computes some fixes without libcst (it overrides `text_fix`)."""
        return type(self).text_fix is not Rule.text_fix

    @property
    def computes_fixes(self) -> bool:
        """The rule computes fixes with libcst (it overrides `compute_fix`)."""
        return type(self).compute_fix is not Rule.compute_fix

    def needles_for(self, settings, index) -> tuple[str, ...] | None:
        """The pre-filter for this run: the rule runs on a file holding one of these strings;
        an empty tuple means every file, None means the rule cannot fire in this run
        (e.g. it needs project facts the index does not have)."""
        return self.needles

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        sections: dict[str, str] = {}
        current = None
        for line in cls.docs().splitlines():
            match = re.match(r"^##\s+(.*?)\s*$", line)
            if match:
                current = match.group(1)
                sections[current] = ""
            elif current:
                sections[current] += line + "\n"
        return {k: v.strip() for k, v in sections.items()}

    @classmethod
    def summary(cls) -> str:
        """One line for rule tables: `short`, else the head of "What it does"."""
        if cls.short:
            return cls.short
        what = cls.doc_sections().get("What it does", "")
        first = what.split("\n\n", 1)[0].replace("\n", " ")
        for stop in (". ", ": ", " ("):
            first = first.split(stop, 1)[0]
        first = re.sub(r"^Checks (for |that )?", "", first).rstrip(".,")
        return first[:1].upper() + first[1:]
