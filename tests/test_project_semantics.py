"""What the project means (issue 14): where the project is, what is a model, which library
versions it runs. Each fixture project goes through the installed `chronolint` command and
is compared with its `# expect:` markers; the traps are named tests; the language server
sees the same projects and follows edits to `uv.lock`."""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from chronolint.index.files import find_project_root, linted_trees
from chronolint.index.store import build_index
from conftest import FIXTURES
from markers import expected_findings

# The fixtures of this issue; every code, default configuration.
PROJECTS = ("pydantic_schemas", "sqlmodel_044", "sqlmodel_050", "django_42", "django_50", "markerless", "helper_columns", "core_tables")
INDEX_CODES = ("CHR002", "CHR007", "CHR101", "CHR201", "CHR301", "CHR302", "CHR303")


def _findings(chronolint, project: Path, *args, cwd: Path | None = None) -> Counter:
    result = chronolint("check", "--output-format", "json", "--no-cache", "--exit-zero", *args, cwd=cwd or project)
    assert result.returncode == 0, result.stderr
    found = Counter()
    for d in json.loads(result.stdout):
        found[(Path(d["filename"]).resolve().relative_to(project.resolve()).as_posix(), d["location"]["row"], d["code"])] += 1
    return found


def _all_codes(project: Path) -> Counter:
    return expected_findings(project, [f"CHR{n:03d}" for n in range(1, 500)])


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_findings_match_markers(chronolint, tmp_path, name):
    # Copied out of the repository: its pyproject.toml and .git must not be the root.
    project = shutil.copytree(FIXTURES / name, tmp_path / name)
    assert _findings(chronolint, project, ".") == _all_codes(project)


# -- what is a model ------------------------------------------------------------------


def test_pydantic_schemas_dataclasses_and_plain_classes_are_not_tables():
    index = build_index(FIXTURES / "pydantic_schemas", use_cache=False)
    assert sorted(m.name for m in index.models.values()) == ["Item"]
    assert index.mixins == {}  # Timestamps(BaseModel), ItemRestocked (frozen dataclass), AuditEntry


def test_sqlmodel_schemas_are_not_tables_but_lend_columns_to_tables():
    index = build_index(FIXTURES / "sqlmodel_044", use_cache=False)
    assert sorted(m.name for m in index.models.values()) == ["Ticket"]  # not TicketBase/Create/Read
    due = index.by_name("Ticket")[0].columns["due_at"]
    assert due.owner == "helpdesk.models.TicketBase" and due.aware is False


def test_schema_receivers_get_no_chr201_or_chr303(chronolint):
    project = FIXTURES / "sqlmodel_044"
    found = _findings(chronolint, project, "--select", "CHR201,CHR303", "helpdesk/service.py")
    assert [key for key in found if key[0] == "helpdesk/service.py" and key[1] >= 22] == []  # stamp_read


# -- library versions ------------------------------------------------------------------


def test_sqlmodel_plain_datetime_follows_the_locked_version(chronolint):
    old = _findings(chronolint, FIXTURES / "sqlmodel_044", "--select", "CHR101", ".")
    new = _findings(chronolint, FIXTURES / "sqlmodel_050", "--select", "CHR101", ".")
    assert sorted(row for (_, row, _) in old) == [17, 24, 25]  # due_at, opened_at, closed_at
    assert list(new) == [("helpdesk/models.py", 27, "CHR101")]  # only the NaiveDatetime field


def test_unknown_sqlmodel_version_is_silent(chronolint, tmp_path):
    project = shutil.copytree(FIXTURES / "sqlmodel_044", tmp_path / "p")
    (project / "uv.lock").unlink()
    assert _findings(chronolint, project, "--select", "CHR101,CHR303", ".") == Counter()


def test_configured_library_version_decides(chronolint, tmp_path):
    project = shutil.copytree(FIXTURES / "sqlmodel_044", tmp_path / "p")
    (project / "uv.lock").unlink()
    with (project / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.chronolint]\nlibrary-versions = { sqlmodel = "0.0.40" }\n')
    assert len(_findings(chronolint, project, "--select", "CHR101", ".")) == 3
    bad = (project / "pyproject.toml").read_text().replace('{ sqlmodel = "0.0.40" }', '["sqlmodel"]')
    (project / "pyproject.toml").write_text(bad)
    result = chronolint("check", "--no-cache", ".", cwd=project)
    assert result.returncode == 2 and "library-versions" in result.stderr


def test_django_settings_without_use_tz_follow_the_pinned_django(chronolint):
    old = _findings(chronolint, FIXTURES / "django_42", "--select", "CHR101", ".")
    assert len(old) == 4 and _findings(chronolint, FIXTURES / "django_50", "--select", "CHR101", ".") == Counter()
    result = chronolint("check", "--select", "CHR101", "--no-cache", "lending/models.py", cwd=FIXTURES / "django_42")
    assert "`USE_TZ` is False by default before Django 5.0" in result.stdout


def test_show_settings_prints_versions_and_their_sources(chronolint):
    result = chronolint("check", "--show-settings", "--select", "CHR1", "helpdesk/service.py", cwd=FIXTURES / "sqlmodel_050")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f'Resolved settings for: "{FIXTURES / "sqlmodel_050" / "helpdesk" / "service.py"}"' in out
    assert 'select = ["CHR1"]' in out and 'enabled-rules = ["CHR101", "CHR102"]' in out
    assert f'root = "{FIXTURES / "sqlmodel_050"}"' in out
    assert 'sqlmodel = "==0.0.50"  # uv.lock' in out and 'sqlalchemy = "==2.0.41"  # uv.lock' in out
    assert "django = unknown" in out
    django = chronolint("check", "--show-settings", ".", cwd=FIXTURES / "django_50").stdout
    assert 'django = "~=5.0.6"  # pyproject.toml' in django
    assert "django-use-tz = true  # Django's default for django ~=5.0.6 (pyproject.toml)" in django


