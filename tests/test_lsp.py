"""End to end: a real LSP client (pytest-lsp) drives `chronolint server` over stdio."""

from __future__ import annotations

import asyncio

import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import tool

pytestmark = pytest.mark.asyncio

# The emoji before the call is two UTF-16 code units: ranges must count it so.
SOURCE = (
    "from datetime import datetime, timezone\n"
    "\n"
    'label = "⏰😀"; stamp = datetime.utcnow().replace(tzinfo=timezone.utc)\n'
    "started = datetime.now()\n"
)
CHR002_LINE = SOURCE.splitlines()[2]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def offset(text: str, position: types.Position) -> int:
    """A 0-based LSP (UTF-16) position → an index into `text`."""
    lines = text.splitlines(keepends=True)
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: position.line])
    units = 0
    for i, char in enumerate(lines[position.line]):
        if units >= position.character:
            return start + i
        units += utf16_len(char)
    return start + len(lines[position.line])


def apply_edits(text: str, action: types.CodeAction) -> str:
    """What an editor does with a code action's workspace edit."""
    edits = [e for change in action.edit.document_changes for e in change.edits]
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(text, edit.range.start)] + edit.new_text + text[offset(text, edit.range.end):]
    return text


def capabilities(*, pull: bool) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            code_action=types.CodeActionClientCapabilities(),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        ),
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        ),
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[tool("chronolint"), "server"]))
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        lsp_client.registrations.extend(params.registrations)

    record_publications(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\nversion = '0'\n")
    (tmp_path / "app.py").write_text(SOURCE)
    return tmp_path


async def start(client: LanguageClient, project: Path, *, pull: bool = False, options: dict | None = None):
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(pull=pull),
        root_uri=project.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="demo")],
        initialization_options=options,
    ))


async def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text() if text is None else text)))
    return uri


def record_publications(client: LanguageClient) -> None:
    """Keep every `publishDiagnostics` in arrival order. `wait_for_notification` only sees
    what arrives while it waits: a publication that lands between two waits (the server
    re-publishing two files at once) is lost, and a test waiting for it hangs."""
    features = client.protocol.fm.features
    default = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams):
        default(params)
        client.publications.append(params)

    client.publications, client.read_upto = [], 0
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record


async def next_publication(client: LanguageClient, wanted, timeout: float = 60.0) -> types.PublishDiagnosticsParams:
    """The next publication, after those already read, that `wanted(params)` accepts; the
    ones skipped on the way are read too."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        while client.read_upto < len(client.publications):
            params = client.publications[client.read_upto]
            client.read_upto += 1
            if wanted(params):
                return params
        if loop.time() > deadline:
            raise AssertionError(f"no matching publishDiagnostics within {timeout} s")
        await asyncio.sleep(0.01)


async def published(client: LanguageClient, uri: str, version: int) -> list[types.Diagnostic]:
    """Wait for the diagnostics the server publishes for `version` of the document."""
    params = await next_publication(client, lambda p: p.uri == uri and p.version == version)
    return list(params.diagnostics)


async def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    ))


async def actions_for(client: LanguageClient, uri: str, diagnostic: types.Diagnostic, only=None):
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
    ))


def by_code(diagnostics, code: str) -> types.Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, diagnostics
    return found[0]


async def test_open_fix_noqa_and_cleared_diagnostics(client: LanguageClient, project: Path):
    await start(client, project)
    uri = await open_document(client, project / "app.py")
    diagnostics = await published(client, uri, 1)
    assert sorted(d.code for d in diagnostics) == ["CHR001", "CHR002"]
    assert all(d.source == "chronolint" for d in diagnostics)

    chr002 = by_code(diagnostics, "CHR002")
    column = CHR002_LINE.index("datetime.utcnow")
    assert chr002.range.start == types.Position(2, utf16_len(CHR002_LINE[:column]))  # emoji counted as 2 units
    assert chr002.range.start.character == column + 1

    actions = await actions_for(client, uri, chr002)
    fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix and a.title.startswith("CHR002"))
    text = apply_edits(SOURCE, fix)
    assert 'label = "⏰😀"; stamp = datetime.now(timezone.utc)\n' in text
    await change(client, uri, 2, text)
    diagnostics = await published(client, uri, 2)
    assert [d.code for d in diagnostics] == ["CHR001"]

    # CHR001's fix is unsafe: not offered by default; "disable for this line" is.
    actions = await actions_for(client, uri, diagnostics[0])
    titles = [a.title for a in actions]
    assert not any(t.startswith("CHR001:") for t in titles), titles
    noqa = next(a for a in actions if a.title == "Disable CHR001 for this line")
    text = apply_edits(text, noqa)
    assert "started = datetime.now()  # noqa: CHR001\n" in text
    await change(client, uri, 3, text)
    assert await published(client, uri, 3) == []


async def test_pull_diagnostics_and_hover_docs(client: LanguageClient, project: Path):
    await start(client, project, pull=True)
    uri = await open_document(client, project / "app.py")
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert sorted(d.code for d in report.items) == ["CHR001", "CHR002"]
    assert uri not in client.diagnostics  # a pulling client gets no pushes as well

    chr001 = by_code(report.items, "CHR001")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=chr001.range.start))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "CHR001" in hover.contents.value and "## Why is this bad?" in hover.contents.value
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 0)))
    assert nothing is None


async def test_unsafe_fixes_and_settings_from_the_client(client: LanguageClient, project: Path):
    await start(client, project, options={"unsafeFixes": True, "ignore": ["CHR002"]})
    uri = await open_document(client, project / "app.py")
    diagnostics = await published(client, uri, 1)
    assert [d.code for d in diagnostics] == ["CHR001"]
    actions = await actions_for(client, uri, diagnostics[0])
    unsafe = next(a for a in actions if a.title.startswith("CHR001:"))
    assert "(unsafe)" in unsafe.title
    assert "started = datetime.now(tz=timezone.utc)\n" in apply_edits(SOURCE, unsafe)

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"chronolint": {"select": ["CHR002"]}}))
    diagnostics = await published(client, uri, 1)
    assert [d.code for d in diagnostics] == ["CHR002"]


async def test_fix_all_applies_every_safe_fix(client: LanguageClient, project: Path):
    await start(client, project)
    uri = await open_document(client, project / "app.py")
    diagnostics = await published(client, uri, 1)
    actions = await actions_for(client, uri, diagnostics[0], only=["source.fixAll.chronolint"])
    assert [a.kind for a in actions] == ["source.fixAll.chronolint"]
    fixed = apply_edits(SOURCE, actions[0])
    assert "datetime.now(timezone.utc)" in fixed and "started = datetime.now()\n" in fixed  # unsafe one left


async def test_config_file_change_relints_open_documents(client: LanguageClient, project: Path):
    await start(client, project)
    uri = await open_document(client, project / "app.py")
    assert len(await published(client, uri, 1)) == 2
    watched = [w["globPattern"] for r in client.registrations for w in r.register_options["watchers"]]
    assert "**/pyproject.toml" in watched and "**/chronolint.toml" in watched
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.chronolint]\nignore = ['CHR001']\n")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]))
    assert [d.code for d in await published(client, uri, 1)] == ["CHR002"]


async def test_unsaved_buffer_is_linted_not_the_file_on_disk(client: LanguageClient, project: Path):
    await start(client, project)
    uri = await open_document(client, project / "app.py", text="from datetime import datetime\nx = datetime.today()\n")
    assert [d.code for d in await published(client, uri, 1)] == ["CHR003"]


async def test_round_trip_timing_on_a_large_file(client: LanguageClient, tmp_path: Path):
    """Measured for the record (run with -s): open → diagnostics, and edit → diagnostics
    (the latter includes the 200 ms debounce)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'big'\nversion = '0'\n")
    block = (
        "def handler_{i}(session, agent):\n"
        "    started = datetime.now()\n"
        "    if agent.last_active_at and agent.last_active_at < started:\n"
        "        agent.last_active_at = datetime.now(timezone.utc)\n"
        "    return started\n"
        "\n"
    )
    text = "from datetime import datetime, timezone\n\n" + "".join(block.format(i=i) for i in range(500))
    big = tmp_path / "big.py"
    big.write_text(text)
    assert len(text.splitlines()) >= 3000
    await start(client, tmp_path)

    began = time.perf_counter()
    uri = await open_document(client, big)
    diagnostics = await published(client, uri, 1)
    opened = time.perf_counter() - began
    assert len(diagnostics) >= 500

    began = time.perf_counter()
    await change(client, uri, 2, text.replace("datetime.now()", "datetime.now(timezone.utc)", 1))
    after_edit = await published(client, uri, 2)
    edited = time.perf_counter() - began
    assert len(after_edit) == len(diagnostics) - 1
    print(f"\nLSP round trip on {len(text.splitlines())} lines, {len(diagnostics)} diagnostics: "
          f"open→publish {opened * 1000:.0f} ms; edit→publish {edited * 1000:.0f} ms (incl. 200 ms debounce)")


