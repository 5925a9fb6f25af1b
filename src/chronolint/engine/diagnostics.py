"""Diagnostics and fixes as plain data, so every front-end renders the same thing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

class Applicability(str, enum.Enum):
    """How far a fix may be trusted: the three kinds of README.md "Fixes"; each rule's
    `## Fix safety` section says which its fix is and why."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and a 1-based column counted in characters, as ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between `start` and `end` with `content`."""

    start: Location
    end: Location
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


@dataclass
class Diagnostic:
    code: str | None  # None for a syntax error, as ruff's `invalid-syntax`
    name: str
    message: str
    filename: str
    start: Location
    end: Location
    noqa_row: int | None = None
    fix: Fix | None = None
    # The applicability the rule's fix would have, known without computing it (libcst is
    # costly); text outputs need no more than this for fixes they would not show as [*].
    fix_hint: Applicability | None = None
    # The fix a rule reported with the finding (`ctx.report(..., fix=...)`: text edits
    # known at detection), before the configuration's say; the linter attaches it as `fix`.
    proposed_fix: Fix | None = field(default=None, repr=False, compare=False)
    # Data a rule leaves for its own libcst `compute_fix` (a small dataclass of the rule's);
    # never rendered.
    fix_data: object = field(default=None, repr=False, compare=False)

    @property
    def fix_applicability(self) -> Applicability | None:
        return self.fix.applicability if self.fix is not None else self.fix_hint

    def sort_key(self) -> tuple:
        return (self.filename, self.start.row, self.start.column, self.code or "")


@dataclass
class FileResult:
    """What linting one file produced: diagnostics, or a one-line error that stopped it."""

    filename: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    fixed_source: str | None = None
    fixes_applied: dict[str, int] = field(default_factory=dict)
    fix_errors: list[str] = field(default_factory=list)  # fixes dropped because their result did not parse
