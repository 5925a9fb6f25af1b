"""How a fix reaches a diagnostic: a rule reports a text fix with the finding
(`ctx.report(..., fix=...)`), or computes one with libcst (`compute_fix`). Either way the
configuration has its say: `unfixable`, `extend-safe-fixes`, only-safe lints."""

from __future__ import annotations

import pytest

from chronolint.config import ConfigResolver
from chronolint.engine.diagnostics import Applicability, Location
from chronolint.fixer import context
from chronolint.linter import Fixes, lint_text

BARE_REVISION_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
REVISION_HEAD = '"""add tenant\n\nRevision ID: b2\nRevises: a1\n"""\n' + BARE_REVISION_HEAD
UPGRADE = "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n"
UNUSED_NOQA = "x = 1  # noqa: CHR001\n"


def _lint(text: str, fixes: Fixes = Fixes.ALL, **options):
    settings = ConfigResolver({"select": ["CHR401", "CHR100", "CHR001"], **options}, cwd="/").for_path("/x.py")
    return {d.code: d for d in lint_text("/x.py", text, settings, fixes=fixes).diagnostics}


@pytest.fixture
def no_libcst(monkeypatch):
    """Fail if the fixer parses the module with libcst."""
    def refuse(*args, **kwargs):
        raise AssertionError("a fix reported with the finding needs no libcst parse")
    monkeypatch.setattr(context, "ModuleFixes", refuse)


def test_a_reported_fix_is_attached_without_a_libcst_parse(no_libcst):
    found = _lint(REVISION_HEAD + UPGRADE + UNUSED_NOQA)
    assert found["CHR401"].fix.applicability is Applicability.UNSAFE
    assert found["CHR100"].fix.applicability is Applicability.SAFE


def test_a_reported_fix_does_not_depend_on_a_libcst_node_at_the_finding():
    """No docstring on line 1: CHR401's finding is an empty range at 1:1, where libcst has no
    node; the fix is still there."""
    found = _lint(BARE_REVISION_HEAD + UPGRADE)
    assert (found["CHR401"].start, found["CHR401"].end) == (Location(1, 1), Location(1, 1))
    assert found["CHR401"].fix is not None


def test_the_configuration_still_decides_over_a_reported_fix(no_libcst):
    text = REVISION_HEAD + UPGRADE + UNUSED_NOQA
    unfixable = _lint(text, unfixable=["CHR401"])
    assert unfixable["CHR401"].fix is None and unfixable["CHR401"].fix_hint is None
    promoted = _lint(text, **{"extend-safe-fixes": ["CHR401"], "extend-unsafe-fixes": ["CHR100"]})
    assert promoted["CHR401"].fix.applicability is Applicability.SAFE
    assert promoted["CHR100"].fix.applicability is Applicability.UNSAFE
    only_safe = _lint(text, Fixes.SAFE)
    assert only_safe["CHR401"].fix is None and only_safe["CHR401"].fix_hint is Applicability.UNSAFE
    assert only_safe["CHR100"].fix is not None
    none = _lint(text, Fixes.NONE)
    assert none["CHR401"].fix is None and none["CHR100"].fix is None


def test_a_finding_reported_without_its_fix_has_no_fix_hint(no_libcst):
    """CHR401 says in its message why there is no fix; no `[*]`, no hidden-fix count."""
    found = _lint(REVISION_HEAD + "def upgrade():\n    op.drop_column('t', 'c')\n")
    assert "no fix:" in found["CHR401"].message
    assert found["CHR401"].fix is None and found["CHR401"].fix_hint is None
