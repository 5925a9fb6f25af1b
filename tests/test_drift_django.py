"""CHR408 on Django: the migrations of `fixtures/django_drift` replayed statically (state
side), against its models; `makemigrations --check --dry-run` from a real Django is the
oracle."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, run, tool

ROOT = FIXTURES / "django_drift"


@pytest.fixture(scope="module")
def found() -> list[dict]:
    result = run([tool("chronolint"), "check", "--no-cache", "--select", "CHR408,CHR409", "--output-format", "json", "."], cwd=ROOT)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def flagged(found) -> set[tuple[str, str]]:
    return {tuple(re.search(r"`(\w+)\.(\w+)`", d["message"]).groups()) for d in found if d["code"] == "CHR408"}


def makemigrations_adds(root: Path) -> set[tuple[str, str]]:
    pytest.importorskip("django")
    result = run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=root)
    assert result.returncode in (0, 1), result.stderr
    assert not re.search(r"Create model|Remove field|Rename|Delete model", result.stdout), result.stdout
    return {(model, field) for field, model in re.findall(r"[-+] Add field (\w+) to (\w+)", result.stdout)}


def test_makemigrations_is_the_oracle(found):
    expected = makemigrations_adds(ROOT)
    assert expected == {("borrowing", "renewed_at"), ("member", "nickname")}
    assert {(model.lower(), field) for model, field in flagged(found)} == expected


def test_fields_renamed_added_later_or_dropped_on_both_sides_are_silent(found):
    names = {field for _, field in flagged(found)}
    assert not names & {"email_address", "joined_at", "isbn", "title", "author"}


def test_state_operations_of_separate_database_and_state_count(found):
    assert ("Borrowing", "returned_at") not in flagged(found)


def test_renamed_model_and_squashed_migration_are_followed(found):
    # `Loan` became `Borrowing` (0005) and `library` starts at a squashed migration whose
    # replaced files are gone: its fields are all known, only the missing one is flagged.
    assert {f for m, f in flagged(found) if m == "Borrowing"} == {"renewed_at"}


def test_makemigrations_after_the_fields_are_added_agrees_again(tmp_path, found):
    """Write the migrations Django would, and both sides go quiet."""
    root = tmp_path / "p"
    shutil.copytree(ROOT, root)
    result = run([sys.executable, "manage.py", "makemigrations"], cwd=root)
    assert result.returncode == 0, result.stderr
    assert makemigrations_adds(root) == set()
    again = run([tool("chronolint"), "check", "--no-cache", "--select", "CHR408", "--output-format", "json", "."], cwd=root)
    assert json.loads(again.stdout) == []


def test_an_operation_of_the_project_makes_its_model_unknown(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(ROOT, root)
    (root / "members/migrations/0004_custom.py").write_text(
        "from django.db import migrations\nfrom members.ops import AddAuditFields\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = [('members', '0003_rename_email')]\n"
        "    operations = [AddAuditFields(model_name='member')]\n")
    result = run([tool("chronolint"), "check", "--no-cache", "--select", "CHR408", "--output-format", "json", "."], cwd=root)
    assert {m for m, _ in flagged(json.loads(result.stdout))} == {"Borrowing"}
