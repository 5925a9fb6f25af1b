"""`chronolint server`: the engine behind an LSP connection.

What the editor shows is the unsaved buffer linted with the settings of its path (the
nearest `pyproject.toml` / `chronolint.toml`, then the client's settings on top). Edits are
linted 200 ms after typing stops; open, save and a pull request lint at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from chronolint import __version__
from chronolint.config import ConfigError, ConfigResolver
from chronolint.engine.diagnostics import Diagnostic, FileResult
from chronolint.engine.noqa import add_codes_edit
from chronolint.linter import Fixes, Workspace, attach_all_fixes, fix_text
from chronolint.registry import rule_by_code
from chronolint.lsp.convert import SOURCE, is_offered, to_location, to_lsp_diagnostic, to_range, to_text_edit

DEBOUNCE_SECONDS = 0.2
CONFIG_FILES = frozenset({"pyproject.toml", "chronolint.toml", ".chronolint.toml"})
# Files the project index reads library versions from (pyproject.toml is a config file).
VERSION_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "requirements*.txt", "requirements/*.txt")
FIX_ALL_KIND = "source.fixAll.chronolint"
log = logging.getLogger(__name__)


@dataclass
class ClientSettings:
    """What the editor may set (initializationOptions or workspace/didChangeConfiguration)."""

    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] | None = None
    unsafe_fixes: bool = False
    configuration: str | None = None
    timestamp_policy: str | None = None  # "aware" / "naive-utc"; checked by ConfigResolver

    @classmethod
    def from_options(cls, options) -> "ClientSettings":
        """Accept the settings flat, or under a `chronolint` or `settings` key."""
        if not isinstance(options, dict):
            return cls()
        options = options.get("chronolint", options.get("settings", options)) or {}
        return cls(
            select=options.get("select"),
            ignore=options.get("ignore"),
            extend_select=options.get("extendSelect"),
            unsafe_fixes=bool(options.get("unsafeFixes", False)),
            configuration=options.get("configuration"),
            timestamp_policy=options.get("timestampPolicy"),
        )

    def overrides(self) -> dict:
        overrides: dict = {"unsafe-fixes": self.unsafe_fixes}
        if self.select is not None:
            overrides["select"] = list(self.select)
        if self.extend_select:
            overrides["extend-select"] = list(self.extend_select)
        if self.ignore:
            overrides["extend-ignore"] = list(self.ignore)
        if self.timestamp_policy is not None:
            overrides["timestamp-policy"] = self.timestamp_policy
        return overrides


@dataclass
class Linted:
    """The last lint of one open document: the text it saw and what it found. Fixes are
    computed only when a code action asks (libcst is much slower than detection)."""

    text: str
    result: FileResult
    settings: object = None
    index: object = None
    fixes_attached: bool = False

    def attach_fixes(self) -> None:
        if self.fixes_attached or self.settings is None:
            return
        self.fixes_attached = True
        attach_all_fixes(self.result, self.text, self.settings)


class ChronolintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("chronolint", __version__)
        self.client_settings = ClientSettings()
        self.root: str | None = None
        self.folders: list[str] = []
        self.resolver: ConfigResolver | None = None
        self.config_error: str | None = None
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self._workspace: Workspace | None = None

    # -- settings and the project index ------------------------------------------------

    def reload_settings(self) -> None:
        """Rebuild the resolver (client settings changed, or a config file did)."""
        self._workspace = None
        self.config_error = None
        try:
            self.resolver = ConfigResolver(self.client_settings.overrides(),
                                           config_file=self.client_settings.configuration, cwd=self.root)
        except ConfigError as exc:
            self.resolver = None
            self.report_config_error(str(exc))

    def report_config_error(self, message: str) -> None:
        if message != self.config_error:
            self.config_error = message
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"chronolint: {message}"))

    def lint_workspace(self) -> Workspace:
        """Settings and project indexes, built lazily from disk plus the open buffers, and
        dropped whenever a Python file changes (see `forget_index`)."""
        if self._workspace is None:
            buffers = {to_fs_path(uri): doc.source for uri, doc in self.workspace.text_documents.items()
                       if to_fs_path(uri)}
            self._workspace = Workspace(self.resolver, overrides=buffers, trees=self.folders or None)
        return self._workspace

    def forget_index(self) -> None:
        self._workspace = None

    # -- linting -----------------------------------------------------------------------

    def lint(self, uri: str) -> Linted | None:
        """Lint the document's current text; remember and return the result."""
        document = self.workspace.get_text_document(uri)
        path = document.path or to_fs_path(uri)
        if self.resolver is None or not path or not path.endswith((".py", ".pyi")):
            return None
        text = document.source
        settings = index = None
        try:
            result, settings, index = self.lint_workspace().lint(path, text, fixes=Fixes.NONE)
        except ConfigError as exc:
            self.report_config_error(str(exc))
            result = FileResult(path)
        has_syntax_error = any(d.code is None for d in result.diagnostics)
        linted = Linted(text, result, None if has_syntax_error else settings, index)
        self.linted[uri] = linted
        return linted

    def current(self, uri: str) -> Linted | None:
        """The lint of the document as it is now (re-linting if it changed since)."""
        linted = self.linted.get(uri)
        if linted is not None and linted.text == self.workspace.get_text_document(uri).source:
            return linted
        return self.lint(uri)

    def lsp_diagnostics(self, uri: str, linted: Linted | None) -> list[types.Diagnostic]:
        if linted is None:
            return []
        lines = self.workspace.get_text_document(uri).lines
        codec = self.workspace.position_codec
        return [to_lsp_diagnostic(lines, d, codec) for d in linted.result.diagnostics]

    @property
    def pushes(self) -> bool:
        """Push diagnostics unless the client pulls them (as ruff's server decides)."""
        text_document = self.client_capabilities.text_document if self.client_capabilities else None
        return text_document is None or text_document.diagnostic is None

    def publish(self, uri: str) -> None:
        linted = self.lint(uri)
        if self.pushes:
            version = self.workspace.get_text_document(uri).version
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, version=version, diagnostics=self.lsp_diagnostics(uri, linted)))

    def publish_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            self.publish(uri)
        if not self.pushes:
            self.workspace_diagnostic_refresh(None)

    def publish_later(self, uri: str) -> None:
        """Lint after the user pauses typing: each change restarts the timer."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def wait_then_publish():
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self.pending.pop(uri, None)
            self.publish(uri)

        self.pending[uri] = asyncio.ensure_future(wait_then_publish())

    # -- code actions and hover --------------------------------------------------------

    def matching(self, uri: str, linted: Linted, wanted: types.Diagnostic) -> list[Diagnostic]:
        """Our diagnostics that an editor diagnostic (sent back in a code action) stands for."""
        lines = self.workspace.get_text_document(uri).lines
        codec = self.workspace.position_codec
        return [d for d in linted.result.diagnostics
                if d.code == wanted.code and to_range(lines, d.start, d.end, codec) == wanted.range]

    def workspace_edit(self, uri: str, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        version = self.workspace.get_text_document(uri).version
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=edits,
        )])

    def quick_fix(self, uri: str, diagnostic: Diagnostic, shown: types.Diagnostic) -> types.CodeAction:
        lines = self.workspace.get_text_document(uri).lines
        codec = self.workspace.position_codec
        edits = [to_text_edit(lines, edit, codec) for edit in diagnostic.fix.edits]
        unsafe = "" if diagnostic.fix.applicability.value == "safe" else " (unsafe)"
        return types.CodeAction(
            title=f"{diagnostic.code}: {diagnostic.fix.message}{unsafe}",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[shown],
            is_preferred=not unsafe,
            edit=self.workspace_edit(uri, edits),
        )

    def noqa_action(self, uri: str, diagnostic: Diagnostic, shown: types.Diagnostic) -> types.CodeAction | None:
        row = diagnostic.noqa_row or diagnostic.start.row
        document = self.workspace.get_text_document(uri)
        if row > len(document.lines):
            return None
        edit = add_codes_edit(document.lines[row - 1].rstrip("\r\n"), row, {diagnostic.code})
        if edit is None:
            return None
        return types.CodeAction(
            title=f"Disable {diagnostic.code} for this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[shown],
            edit=self.workspace_edit(uri, [to_text_edit(document.lines, edit, self.workspace.position_codec)]),
        )

    def fix_all(self, uri: str) -> types.CodeAction | None:
        """Every safe fix at once (the fixer's rounds, so overlapping fixes all land)."""
        document = self.workspace.get_text_document(uri)
        linted = self.current(uri)
        if linted is None or linted.settings is None or not linted.result.diagnostics:
            return None
        settings = linted.settings.with_overrides({"unsafe-fixes": False})
        fixed = fix_text(linted.result.filename, linted.text, settings, linted.index).text
        if fixed == document.source:
            return None
        lines = document.lines
        end = types.Position(len(lines), 0)
        return types.CodeAction(
            title="chronolint: fix all safe fixes",
            kind=FIX_ALL_KIND,
            edit=self.workspace_edit(uri, [types.TextEdit(types.Range(types.Position(0, 0), end), fixed)]),
        )

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        linted = self.current(uri)
        if linted is None:
            return []
        only = params.context.only
        actions: list[types.CodeAction] = []
        if only is None or types.CodeActionKind.QuickFix in only:
            linted.attach_fixes()
            for shown in params.context.diagnostics:
                if shown.source != SOURCE:
                    continue
                for diagnostic in self.matching(uri, linted, shown):
                    if is_offered(diagnostic, self.client_settings.unsafe_fixes):
                        actions.append(self.quick_fix(uri, diagnostic, shown))
                    noqa = self.noqa_action(uri, diagnostic, shown) if diagnostic.code else None
                    if noqa is not None:
                        actions.append(noqa)
        if only is None or any(FIX_ALL_KIND.startswith(kind) for kind in only):
            fix_all = self.fix_all(uri)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        """The docs of the rules whose findings cover the hovered position."""
        uri = params.text_document.uri
        linted = self.current(uri)
        if linted is None:
            return None
        lines = self.workspace.get_text_document(uri).lines
        at = to_location(lines, params.position, self.workspace.position_codec)
        codes = sorted({d.code for d in linted.result.diagnostics if d.code and d.start <= at <= d.end})
        docs = [f"# {rule.code} {rule.name}\n\n{rule.docs()}" for rule in map(rule_by_code, codes) if rule]
        if not docs:
            return None
        return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(docs)))