def test_show_settings_with_a_configuration_file(chronolint, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.chronolint]\nlibrary-versions = { django = "4.2" }\nignore = ["CHR001"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    result = chronolint("check", "--show-settings", "--no-cache", ".", cwd=tmp_path)
    assert f'Settings path: "{tmp_path / "pyproject.toml"}"' in result.stdout
    assert 'ignore = ["CHR001"]' in result.stdout and 'library-versions = { django = "4.2" }' in result.stdout
    assert 'django = "==4.2"  # [tool.chronolint] library-versions' in result.stdout
    assert chronolint("check", "--show-settings", "nothing-here", cwd=tmp_path).returncode == 2


# -- where the project is ----------------------------------------------------------------


def test_markerless_tree_is_one_project(chronolint, tmp_path):
    tree = shutil.copytree(FIXTURES / "markerless", tmp_path / "archive")
    expected = _all_codes(tree)
    assert ("app/services/shipping.py", 8, "CHR303") in expected
    # From the tree, from inside a sub-folder, and from elsewhere with the paths given.
    assert _findings(chronolint, tree, ".") == expected
    services = Counter({k: v for k, v in expected.items() if k[0].startswith("app/services/")})
    assert _findings(chronolint, tree, ".", cwd=tree / "app" / "services") == services
    (tmp_path / "elsewhere").mkdir()
    assert _findings(chronolint, tree, str(tree / "app" / "services"), str(tree / "app" / "api"),
                     cwd=tmp_path / "elsewhere") == services


def test_markerless_tree_same_findings_and_speed_with_an_empty_pyproject(chronolint, tmp_path):
    tree = shutil.copytree(FIXTURES / "markerless", tmp_path / "archive")
    started = time.perf_counter()
    without = _findings(chronolint, tree, ".")
    without_s = time.perf_counter() - started
    (tree / "pyproject.toml").write_text("")
    started = time.perf_counter()
    assert _findings(chronolint, tree, ".") == without
    with_s = time.perf_counter() - started
    assert without_s < 2 * with_s + 0.5, (without_s, with_s)


def test_project_root_rules_without_markers(tmp_path):
    for rel in ("tree/app/__init__.py", "tree/app/models/__init__.py", "tree/app/services/x.py",
                "tree/manage.py", "tree/scripts/once.py", "loose/a/b/c.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    tree = tmp_path / "tree"
    # The folder above the outermost package, whatever folder the file is in.
    assert find_project_root(str(tree / "app/services/x.py")) == tree
    assert find_project_root(str(tree / "app/models/__init__.py")) == tree
    assert find_project_root(str(tree / "manage.py")) == tree  # packages beside it
    # Outside any package: the tree being linted (the cwd or the paths' common folder).
    assert find_project_root(str(tree / "scripts/once.py"), trees=(str(tree),)) == tree
    assert find_project_root(str(tmp_path / "loose/a/b/c.py"), trees=linted_trees([str(tmp_path / "loose")], cwd="/")) == tmp_path / "loose"
    assert linted_trees(["/"], cwd="/") == ()  # never `/`
    assert linted_trees([str(tree / "app")], cwd=str(tree)) == (str(tree),)


# -- helpers through the index -----------------------------------------------------------


def test_sa_column_helpers_are_read_and_unknown_helpers_are_silent():
    index = build_index(FIXTURES / "helper_columns", use_cache=False)
    event = index.by_name("Event")[0]
    assert event.columns["created_at"].aware is True  # Field(sa_column=aware_column())
    assert event.columns["seen_at"].aware is True  # mapped through a helper returning a type
    assert event.columns["legacy_at"].aware is False  # a helper returning a naive Column
    assert event.columns["synced_at"].aware is None  # a helper from outside the project


def test_clock_helpers_feed_the_flow_rules_as_direct_calls_do(chronolint, tmp_path):
    index = build_index(FIXTURES / "helper_columns", use_cache=False)
    assert index.clocks == {"eventlog.clock.legacy_now": False, "eventlog.clock.utc_now": True}
    assert index.clock("eventlog.clock.utc_now") is True and index.clock("clock.legacy_now") is False
    # A helper whose returns disagree, or that returns something else, is unknown: silence.
    project = shutil.copytree(FIXTURES / "helper_columns", tmp_path / "p")
    clock = project / "eventlog" / "clock.py"
    clock.write_text(clock.read_text().replace("    return datetime.utcnow()  # expect: CHR002\n",
                                               "    if LEGACY:\n        return datetime.utcnow()  # expect: CHR002\n"
                                               "    return datetime.now(timezone.utc)\n\n\nLEGACY = False\n"))
    found = _findings(chronolint, project, "--select", "CHR302,CHR303", ".")
    assert ("eventlog/service.py", 19, "CHR303") not in found and ("eventlog/service.py", 24, "CHR302") not in found
    assert ("eventlog/service.py", 20, "CHR303") in found  # utc_now() is still read


def test_markerless_tree_under_flake8(tmp_path):
    from conftest import run, tool

    tree = shutil.copytree(FIXTURES / "markerless", tmp_path / "archive")
    result = run([tool("flake8"), "--isolated", "--select", "CHR2,CHR3", "app/services"], cwd=tree)
    found = sorted((line.split(":")[0], int(line.split(":")[1]), line.split()[1]) for line in result.stdout.splitlines())
    expected = sorted((path, row, code) for (path, row, code), n in _all_codes(tree).items()
                      if path.startswith("app/services/") and code.startswith(("CHR2", "CHR3")) for _ in range(n))
    assert found == expected, result.stdout + result.stderr