async def test_index_rule_on_a_django_project_with_its_unsafe_fix(client: LanguageClient, tmp_path: Path):
    """CHR205 needs the project index (the model's `auto_now` field, in another file):
    the server reports it on the fixture's Django service and offers its unsafe fix."""
    import shutil

    from conftest import FIXTURES

    project = tmp_path / "django_app"
    shutil.copytree(FIXTURES / "django_app", project)
    await start(client, project, options={"unsafeFixes": True, "select": ["CHR205"]})
    path = project / "orders" / "maintenance.py"
    uri = await open_document(client, path)
    diagnostics = await published(client, uri, 1)
    rows = sorted(d.range.start.line + 1 for d in diagnostics)
    text = path.read_text()
    assert rows == [i for i, line in enumerate(text.splitlines(), 1) if "# expect: CHR205" in line]
    first = min(diagnostics, key=lambda d: d.range.start.line)
    [action] = [a for a in await actions_for(client, uri, first) if a.title.startswith("CHR205:")]
    assert "placed_at__lt=before).update(status=Order.Status.CANCELLED, updated_at=timezone.now())" in apply_edits(text, action)


async def test_drift_follows_an_edited_revision_buffer(client: LanguageClient, tmp_path: Path):
    """CHR408 in an open models file goes away as soon as the open revision adds the
    column, unsaved: the project index replays the revision buffers."""
    import shutil

    from conftest import FIXTURES

    project = tmp_path / "drift"
    shutil.copytree(FIXTURES / "alembic_drift", project)
    await start(client, project)
    models = await open_document(client, project / "app/models.py")
    first = await published(client, models, 1)
    assert sum(d.code == "CHR408" and "users.nickname" in d.message for d in first) == 1
    revision = project / "migrations/versions/r14_webhooks_reflect.py"
    text = revision.read_text()
    uri = await open_document(client, revision, text)
    await published(client, uri, 1)
    added = text.replace('def upgrade():\n', 'def upgrade():\n    op.add_column("users", sa.Column("nickname", sa.String(40)))\n')
    await change(client, uri, 2, added)
    params = await next_publication(client, lambda p: p.uri == models)
    assert not any(d.code == "CHR408" and "users.nickname" in d.message for d in params.diagnostics)
    assert any(d.code == "CHR408" and "openai_api_key" in d.message for d in params.diagnostics)