def _is_config_file(uri: str) -> bool:
    return os.path.basename(to_fs_path(uri) or "") in CONFIG_FILES


def build_server() -> ChronolintServer:
    server = ChronolintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: ChronolintServer, params: types.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root_uri = folders[0].uri if folders else params.root_uri
        ls.root = to_fs_path(root_uri) if root_uri else None
        # A project without a root marker is the workspace folder holding it.
        ls.folders = [p for p in (to_fs_path(f.uri) for f in folders) if p] or ([ls.root] if ls.root else [])
        ls.client_settings = ClientSettings.from_options(params.initialization_options)
        ls.reload_settings()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ChronolintServer, params: types.InitializedParams) -> None:
        """Ask the client to tell us when a config file or a Python file changes on disk."""
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}")
                    for name in (*sorted(CONFIG_FILES), *VERSION_FILES, "*.py")]
        registration = types.Registration(
            id="chronolint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # the client refused: config edits then apply on didSave only
            log.warning("could not register file watchers: %s", exc)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ChronolintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.forget_index()
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ChronolintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.forget_index()
        uri = params.text_document.uri
        ls.publish_later(uri)
        if "down_revision" in ls.workspace.get_text_document(uri).source:
            # A migration revision: the replayed schema changed, and with it what the
            # drift rules say about the models in other open documents.
            for other in list(ls.workspace.text_documents):
                if other != uri:
                    ls.publish_later(other)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ChronolintServer, params: types.DidSaveTextDocumentParams) -> None:
        if _is_config_file(params.text_document.uri):
            ls.reload_settings()
            ls.publish_all()
        else:
            ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ChronolintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.linted.pop(uri, None)
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        ls.forget_index()
        if ls.pushes:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: ChronolintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(_is_config_file(change.uri) for change in params.changes):
            ls.reload_settings()
        ls.forget_index()
        ls.publish_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: ChronolintServer, params: types.DidChangeConfigurationParams) -> None:
        ls.client_settings = ClientSettings.from_options(params.settings)
        ls.reload_settings()
        ls.publish_all()

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False))
    def pull_diagnostics(ls: ChronolintServer, params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        return types.RelatedFullDocumentDiagnosticReport(items=ls.lsp_diagnostics(uri, ls.lint(uri)))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND]))
    def code_action(ls: ChronolintServer, params: types.CodeActionParams):
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ChronolintServer, params: types.HoverParams):
        return ls.hover(params)

    return server
