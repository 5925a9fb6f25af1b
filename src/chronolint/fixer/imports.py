"""How a fix spells the UTC tzinfo in a given file, and which import edits that needs.

Strategy, in order (the file's own style, never shadow a name; README.md "Fixes"):

1. Reuse a module-level import that no other binding in the file touches:
   `UTC` (a file that imports it by name already needs 3.11; through
   `from datetime import *` only on py311+ targets), then `<tz>.utc` (a `datetime.timezone`
   binding), then `<mod>.UTC` / `<mod>.timezone.utc` (a binding of the `datetime` module,
   e.g. `import datetime as dt`).
2. Otherwise import the preferred name: `UTC` when `target-version` >= py311, else
   `timezone`. It is appended to the file's first module-level `from datetime import ...`,
   or added as a new `from datetime import ...` line after the module's leading imports.
3. A name already used anywhere in the file (Django's `from django.utils import timezone`,
   a parameter, a star import's unknown names) is never imported over: on py311+ a taken
   `UTC` falls back to `timezone`; a taken `timezone` is imported as `dt_timezone`.
   When every candidate is taken, the fix is not offered.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chronolint.engine.astutil import walk
from chronolint.engine.diagnostics import Edit, Location
from chronolint.engine.names import _STAR_EXPORTS as STAR_EXPORTS
from chronolint.engine.names import NameResolver
from chronolint.fixer.edits import line_starts

if TYPE_CHECKING:
    import libcst as cst

    from chronolint.fixer.context import ModuleFixes


@dataclass(frozen=True)
class Spelling:
    """An expression valid at module scope, and the edits that make it so."""

    expr: str
    edits: tuple[Edit, ...] = ()


def _names_in_file(tree: ast.Module) -> tuple[dict[str, set[str | None]], set[str], bool]:
    """Every identifier the file binds or reads, with what each binding means: the qualified
    name for an import, None for anything else (assignments, parameters, reads); the names
    bound only by a `from datetime import *`; and whether a star import of another module
    binds names no one can list. One walk of the tree gives all three."""
    meanings: dict[str, set[str | None]] = {}
    star_names: set[str] = set()
    star_import = False

    def add(name: str, meaning: str | None) -> None:
        meanings.setdefault(name, set()).add(meaning)

    for node in walk(tree):
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                add(node.id, None)
            else:
                meanings.setdefault(node.id, set())
        elif isinstance(node, ast.arg):
            add(node.arg, None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name, None)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                add(name, None)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            add(node.name, None)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                add(local, alias.name if alias.asname else local)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    add(alias.asname or alias.name, f"{module}.{alias.name}")
                    continue
                star_import = star_import or node.module != "datetime"
                for name in STAR_EXPORTS.get(module, ()):
                    add(name, f"{module}.{name}")
                    star_names.add(name)
    return meanings, star_names, star_import


class Planner:
    """The spelling strategy, read from the `ast` of the file; where an import edit goes is
    the subclass's (`ImportPlanner` with libcst, `fixer.textedits.TextImportPlanner` from
    the `ast` and the text)."""

    def __init__(self, settings, tree: ast.Module, text: str):
        self._settings = settings
        self._meanings, self._star_names, self._star_import = _names_in_file(tree)
        # With the text, a module without `:=` has its bindings read off its statements.
        self._module_bindings = NameResolver(tree, text).module_bindings

    def utc(self) -> Spelling | None:
        return self._reused() or self._imported()

    def django_now(self) -> Spelling | None:
        """`timezone.now()` from `django.utils`, spelled as the file already imports it
        (`timezone.now()`, `dj_tz.now()`, a bare `now()`), else imported as `timezone`
        (or `dj_timezone` when `timezone` is taken, e.g. by `datetime.timezone`)."""
        name = self._binding_of("django.utils.timezone")
        if name:
            return Spelling(f"{name}.now()")
        name = self._binding_of("django.utils.timezone.now")
        if name:
            return Spelling(f"{name}()")
        for imported, local in (("timezone", "timezone"), ("timezone as dj_timezone", "dj_timezone")):
            if self._free(local):
                return Spelling(f"{local}.now()", (self._django_import_edit(imported),))
        return None

    def sole_import(self, name: str) -> str | None:
        """The qualified name `name` is imported as, if that is its only binding in the file."""
        meanings = self._meanings.get(name)
        if meanings and len(meanings) == 1 and self._module_bindings.get(name) in meanings:
            return next(iter(meanings))
        return None

    def _binding_of(self, qualified: str) -> str | None:
        """A module-level name bound only to `qualified`, anywhere in the file."""
        for name in self._module_bindings:
            if self.sole_import(name) == qualified:
                return name
        return None

    def _free(self, name: str) -> bool:
        return name not in self._meanings and not self._star_import

    def _reused(self) -> Spelling | None:
        py311 = self._settings.target_version >= (3, 11)
        name = self._binding_of("datetime.UTC")
        if name and (py311 or name not in self._star_names):
            return Spelling(name)
        name = self._binding_of("datetime.timezone")
        if name:
            return Spelling(f"{name}.utc")
        name = self._binding_of("datetime")
        if name:
            return Spelling(f"{name}.UTC" if py311 else f"{name}.timezone.utc")
        return None

    def _imported(self) -> Spelling | None:
        candidates = [("UTC", "UTC", "UTC")] if self._settings.target_version >= (3, 11) else []
        candidates += [("timezone", "timezone", "timezone.utc"), ("timezone as dt_timezone", "dt_timezone", "dt_timezone.utc")]
        for imported, local, expr in candidates:
            if self._free(local):
                return Spelling(expr, (self._import_edit(imported),))
        return None

    def _import_edit(self, imported: str) -> Edit:
        """`, <imported>` after the file's first `from datetime import ...`, else a new line."""
        raise NotImplementedError

    def _django_import_edit(self, imported: str) -> Edit:
        """`, <imported>` after the file's first `from django.utils import ...`, else a new line."""
        raise NotImplementedError


