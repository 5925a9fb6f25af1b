"""chronolint's plain data ↔ LSP types. chronolint counts 1-based rows and characters; LSP
counts 0-based lines and, by default, UTF-16 code units (an emoji is two): the position
codec pygls negotiated with the client does the unit conversion."""

from __future__ import annotations

from lsprotocol import types

from chronolint.engine.diagnostics import Applicability, Diagnostic, Edit, Location

SOURCE = "chronolint"


def to_position(lines: list[str], location: Location, codec) -> types.Position:
    return codec.position_to_client_units(lines, types.Position(location.row - 1, location.column - 1))


def to_range(lines: list[str], start: Location, end: Location, codec) -> types.Range:
    return types.Range(to_position(lines, start, codec), to_position(lines, end, codec))


def to_location(lines: list[str], position: types.Position, codec) -> Location:
    server = codec.position_from_client_units(lines, types.Position(position.line, position.character))
    return Location(server.line + 1, server.character + 1)


def to_text_edit(lines: list[str], edit: Edit, codec) -> types.TextEdit:
    return types.TextEdit(range=to_range(lines, edit.start, edit.end, codec), new_text=edit.content)


def to_lsp_diagnostic(lines: list[str], diagnostic: Diagnostic, codec) -> types.Diagnostic:
    return types.Diagnostic(
        range=to_range(lines, diagnostic.start, diagnostic.end, codec),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity.Error if diagnostic.code is None else types.DiagnosticSeverity.Warning,
        code=diagnostic.code or "invalid-syntax",
        source=SOURCE,
    )


def is_offered(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    """Whether the editor offers this diagnostic's fix as a quick fix."""
    fix = diagnostic.fix
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe_fixes and fix.applicability is Applicability.UNSAFE)
