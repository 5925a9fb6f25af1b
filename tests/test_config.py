"""Configuration: discovery by walking up, validation like ruff's, selection semantics."""

from __future__ import annotations

import pytest

from chronolint.config import ConfigError, ConfigResolver, Settings, path_matches
from chronolint.engine.paths import PatternSet
from chronolint.registry import select_rules

BAD = "from datetime import datetime\nx = datetime.now()\ny = datetime.utcnow()\n"


def _project(tmp_path, config: str, name="pyproject.toml"):
    (tmp_path / name).write_text(config)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text(BAD)
    return tmp_path


def test_nearest_config_wins(tmp_path, chronolint):
    _project(tmp_path, "[tool.chronolint]\nignore = ['CHR001']\n")
    (tmp_path / "pkg" / "pyproject.toml").write_text("[tool.chronolint]\nignore = ['CHR002']\n")
    out = chronolint("check", ".", "--output-format", "concise", cwd=tmp_path)
    assert "CHR001" in out.stdout and "CHR002" not in out.stdout


def test_pyproject_without_table_is_skipped_while_walking_up(tmp_path, chronolint):
    _project(tmp_path, "[tool.chronolint]\nignore = ['CHR001']\n")
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    out = chronolint("check", "pkg", cwd=tmp_path)
    assert "CHR001" not in out.stdout and "CHR002" in out.stdout


def test_chronolint_toml_is_read(tmp_path, chronolint):
    _project(tmp_path, "ignore = ['CHR002']\n", name="chronolint.toml")
    out = chronolint("check", ".", cwd=tmp_path)
    assert "CHR001" in out.stdout and "CHR002" not in out.stdout


@pytest.mark.parametrize(
    "config, needle",
    [
        ("[tool.chronolint]\nselcet = ['CHR']\n", "unknown key `selcet`"),
        ("[tool.chronolint]\nselect = ['CHR999']\n", "unknown rule selector `CHR999`"),
        ("[tool.chronolint]\ntarget-version = 'py27'\n", "`target-version` must be one of"),
        ("[tool.chronolint]\nselect = 'CHR'\n", "`select` must be a list of strings"),
        ("[tool.chronolint\nselect = []\n", "invalid TOML"),
        ("[tool.chronolint.migrations]\nbaseline = 3\n", "`migrations.baseline` must be a string"),
    ],
    ids=["unknown-key", "unknown-code", "bad-target", "wrong-type", "broken-toml", "nested-type"],
)
def test_broken_config_is_one_line_and_exit_2(tmp_path, chronolint, config, needle):
    _project(tmp_path, config)
    out = chronolint("check", ".", cwd=tmp_path)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "pyproject.toml" in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_unknown_code_on_command_line_exits_2(tmp_path, chronolint):
    _project(tmp_path, "[project]\nname='x'\n")
    out = chronolint("check", ".", "--select", "XYZ1", cwd=tmp_path)
    assert out.returncode == 2 and "unknown rule selector `XYZ1`" in out.stderr


def test_explicit_config_flag(tmp_path, chronolint):
    _project(tmp_path, "[tool.chronolint]\nignore = ['CHR001']\n")
    other = tmp_path / "other.toml"
    other.write_text("ignore = ['CHR002']\n")
    out = chronolint("check", ".", "--config", other, cwd=tmp_path)
    assert "CHR001" in out.stdout and "CHR002" not in out.stdout
    missing = chronolint("check", ".", "--config", tmp_path / "nope.toml", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def test_per_file_ignores_from_config_and_cli(tmp_path, chronolint):
    _project(tmp_path, "[tool.chronolint]\nper-file-ignores = { 'pkg/*' = ['CHR001'] }\n")
    out = chronolint("check", ".", cwd=tmp_path)
    assert "CHR001" not in out.stdout and "CHR002" in out.stdout
    out = chronolint("check", ".", "--per-file-ignores", "mod.py:CHR002", cwd=tmp_path)
    assert "CHR001" not in out.stdout and "CHR002" not in out.stdout


def test_target_version_inferred_from_requires_python(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nrequires-python = '>=3.12'\n[tool.chronolint]\n")
    settings = ConfigResolver(cwd=str(tmp_path)).for_path(str(tmp_path / "x.py"))
    assert settings.target_version == (3, 12)


def test_selection_semantics():
    every = {r.code for r in select_rules(["ALL"], [], [])}
    default = {r.code for r in select_rules(None, [], [])}
    assert default <= every
    assert {r.code for r in select_rules(["CHR001"], [], [])} == {"CHR001"}
    assert "CHR001" not in {r.code for r in select_rules(None, [], ["CHR001"])}
    opt_in = {r.code for r in select_rules(["ALL"], [], []) if not r.default_enabled}
    assert not (opt_in & default), "prefix selection must not enable opt-in rules"


@pytest.mark.parametrize(
    "rel, pattern, expected",
    [
        ("legacy/models.py", "legacy", True),
        ("app/legacy/models.py", "legacy", True),
        ("app/models.py", "legacy", False),
        ("app/migrations/0001.py", "*/migrations/*", True),
        ("tests/test_x.py", "tests/*", True),
        ("src/tests_helper.py", "tests", False),
        ("legacy/models.py", "./legacy", True),
        ("legacy/models.py", "legacy/", True),
    ],
)
def test_path_patterns(rel, pattern, expected):
    assert path_matches(rel, pattern) is expected
    patterns = PatternSet([pattern, "unrelated-*"])
    assert patterns(rel) is expected
    folder, _, name = rel.rpartition("/")
    if not patterns(folder):  # as a walk asks, once it has found the folder not excluded
        assert patterns.matches_below(folder, name) is expected


def test_config_error_type_is_raised_in_process(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.chronolint]\nnope = 1\n")
    with pytest.raises(ConfigError, match="unknown key `nope`"):
        ConfigResolver(cwd=str(tmp_path)).for_path(str(tmp_path / "a.py"))


def test_rule_options_are_typed_fields_with_the_documented_defaults(tmp_path):
    from chronolint.config import DEFAULT_UPDATED_AT_NAMES, RuleOptions

    assert Settings(tmp_path).rule_options == RuleOptions()
    assert Settings(tmp_path, None, {"updated-at-names": []}).rule_options.updated_at_names == DEFAULT_UPDATED_AT_NAMES
    (tmp_path / "chronolint.toml").write_text(
        'updated-at-names = ["touched"]\nexplicit-updated-at = true\ndatetime-min-max-wrappers = ["aware"]\n'
        '[migrations]\nbaseline = "2024-01-01"\n')
    options = ConfigResolver(cwd=str(tmp_path)).for_path(str(tmp_path / "a.py")).rule_options
    assert options == RuleOptions(updated_at_names=("touched",), explicit_updated_at=True,
                                  datetime_min_max_wrappers=("aware",), migrations_baseline="2024-01-01")