class ImportPlanner(Planner):
    """Import edits placed with the libcst module."""

    def __init__(self, module_fixes: "ModuleFixes", tree: ast.Module):
        super().__init__(module_fixes.settings, tree, module_fixes.text)
        self._fixes = module_fixes

    def _django_import_edit(self, imported: str) -> Edit:
        import libcst as cst

        for stmt in self._fixes.module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if (isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None
                        and self._fixes.module.code_for_node(small.module) == "django.utils"
                        and not isinstance(small.names, cst.ImportStar)):
                    last = small.names[-1]
                    anchor = last.asname.name if last.asname is not None else last.name
                    _, at = self._fixes.range_of(anchor)
                    return Edit(at, at, f", {imported}")
        return self._new_import_line(f"from django.utils import {imported}")

    def _import_edit(self, imported: str) -> Edit:
        existing = self._from_datetime_import()
        if existing is not None:
            last = existing.names[-1]
            anchor = last.asname.name if last.asname is not None else last.name
            _, at = self._fixes.range_of(anchor)
            return Edit(at, at, f", {imported}")
        return self._new_import_line(f"from datetime import {imported}")

    def _from_datetime_import(self) -> cst.ImportFrom | None:
        import libcst as cst

        for stmt in self._fixes.module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if (isinstance(small, cst.ImportFrom) and not small.relative
                        and isinstance(small.module, cst.Name) and small.module.value == "datetime"
                        and not isinstance(small.names, cst.ImportStar)):
                    return small
        return None

    def _new_import_line(self, line: str) -> Edit:
        """Insert `line` after the module's docstring and leading imports."""
        module = self._fixes.module
        newline = module.default_newline
        last_header = None
        for i, stmt in enumerate(module.body):
            if _is_import_line(stmt) or (i == 0 and _is_docstring(stmt)):
                last_header = stmt
            else:
                break
        if last_header is None:
            if not module.body:
                at = _end_of_text(self._fixes.text)
                return Edit(at, at, ("" if at.column == 1 else newline) + line + newline)
            row = self._fixes.range_of(module.body[0])[0].row
            return Edit(Location(row, 1), Location(row, 1), line + newline)
        row = self._fixes.range_of(last_header)[1].row
        if row < len(line_starts(self._fixes.text)):
            return Edit(Location(row + 1, 1), Location(row + 1, 1), line + newline)
        at = _end_of_text(self._fixes.text)
        return Edit(at, at, newline + line)


def _is_import_line(stmt: cst.CSTNode) -> bool:
    import libcst as cst

    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _is_docstring(stmt: cst.CSTNode) -> bool:
    import libcst as cst

    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString))


def _end_of_text(text: str) -> Location:
    starts = line_starts(text)
    return Location(len(starts), len(text) - starts[-1] + 1)
