"""`timestamp-policy = "naive-utc"` (issue 15, team policies): the rules that ask for aware
values are off, local time is still reported, and CHR303 guards the policy. Driven through
the rule examples, the installed CLI, real flake8 and the language server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from chronolint.config import TIMESTAMP_POLICIES as CONFIG_POLICIES
from chronolint.registry import rule_by_code
from chronolint.rules.policy import TIMESTAMP_POLICIES
from conftest import run, tool
from test_lsp import next_publication, record_publications
from rule_harness import lint_example

NAIVE_UTC = {"timestamp-policy": "naive-utc"}
OFF = ("CHR002", "CHR005", "CHR101", "CHR404", "CHR405")
STILL_ON = ("CHR001", "CHR003", "CHR004")

MODELS = (
    "from datetime import datetime\n"
    "from sqlalchemy import Column, DateTime, Integer\n"
    "from sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\n\n"
    "class Job(Base):\n"
    "    __tablename__ = 'jobs'\n"
    "    id = Column(Integer, primary_key=True)\n"
    "    created_at = Column(DateTime, default=datetime.utcnow)\n"
    "    finished_at = Column(DateTime)\n"
)
SERVICE = (
    "from datetime import datetime, timezone\n\n"
    "from app.models import Job\n\n\n"
    "def finish(job: Job) -> None:\n"
    "    job.finished_at = datetime.utcnow()\n\n\n"
    "def finish_aware(job: Job) -> None:\n"
    "    job.finished_at = datetime.now(timezone.utc)\n\n\n"
    "def local(job: Job) -> None:\n"
    "    job.finished_at = datetime.now()\n"
)
# (file, row, code) expected under each policy, for the project above.
UNDER_AWARE = {("app/models.py", 11, "CHR010"), ("app/models.py", 11, "CHR101"), ("app/models.py", 12, "CHR101"),
               ("app/service.py", 7, "CHR002"), ("app/service.py", 11, "CHR303"), ("app/service.py", 15, "CHR001")}
UNDER_NAIVE_UTC = {("app/service.py", 11, "CHR303"), ("app/service.py", 15, "CHR001")}


def test_the_policy_values_agree_between_config_and_rules():
    assert CONFIG_POLICIES == TIMESTAMP_POLICIES == ("aware", "naive-utc")


@pytest.mark.parametrize("code", OFF)
def test_rule_is_off_under_naive_utc(code, tmp_path):
    rule = rule_by_code(code)
    for i, example in enumerate(rule.INVALID):
        found = [d for d in lint_example(tmp_path / str(i), rule, example, NAIVE_UTC) if d.code == code]
        assert found == [], f"{code} fired under naive-utc on:\n{example.code}"


@pytest.mark.parametrize("code", STILL_ON)
def test_local_time_rule_stays_on_under_naive_utc(code, tmp_path):
    rule = rule_by_code(code)
    for i, example in enumerate(rule.INVALID):
        found = [d for d in lint_example(tmp_path / str(i), rule, example, NAIVE_UTC) if d.code == code]
        assert len(found) == example.count, f"{code} under naive-utc on:\n{example.code}"


def _project(root: Path, config: str = "") -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "app" / "service.py").write_text(SERVICE)
    (root / "pyproject.toml").write_text("[project]\nname = 'jobs'\nversion = '0'\n" + config)
    return root


def _cli(root: Path, *args: str) -> set[tuple[str, int, str]]:
    result = run([tool("chronolint"), "check", "--no-cache", "--output-format", "json", *args, "."], cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(), d["location"]["row"], d["code"])
            for d in json.loads(result.stdout)}


def test_cli_reads_the_policy_from_config_and_from_the_flag(tmp_path):
    assert _cli(_project(tmp_path / "default")) == UNDER_AWARE
    configured = _project(tmp_path / "configured", '[tool.chronolint]\ntimestamp-policy = "naive-utc"\n')
    assert _cli(configured) == UNDER_NAIVE_UTC
    assert _cli(_project(tmp_path / "flag"), "--timestamp-policy", "naive-utc") == UNDER_NAIVE_UTC
    # The flag wins over the file, as every command-line override does.
    assert _cli(configured, "--timestamp-policy", "aware") == UNDER_AWARE


def test_cli_rejects_an_unknown_policy(tmp_path):
    root = _project(tmp_path, '[tool.chronolint]\ntimestamp-policy = "utc"\n')
    result = run([tool("chronolint"), "check", "--no-cache", "."], cwd=root)
    assert result.returncode == 2 and "timestamp-policy" in result.stderr
    result = run([tool("chronolint"), "check", "--no-cache", "--timestamp-policy", "utc", "."], cwd=root)
    assert result.returncode == 2


def test_a_rule_off_by_policy_counts_as_not_enabled_for_unused_noqa(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "jobs.py").write_text("from datetime import datetime\nstamp = datetime.utcnow()  # noqa: CHR002\n")
    result = run([tool("chronolint"), "check", "--no-cache", "--select", "CHR002,CHR100",
                  "--timestamp-policy", "naive-utc", "."], cwd=root)
    assert result.returncode == 0, result.stdout


def _flake8(root: Path, *args: str) -> set[tuple[str, int, str]]:
    result = run([tool("flake8"), "--isolated", "--select", "CHR", *args, "app"], cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    found = set()
    for line in result.stdout.splitlines():
        path, row, _, message = line.split(":", 3)
        found.add((Path(path).as_posix(), int(row), message.split()[0]))
    return found


def test_flake8_option(tmp_path):
    root = _project(tmp_path)
    assert _flake8(root) == UNDER_AWARE
    assert _flake8(root, "--chronolint-timestamp-policy=naive-utc") == UNDER_NAIVE_UTC
    assert {code for *_, code in _flake8(root, "--chronolint-timestamp-policy=utc")} == {"CHR000"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[tool("chronolint"), "server"]))
async def client(lsp_client: LanguageClient):
    record_publications(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, root: Path, options: dict) -> set[tuple[int, str]]:
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="jobs")], initialization_options=options))
    path = root / "app" / "service.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=path.read_text())))
    params = await next_publication(client, lambda p: p.uri == path.as_uri() and p.version == 1)
    return {(d.range.start.line + 1, d.code) for d in params.diagnostics}


@pytest.mark.asyncio
async def test_language_server_setting(client: LanguageClient, tmp_path: Path):
    found = await _diagnostics(client, _project(tmp_path), {"timestampPolicy": "naive-utc"})
    assert found == {(row, code) for (path, row, code) in UNDER_NAIVE_UTC if path == "app/service.py"}


def test_readme_config_for_teams_that_forbid_downgrades(tmp_path):
    revision = ('"""add jobs"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                'revision = "a1"\ndown_revision = None\n\n\n'
                'def upgrade():\n    op.add_column("jobs", sa.Column("note", sa.Text()))\n')
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a1_add_jobs.py").write_text(revision)
    assert {code for *_, code in _cli(tmp_path)} == {"CHR401"}
    (tmp_path / "chronolint.toml").write_text('extend-ignore = ["CHR401", "CHR402", "CHR403"]\n')
    assert _cli(tmp_path) == set()
