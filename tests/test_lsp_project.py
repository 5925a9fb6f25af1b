"""The language server sees the projects of issue 14 as the command line does: library
versions from the lock file (and it follows edits to it), a marker-less workspace folder
as one project, pydantic schemas that are not tables, helper columns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import FIXTURES
from markers import expected_findings
from test_lsp import change, client, open_document, published, start  # noqa: F401 (the `client` fixture)

pytestmark = pytest.mark.asyncio


def _copy(tmp_path: Path, name: str) -> Path:
    return shutil.copytree(FIXTURES / name, tmp_path / name)


def _rows(diagnostics, *codes) -> list[tuple[int, str]]:
    return sorted((d.range.start.line + 1, d.code) for d in diagnostics if d.code in codes)


def _expected(project: Path, rel: str, *codes) -> list[tuple[int, str]]:
    return sorted((row, code) for (path, row, code), n in expected_findings(project, codes).items() if path == rel for _ in range(n))


@pytest.mark.parametrize("name, rel", [
    ("sqlmodel_050", "helpdesk/service.py"), ("sqlmodel_044", "helpdesk/models.py"),
    ("django_42", "lending/models.py"), ("django_50", "lending/services.py"),
    ("pydantic_schemas", "inventory/services.py"), ("pydantic_schemas", "inventory/schemas.py"),
    ("markerless", "app/services/shipping.py"), ("helper_columns", "eventlog/models.py"),
    ("core_tables", "ledger/db/tables.py"), ("core_tables", "ledger/services.py"),
])
async def test_fixture_files_match_markers_in_the_server(client: LanguageClient, tmp_path, name, rel):
    project = _copy(tmp_path, name)
    await start(client, project)
    uri = await open_document(client, project / rel)
    codes = ("CHR101", "CHR201", "CHR301", "CHR303")
    assert _rows(await published(client, uri, 1), *codes) == _expected(project, rel, *codes)


async def test_server_follows_edits_to_uv_lock(client: LanguageClient, tmp_path):
    project = _copy(tmp_path, "sqlmodel_050")
    await start(client, project)
    uri = await open_document(client, project / "helpdesk" / "service.py")
    assert _rows(await published(client, uri, 1), "CHR303") == [(12, "CHR303")]  # utcnow() into an aware column
    watched = [w["globPattern"] for r in client.registrations for w in r.register_options["watchers"]]
    assert "**/uv.lock" in watched and "**/requirements*.txt" in watched
    lock = project / "uv.lock"
    lock.write_text(lock.read_text().replace('version = "0.0.50"', 'version = "0.0.44"'))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=lock.as_uri(), type=types.FileChangeType.Changed)]))
    assert _rows(await published(client, uri, 1), "CHR303") == []  # naive into naive on 0.0.44


async def test_server_follows_an_edited_format_constant(client: LanguageClient, tmp_path):
    """CHR007 in an open service follows the unsaved buffer of the module that defines the
    imported format constant (`ledger/constants.py`), when the service is next linted (the
    server re-lints other open documents at once only for a revision's edit)."""
    project = _copy(tmp_path, "core_tables")
    await start(client, project)
    services = await open_document(client, project / "ledger" / "services.py")
    assert _rows(await published(client, services, 1), "CHR007") == [(21, "CHR007")]
    constants = project / "ledger" / "constants.py"
    text = constants.read_text()
    uri = await open_document(client, constants, text)
    await published(client, uri, 1)
    await change(client, uri, 2, text.replace('"%d/%m/%Y %H:%M"', '"%d/%m/%Y %H:%M %z"'))
    await published(client, uri, 2)
    await change(client, services, 2, (project / "ledger" / "services.py").read_text() + "\n")
    assert _rows(await published(client, services, 2), "CHR007") == []
